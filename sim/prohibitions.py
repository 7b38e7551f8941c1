"""The prohibitions' halfspaces and masses (docs/model.md section 1; the formulas are in
:mod:`sim.world`'s docstring): g_j(i) = 1[w_j . x_i > theta_j], the context-dependent
g_j(i, c) = 1[w_j . x_i + u_j . c > theta_j], and the Zipf mass law. Functions of arrays
and of a :class:`sim.world.World`, which :mod:`sim.world` re-exports."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["zipf_masses", "violations", "needs_context", "violations_in"]


def zipf_masses(t: int, p, exponent, xp=np):
    """p_j = c j^-a for j = 1..T with sum_j p_j = T p: (T,). ``xp``: numpy or jax.numpy."""
    dtype = xp.asarray(exponent).dtype if xp is jnp else float
    weights = xp.arange(1, t + 1, dtype=dtype) ** (-exponent)
    return t * p * weights / xp.sum(weights)


def violations(features: jax.Array, normals: jax.Array, thresholds: jax.Array) -> jax.Array:
    """g_j(i) = 1[w_j . x_i > theta_j] for all responses and halfspaces: (N, T) bool."""
    return features @ normals.T > thresholds


def needs_context(world, context_features) -> bool:
    """Whether the halfspaces read the context; an error if they do and it is missing."""
    if world.context_normals is None:
        return False
    if context_features is None:
        raise ValueError("this world has context-dependent prohibitions "
                         "(world.context_share > 0): pass the context's features")
    return True


def violations_in(world, context_features: jax.Array | None = None,
                  idx: jax.Array | None = None) -> jax.Array:
    """g_j(i, c) for the halfspaces, for every response (or ``idx``) in one context:
    (N, T) or (..., T) bool. ``world.violates`` when no prohibition reads the context."""
    if not needs_context(world, context_features):
        return world.violates if idx is None else world.violates[idx]
    x = world.features if idx is None else world.features[idx]
    shift = world.context_normals @ context_features                          # (T,)
    return x @ world.normals.T + shift > world.thresholds
