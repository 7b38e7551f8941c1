"""One learner protocol: every learner the experiments compare, named in one registry.

A learner turns a label stream into a score over responses. Every learner is one value,
:class:`Learner`, with

- ``fit(key, world, labels, weight, steps, params, static)``: a pure fit of the first n
  labels for each n in ``steps`` (a static tuple of ints); returns a pytree whose leaves
  have a leading checkpoint axis (K, ...). ``weight`` (n_labels,) multiplies every label's
  weight: ones for the fit itself, Poisson(1) counts for a bootstrap refit (the noise floor
  of drift, :mod:`sim.specs.learned_sets`). A label of weight 0 is not seen at all;
- ``score(fitted, world, contexts, acceptable, params, static)``: for one checkpoint,
  :class:`Scored`: per context each response's score (higher is better), the admitted set
  and the top-1 response;
- ``tier``: the information its labels carry (docs/model.md section 3):

  - ``oracle``: told the truth. A rejection naming rule j hands over g_j's exact extent
    (:mod:`sim.constraints`). An upper bound, named as such wherever it is shown;
  - ``named``: a rejection names the violated rule; what the rule covers is learned from
    examples (:mod:`sim.named`);
  - ``flag``: told only that something is wrong (the cost model, :mod:`sim.costs`);
  - ``comparison``: told which of two is better (the Bradley-Terry reward model,
    :mod:`sim.preferences`, :mod:`sim.reward_fits`);
- ``signal``: the label stream it reads, ``rejections`` or ``comparisons``
  (:func:`collect_labels`; learners on rejections share the same queries and answers).

``params`` and ``static`` are the experiment's config halves; a learner reads the sections
it needs: ``learner`` (reward family, also the named learner's family), ``cost`` (cost
family; ridge and Newton iterations of the named learner) and ``annotator``.

Admission rules (choices, documented in docs/model.md): the oracle and named learners
admit the responses on which no known or learned rule fires; the cost model admits
{c_theta <= 0}; the reward model admits the top q(c) of its reward, q(c) = |A(c)| / N the
true acceptable fraction (it is told q(c), which the others must learn).

Learners that differ only in numbers are one program: families and fits are static
choices of the config; nothing here adds a compiled program per learner beyond its own.
Each learner's scoring is a jitted function of only what it reads (its family, not the
whole static config), so the members of a program that score alike (E1's batch and online
fits of one learner, the fit and its bootstrap refit, every checkpoint) trace and lower it
once and call it (:func:`sim.specs.learned_sets.learned_sets`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .constraints import learn_constraints
from .costs import admitted_by_cost, cost_inputs, cost_table, fit_costs
from .ensembles import ensemble_rewards, fit_reward_models
from .keys import stream
from .labels import collect_comparisons, collect_rejections, comparison_inputs
from .metrics import admitted_top
from .named import fit_named, fit_named_online, named_costs, named_inputs
from .oracles import violated_prohibitions
from .world import Contexts, World

__all__ = ["TIERS", "Scored", "Learner", "RuleFit", "LEARNERS", "collect_labels", "unit_weight",
           "bootstrap_weight", "fit_once"]

class Scored(NamedTuple):
    """What a learner makes of the responses at one checkpoint."""

    score: jax.Array     # (E, N), higher is better
    admitted: jax.Array  # (E, N) bool
    top1: jax.Array      # (E,) int32, the best-scored response (ties: lowest index)


class Learner(NamedTuple):
    """One learner of the registry (module docstring)."""

    name: str            # the method name of its rows in results.csv
    tier: str            # oracle, named, flag or comparison (module docstring)
    signal: str          # "rejections" or "comparisons"
    doc: str
    fit: Callable
    score: Callable


def collect_labels(signal: str, key: jax.Array, world: World, params, static, n: int,
                   **pool):
    """The label stream a learner reads: n rejections or n comparisons (:mod:`sim.labels`),
    by the configured annotator. ``pool`` (``pool=``, ``policy=``) as in :mod:`sim.labels`."""
    collect = collect_rejections if signal == "rejections" else collect_comparisons
    return collect(key, world, params.annotator, static.annotator, n, **pool)


def unit_weight(labels, dtype) -> jax.Array:
    """Weight 1 for every label (n,), computed from the labels: a literal ones array is
    constant-folded into the Newton loop's fusions and doubles the fit time (bench)."""
    return jnp.isfinite(labels.contexts.features[:, 0]).astype(dtype)


def fit_once(learner: Learner, key, world, labels, n: int, params, static):
    """``learner`` fitted to all n labels (weight 1): one checkpoint's fitted pytree."""
    fitted = learner.fit(key, world, labels, unit_weight(labels, world.features.dtype), (n,),
                         params, static)
    return jax.tree.map(lambda a: a[0], fitted)


def bootstrap_weight(key: jax.Array, n: int, dtype) -> jax.Array:
    """Poisson(1) counts per label (n,): a bootstrap resample of every prefix at once."""
    return jax.random.poisson(stream(key, "noise_floor"), 1.0, (n,)).astype(dtype)


def _top1(score: jax.Array) -> jax.Array:
    return jnp.argmax(score, axis=1).astype(jnp.int32)


# ---------------------------------------------------------------- oracle: the rule learner
class RuleFit(NamedTuple):
    """The rule learner at each checkpoint (leading axis K)."""

    known: jax.Array          # (K, R) bool, the rules named so far
    cut: jax.Array            # (K, N) bool, the responses a false flag cut
    discovered_at: jax.Array  # (K, R) int32, labels after which each rule is known (all K alike)


