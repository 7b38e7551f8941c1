"""E7, ``returns`` (the summary: diminishing returns of negatives; preferences keep drifting).

Every learner buys up to ``max(budgets)`` labels (100,000 by default) in one
world with a long tail of prohibitions (Zipf masses, T = 1,024) and is read
at every budget of a log grid (two per decade by default):

- ``rule``: the rule learner (rejections name the prohibitions, ``reveal =
  all``), bought in blocks (:func:`sim.constraints.stream_constraints`);
- ``named_rule``: the named-rule learner on the same queries, told which rules each answer
  names and learning what they cover (the fair negative tier; streaming mini-batches of
  ``cost.online_block`` labels, :mod:`sim.specs.streamed`);
- ``cost_model``: the cost model on the same queries, told only the flags;
- ``reward_model``: the reward model on as many uniform comparisons.

Every learned scorer uses the ``linear`` family (the same features); the cost and reward
models refit in batch at each budget (each reads only its prefix of the labels). For each
learner and budget n (axis ``labels``): E1's set metrics on held-out contexts
(``unacceptable_share`` of the admitted set, ``regret_mean``, ...) and the
marginal gains per label between successive budgets,

    marginal_gain = -(U(n_k) - U(n_{k-1})) / (n_k - n_{k-1}),   U = unacceptable_share,

and ``regret_gain`` likewise for ``regret_mean``.

Analytic overlay (:mod:`sim.laws`) for the rule learner, over the pool's
context-free prohibitions: ``feasible_measured`` against ``feasible_law`` =
mean_i (1 - mu_i)^n on the first ``law_responses`` responses (responses are
i.i.d.), ``missing_mass`` (the share of the pool that is unacceptable and
still feasible) against ``missing_mass_law`` = sum_j p_j (1 - p_j)^n (exact for
disjoint prohibitions, an upper bound otherwise) and ``missing_mass_exact_law``
= mean_i 1[i violates some g_j] (1 - mu_i)^n, and
``discovered_share`` of the prohibitions with a violator in the pool. The
laws are exact for reveal = all, no annotator noise and uniform queries (the
default); other annotators are allowed, and then the overlay shows how far
they move the rule learner off the law. Method ``discovery`` (scalar):
``all_found_at`` (labels until every prohibition with p_j > 0 is known;
``max(budgets) + 1`` if some never is, with ``censored`` the indicator),
``coupon_integral`` = int [1 - prod_j (1 - e^{-p_j t})] dt and the bounds
``lower_bound`` = 1/p_min, ``upper_bound`` = sum_j 1/p_j.

Returns, per learner (methods ``rule_returns``, ``named_returns``, ``cost_returns``,
``reward_returns``; scalar):
``slope_early`` and ``slope_late``, the log-log slope of U against n over
budgets in [10, slope_split] and [slope_split, max], and ``budget_90``, the
budget after which U stays within 10% of its total change. For every learned scorer (named,
cost, reward) also ``drift_late`` (mean Kendall drift between successive budgets
after slope_split) and ``drift_floor_late``, its noise floor: the mean over the same budgets
of the Kendall distance between the fit and a refit on a Poisson(1) bootstrap of the same
labels (``ranking_drift_floor`` per budget; drift above it is more than estimation
noise), ``flips_late`` (top-1 flips after it); for the reward model
``endorse_loading_late`` (change of the sycophancy loading over the last
decade): does the drift toward surface correlates stop?

Preference side (:mod:`sim.specs.overoptimisation`), Gao et al. (arXiv 2210.10760): the prior tilted by the
learned (standardised) reward, pi_beta ~ pi0 exp(beta r), for every beta in
``betas``, and best-of-n of pi0 under r for every n in ``best_of``: the gold
gain R = E_pi V - E_pi0 V against d = sqrt(KL(pi || pi0)). Method ``tilt``
(axis labels) gives the fits R_RL = d (alpha - beta log d) (over the tilts)
and R_bon = d (alpha - beta d) (over best-of-n) at each of ``curve_budgets``; methods
``tilt_<n>`` (axis beta) and ``bon_<n>`` (axis best_of) give the curves
themselves at the budgets ``curve_budgets``.

One variant; the Zipf exponent is a sweep (``--sweep world.zipf_exponent=0,1,2``
runs equal masses, a = 0, next to steeper tails in the same program).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from .. import laws
from ..config import Config, ConfigError, param
from ..costs import CostConfig
from ..ensembles import ensemble_rewards
from ..keys import streams
from ..learners import LEARNERS, bootstrap_weight, collect_labels, unit_weight
from ..oracles import AnnotatorConfig
from ..policies import PolicyConfig
from ..preferences import LearnerConfig
from ..spec import Experiment, Variant
from ..world import WorldConfig, sample_contexts, sample_world
from .learned_sets import reward_model_sets
from .overoptimisation import gao_curves
from .regimes import standardise
from .setting import setting_at
from .streamed import cost_curves, named_curves, rule_curves, with_gains

__all__ = ["ReturnsConfig", "decade_grid", "SPEC"]


def decade_grid(labels: int, per_decade: int = 3) -> tuple[int, ...]:
    """0, then round(10^(k / per_decade)) for k = 0, 1, ... up to ``labels`` (included)."""
    top = int(np.ceil(np.log10(max(labels, 1)) * per_decade))
    grid = {int(round(10 ** (k / per_decade))) for k in range(top + 1)}
    return (0,) + tuple(sorted(g for g in grid | {labels} if 0 < g <= labels))


@dataclasses.dataclass(frozen=True)
class ReturnsConfig(Config):
    """E7: a long-tailed world, three learners on one log grid of budgets to 100,000."""

    section = "experiment"
    world: WorldConfig = param(WorldConfig(responses=4096, prohibitions=1024,
                                           prohibition_mass=0.0005, mass_law="zipf"))
    annotator: AnnotatorConfig = param(AnnotatorConfig(sycophancy=0.2, length_bias=0.3,
                                                       rejecter_length_bias=0.3))
    learner: LearnerConfig = param(LearnerConfig(family="linear", batch_block=1024))
    cost: CostConfig = param(CostConfig(family="linear", batch_block=1024, named_fit="online",
                                        online_block=64))
    policy: PolicyConfig = param(PolicyConfig())
    budgets: tuple = param(decade_grid(100_000, 2), lo=0, hi=1_000_000,
                           doc="label budgets n, increasing from 0 (default: two per decade to 100,000)")
    block: int = param(2048, lo=1, hi=1_000_000, doc="rejection labels bought per block")
    eval_contexts: int = param(8, lo=1, hi=4096, doc="held-out contexts for evaluation")
    eval_responses: int = param(128, lo=2, hi=8192,
                                doc="responses for the Kendall-based metrics")
    law_responses: int = param(512, lo=1, hi=1 << 22,
                               doc="responses on which mu_i of the feasible law is computed")
    slope_split: int = param(1000, lo=10, hi=1_000_000,
                             doc="budget dividing the early and late log-log slopes")
    curve_budgets: tuple = param((10, 100, 1000, 10_000, 100_000), lo=0, hi=1_000_000,
                                 doc="budgets of the gold-gain curves and their Gao fits")
    betas: tuple = param((0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0), lo=0.0, hi=1e4,
                         doc="tilt strengths beta on the standardised reward")
    best_of: tuple = param(tuple(2 ** k for k in range(1, 11)), lo=1, hi=1e6,
                           doc="n of best-of-n")

    def check(self):
        b = self.budgets
        if b[0] != 0 or list(b) != sorted(set(b)) or len(b) < 3:
            raise ConfigError(f"experiment.budgets = {b} is out of range "
                              "(allowed: strictly increasing from 0, at least 3 budgets)")
        if not set(self.curve_budgets) <= set(b):
            raise ConfigError(f"experiment.curve_budgets = {self.curve_budgets} is out of range "
                              "(allowed: budgets of experiment.budgets)")
        n = self.world.responses
        for field in ("eval_responses", "law_responses"):
            if getattr(self, field) > n:
                raise ConfigError(f"experiment.{field} = {getattr(self, field)} is out of range "
                                  f"(allowed: <= world.responses = {n})")
        if self.annotator.query != "uniform":
            raise ConfigError(f"annotator.query = {self.annotator.query!r} is out of range for "
                              "returns (allowed: uniform; the laws are for uniform queries)")
        if self.cost.named_fit != "online":
            raise ConfigError(f"cost.named_fit = {self.cost.named_fit!r} is out of range for "
                              "returns (allowed: online; batch refits of every rule's "
                              "classifier over 100,000 labels do not fit)")
        for section in ("cost", "learner"):
            if getattr(self, section).family == "maxout":
                raise ConfigError(f"{section}.family = 'maxout' is out of range for returns "
                                  "(allowed: linear, quadratic, contextual; 300 Adam steps a "
                                  "budget over 100,000 labels is E1's family, not E7's)")


def _returns(out, static):
    steps = jnp.asarray(static.budgets, out["unacceptable_share"].dtype)
    early = (steps >= 10) & (steps <= static.slope_split)
    late = steps >= static.slope_split
    u = out["unacceptable_share"]
    return {"slope_early": laws.loglog_slope(steps, u, early),
            "slope_late": laws.loglog_slope(steps, u, late),
            "budget_90": laws.budget_to_fraction(steps, u),
            "regret_budget_90": laws.budget_to_fraction(steps, out["regret_mean"])}


def _late_drift(out, static):
    """A learned scorer's drift past ``slope_split``: mean Kendall drift between successive
    budgets (``drift_late``), its noise floor over the same budgets (``drift_floor_late``) and
    the top-1 flips (``flips_late``)."""
    late = jnp.asarray(static.budgets) >= static.slope_split
    n_late = jnp.maximum(jnp.sum(late), 1).astype(out["ranking_drift"].dtype)
    mean_late = lambda v: jnp.sum(jnp.where(late, v, 0.0)) / n_late  # noqa: E731
    return {"drift_late": mean_late(out["ranking_drift"]),
            "drift_floor_late": mean_late(out["ranking_drift_floor"]),
            "flips_late": out["top1_flips"][-1]
            - jnp.min(jnp.where(late, out["top1_flips"], jnp.inf))}


def _reward_model(world, setting, key, params, static):
    """The registry's reward model at every budget, and its refit on a Poisson(1) bootstrap of
    the same comparisons (vmapped with it: one program) for the drift's noise floor."""
    learner = LEARNERS["reward_model"]
    comparisons = collect_labels("comparisons", key, world, params, static, static.budgets[-1])
    ones = unit_weight(comparisons, setting.values.dtype)
    counts = bootstrap_weight(key, ones.shape[0], ones.dtype)
    both = jax.vmap(lambda w: learner.fit(key, world, comparisons, w, static.budgets, params,
                                          static))(jnp.stack([ones, counts]))
    thetas, boot = both[0], both[1]                                                 # (K, M, p)
    out = reward_model_sets(thetas, world, setting.contexts, setting.values, setting.acceptable,
                            params, static, boot)
    rewards = jax.vmap(lambda th: standardise(ensemble_rewards(
        th, static.learner.family, world, setting.contexts, params.learner, static.learner)))(
        thetas)
    return with_gains(out, static.budgets), rewards


