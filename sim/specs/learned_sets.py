"""What a learned score admits, checkpoint by checkpoint, on E1's axis (shared with E7).

Any learner that scores responses (a reward model: higher is better; a cost model or the
named-rule learner: lower is better) is read the same way at each checkpoint of its fitted
parameters: the set metrics of what it admits (:func:`sim.metrics.set_metrics`), re-openings
and top-1 flips since the start, Kendall tau against V and ranking drift since the previous
checkpoint, on a uniform subset of ``eval_responses`` responses.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..costs import admitted_by_cost, cost_table
from ..ensembles import ensemble_rewards
from ..metrics import (
    admitted_top,
    init_changes,
    kendall_distance,
    kendall_tau_or_zero,
    set_metrics,
    update_changes,
)
from ..preferences import response_features, surface_loadings

__all__ = ["mean_set_metrics", "learned_sets", "reward_model_sets", "cost_model_sets"]


def mean_set_metrics(admitted, acceptable, values):
    per_context = jax.vmap(set_metrics)(admitted, acceptable, values)
    return {k: jnp.mean(v) for k, v in per_context.items()}


def learned_sets(thetas, score, extras, acceptable, values, static):
    """Metrics at each checkpoint of a learned scorer: ``score(theta)`` gives
    (E, N) scores (higher = better), the admitted sets and the top-1 responses."""
    subset = jnp.arange(static.eval_responses)  # responses are i.i.d.: a uniform subset
    r0, adm0, top0 = score(thetas[0])

    def checkpoint(carry, theta):
        state, r_prev = carry
        r, adm, top1 = score(theta)
        state = update_changes(state, adm, top1)
        out = mean_set_metrics(adm, acceptable, values)
        out["reopenings"] = jnp.mean(jnp.sum(state.reopened, axis=1).astype(values.dtype))
        out["top1_flips"] = jnp.mean(state.flips.astype(values.dtype))
        rs, ps = r[:, subset], r_prev[:, subset]
        out["kendall_tau_true"] = jnp.mean(jax.vmap(kendall_tau_or_zero)(rs, values[:, subset]))
        out["ranking_drift"] = jnp.mean(jax.vmap(kendall_distance)(ps, rs))
        out.update(extras(theta, rs))
        return (state, r), out

    _, out = jax.lax.scan(checkpoint, (init_changes(adm0, top0), r0), thetas)
    return out


def reward_model_sets(thetas, world, contexts, values, acceptable, params, static):
    """The reward model's set metrics, drift, flips and surface loadings at each checkpoint,
    from its members' parameters ``thetas`` (C, K, p) (the learned-scorer part of E1, shared
    with E7). ``static`` needs ``learner`` and ``eval_responses``."""
    family = static.learner.family
    q = jnp.mean(acceptable, axis=1)                                            # (E,)
    sub = jax.tree.map(lambda a: a[:static.eval_responses], response_features(world))

    def score(theta):
        r = ensemble_rewards(theta, family, world, contexts, params.learner, static.learner)
        return r, jax.vmap(admitted_top)(r, q), jnp.argmax(r, axis=1).astype(jnp.int32)

    def surface(theta, rs):  # of the members' mean (the ensemble itself under aggregate = mean)
        endorse, length = surface_loadings(jnp.mean(theta, axis=0), family, sub)
        spread = jnp.mean(jnp.std(rs, axis=1))
        safe = jnp.where(spread > 0, spread, 1.0)
        return {"surface_loading_endorse": jnp.where(spread > 0, endorse / safe, 0.0),
                "surface_loading_length": jnp.where(spread > 0, length / safe, 0.0)}

    return learned_sets(thetas, score, surface, acceptable, values, static)


def cost_model_sets(thetas, world, contexts, values, acceptable, static):
    """The cost model's set metrics, re-openings, flips and drift at each checkpoint, from
    its parameters ``thetas`` (C, ...) (shared with E7). ``static`` needs ``cost`` and
    ``eval_responses``."""
    family = static.cost.family

    def score(theta):
        c = cost_table(theta, family, world, contexts)                          # (E, N)
        return -c, admitted_by_cost(c), jnp.argmin(c, axis=1).astype(jnp.int32)

    return learned_sets(thetas, score, lambda theta, rs: {}, acceptable, values, static)
