"""What a learned score admits, checkpoint by checkpoint, on E1's axis (shared with E7).

Any learner of the registry (:mod:`sim.learners`: every score is higher-is-better) is read
the same way at each checkpoint of its fitted
parameters: the set metrics of what it admits (:func:`sim.metrics.set_metrics`), re-openings
and top-1 flips since the start, Kendall tau against V and ranking drift since the previous
checkpoint, on a uniform subset of ``eval_responses`` responses. With a bootstrap refit,
``ranking_drift_floor``: the Kendall distance between the fit and a refit on a Poisson(1)
resample of the same n labels, the drift estimation noise alone gives (so "keeps drifting"
means ``ranking_drift`` above it).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..learners import LEARNERS, bootstrap_weight, unit_weight
from ..metrics import (
    init_changes,
    kendall_distance,
    kendall_tau_or_zero,
    set_metrics,
    update_changes,
)
from ..preferences import response_features, surface_loadings

__all__ = ["mean_set_metrics", "learned_sets", "learner_curve", "reward_model_sets",
           "cost_model_sets", "surface_extras"]


def mean_set_metrics(admitted, acceptable, values):
    per_context = jax.vmap(set_metrics)(admitted, acceptable, values)
    return {k: jnp.mean(v) for k, v in per_context.items()}


@jax.jit
def _reading(state, adm, top1, rs, ps, rb, acceptable, values, values_sub):
    """One checkpoint's reading of a scorer, whatever learner gave the scores: jitted, so
    every member of a program with scores of one shape traces and lowers it once
    (a call in the program, not a copy per member)."""
    state = update_changes(state, adm, top1)
    out = mean_set_metrics(adm, acceptable, values)
    out["reopenings"] = jnp.mean(jnp.sum(state.reopened, axis=1).astype(values.dtype))
    out["top1_flips"] = jnp.mean(state.flips.astype(values.dtype))
    out["kendall_tau_true"] = jnp.mean(jax.vmap(kendall_tau_or_zero)(rs, values_sub))
    out["ranking_drift"] = jnp.mean(jax.vmap(kendall_distance)(ps, rs))
    if rb is not None:
        out["ranking_drift_floor"] = jnp.mean(jax.vmap(kendall_distance)(rb, rs))
    return state, out


def learned_sets(thetas, score, extras, acceptable, values, static, boot=None):
    """Metrics at each checkpoint of a learned scorer: ``score(theta)`` gives
    (E, N) scores (higher = better), the admitted sets and the top-1 responses.

    ``thetas``: a pytree with a leading checkpoint axis. ``boot``: the same learner refitted
    on a bootstrap resample of the same labels (or None); then ``ranking_drift_floor`` is the
    Kendall distance between the two fits at each checkpoint: the drift that estimation noise
    alone gives at that n, the floor ``ranking_drift`` is read against."""
    subset = jnp.arange(static.eval_responses)  # responses are i.i.d.: a uniform subset
    r0, adm0, top0 = score(jax.tree.map(lambda a: a[0], thetas))

    def checkpoint(carry, fits):
        state, r_prev = carry
        theta, theta_boot = fits
        r, adm, top1 = score(theta)
        rs, ps = r[:, subset], r_prev[:, subset]
        rb = None if theta_boot is None else score(theta_boot)[0][:, subset]
        state, out = _reading(state, adm, top1, rs, ps, rb, acceptable, values,
                              values[:, subset])
        out.update(extras(theta, rs))
        return (state, r), out

    _, out = jax.lax.scan(checkpoint, (init_changes(adm0, top0), r0), (thetas, boot))
    return out


def learner_curve(learner, key, labels, world, contexts, values, acceptable, steps, params,
                  static, floor: bool = True, extras=None):
    """A registered learner (:mod:`sim.learners`) fitted to ``labels`` at ``steps`` and read
    at each checkpoint (:func:`learned_sets`); with ``floor``, refitted on a Poisson bootstrap
    of the same labels in the same program (vmapped), for ``ranking_drift_floor``."""
    answered = unit_weight(labels, values.dtype)

    def fit(weight):
        return learner.fit(key, world, labels, weight, steps, params, static)

    if floor:
        weights = jnp.stack([answered, bootstrap_weight(key, answered.shape[0], values.dtype)])
        both = jax.vmap(fit)(weights)
        thetas, boot = (jax.tree.map(lambda a, k=k: a[k], both) for k in range(2))
    else:
        thetas, boot = fit(answered), None

    def score(theta):
        return learner.score(theta, world, contexts, acceptable, params, static)

    extras = extras or (lambda theta, rs: {})
    return learned_sets(thetas, score, extras, acceptable, values, static, boot)


def surface_extras(world, params, static):
    """The reward model's surface loadings at a checkpoint, in units of its reward's spread
    (of the members' mean: the ensemble itself under aggregate = mean)."""
    family = static.learner.family
    sub = jax.tree.map(lambda a: a[:static.eval_responses], response_features(world))

    def surface(theta, rs):
        endorse, length = surface_loadings(jnp.mean(theta, axis=0), family, sub)
        spread = jnp.mean(jnp.std(rs, axis=1))
        safe = jnp.where(spread > 0, spread, 1.0)
        return {"surface_loading_endorse": jnp.where(spread > 0, endorse / safe, 0.0),
                "surface_loading_length": jnp.where(spread > 0, length / safe, 0.0)}

    return surface


def reward_model_sets(thetas, world, contexts, values, acceptable, params, static, boot=None):
    """The reward model's set metrics, drift, flips and surface loadings at each checkpoint,
    from its members' parameters ``thetas`` (K checkpoints, C members, p) (shared with E7);
    with ``boot`` (the same shape: a refit on a bootstrap resample of the same labels),
    ``ranking_drift_floor`` too. ``static`` needs ``learner`` and ``eval_responses``."""
    learner = LEARNERS["reward_model"]
    return learned_sets(
        thetas, lambda th: learner.score(th, world, contexts, acceptable, params, static),
        surface_extras(world, params, static), acceptable, values, static, boot)


def cost_model_sets(thetas, world, contexts, values, acceptable, static):
    """The cost model's set metrics, re-openings, flips and drift at each checkpoint, from
    its parameters ``thetas`` (K, ...) (shared with E7). ``static`` needs ``cost`` and
    ``eval_responses``."""
    learner = LEARNERS["cost_model"]
    return learned_sets(
        thetas, lambda th: learner.score(th, world, contexts, acceptable, None, static),
        lambda theta, rs: {}, acceptable, values, static)
