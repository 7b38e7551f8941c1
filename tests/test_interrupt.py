"""Ctrl-C at any moment of a run (import, compile, run, writing): exit status 130, one
line, no traceback, and nothing written, not even an empty folder.

The moments start at 0.3 s: in the first tens of milliseconds the interpreter itself is
starting (site, .pth files, runpy) and none of the program's code has run yet; a Ctrl-C
there is Python's own (a KeyboardInterrupt traceback, killed by SIGINT)."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from experiments import interrupt

REPO = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "experiments", "negative_only", "--tiny", "--seeds", "2"]


def _interrupt_after(seconds: float, out: Path):
    env = dict(os.environ, VNSIM_JAX_CACHE="0")   # compile for real: the longest window
    proc = subprocess.Popen([*COMMAND, "--out", str(out)], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(seconds)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=180)
    return proc.returncode, err


def _check(seconds, tmp_path):
    out = tmp_path / f"at-{seconds:.2f}"
    rc, err = _interrupt_after(seconds, out)
    if rc == 0:   # the run finished before the signal: nothing to check at this moment
        return False
    assert rc == 130, (seconds, err[-2000:])
    assert "Traceback" not in err and "Exception ignored" not in err, err[-2000:]
    last = err.strip().splitlines()[-1]
    if last.endswith("are whole and kept"):   # it landed in the instant after the rename
        folders = [p for p in (out / "negative_only").iterdir() if p.name != "latest"]
        assert len(folders) == 1 and (folders[0] / "meta.json").is_file(), folders
        assert not [p for p in out.rglob(".*")], "a partial write was left"
        return True
    assert last.endswith("interrupted; nothing was written"), last
    assert not out.exists(), sorted(str(p) for p in out.rglob("*"))
    return True


@pytest.mark.parametrize("seconds", [0.3, 3.0])
def test_ctrl_c_during_import_or_compile_is_exit_130_with_nothing_written(seconds, tmp_path):
    assert _check(seconds, tmp_path)


@pytest.mark.slow
def test_ctrl_c_at_20_moments_spread_over_a_whole_run(tmp_path):
    """The promise of issue 31: 20 of 20 tries, from import to the last file written."""
    start = time.perf_counter()
    whole = subprocess.run([*COMMAND, "--out", str(tmp_path / "whole")], cwd=REPO,
                           env=dict(os.environ, VNSIM_JAX_CACHE="0"), capture_output=True,
                           timeout=600)
    assert whole.returncode == 0
    length = time.perf_counter() - start
    # a loaded machine runs the tries at other speeds than the first run: a try that came
    # after the run ended is no interruption, and does not count
    tried = [_check(0.3 + 0.97 * length * k / 19, tmp_path) for k in range(20)]
    assert sum(tried) >= 12, tried


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.5, 1.0])
def test_ctrl_c_while_the_figures_and_files_are_written(delay, tmp_path):
    """The signal sent just after the last program's seeds finished: during the summary,
    the figures and the atomic write."""
    out = tmp_path / "out"
    proc = subprocess.Popen([*COMMAND, "--out", str(out)], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for line in proc.stderr:
        if "kl_optimum seeds" in line:
            break
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=180)
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal")
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    assert not out.exists() or not [p for p in out.rglob(".*")], "a partial write was left"


def test_the_interrupt_line_is_the_last_line_even_while_the_main_thread_prints(tmp_path):
    """The line that ends a run is its last: the watcher's write releases the GIL, and a
    progress line the main thread printed then once landed after it (CI, stop 40)."""
    script = ("import os, signal, sys, threading\n"
              "from experiments import interrupt\n"
              "interrupt.install()\n"
              "threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
              "while True:\n"
              "    print('progress line', file=sys.stderr)\n")
    for k in range(3):
        log = tmp_path / f"stderr-{k}.txt"   # a file: the race shows there, where a pipe hid it
        with log.open("w") as err:
            proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, stderr=err,
                                  timeout=60)
        text = log.read_text()
        assert proc.returncode == 130, text[-500:]
        assert text.strip().splitlines()[-1].endswith("nothing was written"), text[-500:]


def test_a_folder_is_made_and_remembered_in_one_step_under_the_commit_lock(tmp_path,
                                                                             monkeypatch):
    """No moment exists where a folder stands but the interrupt does not know of it: while
    the interrupt holds COMMIT, ``make_folder`` makes nothing, and once it runs the folder
    is remembered. (CI, stop 47: a Ctrl-C between the ``mkdir`` and the registering left
    an empty ``negative_only/``.)"""
    monkeypatch.setattr(interrupt, "_MADE", [])
    target = tmp_path / "out" / "negative_only"
    holding, release = threading.Event(), threading.Event()

    def the_interrupt():
        with interrupt.COMMIT:
            holding.set()
            release.wait(10)

    stopper = threading.Thread(target=the_interrupt)
    stopper.start()
    holding.wait(10)
    maker = threading.Thread(target=interrupt.make_folder, args=(target,))
    maker.start()
    maker.join(0.5)
    try:
        assert not (tmp_path / "out").exists(), "a folder was made outside the lock"
    finally:
        release.set()
        stopper.join(10)
        maker.join(10)
    assert target.is_dir()
    assert interrupt._MADE == [str(tmp_path / "out"), str(target)], interrupt._MADE
