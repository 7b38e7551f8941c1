"""Experiment E1 (paper section 4): feasible-set contraction versus ranking drift.

Both learners get the same label budget in the same world (same seed): the
constraint learner asks the rejection oracle about n uniform responses, the
preference learner asks the preference oracle about n uniform pairs. At
log-spaced checkpoints both are scored on held-out contexts:

- the constraint learner admits its feasible set F_n(c);
- a preference learner admits the top q(c) of its reward r(., c), with
  q(c) = |A(c)| / N the true acceptable fraction, so both admitted sets can be
  put on one axis (``unacceptable_share`` of what each admits).

Variants (``VARIANTS``):

- ``constraints``       the constraint learner;
- ``preference_batch``  the configured preference learner (default: linear,
                        misspecified; annotators with the configured
                        sycophancy and length bias), batch MLE refits;
- ``preference_online`` the same, online streaming updates;
- ``control_batch``     the well-specified control: ``contextual`` family and
                        annotators without surface bias (s_syc = s_len = 0);
- ``control_online``    the control, online.

Each variant is a pure function of (key, params) run as
``jax.jit(jax.vmap(...))`` over seeds; swept numbers are arrays in ``params``,
so a sweep compiles once per variant.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .config import Config, ConfigError, param, split
from .constraints import feasible_sets, learn_constraints
from .metrics import (
    admitted_top,
    init_changes,
    kendall_distance,
    kendall_tau_or_zero,
    set_metrics,
    update_changes,
)
from .oracles import AnnotatorConfig, preference_oracle, sample_queries
from .preferences import (
    LearnerConfig,
    features,
    fit_batch,
    fit_online,
    response_features,
    rewards,
    surface_loadings,
)
from .world import WorldConfig, _make_world, sample_contexts, unacceptable, value

__all__ = ["ConvergenceConfig", "VARIANTS", "checkpoint_steps", "variant_config",
           "make_convergence"]

VARIANTS = ("constraints", "preference_batch", "preference_online", "control_batch",
            "control_online")


@dataclasses.dataclass(frozen=True)
class ConvergenceConfig(Config):
    """E1: world, annotators, preference learner, budget and evaluation."""

    section = "experiment"
    world: WorldConfig = param(WorldConfig())
    annotator: AnnotatorConfig = param(AnnotatorConfig())
    learner: LearnerConfig = param(LearnerConfig())
    labels: int = param(2000, lo=1, hi=1_000_000, doc="label budget n of each learner")
    checkpoints: int = param(20, lo=2, hi=1000, doc="log-spaced evaluation points, 0 included")
    eval_contexts: int = param(8, lo=1, hi=4096, doc="held-out contexts for evaluation")
    eval_responses: int = param(128, lo=2, hi=8192,
                                doc="responses (a random subset) for Kendall-based metrics")

    def check(self):
        if self.eval_responses > self.world.responses:
            raise ConfigError(
                f"experiment.eval_responses = {self.eval_responses} is out of range "
                f"(allowed: 2 <= eval_responses <= world.responses = {self.world.responses})")


def checkpoint_steps(labels: int, checkpoints: int) -> tuple[int, ...]:
    """0 and about ``checkpoints - 1`` log-spaced label counts up to ``labels``."""
    grid = np.unique(np.round(np.geomspace(1, labels, checkpoints - 1)).astype(int))
    return (0,) + tuple(int(s) for s in grid)


def variant_config(config: ConvergenceConfig, variant: str) -> ConvergenceConfig:
    """The config one variant runs with (see module docstring)."""
    if variant not in VARIANTS:
        raise ConfigError(f"variant = {variant!r} is not allowed (allowed: {', '.join(VARIANTS)})")
    learner, annotator = config.learner, config.annotator
    if variant.startswith("control"):
        learner = dataclasses.replace(learner, family="contextual")
        annotator = dataclasses.replace(annotator, sycophancy=0.0, length_bias=0.0)
    if variant != "constraints":
        learner = dataclasses.replace(learner, fit=variant.rsplit("_", 1)[1])
    return dataclasses.replace(config, learner=learner, annotator=annotator)


def _evaluation(key, world, static: ConvergenceConfig):
    contexts = sample_contexts(key, world, static.eval_contexts)
    values = jax.vmap(lambda c, b: value(world, c, b))(contexts.features, contexts.belief_true)
    acceptable = ~jax.vmap(lambda b: unacceptable(world, b))(contexts.belief_true)
    # Responses are i.i.d., so the first eval_responses of them are a uniform subset.
    subset = jnp.arange(static.eval_responses)
    return contexts, values, acceptable, subset


def _mean_set_metrics(admitted, acceptable, values):
    per_context = jax.vmap(set_metrics)(admitted, acceptable, values)
    return {k: jnp.mean(v) for k, v in per_context.items()}


def _constraint_run(key, params, static: ConvergenceConfig):
    k_world, k_eval, k_labels = (jax.random.fold_in(key, s) for s in range(3))
    world = _make_world(k_world, params["world"], static.world)
    contexts, values, acceptable, _ = _evaluation(k_eval, world, static)
    trace = learn_constraints(k_labels, world, params["annotator"], static.annotator,
                              static.labels)
    steps = jnp.asarray(checkpoint_steps(static.labels, static.checkpoints), jnp.int32)
    admitted = feasible_sets(trace, world, steps, contexts.belief_true)      # (K, E, N)
    top1 = jnp.zeros((static.eval_contexts,), jnp.int32)

    def checkpoint(state, inputs):
        step, adm = inputs
        state = update_changes(state, adm, top1)
        out = _mean_set_metrics(adm, acceptable, values)
        out["reopenings"] = jnp.mean(jnp.sum(state.reopened, axis=1).astype(values.dtype))
        out["discovered_prohibitions"] = jnp.sum(trace.discovered_at <= step).astype(values.dtype)
        out["acceptable_fraction"] = jnp.mean(acceptable.astype(values.dtype))
        return state, out

    _, out = jax.lax.scan(checkpoint, init_changes(admitted[0], top1), (steps, admitted))
    return out


def _preference_run(key, params, static: ConvergenceConfig):
    k_world, k_eval, k_labels = (jax.random.fold_in(key, s) for s in range(3))
    world = _make_world(k_world, params["world"], static.world)
    contexts, values, acceptable, subset = _evaluation(k_eval, world, static)
    n, family = static.labels, static.learner.family

    # Labels: uniform pairs in fresh contexts, answered independently.
    k_pairs, k_ctx, k_answers = jax.random.split(k_labels, 3)
    i, j = sample_queries(k_pairs, world.features.shape[0], n)
    label_contexts = sample_contexts(k_ctx, world, n)
    answers = jax.vmap(lambda k, a, b, c, t: preference_oracle(
        k, world, params["annotator"], static.annotator, a, b, type(label_contexts)(c, t)))(
        jax.random.split(k_answers, n), i, j, label_contexts.features, label_contexts.belief_true)
    resp = response_features(world)

    def phi(idx, c, belief):
        r = jax.tree.map(lambda a: a[idx], resp)
        return features(family, r, c, unacceptable(world, belief, idx))

    dphi = jax.vmap(phi)(i, label_contexts.features, label_contexts.belief_true) - jax.vmap(phi)(
        j, label_contexts.features, label_contexts.belief_true)

    steps = jnp.asarray(checkpoint_steps(n, static.checkpoints), jnp.int32)
    lp = params["learner"]
    if static.learner.fit == "batch":
        thetas = fit_batch(dphi, answers.target, answers.weight, steps, lp["ridge"],
                           static.learner.batch_iters, static.learner.batch_solver)
    else:
        thetas = fit_online(dphi, answers.target, answers.weight, steps, lp["ridge"],
                            lp["learning_rate"], static.learner.optimizer)

    q = jnp.mean(acceptable, axis=1)                                            # (E,)
    sub = jax.tree.map(lambda a: a[subset], resp)

    def score(theta):
        r = rewards(theta, family, world, contexts)                             # (E, N)
        admitted = jax.vmap(admitted_top)(r, q)
        return r, admitted, jnp.argmax(r, axis=1).astype(jnp.int32)

    r0, adm0, top0 = score(thetas[0])

    def checkpoint(carry, theta):
        state, r_prev = carry
        r, adm, top1 = score(theta)
        state = update_changes(state, adm, top1)
        out = _mean_set_metrics(adm, acceptable, values)
        out["reopenings"] = jnp.mean(jnp.sum(state.reopened, axis=1).astype(values.dtype))
        out["top1_flips"] = jnp.mean(state.flips.astype(values.dtype))
        rs, vs, ps = r[:, subset], values[:, subset], r_prev[:, subset]
        out["kendall_tau_true"] = jnp.mean(jax.vmap(kendall_tau_or_zero)(rs, vs))
        if family == "contextual":
            out["ranking_drift"] = jnp.mean(jax.vmap(kendall_distance)(ps, rs))
        else:  # a context-free reward ranks the same way in every context
            out["ranking_drift"] = kendall_distance(ps[0], rs[0])
        endorse, length = surface_loadings(theta, family, sub)
        spread = jnp.mean(jnp.std(rs, axis=1))
        safe = jnp.where(spread > 0, spread, 1.0)
        out["surface_loading_endorse"] = jnp.where(spread > 0, endorse / safe, 0.0)
        out["surface_loading_length"] = jnp.where(spread > 0, length / safe, 0.0)
        return (state, r), out

    _, out = jax.lax.scan(checkpoint, (init_changes(adm0, top0), r0), thetas)
    return out


@functools.lru_cache(maxsize=64)
def _compiled(static: ConvergenceConfig, variant: str) -> Callable:
    run = _constraint_run if variant == "constraints" else _preference_run
    return jax.jit(jax.vmap(functools.partial(run, static=static), in_axes=(0, None)))


def make_convergence(config: ConvergenceConfig, variant: str):
    """The batched E1 run of one variant.

    Returns:
      ``(run, params, steps)``: ``run(keys, params)`` maps (S,) keys to a dict of
      (S, K) metric arrays; ``params`` are the variant's swept numbers (pass
      other values of the same structure to sweep without recompiling);
      ``steps`` are the K checkpoint label counts. Example::

        run, params, steps = make_convergence(ConvergenceConfig(), "constraints")
        out = run(jax.random.split(jax.random.key(0), 8), params)
        out["feasible_fraction"].shape  # (8, len(steps))
    """
    static, params = split(variant_config(config, variant))
    return _compiled(static, variant), params, checkpoint_steps(config.labels, config.checkpoints)
