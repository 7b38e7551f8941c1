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
from jax.extend.random import threefry_2x32

from .shared import shared

__all__ = ["stream_id", "stream", "streams", "seed_keys", "normal", "uniform", "uniform_entries"]


def stream_id(name: str) -> int:
    """A stable 31-bit id for a stream name (CRC-32)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


@shared
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


def uniform_entries(key: jax.Array, size: int, index: tuple[int, ...]) -> jax.Array:
    """Entries ``index`` of ``uniform(key, (size,))``, bit for bit, drawing only those.

    Under JAX's partitionable threefry (the default) entry j of a draw hashes the
    counter (0, j) alone, so a few entries of a long draw cost a few hashes (the
    rejection oracle uses 3 of T + 5 draws unless it reveals one prohibition: 10x
    faster at T = 1,024). Without it, the whole draw is made and indexed. A test
    checks both against :func:`uniform`.
    """
    if not jax.config.jax_threefry_partitionable:
        return uniform(key, (size,))[jnp.asarray(index)]
    count = jnp.asarray(index, jnp.uint32)
    hashed = threefry_2x32(jax.random.key_data(key), jnp.concatenate([jnp.zeros_like(count), count]))
    bits = hashed[:count.shape[0]] ^ hashed[count.shape[0]:]
    one = jnp.uint32(0x3F800000)  # jax.random.uniform: 23 random mantissa bits in [1, 2), minus 1
    floats = jax.lax.bitcast_convert_type((bits >> 9) | one, jnp.float32) - 1.0
    return floats.astype(jnp.result_type(float))
