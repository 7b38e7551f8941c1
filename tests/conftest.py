"""Test configuration: hypothesis profiles and a session-wide XLA compilation cache.

The suite runs on every core (pytest-xdist, ``-n auto`` in pyproject.toml, at most 4
workers, one test file per worker at a time); ``-n 0`` runs it in one process.

Profiles: ``ci`` (selected when the environment variable CI is set) has
``deadline=None`` and ``derandomize=True`` so CI runs are reproducible; ``dev``
has ``deadline=None`` and random examples.
"""

import os
import shutil
import tempfile

# XLA's backend optimisation level 0 for every program the suite compiles (and the command
# lines it starts, which inherit the variable): at the tiny sizes the tests run, compiling
# is most of the time, and level 0 compiles 1.6x faster (``all --tiny``: 7.6 against 12.5
# CPU minutes) for numbers that differ from XLA's default, level 3, in the last bits. This
# level holds for every program, whatever a spec's ``backend_level``. Set XLA_FLAGS yourself
# to test at another level.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")

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
cache.enable()
# Strict dtype promotion: an implicit float64 or int/float mix in the model is an error in tests.
jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)


def pytest_sessionfinish(session):
    """The process that made the shared cache folder removes it at the end."""
    if _MADE_CACHE and not os.environ.get("PYTEST_XDIST_WORKER"):
        shutil.rmtree(_MADE_CACHE, ignore_errors=True)


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
