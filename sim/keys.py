"""Named PRNG key streams.

Every random draw of a run comes from a stream derived from the seed's key by
name, ``stream(key, "world")`` = ``fold_in(key, crc32("world"))``, so streams
are independent of each other and of the order in which code asks for them,
and a parent key is never reused after something was folded out of it.
"""

from __future__ import annotations

import zlib

import jax
import jax.numpy as jnp

__all__ = ["stream_id", "stream", "streams", "seed_keys", "normal", "uniform"]


def stream_id(name: str) -> int:
    """A stable 31-bit id for a stream name (CRC-32)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def stream(key: jax.Array, name: str) -> jax.Array:
    """The key of the stream ``name`` under ``key``."""
    return jax.random.fold_in(key, stream_id(name))


def streams(key: jax.Array, *names: str) -> tuple[jax.Array, ...]:
    """Several named streams at once."""
    return tuple(stream(key, n) for n in names)


def seed_keys(base_seed: int, seeds: int) -> jax.Array:
    """One key per seed: ``fold_in(key(base_seed), s)``, s = 0..seeds-1 (independent of chunking)."""
    import numpy as np
    root = jax.random.key(base_seed)
    return jax.vmap(lambda s: jax.random.fold_in(root, s))(np.arange(seeds, dtype=np.uint32))


def normal(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Standard normal draws made in float32 and cast to the working float type, so a
    float64 run samples the same world as a float32 one (only its arithmetic differs)."""
    return jax.random.normal(key, shape, jnp.float32).astype(jnp.result_type(float))


def uniform(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Uniform [0, 1) draws in float32, cast to the working float type (see :func:`normal`)."""
    return jax.random.uniform(key, shape, jnp.float32).astype(jnp.result_type(float))
