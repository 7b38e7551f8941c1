"""The persistent XLA compilation cache, safe when several processes share it.

Repeat runs load compiled programs instead of compiling them (``VNSIM_JAX_CACHE`` names
the folder, default ``~/.cache/via-negativa-sim``; ``0`` turns the cache off; the entries
live in its ``xla/`` subfolder, since a bounded cache needs every entry's access-time file
and entries written without a bound have none). JAX's own
cache does the work; two of its settings make it safe to share:

- ``jax_compilation_cache_max_size`` (``VNSIM_JAX_CACHE_BYTES``, default 4 GiB): a size
  bound, least recently used entries evicted; with a bound, JAX takes a file lock
  (``filelock``) around every read and write, so independent runs at once (two
  terminals, pytest workers) never read an entry another is half-way through writing;
- within one ``jax.distributed`` job, only process 0 writes entries (JAX's rule); the
  others read them.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_BYTES = 4 * 2**30


def folder() -> str | None:
    """The cache folder, or None when ``VNSIM_JAX_CACHE`` is ``0`` or empty."""
    where = os.environ.get("VNSIM_JAX_CACHE", str(Path.home() / ".cache" / "via-negativa-sim"))
    return None if where in ("", "0") else where


def enable() -> None:
    """Point JAX's persistent cache at :func:`folder` with a size bound (module docstring)."""
    import jax
    where = folder()
    if where is None:
        return
    size = size_bound()
    jax.config.update("jax_compilation_cache_dir", str(Path(where) / "xla"))
    jax.config.update("jax_compilation_cache_max_size", size)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def size_bound() -> int:
    """``VNSIM_JAX_CACHE_BYTES``: the bound on the cache's size (and, apart, on the stored
    traces' of :mod:`experiments.traces`); raises ValueError when out of range."""
    text = os.environ.get("VNSIM_JAX_CACHE_BYTES", str(DEFAULT_BYTES))
    if not text.strip().isdigit() or int(text) < 2**20:
        raise ValueError(f"VNSIM_JAX_CACHE_BYTES = {text!r} is out of range "
                         "(allowed: an integer number of bytes >= 1048576)")
    return int(text)
