"""E1, ``convergence`` (paper section 4): feasible-set contraction against ranking drift.

All learners get the same label budget in the same world (same seed): the
rule learner asks the rejection oracle about n uniform responses, the cost
model asks about the same n responses in the same contexts but is told only
the binary flag, the reward model asks the preference oracle about n uniform
pairs. At log-spaced checkpoints (axis ``labels``) all are scored on held-out
contexts:

- the rule learner (method ``rule``) admits its feasible set F_n(c);
- the named-rule learner (method ``named_rule``) admits the responses on which none of
  its learned per-rule classifiers fires;
- the cost model (method ``cost_model``, :mod:`sim.costs`) admits {c_theta <= 0};
  it learns the rule from examples, so rule learner against cost model
  separates what the *signal* buys from what *revealing the rule* buys;
- a reward model (method ``reward_model``) admits the top q(c) of its reward
  r(., c), q(c) = |A(c)| / N the true acceptable fraction, so every admitted
  set can be put on one axis (``unacceptable_share`` of what each admits).
  Choice: the reward model is told q(c), which the cost model must learn.

The learned scorers (cost and reward) also report ``reopenings``,
``top1_flips`` (argmax reward, argmin cost), ``ranking_drift`` (Kendall
distance between successive rankings, mean over contexts) and
``kendall_tau_true`` (against V).

Variants (config transforms):

- ``rule``            the rule learner (``experiment.signal = rejections``), the
                      ``oracle`` tier: each rule's exact extent handed over when first named;
- ``named_batch``     the named-rule learner (:mod:`sim.named`, ``signal = named``), the
                      ``named`` tier: the same rejections, each rule's extent learned from
                      examples in the reward model's family, batch MLE;
- ``named_online``    the same, online (every rule's classifier one step per label);
- ``batch``           the configured reward model (default quadratic, misspecified;
                      annotators with the configured surface biases), batch MLE refits;
- ``online``          the same, online streaming updates;
- ``control_batch``   the well-specified control: ``contextual`` family and
                      annotators without surface bias (s_syc = s_len = 0);
- ``control_online``  the control, online;
- ``cost_batch``      the cost model, configured family (default quadratic: the
                      reward model's features), binary flags, batch MLE;
- ``cost_online``     the same, online;
- ``maxout_batch``    the cost model with the expressive ``maxout`` family (max
                      over K = 32 learned halfspaces), batch;
- ``maxout_online``   the same, online;
- ``maxout_reward``   the reward model in the same family on the same inputs, r = -max_k
                      (:mod:`sim.maxout`), batch: flags against comparisons with matched
                      capacity in the expressive family.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ..config import Config, ConfigError, param
from ..costs import CostConfig
from ..keys import streams
from ..learners import LEARNERS, collect_labels
from ..oracles import AnnotatorConfig
from ..preferences import LearnerConfig
from ..shared import shared
from ..spec import Experiment, Variant
from ..world import WorldConfig, sample_contexts, sample_world, unacceptable, value
from .learned_sets import learner_curve, surface_extras

__all__ = ["ConvergenceConfig", "checkpoint_steps", "SPEC"]


@dataclasses.dataclass(frozen=True)
class ConvergenceConfig(Config):
    """E1: world, annotators, reward model, signal, budget and evaluation."""

    section = "experiment"
    world: WorldConfig = param(WorldConfig())
    annotator: AnnotatorConfig = param(AnnotatorConfig())
    learner: LearnerConfig = param(LearnerConfig())
    cost: CostConfig = param(CostConfig())
    signal: str = param("rejections", choices=("rejections", "named", "flags", "comparisons"),
                        doc="what the learner is told and how much it is handed: rejections "
                            "naming the rule, each rule's extent given (rule learner, the "
                            "oracle tier); rejections naming the rule, its extent learned "
                            "(named-rule learner); binary flags (cost model); comparisons "
                            "(reward model)")
    labels: int = param(2000, lo=1, hi=1_000_000, doc="label budget n of each learner")
    checkpoints: int = param(20, lo=2, hi=1000, doc="log-spaced evaluation points, 0 included")
    eval_contexts: int = param(8, lo=1, hi=4096, doc="held-out contexts for evaluation")
    eval_responses: int = param(128, lo=2, hi=8192,
                                doc="responses (a random subset) for Kendall-based metrics")
    noise_floor: bool = param(True, doc="refit every learner on a bootstrap resample of the "
                                        "same labels (ranking_drift_floor: drift from "
                                        "estimation noise alone)")

    def check(self):
        if self.annotator.query != "uniform":
            raise ConfigError(f"annotator.query = {self.annotator.query!r} is out of range for "
                              "convergence (allowed: uniform; E1 has no policy to query)")
        if self.eval_responses > self.world.responses:
            raise ConfigError(
                f"experiment.eval_responses = {self.eval_responses} is out of range "
                f"(allowed: 2 <= eval_responses <= world.responses = {self.world.responses})")


def checkpoint_steps(labels: int, checkpoints: int) -> tuple[int, ...]:
    """0 and about ``checkpoints - 1`` log-spaced label counts up to ``labels``."""
    grid = np.unique(np.round(np.geomspace(1, labels, checkpoints - 1)).astype(int))
    return (0,) + tuple(int(s) for s in grid)


@shared
def _evaluation(key, world, n: int):
    """n held-out contexts, each response's value V and acceptability there."""
    contexts = sample_contexts(key, world, n)
    values = jax.vmap(lambda c, b: value(world, c, b))(contexts.features, contexts.belief_true)
    acceptable = ~jax.vmap(lambda b, c: unacceptable(world, b, None, c))(contexts.belief_true,
                                                                          contexts.features)
    return contexts, values, acceptable


