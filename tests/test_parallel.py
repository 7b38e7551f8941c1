"""``all --jobs N`` (:mod:`experiments.parallel`): how many at once, each child's share of
the memory, and a failing child reported as one line while the others run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiments import memory, parallel


@pytest.mark.parametrize(("cores", "experiments", "jobs"),
                         [(1, 10, 1), (2, 10, 2), (4, 10, 4), (16, 10, 8), (64, 3, 3),
                          (2, 1, 1), (16, 0, 1)])
def test_default_jobs_is_one_per_core_between_one_and_eight_and_the_experiments(
        monkeypatch, cores, experiments, jobs):
    monkeypatch.setattr(parallel.devices, "host_cores", lambda: cores)
    assert parallel.default_jobs(experiments) == jobs


def test_each_child_gets_its_share_of_host_and_accelerator_memory(monkeypatch):
    monkeypatch.delenv("VNSIM_MEMORY_SHARE", raising=False)
    monkeypatch.delenv("XLA_PYTHON_CLIENT_MEM_FRACTION", raising=False)
    env = parallel.child_env(4)
    assert float(env["VNSIM_MEMORY_SHARE"]) == 0.25
    assert env["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.188"
    assert env["VNSIM_PARENT_PID"] == str(os.getpid())
    monkeypatch.setenv("VNSIM_MEMORY_SHARE", "0.5")         # already a share: halved again
    monkeypatch.setenv("XLA_PYTHON_CLIENT_MEM_FRACTION", "0.3")   # the user's own: kept
    env = parallel.child_env(2)
    assert float(env["VNSIM_MEMORY_SHARE"]) == 0.25 and env["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.3"


def test_the_memory_share_scales_the_host_memory_and_refuses_a_bad_value(monkeypatch):
    monkeypatch.delenv("VNSIM_MEMORY_GB", raising=False)
    monkeypatch.delenv("VNSIM_MEMORY_SHARE", raising=False)
    whole = memory.available_bytes(None)
    monkeypatch.setenv("VNSIM_MEMORY_SHARE", "0.5")
    half = memory.available_bytes(None)
    assert half == pytest.approx(whole / 2, rel=0.2)   # free memory moves a little between reads
    for bad in ("0", "1.5", "lots", "nan"):
        monkeypatch.setenv("VNSIM_MEMORY_SHARE", bad)
        with pytest.raises(ValueError, match=f"VNSIM_MEMORY_SHARE = '{bad}' is out of range"):
            memory.share()


def test_a_failing_child_is_one_line_and_the_others_still_run(tmp_path):
    """Two children at once: one fails (an unknown experiment: exit 2), the other prints
    the list; the failure is reported with the child's own last line."""
    heard = []
    seconds, failed = parallel.run_all(["nosuch", "list"], ["--out", str(tmp_path)], 2,
                                       lambda what, milestone=False: heard.append(what))
    assert list(seconds) == ["list"] and len(failed) == 1
    assert failed[0].startswith("nosuch: unknown experiment 'nosuch'")   # the child's own line
    assert any(w.startswith("nosuch started") for w in heard)
    assert any("failed (exit status 2)" in w for w in heard)


def _processes_naming(text: str) -> list[int]:
    """Pids of the processes whose command line contains ``text`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="PR_SET_PDEATHSIG is Linux's")
def test_children_end_with_the_parent_even_when_it_is_killed(tmp_path):
    """SIGKILL to ``all --jobs 2`` (nothing can run in the parent then): its children get
    SIGTERM from the kernel and end, leaving no results folder half-written."""
    out = tmp_path / "results"
    proc = subprocess.Popen([sys.executable, "-m", "experiments", "all", "--tiny", "--only",
                             "loss_aversion,negative_only", "--jobs", "2", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    started, deadline = 0, time.monotonic() + 120
    while started < 2 and time.monotonic() < deadline:
        line = proc.stderr.readline()
        started += " started (" in line
    assert started == 2
    children, deadline = [], time.monotonic() + 15   # a loaded host: look again for a while
    while len(children) < 2 and time.monotonic() < deadline:
        children = [p for p in _processes_naming(str(out)) if p != proc.pid and _alive(p)]
        time.sleep(0.1)
    assert len(children) == 2, f"children of all --jobs 2 found: {children}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 60
    while any(Path(f"/proc/{p}").exists() and _alive(p) for p in children) and \
            time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in children if Path(f"/proc/{p}").exists() and _alive(p)]
    for folder in out.glob("*/[0-9a-f]*"):   # whatever finished is whole
        assert (folder / "results.csv").is_file() and (folder / "meta.json").is_file()


def _alive(pid: int) -> bool:
    """Not a zombie (a dead child of a dead parent waits for init to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
