"""The union-of-halfspaces family: a max over K learned halfspaces, on either side.

Inputs z(i, c) = [x_i, endorses_i, log length_i, f, endorses_i f], f = 1[the context's belief
is false] (:func:`maxout_inputs`). Parameters theta, (K, q + 1) rows [w_k, b_k];

    h_theta(i, c) = max_k (w_k . z(i, c) + b_k),

evaluated with the hard max and trained on its soft max tau logsumexp_k(. / tau)
(``temperature`` tau). With K >= T it represents the union of the T halfspace prohibitions
exactly, and the factual prohibition through its last input. Choice: the belief flag is an
input because the rule learner's factual prohibition reads it too.

- the cost model (``cost.family = maxout``, :mod:`sim.costs`) is c = h_theta: a response is
  flagged where some learned halfspace fires;
- the reward model (``learner.family = maxout``, :mod:`sim.preferences`) is r = -h_theta: a
  concave piecewise-linear score, high where no learned halfspace is near firing, fitted to
  comparisons by the Bradley-Terry loss on r(i) - r(j). So comparisons and flags can be
  compared in the same expressive family with the same inputs.

Initialised at w ~ N(0, 0.01^2), b = -1; fitted by Adam (:func:`sim.reward_fits.fit_maxout`):
the family is not convex.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .keys import normal

__all__ = ["maxout_inputs", "maxout_init", "maxout"]


def maxout_inputs(x: jax.Array, endorses: jax.Array, log_length: jax.Array,
                  belief_true: jax.Array) -> jax.Array:
    """z = [x, endorses, log length, f, endorses f], f = 1[belief false]: (..., d + 4)."""
    false = jnp.broadcast_to(~belief_true, endorses.shape).astype(x.dtype)
    flat = [endorses, log_length, false, endorses * false]
    return jnp.concatenate([x] + [f[..., None] for f in flat], axis=-1)


def maxout_init(key: jax.Array, k: int, q: int, dtype) -> jax.Array:
    """Initial parameters, (K, q + 1) rows [w_k, b_k]: w ~ N(0, 0.01^2), b = -1."""
    w = 0.01 * normal(key, (k, q)).astype(dtype)
    return jnp.concatenate([w, -jnp.ones((k, 1), dtype)], axis=1)


def maxout(theta: jax.Array, z: jax.Array, temperature=None) -> jax.Array:
    """max_k (w_k . z + b_k) for inputs z (..., q) (temperature: its soft max): (...,)."""
    h = z @ theta[:, :-1].T + theta[:, -1]
    if temperature is None:
        return jnp.max(h, axis=-1)
    return temperature * jax.nn.logsumexp(h / temperature, axis=-1)