def _rule_fit(key, world, rejections, weight, steps, params, static):
    """Which rules are known and which responses a false flag cut at each n (:class:`RuleFit`)."""
    kept = weight > 0
    answer = rejections.answer
    seen = rejections._replace(answer=answer._replace(
        revealed=answer.revealed & kept[:, None], spurious=answer.spurious & kept))
    trace = learn_constraints(seen, world)
    steps = jnp.asarray(steps, jnp.int32)[:, None]
    return RuleFit(trace.discovered_at[None, :] <= steps, trace.spurious_at[None, :] <= steps,
                   jnp.broadcast_to(trace.discovered_at, (steps.shape[0],)
                                    + trace.discovered_at.shape))


def _rule_score(fitted, world: World, contexts: Contexts, acceptable, params, static):
    """Score -(known rules violated + a false flag's cut): the feasible set F_n is score 0."""
    return _rule_scored(fitted, world, contexts)


@jax.jit   # every scoring of one shape in a program is one function (module docstring)
def _rule_scored(fitted, world: World, contexts: Contexts):
    idx = jnp.arange(world.features.shape[0])
    violated = jax.vmap(lambda b, c: violated_prohibitions(world, idx, b, c))(
        contexts.belief_true, contexts.features)                               # (E, N, R)
    count = (jnp.sum(violated & fitted.known, axis=-1, dtype=jnp.int32)
             + fitted.cut[None, :].astype(jnp.int32))
    score = -count.astype(world.features.dtype)
    return Scored(score, count == 0, _top1(score))


# ---------------------------------------------------------------- named: per-rule classifiers
def _named_fit(key, world, rejections, weight, steps, params, static):
    """The per-rule classifiers at each checkpoint (K, R, p + 1), batch or online
    (``cost.named_fit``)."""
    if static.cost.named_fit == "batch":
        return fit_named(world, rejections, static.learner.family, steps, params.cost.ridge,
                         static.cost.batch_iters, static.annotator.reveal, weight)
    take = rejections.named_rows(world, static.annotator.reveal, static.cost.online_block)
    return fit_named_online(named_inputs(static.learner.family, world, rejections),
                            take, rejections.flagged(),
                            world.normals.shape[0] + 2, steps, params.cost, static.cost,
                            static.annotator.reveal, weight)


def _named_score(theta, world, contexts, acceptable, params, static):
    return _named_scored(theta, static.learner.family, world, contexts)


@functools.partial(jax.jit, static_argnums=1)
def _named_scored(theta, family: str, world, contexts):
    c = named_costs(theta, family, world, contexts)
    return Scored(-c, admitted_by_cost(c), _top1(-c))


# ---------------------------------------------------------------- flag: the cost model
def _cost_fit(key, world, rejections, weight, steps, params, static):
    z = jax.vmap(lambda i, c, b: cost_inputs(static.cost.family, world, i, c, b))(
        rejections.response, rejections.contexts.features, rejections.belief_true)
    return fit_costs(stream(key, "cost_init"), z, rejections.flagged(), steps, params.cost,
                     static.cost, weight=weight)


def _cost_score(theta, world, contexts, acceptable, params, static):
    return _cost_scored(theta, static.cost.family, world, contexts)


@functools.partial(jax.jit, static_argnums=1)
def _cost_scored(theta, family: str, world, contexts):
    c = cost_table(theta, family, world, contexts)
    return Scored(-c, admitted_by_cost(c), _top1(-c))


# ---------------------------------------------------------------- comparison: the reward model
def _reward_fit(key, world, comparisons, weight, steps, params, static):
    """The ensemble's members at each checkpoint: (K, C, p)."""
    dphi = comparison_inputs(static.learner.family, world, comparisons)
    target, answered = comparisons.answer
    members = fit_reward_models(stream(key, "ensemble"), dphi, target, answered * weight,
                                steps, params.learner, static.learner)
    return jnp.swapaxes(members, 0, 1)


def _reward_score(theta, world, contexts, acceptable, params, static):
    return _reward_scored(theta, world, contexts, acceptable, params.learner, static.learner)


@functools.partial(jax.jit, static_argnums=5)
def _reward_scored(theta, world, contexts, acceptable, learner_params, learner_static):
    r = ensemble_rewards(theta, learner_static.family, world, contexts, learner_params,
                         learner_static)
    q = jnp.mean(acceptable, axis=1)
    return Scored(r, jax.vmap(admitted_top)(r, q), _top1(r))


LEARNERS = {learner.name: learner for learner in (
    Learner("rule", "oracle", "rejections",
            "the rule learner: each named rule's exact extent handed over (upper bound)",
            _rule_fit, _rule_score),
    Learner("named_rule", "named", "rejections",
            "per-rule classifiers learned from the rejections that name them (learner.family)",
            _named_fit, _named_score),
    Learner("cost_model", "flag", "rejections",
            "a cost model fitted to the binary flags (cost.family), admits {c <= 0}",
            _cost_fit, _cost_score),
    Learner("reward_model", "comparison", "comparisons",
            "a Bradley-Terry reward model (learner.family), admits its top q(c)",
            _reward_fit, _reward_score),
)}
"""The registry: method name -> :class:`Learner`."""

TIERS = tuple(dict.fromkeys(learner.tier for learner in LEARNERS.values()))
"""The tiers of the registry's learners, from the most information to the least."""
