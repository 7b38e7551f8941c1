"""E5, ``capability`` (paper section 5): capability as accumulated negative knowledge.

The paper predicts that more capable models are shorter, denser and less
sycophantic, and proposes three metrics: length in tokens, information
density (claims per token) and the sycophancy rate. Here capability is the
amount of alignment feedback a policy has absorbed: a tier is a label
budget n (``tiers``, default 2^4 .. 2^14). Per seed, in one policy setting
(:mod:`sim.specs.setting`) with the padding prohibition on (density below
``world.padding_floor`` is unacceptable) and length-biased annotators, so both
surface features can move, every regime builds a policy from the same prior
at every tier (:mod:`sim.specs.regimes`, one label stream per signal, a tier
reads its first n labels):

- negative only: ``mask`` (the oracle rule learner's F_n: the upper bound),
  ``named_mask`` (the named-rule learner, rules learned in the reward model's family: the
  fair tier the ledger reads), ``cost_mask`` (the cost model's {c <= 0}, n flags);
- preference only: ``tilt`` (beta ``beta`` on the standardised reward),
  ``best_of_n`` (n = ``best_of``), ``dpo`` (DPO on the n comparisons);
- hybrid: ``mask_then_tilt`` and ``constrained_tilt``, each from n/2
  rejections and n/2 comparisons (choice: the same total budget n as the
  single-signal regimes).

Metrics at each tier (axis ``labels``): ``mean_length``, ``density``,
``sycophancy_rate``, ``value``, ``lc_value`` (length-controlled value,
:func:`sim.specs.setting.surface_metrics`), ``violation_rate``, ``kl_to_prior``.

The prediction as a number: method ``<regime>_trend`` (a scalar per seed)
holds Spearman's rho between tier and each metric (``spearman_mean_length``,
...), and the summary gives its mean over seeds with a bootstrap CI. The
paper predicts rho < 0 for length, > 0 for density and < 0 for sycophancy.

A second capability axis (method ``prior``, axis ``prior_value_weight``):
the prior's own quality a = ``policy.prior_value_weight`` over the grid
``prior_weights``, with no feedback at all (Perez et al., arXiv 2212.09251,
report sycophancy growing with model size without RLHF), with its trend in
``prior_trend``.

Both learners use the ``linear`` family by default (E2's reward model; the
same features for the cost model, so the comparison is fair); ``quadratic``
and ``maxout`` are config options (about 2x the run time).

Variants: ``default``; ``control``: a well-specified preference learner
(contextual family) with unbiased annotators (no sycophants, no length
lovers). It has no negative knowledge; if its signature matches the
constraint regimes', the paper's benchmark cannot tell the hypotheses apart.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from ..config import Config, ConfigError, param
from ..costs import CostConfig
from ..keys import streams
from ..metrics import spearman
from ..oracles import AnnotatorConfig
from ..policies import PolicyConfig
from ..preferences import LearnerConfig
from ..spec import Experiment, Variant
from ..world import WorldConfig
from .regimes import dpo_at_budgets, learn_at_budgets, regime_policies
from .setting import policy_setting, prior_logp, setting_metrics, surface_metrics

__all__ = ["CapabilityConfig", "SPEC", "tiered_methods"]


def tiered_methods() -> dict[str, str]:
    """Each regime with a tier axis and how it spends a tier's n labels: ``single`` (n of its
    signal) or ``hybrid`` (n/2 of each); DPO is trained separately."""
    return {"mask": "single", "named_mask": "single", "cost_mask": "single", "tilt": "single",
            "best_of_n": "single", "mask_then_tilt": "hybrid", "constrained_tilt": "hybrid",
            "dpo": "single"}


@dataclasses.dataclass(frozen=True)
class CapabilityConfig(Config):
    """E5: world (padding prohibition on), biased annotators, learners, prior, tiers, policies."""

    section = "experiment"
    world: WorldConfig = param(WorldConfig(responses=512, padding_floor=0.05))
    annotator: AnnotatorConfig = param(AnnotatorConfig(sycophancy=0.2, length_bias=0.3,
                                                       rejecter_length_bias=0.3))
    learner: LearnerConfig = param(LearnerConfig(family="linear"))
    cost: CostConfig = param(CostConfig(family="linear"))
    policy: PolicyConfig = param(PolicyConfig())
    contexts: int = param(16, lo=1, hi=4096, doc="training contexts")
    tiers: tuple = param(tuple(2 ** k for k in range(4, 13)), lo=2, hi=1_000_000,
                         doc="capability tiers: label budgets n (increasing; the issue's 2^14 with "
                             "--experiment.tiers)")
    beta: float = param(4.0, lo=0.0, hi=1e4, sweep=True,
                        doc="beta of the tilts on the standardised reward")
    best_of: float = param(16.0, lo=1.0, hi=1e6, sweep=True, doc="n of best-of-n")
    cost_budget: float = param(0.05, lo=0.0, hi=1.0, sweep=True,
                               doc="d of the constrained tilt (predicted flag probability)")
    dpo_beta: float = param(0.1, lo=1e-3, hi=100.0, sweep=True, doc="DPO's beta")
    dpo_learning_rate: float = param(100.0, lo=0.0, hi=1e6, lo_open=True, sweep=True,
                                     doc="SGD step size of DPO")
    dpo_steps: int = param(200, lo=1, hi=100_000, doc="full-batch SGD steps of DPO")
    prior_weights: tuple = param((0.0, 0.5, 1.0, 2.0, 4.0, 8.0), lo=0.0, hi=100.0,
                                 doc="the second capability axis: prior_value_weight grid")

    def check(self):
        if list(self.tiers) != sorted(set(self.tiers)):
            raise ConfigError(f"experiment.tiers = {self.tiers} is out of range "
                              "(allowed: strictly increasing label budgets >= 2)")


def budgets(tiers: tuple) -> tuple[int, ...]:
    """Every budget learned at: the tiers and their halves (for the hybrids), sorted."""
    return tuple(sorted(set(tiers) | {t // 2 for t in tiers}))


def _trends(xs: jax.Array, by_method: dict) -> dict:
    """``{method}_trend``: Spearman's rho between the axis and each of the method's metrics
    except the KL (module docstring). Every (method, metric) curve is one row of a single
    ``spearman`` call (one copy of its ops in the program, not one per curve)."""
    rows = [(name, m) for name, metrics in by_method.items() for m in metrics
            if m != "kl_to_prior"]
    rho = spearman(xs, jnp.stack([by_method[name][m] for name, m in rows]))
    out = {f"{name}_trend": {} for name in by_method}
    for k, (name, m) in enumerate(rows):
        out[f"{name}_trend"][f"spearman_{m}"] = rho[k]
    return out


def run(key, params, static):
    """One seed of E5: every regime at every tier, their trends, and the prior axis."""
    k_setting, k_labels, k_train = streams(key, "setting", "labels", "training")
    setting = policy_setting(k_setting, params, static, static.contexts)
    dtype = setting.z0.dtype
    grid = budgets(static.tiers)
    learned = learn_at_budgets(k_labels, setting, params, static, grid, grid)
    full = jnp.asarray([grid.index(t) for t in static.tiers])
    half = jnp.asarray([grid.index(t // 2) for t in static.tiers])

    def score(logp):
        return {**setting_metrics(setting, logp), **surface_metrics(setting, logp)}

    def at_tier(i, h):
        def policies(k, methods):
            return regime_policies(setting.logp0, learned.feasible[k], learned.cost[k],
                                   learned.reward[k], params.beta, params.best_of,
                                   params.cost_budget, methods, named=learned.named[k])
        spend = {k: v for k, v in tiered_methods().items() if k != "dpo"}
        both = {**policies(i, [k for k, v in spend.items() if v == "single"]),
                **policies(h, [k for k, v in spend.items() if v == "hybrid"])}
        return {name: score(logp) for name, logp in both.items()}

    out = jax.vmap(at_tier)(full, half)
    out["dpo"] = dpo_at_budgets(k_train, setting, learned.comparisons, static.tiers,
                                params.dpo_beta, params.dpo_learning_rate, static.dpo_steps, score)
    log_tiers = jnp.log(jnp.asarray(static.tiers, dtype))
    out.update(_trends(log_tiers, {name: out[name] for name in tiered_methods()}))

    weights = jnp.asarray(static.prior_weights, dtype)
    out["prior"] = jax.vmap(lambda a: score(prior_logp(
        k_setting, setting, params.policy._replace(prior_value_weight=a))))(weights)
    out.update(_trends(weights, {"prior": out["prior"]}))
    return out


def axes(config: CapabilityConfig) -> dict:
    tiers = ("labels", config.tiers)
    out = {name: tiers for name in tiered_methods()}
    out["prior"] = ("prior_value_weight", config.prior_weights)
    return out


def quick() -> CapabilityConfig:
    return CapabilityConfig(world=WorldConfig(responses=256, padding_floor=0.05), contexts=8,
                            tiers=tuple(2 ** k for k in range(4, 11)), dpo_steps=50)


def tiny() -> CapabilityConfig:
    return CapabilityConfig(world=WorldConfig(responses=32, prohibitions=5, prohibition_mass=0.1,
                                              padding_floor=0.05),
                            contexts=2, tiers=(4, 8), dpo_steps=2, prior_weights=(0.0, 1.0))


def _control(config: CapabilityConfig) -> CapabilityConfig:
    return dataclasses.replace(
        config, learner=dataclasses.replace(config.learner, family="contextual"),
        annotator=dataclasses.replace(config.annotator, sycophancy=0.0, length_bias=0.0))


SPEC = Experiment(
    name="capability", claims=("E5",),
    backend_level=2,  # compiles faster, runs no slower here: measured (docs/performance.md)
    title="capability = negative knowledge: shorter, denser, less sycophantic (paper sec. 5)",
    config_type=CapabilityConfig, default=CapabilityConfig, quick=quick, tiny=tiny, run=run,
    axes=axes,
    variants=(Variant("default", doc="every regime along the label budget; biased annotators"),
              Variant("control", _control, "well-specified preference learner, unbiased "
                                           "annotators: no negative knowledge at all")),
    tiers=(("mask", "oracle"), ("mask_trend", "oracle"), ("named_mask", "named"),
           ("named_mask_trend", "named"), ("cost_mask", "flag"), ("cost_mask_trend", "flag"),
           ("tilt", "comparison"), ("tilt_trend", "comparison"), ("best_of_n", "comparison"),
           ("best_of_n_trend", "comparison"), ("dpo", "comparison"), ("dpo_trend", "comparison")),
)

