"""The contraction kernel's compute roofline: the least time any method could take here.

For S seeds of N responses, T halfspace prohibitions in d dimensions, every method must
form the N T S scores w_j . x_i (d multiply-adds each: 2 N T d S flops) and compare each
with its threshold and fold it into the running first-violation minimum (one pass over the
N T S comparisons, counted as 2 operations each: the compare and the min). At this
machine's measured single-precision matrix-multiply rate F (flops per second, the fastest
thing the machine does),

    roofline = (2 N T d S + 2 N T S) / F  seconds,

a compute floor: it does not depend on memory traffic, which a fused kernel avoids (the
materialised product ``features @ normals.T`` writes N T S floats, so at d = 8 it is bound
by memory and is no floor). The kernel is reported as a multiple of it (1 = at the
roofline).
"""

from __future__ import annotations

import time

import numpy as np


def contraction_flops(n: int, t: int, d: int, seeds: int) -> int:
    """2 N T d S for the scores plus 2 N T S for the compares and the min."""
    return 2 * n * t * d * seeds + 2 * n * t * seeds


def roofline_seconds(n: int, t: int, d: int, seeds: int, flops_per_second: float) -> float:
    """:func:`contraction_flops` at ``flops_per_second``."""
    if not flops_per_second > 0:
        raise ValueError(f"flops_per_second = {flops_per_second}: must be > 0")
    return contraction_flops(n, t, d, seeds) / flops_per_second


def sgemm_rate(size: int = 2048, repeats: int = 5) -> float:
    """The measured float32 matrix-multiply rate, 2 size^3 / (best of ``repeats``) flops
    per second, under ``jax.jit`` on the default device."""
    import jax
    import jax.numpy as jnp
    a = jnp.asarray(np.random.default_rng(0).standard_normal((size, size), dtype=np.float32))
    square = jax.jit(lambda x: x @ x).lower(a).compile()
    square(a).block_until_ready()
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        square(a).block_until_ready()
        best = min(best, time.perf_counter() - t0)
    return 2 * size**3 / best
