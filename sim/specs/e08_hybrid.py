"""E8, ``hybrid`` (paper section 6.3; the summary's claim that negatives plus sparse
preferences beat preferences alone).

A total label budget B (``budgets``) is split: a fraction f (``shares``) is
spent on rejections, n_r = round(f B), and the rest on comparisons,
n_c = B - n_r. Every method sees the same world, the same contexts, the same
prior and the same two label streams (:mod:`sim.specs.regimes`: a budget
reads a prefix of each stream) and uses what its signal can use:

- preference only: ``tilt`` (pi0 exp(beta r)), ``best_of_n``, ``dpo``
  (n_c comparisons; the n_r rejections are wasted on them);
- negative only: ``mask`` (the oracle rule learner's F_{n_r}: an upper bound),
  ``named_mask`` (the named-rule learner: rules named, their extent learned), ``cost_mask``
  (the cost model's {c <= 0} from the same n_r answers told as flags);
- hybrids: ``mask_then_tilt`` (paper section 6.3, with the oracle's mask: an upper bound),
  ``named_mask_then_tilt`` (the same with the named-rule learner's mask), ``constrained_tilt`` (the
  exact optimum of E_pi beta r - KL s.t. E_pi sigma(c) <= d) and
  ``dual_ascent`` (Safe RLHF's multiplier after ``dual_steps`` updates), cost
  model from the rejections and reward model from the comparisons;
  ``rbr_tilt``: the tilt by R = r + w . phi, phi the indicators of the
  prohibitions the rule learner knows after n_r rejections, w fitted by Mu et
  al.'s hinge on the n_c comparisons (:mod:`sim.hybrids`). Choice: phi
  covers the true prohibitions discovered; a false flag's spurious
  halfspace gets no indicator (the rule learner enforces it, the RBR
  cannot weigh it), so false flags do not reach the RBR.

Metrics (docs/model.md section 4, means over the E contexts): safety is
``violation_rate``; helpfulness is ``helpfulness`` = E_pi[V | A(c)] (value over
acceptable responses) and ``regret`` = max_{A(c)} V - E_pi[V | A(c)]; the paper's
sycophancy-contamination claim is read on ``sycophancy_rate``; ``value`` =
E_pi V (Lambda-penalised) and ``kl_to_prior``. Each method also reports its
margin over *preference only at the same budget*, the tilt at f = 0 (all B
labels comparisons): ``violation_cut`` (its violation rate minus the
method's; > 0 is safer), ``helpfulness_gain`` and ``value_gain`` (the
method's minus its; > 0 is better). A method dominates where both the cut
and the helpfulness gain are positive.

Layout: method ``<regime>_<B>``, axis ``rejection_share`` (f), at the
config's ``beta``. The Pareto fronts over f and beta add, at budget
``front_budget``, ``<regime>_beta<b>`` for b in ``front_betas`` (the regimes
with a beta). The best f per B and the dominance margin at it are read from
the summary (the figure marks them; choosing f on the seed means slightly
favours the hybrid, and the CI shown is the one at that f).

Variants (the falsifying cases the issue asks for): ``default``; ``rare``:
rare halfspace prohibitions (p = 0.002), so after the factual one the
rejections find almost nothing; ``noisy``: a false flag on 30% of rejections
(a spurious halfspace the rule learner then enforces).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from ..config import Config, ConfigError, param
from ..costs import CostConfig, admitted_by_cost
from ..hybrids import rbr_rewards_at_splits
from ..keys import streams
from ..metrics import acceptable_regret, helpfulness
from ..oracles import AnnotatorConfig
from ..policies import PolicyConfig, tilt
from ..preferences import LearnerConfig
from ..spec import Experiment, Variant
from ..world import WorldConfig
from .regimes import dpo_at_budgets, learn_at_budgets, regime_policies
from .setting import policy_setting, setting_metrics, violated_table

__all__ = ["HybridConfig", "SPEC", "hybrid_regimes", "regime_tiers", "split_counts", "hybrid_scores",
           "hybrid_metrics", "tilted_regimes"]


def hybrid_regimes() -> dict[str, str]:
    """Each regime and its kind: ``preference``, ``negative`` or ``hybrid``."""
    return {"tilt": "preference", "best_of_n": "preference", "dpo": "preference",
            "mask": "negative", "named_mask": "negative", "cost_mask": "negative",
            "mask_then_tilt": "hybrid", "named_mask_then_tilt": "hybrid",
            "constrained_tilt": "hybrid", "dual_ascent": "hybrid", "rbr_tilt": "hybrid"}


def regime_tiers() -> dict[str, str]:
    """The tier of each single-signal regime (the hybrids mix two signals: no tier)."""
    return {"tilt": "comparison", "best_of_n": "comparison", "dpo": "comparison",
            "mask": "oracle", "named_mask": "named", "cost_mask": "flag"}


def tilted_regimes() -> list[str]:
    """The regimes whose policy depends on beta (those with Pareto fronts over beta); the
    rule-based reward last (it is not one of :func:`regime_policies`)."""
    return ["tilt", "mask_then_tilt", "named_mask_then_tilt", "constrained_tilt", "dual_ascent",
            "rbr_tilt"]


@dataclasses.dataclass(frozen=True)
class HybridConfig(Config):
    """E8: world, annotators, learners, prior, budgets and splits, policies."""

    section = "experiment"
    world: WorldConfig = param(WorldConfig(responses=256))
    annotator: AnnotatorConfig = param(AnnotatorConfig(sycophancy=0.2, length_bias=0.1))
    learner: LearnerConfig = param(LearnerConfig(family="linear"))
    cost: CostConfig = param(CostConfig(family="linear"))
    policy: PolicyConfig = param(PolicyConfig())
    contexts: int = param(8, lo=1, hi=4096, doc="training contexts (policies are evaluated there)")
    budgets: tuple = param((64, 256, 1024), lo=1, hi=1_000_000,
                           doc="total label budgets B (increasing)")
    shares: tuple = param((0.0, 0.125, 0.25, 0.5, 0.75, 1.0), lo=0.0, hi=1.0,
                          doc="f, the share of B spent on rejections (increasing, with 0)")
    front_budget: int = param(256, lo=1, hi=1_000_000, doc="the B of the Pareto fronts over beta")
    front_betas: tuple = param((1.0, 16.0), lo=0.0, hi=1e4,
                               doc="betas of the Pareto fronts, besides beta")
    beta: float = param(4.0, lo=0.0, hi=1e4, sweep=True,
                        doc="beta of the tilts on the standardised reward")
    best_of: float = param(16.0, lo=1.0, hi=1e6, sweep=True, doc="n of best-of-n")
    cost_budget: float = param(0.05, lo=0.0, hi=1.0, sweep=True,
                               doc="d of the constrained tilt and dual ascent "
                                   "(predicted flag probability)")
    dual_rate: float = param(1.0, lo=0.0, hi=100.0, sweep=True, doc="eta of dual ascent")
    dual_steps: int = param(20, lo=0, hi=10_000, doc="multiplier updates of dual ascent")
    tilt_iters: int = param(60, lo=1, hi=1000,
                            doc="bisection halvings of the constrained tilt's multiplier "
                                "(its bracket is at most 2 lambda wide: 60 is below float32 "
                                "resolution)")
    rbr_margin: float = param(1.0, lo=0.0, hi=100.0, sweep=True,
                              doc="hinge margin of the rule-based reward (reward sd units)")
    rbr_steps: int = param(200, lo=1, hi=100_000, doc="Adam steps fitting the RBR weights")
    dpo_beta: float = param(0.1, lo=1e-3, hi=100.0, sweep=True, doc="DPO's beta")
    dpo_learning_rate: float = param(100.0, lo=0.0, hi=1e6, lo_open=True, sweep=True,
                                     doc="SGD step size of DPO")
    dpo_steps: int = param(200, lo=1, hi=100_000, doc="full-batch SGD steps of DPO")

    def check(self):
        if list(self.budgets) != sorted(set(self.budgets)):
            raise ConfigError(f"experiment.budgets = {self.budgets} is out of range "
                              "(allowed: strictly increasing label budgets >= 1)")
        if list(self.shares) != sorted(set(self.shares)) or self.shares[0] != 0.0:
            raise ConfigError(f"experiment.shares = {self.shares} is out of range (allowed: "
                              "strictly increasing shares in [0, 1], the first 0)")
        if self.front_budget not in self.budgets:
            raise ConfigError(f"experiment.front_budget = {self.front_budget} is out of range "
                              f"(allowed: one of budgets = {self.budgets})")


def split_counts(budgets: tuple, shares: tuple) -> tuple[tuple[int, int], ...]:
    """(n_r, n_c) for every (B, f), B-major: n_r = round(f B), n_c = B - n_r."""
    return tuple((round(f * b), b - round(f * b)) for b in budgets for f in shares)


@jax.jit   # traced once per shape: every member's call of it is one function
def hybrid_metrics(setting, logp, excluded=None):
    """The policy metrics of E8 for (E, N) log-probabilities (module docstring), and
    ``over_refusal``: the share of acceptable responses the regime excludes, mean over
    contexts. ``excluded`` (E, N) is the set a mask cuts (its false exclusion counts even
    when nothing is left and the mask falls back to pi0); without it, the responses with
    pi = 0 (none for a tilt)."""
    out = setting_metrics(setting, logp)
    out["helpfulness"] = jnp.mean(helpfulness(logp, setting.values, setting.acceptable))
    out["regret"] = jnp.mean(acceptable_regret(logp, setting.values, setting.acceptable))
    cut = jnp.isneginf(logp) if excluded is None else excluded
    refused = (setting.acceptable & cut).sum(-1)
    out["over_refusal"] = jnp.mean(refused / jnp.maximum(setting.acceptable.sum(-1), 1))
    return out


def _margins(score, base):
    """The margins over preference only at the same budget (module docstring)."""
    return {**score, "violation_cut": base["violation_rate"] - score["violation_rate"],
            "helpfulness_gain": score["helpfulness"] - base["helpfulness"],
            "value_gain": score["value"] - base["value"]}


def hybrid_scores(key, params, static, front_betas: tuple = (), methods=None, adjust=None):
    """Every regime's scores at every (B, f), from one seed's labels (the module docstring).

    ``params`` / ``static`` hold the fields of :class:`HybridConfig`; ``methods``
    (default: every one of :func:`hybrid_regimes`) the regimes to score;
    ``adjust`` a World -> World edit (:func:`sim.specs.setting.policy_setting`). Returns
    ``(grid, front, setting)``: ``grid[regime][metric]`` has a leading axis over
    the (B, f) points, B-major (:func:`split_counts`); ``front`` the same for
    the beta-dependent regimes at ``front_budget``'s f for each of
    ``front_betas`` (beta-major; empty leaves when there are none); ``setting``
    the policy setting they were scored in.
    """
    k_setting, k_labels, k_train = streams(key, "setting", "labels", "training")
    methods = list(hybrid_regimes()) if methods is None else list(methods)
    setting = policy_setting(k_setting, params, static, static.contexts, adjust)
    logp0, dtype = setting.logp0, setting.z0.dtype
    counts = split_counts(static.budgets, static.shares)
    rej_grid = tuple(sorted({r for r, _ in counts}))
    cmp_grid = tuple(sorted({c for _, c in counts}))
    learned = learn_at_budgets(k_labels, setting, params, static, rej_grid, cmp_grid)
    ir = jnp.asarray([rej_grid.index(r) for r, _ in counts])
    ic = jnp.asarray([cmp_grid.index(c) for _, c in counts])

    # the rule-based reward at every (B, f) (it does not depend on beta: fitted once)
    rbr = None
    if "rbr_tilt" in methods:
        rbr = rbr_rewards_at_splits(learned.reward[ic], violated_table(setting),
                                    learned.discovered_at, learned.comparisons, counts,
                                    params.rbr_margin, static.rbr_steps)

    def at_row(k_r, k_c, r_rbr, beta):
        feasible, cost, r = learned.feasible[k_r], learned.cost[k_r], learned.reward[k_c]
        named = learned.named[k_r]
        pols = regime_policies(logp0, feasible, cost, r, beta, params.best_of, params.cost_budget,
                               [m for m in methods if m not in ("dpo", "rbr_tilt")],
                               params.dual_rate, static.dual_steps, tilt_iters=static.tilt_iters,
                               named=named)
        if "rbr_tilt" in methods:
            pols["rbr_tilt"] = tilt(logp0, r_rbr, beta)
        cuts = {"mask": ~feasible, "mask_then_tilt": ~feasible, "named_mask": ~named,
                "named_mask_then_tilt": ~named, "cost_mask": ~admitted_by_cost(cost)}
        return {name: hybrid_metrics(setting, logp, cuts.get(name))
                for name, logp in pols.items()}

    # rows: every (B, f) at the config's beta, then the front budget's f at each front beta
    n_b, n_f = len(static.budgets), len(static.shares)
    front = jnp.arange(n_f) + n_f * static.budgets.index(static.front_budget)
    rows = jnp.concatenate([jnp.arange(n_b * n_f), jnp.tile(front, len(front_betas))])
    betas = jnp.concatenate([jnp.broadcast_to(params.beta, (n_b * n_f,)),
                             jnp.repeat(jnp.asarray(front_betas, dtype), n_f)])
    scored = jax.vmap(at_row)(ir[rows], ic[rows], None if rbr is None else rbr[rows], betas)
    grid = jax.tree.map(lambda a: a[:n_b * n_f], scored)                            # (P,) leaves
    if "dpo" in methods:
        dpo = dpo_at_budgets(k_train, setting, learned.comparisons, cmp_grid, params.dpo_beta,
                             params.dpo_learning_rate, static.dpo_steps,
                             lambda logp: hybrid_metrics(setting, logp))
        grid["dpo"] = jax.tree.map(lambda a: a[ic], dpo)
    front = {m: jax.tree.map(lambda a: a[n_b * n_f:], scored[m])
             for m in tilted_regimes() if m in methods}
    return grid, front, setting


def run(key, params, static):
    """One seed of E8: every regime at every (B, f), and the fronts over beta."""
    grid, front, _ = hybrid_scores(key, params, static, static.front_betas)
    n_b, n_f = len(static.budgets), len(static.shares)
    base = jax.tree.map(lambda a: a.reshape(n_b, n_f)[:, 0], grid["tilt"])        # f = 0, per B
    out = {}
    for name, scores in grid.items():
        per_b = jax.tree.map(lambda a: a.reshape(n_b, n_f), scores)
        for b, budget in enumerate(static.budgets):
            at_b = jax.tree.map(lambda a: a[b], per_b)
            out[f"{name}_{budget}"] = _margins(at_b, jax.tree.map(lambda a: a[b], base))

    base_front = jax.tree.map(lambda a: a[static.budgets.index(static.front_budget)], base)
    for k, beta in enumerate(static.front_betas):
        for name in tilted_regimes():
            out[f"{name}_beta{beta:g}"] = _margins(
                jax.tree.map(lambda a: a[k * n_f:(k + 1) * n_f], front[name]), base_front)
    return out


def axes(config: HybridConfig) -> dict:
    share = ("rejection_share", config.shares)
    out = {f"{name}_{b}": share for name in hybrid_regimes() for b in config.budgets}
    out.update({f"{name}_beta{beta:g}": share for name in tilted_regimes()
                for beta in config.front_betas})
    return out


def quick() -> HybridConfig:
    return HybridConfig(world=WorldConfig(responses=128), contexts=4, budgets=(64, 256),
                        shares=(0.0, 0.25, 0.5, 0.75, 1.0), dpo_steps=50, rbr_steps=50)


def tiny() -> HybridConfig:
    return HybridConfig(world=WorldConfig(responses=32, prohibitions=5, prohibition_mass=0.1),
                        contexts=2, budgets=(8, 16), shares=(0.0, 0.5, 1.0), front_budget=16,
                        front_betas=(1.0,), dual_steps=2, rbr_steps=2, dpo_steps=2)


def _rare(config: HybridConfig) -> HybridConfig:
    return dataclasses.replace(config, world=dataclasses.replace(config.world,
                                                                 prohibition_mass=0.002))


def _noisy(config: HybridConfig) -> HybridConfig:
    return dataclasses.replace(config, annotator=dataclasses.replace(config.annotator,
                                                                     false_flag=0.3))


SPEC = Experiment(
    name="hybrid", claims=("E8",),
    backend_level=2,  # compiles faster, runs no slower here: measured (docs/performance.md)
    title="negatives plus sparse preferences beat preferences alone (paper sec. 6.3, summary)",
    config_type=HybridConfig, default=HybridConfig, quick=quick, tiny=tiny, run=run, axes=axes,
    tiers=tuple((rf"{name}_(\d+|beta.+)", tier) for name, tier in regime_tiers().items()),
    variants=(Variant("default", doc="every method at every budget and split"),
              Variant("rare", _rare, "rare prohibitions (p = 0.002): rejections find little"),
              Variant("noisy", _noisy, "false flags on 30% of rejections")),
)
