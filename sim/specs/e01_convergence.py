"""E1, ``convergence`` (paper section 4): feasible-set contraction against ranking drift.

Both learners get the same label budget in the same world (same seed): the
rule learner asks the rejection oracle about n uniform responses, the reward
model asks the preference oracle about n uniform pairs. At log-spaced
checkpoints (axis ``labels``) both are scored on held-out contexts:

- the rule learner (method ``rule``) admits its feasible set F_n(c);
- a reward model (method ``reward_model``) admits the top q(c) of its reward
  r(., c), q(c) = |A(c)| / N the true acceptable fraction, so both admitted sets
  can be put on one axis (``unacceptable_share`` of what each admits).

Variants (config transforms):

- ``rule``            the rule learner (``experiment.signal = rejections``);
- ``batch``           the configured reward model (default quadratic, misspecified;
                      annotators with the configured surface biases), batch MLE refits;
- ``online``          the same, online streaming updates;
- ``control_batch``   the well-specified control: ``contextual`` family and
                      annotators without surface bias (s_syc = s_len = 0);
- ``control_online``  the control, online.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ..config import Config, ConfigError, param
from ..constraints import feasible_sets, learn_constraints
from ..keys import streams
from ..labels import collect_comparisons, collect_rejections, feature_differences
from ..metrics import (
    admitted_top,
    init_changes,
    kendall_distance,
    kendall_tau_or_zero,
    set_metrics,
    update_changes,
)
from ..oracles import AnnotatorConfig
from ..preferences import LearnerConfig, fit_batch, fit_online, response_features, rewards, surface_loadings
from ..spec import Experiment, Variant
from ..world import WorldConfig, sample_contexts, sample_world, unacceptable, value

__all__ = ["ConvergenceConfig", "checkpoint_steps", "SPEC"]


@dataclasses.dataclass(frozen=True)
class ConvergenceConfig(Config):
    """E1: world, annotators, reward model, signal, budget and evaluation."""

    section = "experiment"
    world: WorldConfig = param(WorldConfig())
    annotator: AnnotatorConfig = param(AnnotatorConfig())
    learner: LearnerConfig = param(LearnerConfig())
    signal: str = param("rejections", choices=("rejections", "comparisons"),
                        doc="which oracle the learner asks: rule learner or reward model")
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


def _evaluation(key, world, static):
    contexts = sample_contexts(key, world, static.eval_contexts)
    values = jax.vmap(lambda c, b: value(world, c, b))(contexts.features, contexts.belief_true)
    acceptable = ~jax.vmap(lambda b: unacceptable(world, b))(contexts.belief_true)
    return contexts, values, acceptable


def _mean_set_metrics(admitted, acceptable, values):
    per_context = jax.vmap(set_metrics)(admitted, acceptable, values)
    return {k: jnp.mean(v) for k, v in per_context.items()}


def _rule(world, contexts, values, acceptable, k_labels, params, static):
    rejections = collect_rejections(k_labels, world, params.annotator, static.annotator,
                                    static.labels)
    trace = learn_constraints(rejections, world)
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


def _reward_model(world, contexts, values, acceptable, k_labels, params, static):
    n, family = static.labels, static.learner.family
    comparisons = collect_comparisons(k_labels, world, params.annotator, static.annotator, n)
    dphi = feature_differences(family, world, comparisons)
    target, weight = comparisons.answer
    steps = jnp.asarray(checkpoint_steps(n, static.checkpoints), jnp.int32)
    if static.learner.fit == "batch":
        thetas = fit_batch(dphi, target, weight, steps, params.learner.ridge,
                           static.learner.batch_iters, static.learner.batch_solver)
    else:
        thetas = fit_online(dphi, target, weight, steps, params.learner.ridge,
                            params.learner.learning_rate, static.learner.optimizer)

    q = jnp.mean(acceptable, axis=1)                                            # (E,)
    subset = jnp.arange(static.eval_responses)  # responses are i.i.d.: a uniform subset
    sub = jax.tree.map(lambda a: a[subset], response_features(world))

    def score(theta):
        r = rewards(theta, family, world, contexts)                             # (E, N)
        return r, jax.vmap(admitted_top)(r, q), jnp.argmax(r, axis=1).astype(jnp.int32)

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


def run(key, params, static):
    """One seed of E1: ``{"rule" | "reward_model": {metric: (K,)}}`` at the checkpoints."""
    k_world, k_eval, k_labels = streams(key, "world", "evaluation", "labels")
    world = sample_world(k_world, params.world, static.world)
    contexts, values, acceptable = _evaluation(k_eval, world, static)
    args = (world, contexts, values, acceptable, k_labels, params, static)
    if static.signal == "rejections":
        return {"rule": _rule(*args)}
    return {"reward_model": _reward_model(*args)}


def axes(config: ConvergenceConfig) -> dict:
    method = "rule" if config.signal == "rejections" else "reward_model"
    return {method: ("labels", checkpoint_steps(config.labels, config.checkpoints))}


def _comparisons(fit: str, control: bool = False):
    def transform(config: ConvergenceConfig) -> ConvergenceConfig:
        learner, annotator = dataclasses.replace(config.learner, fit=fit), config.annotator
        if control:
            learner = dataclasses.replace(learner, family="contextual")
            annotator = dataclasses.replace(annotator, sycophancy=0.0, length_bias=0.0)
        return dataclasses.replace(config, signal="comparisons", learner=learner,
                                   annotator=annotator)
    return transform


def quick() -> ConvergenceConfig:
    return ConvergenceConfig(world=WorldConfig(responses=512), labels=200, checkpoints=12,
                             eval_contexts=4, eval_responses=64)


def tiny() -> ConvergenceConfig:
    return ConvergenceConfig(world=WorldConfig(responses=32, prohibitions=5, prohibition_mass=0.1),
                             labels=6, checkpoints=3, eval_contexts=2, eval_responses=8)


SPEC = Experiment(
    name="convergence", claims=("E1",),
    title="constraints contract monotonically and converge; preferences drift (paper sec. 4)",
    config_type=ConvergenceConfig, default=ConvergenceConfig, quick=quick, tiny=tiny, run=run,
    axes=axes,
    variants=(
        Variant("rule", lambda c: dataclasses.replace(c, signal="rejections"),
                "rule learner: the feasible set F_n of revealed prohibitions"),
        Variant("batch", _comparisons("batch"), "reward model, configured family, batch MLE"),
        Variant("online", _comparisons("online"), "reward model, configured family, online"),
        Variant("control_batch", _comparisons("batch", True),
                "well-specified control: contextual family, no surface bias, batch MLE"),
        Variant("control_online", _comparisons("online", True), "the control, online"),
    ),
)
