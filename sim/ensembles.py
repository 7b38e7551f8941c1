"""Reward-model ensembles (Coste et al. 2023, arXiv 2310.02743): K bootstrap members, one aggregate.

Member k is the reward model of :mod:`sim.preferences` fitted to the same
comparisons reweighted by bootstrap counts omega_kl. Choice: the Poisson
bootstrap, omega_kl ~ Poisson(1) independently per label (Oza & Russell
2001), which resamples every prefix of the label stream at once, so batch
refits at checkpoints and online streaming use the same weights. With
K = 1 (``ensemble = 1``, the default) the one member gets weight 1 on
every label: it *is* the single model.

The members' rewards r_1..r_K are aggregated per response and context
(``aggregate``), as in Coste et al. section 4:

- ``mean``:         r = mean_k r_k;
- ``min``:          r = min_k r_k (worst-case optimisation, WCO);
- ``uncertainty``:  r = mean_k r_k - k_u var_k r_k (uncertainty-weighted
  optimisation, UWO; ``uncertainty_weight`` k_u, the population variance
  over members).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .keys import stream
from .maxout import maxout
from .preferences import rewards
from .reward_fits import fit_batch, fit_maxout, fit_online
from .world import Contexts, World

__all__ = ["bootstrap_weights", "fit_reward_models", "aggregate", "ensemble_rewards"]


def bootstrap_weights(key: jax.Array, members: int, n: int, dtype) -> jax.Array:
    """Poisson(1) bootstrap counts, (members, n); all ones when members = 1."""
    if members == 1:
        return jnp.ones((1, n), dtype)
    return jax.random.poisson(stream(key, "bootstrap"), 1.0, (members, n)).astype(dtype)


def fit_reward_models(key: jax.Array, dphi: jax.Array, target: jax.Array, weight: jax.Array,
                      steps: jax.Array, params, static) -> jax.Array:
    """The ensemble's members at each checkpoint: (K, len(steps), p) (``maxout``:
    (K, len(steps), halfspaces, q + 1)).

    Args:
      key: PRNG key for the bootstrap counts.
      dphi, target, weight: the comparisons (:func:`sim.labels.comparison_inputs`: feature
        differences, or both responses' inputs for ``maxout``) and their answers.
      steps: (C,) label counts (a static tuple for ``maxout``'s batch refits).
      params, static: the :class:`sim.preferences.LearnerConfig`'s typed params and static half.
    """
    omega = bootstrap_weights(key, static.ensemble, dphi.shape[0], dphi.dtype)

    def member(w):
        if static.family == "maxout":
            return fit_maxout(stream(key, "maxout_init"), dphi, target, weight * w, steps,
                              _maxout_bradley_terry, params, static)
        steps_a = jnp.asarray(steps, jnp.int32)
        if static.fit == "batch":
            return fit_batch(dphi, target, weight * w, steps_a, params.ridge,
                             static.batch_iters, static.batch_solver, static.batch_block)
        return fit_online(dphi, target, weight * w, steps_a, params.ridge, params.learning_rate,
                          static.optimizer)

    if static.ensemble == 1:  # the single model's program, exactly
        return member(omega[0])[None]
    return jax.vmap(member)(omega)


def _maxout_bradley_terry(theta, rows, target, tau):
    """Bradley-Terry loss of comparisons (..., 2, q) under r = -max_k (soft max, tau)."""
    s = maxout(theta, rows[..., 1, :], tau) - maxout(theta, rows[..., 0, :], tau)  # r(i) - r(j)
    return target * jax.nn.softplus(-s) + (1.0 - target) * jax.nn.softplus(s)


def aggregate(member_rewards: jax.Array, how: str, uncertainty_weight) -> jax.Array:
    """Aggregate (K, ...) member rewards over the first axis (module docstring)."""
    if how == "min":
        return jnp.min(member_rewards, axis=0)
    mean = jnp.mean(member_rewards, axis=0)
    if how == "mean":
        return mean
    return mean - uncertainty_weight * jnp.var(member_rewards, axis=0)


def ensemble_rewards(thetas: jax.Array, family: str, world: World, contexts: Contexts,
                     params, static) -> jax.Array:
    """The aggregated reward of members ``thetas`` (K, p) for every response and context: (E, N)."""
    members = jax.vmap(lambda th: rewards(th, family, world, contexts))(thetas)
    return aggregate(members, static.aggregate, params.uncertainty_weight)
