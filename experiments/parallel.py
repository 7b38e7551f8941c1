"""``all --jobs N``: several experiments at once, each in a process of its own.

Compiling is nearly all of a run on a GPU, and XLA compiles one program on a few of the
host's cores; ten experiments one after the other leave the others idle. With ``--jobs N``
``all`` keeps N experiments running, each as ``python -m experiments NAME`` with ``all``'s
own flags, and writes the ledger once they are done. Each child writes only its own results
folder, whole or not at all, exactly as it does alone, so its numbers are the ones a run of
that experiment alone gives (a process holds nothing that another can change).

Sharing the machine:

- memory: each child may use 1/N of what it would use alone (``VNSIM_MEMORY_SHARE`` scales
  the host memory :mod:`experiments.memory` sees; ``XLA_PYTHON_CLIENT_MEM_FRACTION`` the
  accelerator's, 0.75 / N, unless already set);
- output: a child's lines are printed when it ends, never interleaved;
- Ctrl-C: the parent ends its children (:func:`experiments.interrupt.child`), and a child
  ends when its parent dies, even by SIGKILL (:func:`experiments.interrupt.end_with_parent`),
  each leaving its folder whole or absent.

:func:`default_jobs` is what ``--jobs`` means when not given: one job per core, at most
:data:`MOST_JOBS`. Measured on two cores (``all --tiny``, cold compile cache each): 252 s one
at a time, 188 s two at a time, bitwise the same results; each process's XLA compiles and
runs on a pool of its own, and two of them keep both cores busier than one does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections import deque

from . import devices, interrupt, memory

MOST_JOBS = 8   # the default never runs more at once: each holds its programs in memory


def default_jobs(experiments: int) -> int:
    """Experiments to run at once when ``--jobs`` is not given: one per core, at least 1, at
    most :data:`MOST_JOBS` and the number of experiments."""
    return max(1, min(experiments, devices.host_cores(), MOST_JOBS))


def child_env(jobs: int) -> dict:
    """The environment of each child: this one, with its share of the memory and this
    process's id (:func:`experiments.interrupt.end_with_parent`)."""
    env = dict(os.environ)
    share = memory.share() / jobs
    env["VNSIM_MEMORY_SHARE"] = f"{share:.6g}"
    env.setdefault("XLA_PYTHON_CLIENT_MEM_FRACTION", f"{0.75 / jobs:.3f}")
    env["VNSIM_PARENT_PID"] = str(os.getpid())   # the child ends with this process
    return env


def _last_line(text: str) -> str:
    """A failed child's own one-line error, without its ``python -m experiments: error:``."""
    lines = [line for line in text.splitlines() if line.strip()]
    line = lines[-1].strip() if lines else "no output"
    return line.removeprefix(f"{interrupt.PROG}: error: ")


def run_all(names: list[str], flags: list[str], jobs: int, progress) -> tuple[dict, list]:
    """Run each experiment of ``names`` with ``flags``, ``jobs`` at a time; returns
    ({name: seconds} of those that succeeded, ["name: last line", ...] of those that
    failed). ``progress(what, milestone)`` hears of each start and end."""
    pending, running = deque(names), {}
    seconds, failed = {}, []
    env = child_env(jobs)
    while pending or running:
        while pending and len(running) < jobs:
            name = pending.popleft()
            out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
            proc = subprocess.Popen([sys.executable, "-m", "experiments", name, *flags],
                                    stdout=out, stderr=err, env=env, text=True)
            interrupt.child(proc)
            running[name] = (proc, out, err, time.perf_counter())
            progress(f"{name} started ({len(running)} running)", True)
        time.sleep(0.2)
        for name, (proc, out, err, t0) in list(running.items()):
            if proc.poll() is None:
                continue
            del running[name]
            interrupt.child_done(proc)
            out.seek(0)
            err.seek(0)
            sys.stdout.write(out.read())
            text = err.read()
            if proc.returncode == 0:
                seconds[name] = round(time.perf_counter() - t0, 1)
                progress(f"{name} done in {seconds[name]:.0f}s", True)
            else:
                failed.append(f"{name}: {_last_line(text)[:200]}")
                progress(f"{name} failed (exit status {proc.returncode})", True)
            out.close()
            err.close()
    return seconds, failed

