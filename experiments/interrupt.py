"""Ctrl-C on the command line: exit status 130 and nothing partial written, at any moment.

Python turns SIGINT into ``KeyboardInterrupt`` only between bytecodes of the main thread.
That fails three ways in a JAX program: the exception can surface inside a callback that
C code runs (JAX's garbage-collection callback prints "Exception ignored ..." and the run
goes on), it waits while XLA compiles in C++, and unwinding at interpreter exit with XLA's
threads still compiling can crash (exit status 139).

So the command line (and only the command line: a notebook keeps its own Ctrl-C)
handles SIGINT outside the interpreter's unwinding. :func:`install` sets a no-op Python
handler, which keeps ``KeyboardInterrupt`` from ever being raised, and
``signal.set_wakeup_fd``: the C-level handler writes the signal's number to a pipe the
moment it arrives, whatever the main thread is doing. A daemon thread blocked on that
pipe then takes the commit lock (so a folder being renamed into place is either whole or
absent), removes every scratch path registered with :func:`scratch`, prints one line and
ends the process with ``os._exit(130)``: no finalisers, no unwinding, no crash.

Writers use :func:`scratch` for every temporary path and :data:`COMMIT` around the rename
that publishes a result; :func:`committed` records what was completed before the
interrupt (``all`` keeps finished experiments).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

COMMIT = threading.RLock()      # held while a finished result is renamed into place
_SCRATCH: set[str] = set()      # temporary paths to remove on an interrupt
_DONE: list[str] = []           # results completed in this process
_MADE: list[str] = []           # folders this process made: removed on an interrupt if empty
_CHILDREN: set = set()          # processes this one started (``all --jobs``): ended with it
_INSTALLED = False
PROG = "python -m experiments"


@contextlib.contextmanager
def scratch(path):
    """Register a temporary file or folder: an interrupt removes it."""
    with COMMIT:
        _SCRATCH.add(str(path))
    try:
        yield path
    finally:
        with COMMIT:
            _SCRATCH.discard(str(path))


@contextlib.contextmanager
def temporary_folder(**kwargs):
    """``tempfile.mkdtemp(**kwargs)`` registered as scratch from the instant it exists, and
    removed (if still there) on leaving the block."""
    with COMMIT:
        path = tempfile.mkdtemp(**kwargs)
        _SCRATCH.add(path)
    try:
        yield Path(path)
    finally:
        with COMMIT:
            _SCRATCH.discard(path)
        shutil.rmtree(path, ignore_errors=True)


def make_folder(path) -> None:
    """``mkdir -p path``, remembering each folder made so an interrupt removes it again
    when it is still empty. The folders are made and remembered under :data:`COMMIT`: an
    interrupt between the two would otherwise leave a folder it does not know of."""
    path = Path(path)
    with COMMIT:
        missing = [p for p in (path, *path.parents) if not p.exists()][::-1]
        path.mkdir(parents=True, exist_ok=True)
        _MADE.extend(str(p) for p in missing)


def child(proc) -> None:
    """Register a child process (a ``subprocess.Popen``): an interrupt ends it first (SIGTERM,
    which it handles as this module says: its own output whole or absent)."""
    with COMMIT:
        _CHILDREN.add(proc)


def child_done(proc) -> None:
    """The child has ended: an interrupt no longer needs to end it."""
    with COMMIT:
        _CHILDREN.discard(proc)


def _end_children() -> None:
    for proc in list(_CHILDREN):
        with contextlib.suppress(OSError):
            proc.terminate()
    for proc in list(_CHILDREN):
        with contextlib.suppress(Exception):
            proc.wait(timeout=30)


def committed(path) -> None:
    """Record a result renamed into place (call while holding :data:`COMMIT`)."""
    _DONE.append(str(path))


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _stop(signum: int) -> None:
    COMMIT.acquire()        # never released: the process ends here
    _end_children()
    for path in list(_SCRATCH):
        _remove(path)
    for path in reversed(_MADE):
        with contextlib.suppress(OSError):
            os.rmdir(path)
    kept = (f"; the {len(_DONE)} result folder(s) finished before it are whole and kept"
            if _DONE else "; nothing was written")
    with contextlib.suppress(OSError):
        os.write(_last_word(), f"\n{PROG}: interrupted{kept}\n".encode())
    os._exit(128 + signum)


def _last_word() -> int:
    """A copy of stderr for the interrupt's line, after pointing stdout and stderr at
    ``/dev/null``: while this thread writes (the GIL released), the main thread may print a
    progress line, and it must not land after the line that ends the run."""
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(null, fd)
    return saved


def _watch(fd: int) -> None:
    while True:
        try:
            data = os.read(fd, 64)
        except InterruptedError:
            continue
        except OSError:
            return
        for signum in data:
            if signum in (signal.SIGINT, signal.SIGTERM):
                _stop(signum)


def end_with_parent() -> None:
    """A child of ``all --jobs`` (``VNSIM_PARENT_PID`` set) asks Linux for SIGTERM when its
    parent dies, even by SIGKILL (``prctl(PR_SET_PDEATHSIG)``), and ends at once if the parent
    is already gone; the SIGTERM is handled as above. Elsewhere, nothing."""
    parent = os.environ.pop("VNSIM_PARENT_PID", "")   # not inherited by this one's children
    if not parent.isdigit() or not os.path.exists("/proc/self"):
        return
    import ctypes
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != int(parent):   # the parent died before the request
        os._exit(128 + signal.SIGTERM)


def finished() -> None:
    """The command is done and its output whole: from here a Ctrl-C is ignored. (At
    interpreter exit Python resets its handlers to the default, and a SIGINT during the
    teardown would kill the process with status -2 after the run succeeded.)"""
    if not _INSTALLED:
        return
    with COMMIT:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)


def install() -> None:
    """Handle SIGINT (exit 130) and SIGTERM (exit 143) as the module docstring says; call it
    from the main thread before importing JAX. A second call does nothing."""
    global _INSTALLED
    if _INSTALLED or threading.current_thread() is not threading.main_thread():
        return
    read, write = os.pipe()
    os.set_blocking(write, False)
    threading.Thread(target=_watch, args=(read,), name="interrupt-watch", daemon=True).start()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: None)
    signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    _INSTALLED = True