def run(key, params, static):
    """One seed of E7 (module docstring)."""
    k_world, k_eval, k_rej, k_cmp = streams(key, "world", "evaluation", "rejections",
                                            "comparisons")
    world = sample_world(k_world, params.world, static.world)
    setting = setting_at(key, world, sample_contexts(k_eval, world, static.eval_contexts),
                         params.policy)
    rule, discovery, queries = rule_curves(world, setting, k_rej, params, static)
    named = named_curves(world, setting, queries, k_rej, params, static)
    cost = cost_curves(world, setting, queries, k_rej, params, static)
    reward, rewards = _reward_model(world, setting, k_cmp, params, static)
    fits, curves = gao_curves(setting, rewards, static)
    named_returns, cost_returns, reward_returns = (
        {**_returns(out, static), **_late_drift(out, static)} for out in (named, cost, reward))
    tenth = int(np.searchsorted(static.budgets, static.budgets[-1] // 10))
    reward_returns["endorse_loading_late"] = (reward["surface_loading_endorse"][-1]
                                              - reward["surface_loading_endorse"][tenth])
    return {"rule": rule, "named_rule": named, "cost_model": cost, "reward_model": reward,
            "tilt": fits, "discovery": discovery, "rule_returns": _returns(rule, static),
            "named_returns": named_returns, "cost_returns": cost_returns,
            "reward_returns": reward_returns, **curves}


def axes(config: ReturnsConfig) -> dict:
    out = {m: ("labels", config.budgets)
           for m in ("rule", "named_rule", "cost_model", "reward_model")}
    out["tilt"] = ("labels", config.curve_budgets)
    for n in config.curve_budgets:
        out[f"tilt_{n}"] = ("beta", config.betas)
        out[f"bon_{n}"] = ("best_of", config.best_of)
    return out


def quick() -> ReturnsConfig:
    return ReturnsConfig(world=WorldConfig(responses=1024, prohibitions=256,
                                           prohibition_mass=0.002, mass_law="zipf"),
                         budgets=decade_grid(10_000), curve_budgets=(100, 10_000),
                         law_responses=256, eval_contexts=4, eval_responses=64)


def tiny() -> ReturnsConfig:
    return ReturnsConfig(world=WorldConfig(responses=64, prohibitions=8, prohibition_mass=0.02,
                                           mass_law="zipf"),
                         budgets=decade_grid(100, 2), curve_budgets=(10, 100), block=32,
                         law_responses=64, eval_contexts=2, eval_responses=16, slope_split=10,
                         betas=(1.0, 4.0), best_of=(2, 8))


SPEC = Experiment(
    name="returns", claims=("E7",),
    backend_level=2,  # compiles faster, runs no slower here: measured (docs/performance.md)
    title="diminishing returns of negatives; preferences keep drifting (summary)",
    config_type=ReturnsConfig, default=ReturnsConfig, quick=quick, tiny=tiny, run=run, axes=axes,
    variants=(Variant("default", doc="Zipf prohibition masses, T = 1,024"),),
    tiers=(("rule", "oracle"), ("rule_returns", "oracle"), ("discovery", "oracle"),
           ("named_rule", "named"), ("named_returns", "named"), ("cost_model", "flag"),
           ("cost_returns", "flag"), ("reward_model", "comparison"),
           ("reward_returns", "comparison")),
    sweep=(("world.zipf_exponent", (1.0,)),),
)
