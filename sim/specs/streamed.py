"""E7's learners on one long stream of rejections, read at every budget of a log grid.

The rejection oracle answers ``max(budgets)`` uniform queries once, bought in blocks
(:func:`sim.constraints.stream_constraints`); each learner reads the first n answers for each
budget n:

- :func:`rule_curves`: the rule learner (``oracle`` tier) with its analytic overlay
  (:mod:`sim.laws`);
- :func:`named_curves`: the named-rule learner (``named`` tier, :mod:`sim.named`), told
  which rules each rejection names (two numbers per answer,
  :func:`sim.oracles.compact_named`: a dense 100,000 x 1,026 table would not fit), in the
  reward model's family. Choice: online, one Adam step per
  ``cost.online_block`` labels on their summed loss (``cost.named_fit = online``): batch
  refits of 1,026 classifiers at eleven budgets would cost about 10^13 flops a run. Streaming
  is a weaker fit than the batch MLE the cost and reward models get, so this tier is, if
  anything, handicapped; said beside its rows;
- :func:`cost_curves`: the cost model (``flag`` tier) on the same queries, batch refits.

The named-rule learner and the cost model are the registry's (:mod:`sim.learners`), fitted and
scored by it: the queries read like :class:`sim.labels.Rejections`. The rule learner is the
registry's learner bought in blocks (:func:`sim.constraints.stream_constraints`: the same
feasible sets as ``learn_constraints`` on the whole stream, which would not fit in memory).

Each reads E1's set metrics on held-out contexts (:mod:`sim.specs.learned_sets`) and the
marginal gains per label between successive budgets (:func:`gains`); the named-rule learner
and the cost model also their drift's noise floor (a refit on a Poisson bootstrap of the same
answers, vmapped with the fit).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import laws
from ..constraints import exclusion_times, feasible_sets, stream_constraints
from ..learners import LEARNERS
from ..metrics import set_metrics
from .learned_sets import learner_curve

__all__ = ["gains", "with_gains", "rule_curves", "named_curves", "cost_curves"]


def gains(steps, curve):
    """-(curve_k - curve_{k-1}) / (n_k - n_{k-1}), 0 at the first budget."""
    dn = jnp.diff(jnp.asarray(steps, curve.dtype))
    return jnp.concatenate([jnp.zeros((1,), curve.dtype), -jnp.diff(curve) / dn])


def with_gains(out, steps):
    """``out`` with ``marginal_gain`` and ``regret_gain`` per budget (:func:`gains`)."""
    out["marginal_gain"] = gains(steps, out["unacceptable_share"])
    out["regret_gain"] = gains(steps, out["regret_mean"])
    return out


def rule_curves(world, setting, key, params, static):
    """The rule learner (oracle) at every budget, its laws and discovery, and the queries."""
    steps = jnp.asarray(static.budgets, jnp.int32)
    trace, queries = stream_constraints(key, world, params.annotator, static.annotator,
                                        static.budgets[-1], static.block)
    admitted = feasible_sets(trace, world, steps, setting.contexts.belief_true)      # (K, E, N)
    per = jax.vmap(lambda a: jax.vmap(set_metrics)(a, setting.acceptable, setting.values))(admitted)
    out = {k: jnp.mean(v, axis=1) for k, v in per.items()}
    dtype = out["unacceptable_share"].dtype
    violates = laws.context_free_violations(world)
    masses = jnp.mean(violates.astype(dtype), axis=0)
    alive = exclusion_times(trace, world)[None, :] > steps[:, None]                  # (K, N)
    bad = jnp.any(violates, axis=1)
    rows = jnp.arange(static.law_responses)
    mu = laws.shared_violation_mass(violates, rows).astype(dtype)
    seen = masses > 0
    found = trace.discovered_at[:masses.shape[0]]
    out.update(
        feasible_measured=jnp.mean(alive[:, rows].astype(dtype), axis=1),
        feasible_law=laws.feasible_law(mu, steps),
        missing_mass=jnp.mean((alive & bad[None]).astype(dtype), axis=1),
        missing_mass_law=laws.missing_mass_law(masses, steps),
        missing_mass_exact_law=laws.feasible_law(mu, steps, among=bad[rows]),
        discovered_share=jnp.sum((found[None] <= steps[:, None]) & seen[None], axis=1).astype(dtype)
        / jnp.maximum(jnp.sum(seen), 1).astype(dtype))
    lower, upper = laws.coupon_bounds(masses)
    last = jnp.max(jnp.where(seen, found, 0)).astype(dtype)
    discovery = {"all_found_at": last,
                 "censored": (last > static.budgets[-1]).astype(dtype),
                 "coupon_integral": laws.coupon_collector_time(masses),
                 "lower_bound": lower, "upper_bound": upper,
                 "prohibitions_in_pool": jnp.sum(seen).astype(dtype)}
    return with_gains(out, static.budgets), discovery, queries


def _read(name, world, setting, labels, key, params, static):
    """The registry's learner ``name`` fitted to the streamed ``labels`` at every budget and
    read at each, with its refit on a Poisson bootstrap of the same labels for the drift's
    noise floor (:func:`sim.specs.learned_sets.learner_curve`), and the marginal gains."""
    out = learner_curve(LEARNERS[name], key, labels, world, setting.contexts, setting.values,
                        setting.acceptable, static.budgets, params, static, floor=True)
    return with_gains(out, static.budgets)


def cost_curves(world, setting, queries, key, params, static):
    """The cost model (flag) on the same queries, batch refits at every budget (the registry's
    ``cost_model``: ``queries`` reads like :class:`sim.labels.Rejections`)."""
    return _read("cost_model", world, setting, queries, key, params, static)


def named_curves(world, setting, queries, key, params, static):
    """The named-rule learner (named tier, module docstring) on the same queries: the
    registry's ``named_rule``, streaming (``cost.named_fit = online``), its targets rebuilt a
    mini-batch at a time from the two numbers kept per answer."""
    return _read("named_rule", world, setting, queries, key, params, static)
