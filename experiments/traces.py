"""Traced programs kept on disk: a repeat run loads its programs' trace instead of tracing.

JAX's persistent cache (:mod:`experiments.cache`) saves XLA's compile, but it is keyed by the
lowered program, so every run still traces and lowers each program first: for E1 ``--quick``
as long as XLA's compile. This store keeps each program as JAX exports it
(:func:`jax.export.export`: its StableHLO, serialized), keyed by what its trace depends on:

- the experiment and the code that computes its numbers
  (:func:`experiments.provenance.numbers_version`);
- the members' static configs (sizes, families, switches: ``repr`` of each ``Static``), the
  params' layout (:class:`experiments.members.Layout`) and each param's shape and dtype;
- the seeds per call; the JAX, jaxlib and NumPy versions; the JAX settings that change a
  trace (x64, the PRNG, matmul precision, promotion); the platform.

The numbers a run passes (every field that is not static) are arguments, not part of the
key: changing one and running again loads the stored trace, and JAX's cache then loads XLA's
compile too. Every program of one device in one process runs through its exported form,
stored or not (``jax.jit(exported.call)``), so a first run and a repeat run compile the very
same module: their numbers are bit for bit the same (and the same as the program traced
directly gives: ``all --tiny``, all ten experiments, compared with ``cmp``).

- Where: ``traces/`` in the cache folder (``VNSIM_JAX_CACHE``; ``0`` turns both off);
  ``VNSIM_STORE_TRACES=0`` turns this store off alone (then every run traces and exports).
- One device in one process only: a mesh of several devices or processes traces directly.
- Bounded like JAX's cache, apart from it (``VNSIM_JAX_CACHE_BYTES``, default 4 GiB): the
  least recently used entries go first. An entry is written whole (a temporary file renamed
  into place); a damaged or unreadable one is a miss, and is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path

from . import cache

FORMAT = 1


def folder() -> Path | None:
    """``traces/`` in the cache folder, or None where the store is off; raises ValueError
    when ``VNSIM_STORE_TRACES`` is neither 0 nor 1."""
    switch = os.environ.get("VNSIM_STORE_TRACES", "1").strip()
    if switch not in ("0", "1"):
        raise ValueError(f"VNSIM_STORE_TRACES = {switch!r} is out of range (allowed: 0 or 1)")
    where = cache.folder()
    return None if where is None or switch == "0" else Path(where) / "traces"


def exportable(where) -> bool:
    """Programs on one device in one process run through their exported form."""
    import jax
    return where.devices.size == 1 and jax.process_count() == 1


def _code(spec) -> str | None:
    """The version of the code that computes ``spec``'s numbers; None for a spec outside the
    registry (no module: nothing to key its code by, so no store)."""
    from .provenance import numbers_version
    return numbers_version(spec.module) if spec.module else None


def entry(spec, statics, layout, params, chunk: int, where) -> Path | None:
    """The file that holds this program's trace, or None where the store is off.
    ``params``: one point's distinct params (their shapes and dtypes are part of the key,
    their values are not)."""
    import jax
    import jaxlib
    import numpy

    base, code = folder(), _code(spec)
    if base is None or code is None or not exportable(where):
        return None
    settings = ("jax_enable_x64", "jax_default_prng_impl", "jax_threefry_partitionable",
                "jax_default_matmul_precision", "jax_numpy_rank_promotion",
                "jax_numpy_dtype_promotion")
    blob = {"format": FORMAT, "experiment": spec.name, "code": code,
            "statics": [repr(s) for s in statics],
            "layout": [str(layout.treedef), list(layout.where)],
            "params": [[list(p.shape), str(p.dtype)] for p in params], "chunk": chunk,
            "versions": [jax.__version__, jaxlib.__version__, numpy.__version__],
            "settings": {s: str(getattr(jax.config, s, None)) for s in settings},
            "platform": where.devices.flat[0].platform}
    digest = hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()
    return base / f"{spec.name}-{digest[:32]}.stablehlo"


def load(path: Path | None):
    """The stored :class:`jax.export.Exported`, or None on a miss (or a damaged entry, then
    removed)."""
    if path is None or not path.exists():
        return None
    from jax import export
    try:
        exported = export.deserialize(bytearray(path.read_bytes()))
    except Exception:   # noqa: BLE001 - unreadable, damaged or from another build: a miss
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    with contextlib.suppress(OSError):
        os.utime(path)   # recently used: evicted last
    return exported


def save(path: Path | None, exported) -> None:
    """Store an exported program; best effort (no room, say: no entry)."""
    if path is None:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        data = exported.serialize()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except (OSError, ImportError):   # no room; flatbuffers missing: no entry, the run goes on
        with contextlib.suppress(OSError):
            tmp.unlink()
        return
    _evict(path.parent, cache.size_bound())


def _evict(base: Path, bound: int) -> None:
    """Remove the least recently used entries while the store holds more than ``bound``
    bytes, and temporary files that an interrupted write left over an hour ago."""
    files = []
    for f in base.iterdir():
        with contextlib.suppress(OSError):
            st = f.stat()
            if not f.name.endswith(".tmp"):
                files.append((st.st_mtime, st.st_size, f))
            elif time.time() - st.st_mtime > 3600:
                f.unlink()
    total = sum(size for _, size, _ in files)
    for _, size, f in sorted(files, key=lambda t: t[0]):
        if total <= bound:
            break
        with contextlib.suppress(OSError):
            f.unlink()
            total -= size
