"""Test configuration: hypothesis profiles and a session-wide XLA compilation cache.

The suite runs on every core (pytest-xdist, ``-n auto`` in pyproject.toml, at most 4
workers, one test file per worker at a time); ``-n 0`` runs it in one process.

Profiles: ``ci`` (selected when the environment variable CI is set) has
``deadline=None`` and ``derandomize=True`` so CI runs are reproducible; ``dev``
has ``deadline=None`` and random examples.
"""

import os
import tempfile

import jax
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", deadline=None, derandomize=True, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Identical programs compiled by several tests (the quick E1 variants) are
# compiled once per session.
# Under pytest-xdist each worker process keeps its own cache (no two writers share a folder).
_CACHE = os.environ.get("VNSIM_TEST_JAX_CACHE") or tempfile.mkdtemp(prefix="vnsim-jax-cache-")
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["VNSIM_JAX_CACHE"] = _CACHE
else:
    os.environ.setdefault("VNSIM_JAX_CACHE", _CACHE)
jax.config.update("jax_compilation_cache_dir", _CACHE)
# Strict dtype promotion: an implicit float64 or int/float mix in the model is an error in tests.
jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)


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
