"""Traced programs kept on disk: a repeat run loads its programs' trace instead of tracing.

JAX's persistent cache (:mod:`experiments.cache`) saves XLA's compile, but it is keyed by the
lowered program, so every run still traces and lowers each program first: for E1 ``--quick``
as long as XLA's compile. This store keeps each program as JAX exports it
(:func:`jax.export.export`: its StableHLO, serialized), keyed by what its trace depends on:

- the experiment, its run function and the code that computes its numbers
  (:func:`experiments.provenance.numbers_version`);
- the members' static configs (sizes, families, switches: ``repr`` of each ``Static``), the
  params' layout (:class:`experiments.members.Layout`) and each param's shape and dtype;
- the seeds per call on one device; the package versions
  (:func:`experiments.provenance.versions`: sim, JAX, jaxlib, NumPy, optax, Python); every JAX
  setting of JAX's trace context (x64, the PRNG and its seed offset, matmul precision,
  promotion, ...); the platform and the kind of this process's first device.

The numbers a run passes (every field that is not static) are arguments, not part of the
key: changing one and running again loads the stored trace, and JAX's cache then loads XLA's
compile too. What is exported is the program of one device, with no sharding in it; every
run goes through its exported form, stored or not: ``jax.jit(exported.call)`` on one device,
mapped over the seeds of a mesh of several devices or processes with ``jax.shard_map``
(:func:`experiments.members.over_devices`). So a first run and a repeat run compile the very
same module, with bit for bit the same numbers (and those of the program traced directly:
``all --tiny``, all ten experiments, compared with ``cmp``); and a trace stored by a run on
one device serves a run on two with the same seeds per device, and the other way round.

- Where: ``traces/`` in the cache folder (``VNSIM_JAX_CACHE``; ``0`` turns both off);
  ``VNSIM_STORE_TRACES=0`` turns this store off alone (then every run traces and exports).
- A program JAX cannot export (a custom call without its compatibility guarantee, say) is
  traced directly, every run.
- Bounded like JAX's cache, apart from it (``VNSIM_JAX_CACHE_BYTES``, default 4 GiB, so the
  cache folder may hold twice that): the least recently used entries go first. An entry is
  its SHA-256 and its payload, written whole (a temporary file renamed into place); one whose
  checksum or format is wrong, or whose trace fails to lower, is a miss and is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

from . import cache

FORMAT = 2   # 2: the per-device program, no sharding in it (1 had one device's mesh)


def folder() -> Path | None:
    """``traces/`` in the cache folder, or None where the store is off; raises ValueError
    when ``VNSIM_STORE_TRACES`` is neither 0 nor 1."""
    switch = os.environ.get("VNSIM_STORE_TRACES", "1").strip()
    if switch not in ("0", "1"):
        raise ValueError(f"VNSIM_STORE_TRACES = {switch!r} is out of range (allowed: 0 or 1)")
    where = cache.folder()
    return None if where is None or switch == "0" else Path(where) / "traces"


def shapes(params, per_device: int) -> tuple:
    """The per-device program's arguments, as shapes: (base seed, ``per_device`` seed ids,
    one point's distinct params), no sharding (the program is device-agnostic)."""
    import jax
    import numpy as np
    return (jax.ShapeDtypeStruct((), np.uint32), jax.ShapeDtypeStruct((per_device,), np.uint32),
            [jax.ShapeDtypeStruct(p.shape, p.dtype) for p in params])


def _code(spec) -> str | None:
    """The version of the code that computes ``spec``'s numbers; None for a spec outside the
    registry (no module: nothing to key its code by, so no store)."""
    from .provenance import numbers_version
    return numbers_version(spec.module) if spec.module else None


def _settings() -> list[str]:
    """Every JAX setting that changes a trace (JAX's trace context: x64, the PRNG and its
    seed offset, matmul precision, promotion, ...), the objects without a stable text left
    out; six named ones where JAX has no such list."""
    import jax
    try:   # JAX's own list; not a public API, hence the named fallback below
        from jax._src.config import trace_context as context
    except ImportError:
        context = None
    if context is not None:
        return [t for t in map(repr, context()) if " at 0x" not in t]
    return [str(getattr(jax.config, s, None)) for s in (
        "jax_enable_x64", "jax_default_prng_impl", "jax_threefry_partitionable",
        "jax_default_matmul_precision", "jax_random_seed_offset", "jax_numpy_rank_promotion")]


def entry(spec, statics, layout, params, per_device: int) -> Path | None:
    """The file that holds this program's trace, or None where the store is off.
    ``params``: one point's distinct params (their shapes and dtypes are part of the key,
    their values are not); ``per_device``: the seeds per call on one device."""
    import jax

    from .provenance import versions
    base, code = folder(), _code(spec)
    if base is None or code is None:
        return None
    device = jax.local_devices()[0]
    blob = {"format": FORMAT, "experiment": spec.name, "code": code,
            "run": f"{spec.run.__module__}.{spec.run.__qualname__}",
            "statics": [repr(s) for s in statics],
            "layout": [str(layout.treedef), list(layout.where)],
            "params": [[list(p.shape), str(p.dtype)] for p in params], "chunk": per_device,
            "versions": versions(), "settings": _settings(),
            "device": [device.platform, device.device_kind, device.client.platform_version]}
    digest = hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()
    return base / f"{spec.name}-{digest[:32]}.stablehlo"


def load(path: Path | None):
    """The stored :class:`jax.export.Exported`, or None on a miss. An entry whose checksum
    or format is wrong is removed (:func:`discard`); one that cannot be read now (flatbuffers
    missing, a read error) is left for the processes that can."""
    if path is None or not path.exists():
        return None
    import jax
    try:
        data = path.read_bytes()
        import flatbuffers  # noqa: F401 - what deserialize needs
    except (OSError, ImportError):
        return None
    digest, payload = data[:32], data[32:]
    try:
        if hashlib.sha256(payload).digest() != digest:
            raise ValueError("checksum")
        exported = jax.export.deserialize(bytearray(payload))
    except Exception:   # noqa: BLE001 - damaged, or from another format: a miss
        discard(path)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)   # recently used: evicted last
    return exported


def discard(path: Path | None) -> None:
    """Remove an entry (damaged, or its trace failed to lower)."""
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()


def export_and_store(traced, args, stored: Path | None):
    """``traced`` exported for ``args`` (:func:`shapes`) and stored (best effort: no room, say,
    or flatbuffers missing, then no entry); None where JAX cannot export it (a custom call
    without JAX's compatibility guarantee, say): that program is traced directly, every run."""
    import jax
    try:
        exported = jax.export.export(traced)(*args)
    except Exception:   # noqa: BLE001 - not exportable: the direct trace serves
        return None
    if stored is None:
        return exported
    try:
        payload = bytes(exported.serialize())
        stored.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{stored.name}.", suffix=".tmp", dir=stored.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, stored)
    except Exception:   # noqa: BLE001 - not stored; the run goes on
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)
        return exported
    _evict(stored.parent, cache.size_bound())
    return exported


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