_METHOD = {"rejections": "rule", "named": "named_rule", "flags": "cost_model",
           "comparisons": "reward_model"}


def _oracle_extras(acceptable):
    """The rule learner's own readings: prohibitions known and the true acceptable share."""
    def extras(fitted, rs):
        known = fitted.known
        return {"discovered_prohibitions": jnp.sum(known).astype(rs.dtype),
                "acceptable_fraction": jnp.mean(acceptable.astype(rs.dtype))}
    return extras


def run(key, params, static):
    """One seed of E1: ``{"rule" | "named_rule" | "cost_model" | "reward_model":
    {metric: (K,)}}`` at the checkpoints: the learner of :mod:`sim.learners` the signal
    names, fitted to its label stream and read by :func:`learner_curve`."""
    k_world, k_eval, k_labels = streams(key, "world", "evaluation", "labels")
    world = sample_world(k_world, params.world, static.world)
    contexts, values, acceptable = _evaluation(k_eval, world, static.eval_contexts)
    learner = LEARNERS[_METHOD[static.signal]]
    labels = collect_labels(learner.signal, k_labels, world, params, static, static.labels)
    extras = {"rule": _oracle_extras(acceptable),
              "reward_model": surface_extras(world, params, static)}.get(learner.name)
    steps = checkpoint_steps(static.labels, static.checkpoints)
    return {learner.name: learner_curve(learner, k_labels, labels, world, contexts, values,
                                        acceptable, steps, params, static, static.noise_floor,
                                        extras)}


def axes(config: ConvergenceConfig) -> dict:
    return {_METHOD[config.signal]: ("labels", checkpoint_steps(config.labels, config.checkpoints))}


def _comparisons(fit: str, control: bool = False, family: str | None = None):
    def transform(config: ConvergenceConfig) -> ConvergenceConfig:
        learner = dataclasses.replace(config.learner, fit=fit,
                                      family=family or config.learner.family)
        annotator = config.annotator
        if control:
            learner = dataclasses.replace(learner, family="contextual")
            annotator = dataclasses.replace(annotator, sycophancy=0.0, length_bias=0.0)
        return dataclasses.replace(config, signal="comparisons", learner=learner,
                                   annotator=annotator)
    return transform


def _flags(fit: str, family: str | None = None):
    def transform(config: ConvergenceConfig) -> ConvergenceConfig:
        cost = dataclasses.replace(config.cost, fit=fit, family=family or config.cost.family)
        annotator = dataclasses.replace(config.annotator, reveal="flag")
        return dataclasses.replace(config, signal="flags", cost=cost, annotator=annotator)
    return transform


def _named_online(config: ConvergenceConfig) -> ConvergenceConfig:
    cost = dataclasses.replace(config.cost, named_fit="online")
    return dataclasses.replace(config, signal="named", cost=cost)


def quick() -> ConvergenceConfig:
    return ConvergenceConfig(world=WorldConfig(responses=512), labels=200, checkpoints=12,
                             eval_contexts=4, eval_responses=64)


def tiny() -> ConvergenceConfig:
    return ConvergenceConfig(world=WorldConfig(responses=32, prohibitions=5, prohibition_mass=0.1),
                             cost=CostConfig(halfspaces=4, maxout_iters=5),
                             learner=LearnerConfig(halfspaces=4, maxout_iters=5), labels=6,
                             checkpoints=3, eval_contexts=2, eval_responses=8)


SPEC = Experiment(
    name="convergence", claims=("E1",),
    backend_level=2,  # compiles faster, runs no slower here: measured (docs/performance.md)
    title="constraints contract monotonically and converge; preferences drift (paper sec. 4)",
    config_type=ConvergenceConfig, default=ConvergenceConfig, quick=quick, tiny=tiny, run=run,
    axes=axes,
    variants=(
        Variant("rule", lambda c: dataclasses.replace(c, signal="rejections"),
                "rule learner: the feasible set F_n of revealed prohibitions (oracle tier)"),
        Variant("named_batch", lambda c: dataclasses.replace(c, signal="named"),
                "the named-rule learner: the same rejections, each rule's extent learned "
                "from examples in the reward model's family, batch MLE (the named tier)"),
        Variant("named_online", _named_online,
                "the named-rule learner, online: every rule's classifier one Adam step per "
                "label (cost.named_fit = online)"),
        Variant("batch", _comparisons("batch"), "reward model, configured family, batch MLE"),
        Variant("online", _comparisons("online"), "reward model, configured family, online"),
        Variant("control_batch", _comparisons("batch", True),
                "well-specified control: contextual family, no surface bias, batch MLE"),
        Variant("control_online", _comparisons("online", True), "the control, online"),
        Variant("cost_batch", _flags("batch"),
                "cost model on binary flags, configured family (quadratic), batch MLE"),
        Variant("cost_online", _flags("online"), "the cost model, online"),
        Variant("maxout_batch", _flags("batch", "maxout"),
                "cost model, max over K learned halfspaces, batch (Adam per checkpoint)"),
        Variant("maxout_online", _flags("online", "maxout"), "the maxout cost model, online"),
        Variant("maxout_reward", _comparisons("batch", family="maxout"),
                "reward model, minus a max over K learned halfspaces (the maxout cost model's "
                "family and inputs), batch (Adam per checkpoint)"),
    ),
    tiers=(("rule", "oracle"), ("named_rule", "named"), ("cost_model", "flag"),
           ("reward_model", "comparison")),
    # the paper's own knob on an axis: kappa in {0, 0.5, 0.9}, one program (a swept number);
    # claims are read at the world's default, kappa = 0.5
    sweep=(("world.coupling", (0.0, 0.5, 0.9)),),
)
