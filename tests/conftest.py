"""Test configuration: hypothesis profiles, a session-wide XLA compilation cache, and the
session's one ``all --tiny`` run that the workers share (the ``tiny_all`` fixture).

The suite runs on every core (pytest-xdist, ``-n auto`` in pyproject.toml, at most 4
workers, one test file per worker at a time); ``-n 0`` runs it in one process.

Profiles: ``ci`` (selected when the environment variable CI is set) has
``deadline=None`` and ``derandomize=True`` so CI runs are reproducible; ``dev``
has ``deadline=None`` and random examples.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# XLA's backend optimisation level 0 for every program the suite compiles (and the command
# lines it starts, which inherit the variable): at the tiny sizes the tests run, compiling
# is most of the time, and level 0 compiles 1.6x faster (``all --tiny``: 7.6 against 12.5
# CPU minutes) for numbers that differ from XLA's default, level 3, in the last bits. This
# level holds for every program, whatever a spec's ``backend_level``. And XLA's legacy
# (pre-MLIR) CPU emitters (``--xla_cpu_use_fusion_emitters=false``): the fast tier compiles
# about 4,900 programs, most of them one operation run outside ``jit`` (a component test's
# eager reference), and these compile 2.2x faster (8.6 ms each instead of 19.2; the fast
# tier in 124 s instead of 207, the same hour, stop 47); an experiment's own program at its
# level compiles no faster (E1 ``--quick``: 21.9 s instead of 22.5), so runs keep XLA's
# defaults.
# Set XLA_FLAGS yourself to test at another level or with the fusion emitters.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0 "
                                   "--xla_cpu_use_fusion_emitters=false")

import jax  # noqa: E402  (after XLA_FLAGS)
import pytest
from hypothesis import HealthCheck, settings

from experiments import cache

settings.register_profile("ci", deadline=None, derandomize=True, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# One persistent compilation cache for the whole session, shared by pytest's workers and the
# command lines the tests start: a program that one test compiles (the tiny and quick
# experiment programs, the generic spec tests' programs) is loaded, not compiled, by every
# other test. The controller makes the folder before it starts the workers, which inherit
# it through the environment; ``experiments.cache`` bounds its size, which makes JAX lock
# the folder (``filelock``) around every read and write, so the workers can share it.
if not os.environ.get("VNSIM_TEST_JAX_CACHE"):
    os.environ["VNSIM_TEST_JAX_CACHE"] = tempfile.mkdtemp(prefix="vnsim-jax-cache-")
    _MADE_CACHE = os.environ["VNSIM_TEST_JAX_CACHE"]
else:
    _MADE_CACHE = None
os.environ["VNSIM_JAX_CACHE"] = os.environ["VNSIM_TEST_JAX_CACHE"]
# One folder for what the workers share besides the cache: the session's ``all --tiny`` run.
if not os.environ.get("VNSIM_TEST_SHARED"):
    os.environ["VNSIM_TEST_SHARED"] = tempfile.mkdtemp(prefix="vnsim-shared-")
    _MADE_SHARED = os.environ["VNSIM_TEST_SHARED"]
else:
    _MADE_SHARED = None
cache.enable()
# Strict dtype promotion: an implicit float64 or int/float mix in the model is an error in tests.
jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)


def pytest_sessionfinish(session):
    """The process that made the shared cache folder removes it at the end."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        for made in (_MADE_CACHE, _MADE_SHARED):
            if made:
                shutil.rmtree(made, ignore_errors=True)


@pytest.fixture
def x64():
    """Run a test body in float64 (analytic reference checks)."""
    with jax.enable_x64(True):
        yield


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    """Drop in-memory compiled programs after each test module: a full suite otherwise holds
    every experiment's executables at once (the persistent cache still serves recompiles)."""
    yield
    from sim.spec import batched
    batched.cache_clear()
    jax.clear_caches()


REPO = Path(__file__).resolve().parent.parent


def _tree_state() -> str:
    """What git sees in the working tree: tracked changes and untracked files."""
    return subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True,
                          text=True, timeout=60).stdout


@pytest.fixture(scope="session")
def tree_state():
    """The function that reads git's view of the working tree (a command writes only its
    own output: tests compare it before and after)."""
    return _tree_state


@pytest.fixture(scope="session")
def tiny_all():
    """The session's one ``python -m experiments all --tiny`` (every experiment's tiny config,
    2 seeds) and its output: ``(results folder, completed process)``. The first worker that
    asks runs it, under a file lock, into the folder the workers share; every other worker
    waits for it and reads it (tests/test_all.py, tests/test_devices.py,
    tests/test_processes.py, the notebook test), so the suite compiles the tiny programs
    through ``all`` once. It must leave the working tree as git saw it before. A run that
    failed is not retried: every asker fails with its stderr."""
    shared = Path(os.environ["VNSIM_TEST_SHARED"])
    out, log = shared / "all-tiny" / "results", shared / "all-tiny.json"
    with open(shared / "all-tiny.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not log.exists():
            before = _tree_state()
            run = subprocess.run([sys.executable, "-m", "experiments", "all", "--tiny", "--out",
                                  str(out)], cwd=REPO, capture_output=True, text=True,
                                 timeout=1800)
            log.write_text(json.dumps({"returncode": run.returncode, "stdout": run.stdout,
                                       "stderr": run.stderr,
                                       "tree_unchanged": _tree_state() == before}))
    done = json.loads(log.read_text())
    assert done["returncode"] == 0, done["stderr"][-3000:]
    assert done["tree_unchanged"], "all --tiny changed the working tree (git status)"
    return out, subprocess.CompletedProcess([], done["returncode"], done["stdout"],
                                            done["stderr"])
