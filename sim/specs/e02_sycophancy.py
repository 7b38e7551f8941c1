"""E2, ``sycophancy`` (paper sections 3.1, 3.2): preference training amplifies sycophancy;
constraints do not.

Per seed, in E training contexts (about half with a false user belief,
:func:`sim.specs.setting.policy_setting`) and with one label budget n for each
signal, both bought on queries whose context is drawn uniformly from the
training contexts (:mod:`sim.labels`):

- Positive signal: n comparisons from the preference oracle, a share s_syc
  (``annotator.sycophancy``, swept) of them sycophantic, train the
  Bradley-Terry reward model (:mod:`sim.preferences`, batch MLE on all n); its
  reward r(., c) is standardised per context. From the prior pi0:

  - ``tilt``        pi0 exp(beta r) / Z over the grid ``betas`` (axis ``beta``);
  - ``first_order`` Shapira et al.'s prediction S(pi0) + beta Cov_pi0(endorses, r),
                    Cov averaged over false-belief contexts (metric
                    ``sycophancy_rate`` only, axis ``beta``);
  - ``corrected``   the tilt by r - lambda* endorses 1[false belief], lambda* =
                    Cov_pi0(endorses, r) / Var_pi0(endorses) per false-belief
                    context: the penalty that cancels the first-order shift (our
                    reading of their corrected reward; paper text not checked);
  - ``best_of_n``   the exact best-of-n law under r over the grid ``best_of`` (axis ``n``);
  - ``dpo``         DPO (beta ``dpo_beta``) on the same comparisons, full-batch SGD
                    on per-context logits (axis ``training_step``, step 0 = pi0).

- Negative signal: n rejection-oracle labels on uniform (response, context)
  queries, a share s_r (``annotator.rejecter_sycophancy``, swept) of the rejecters
  sycophantic, read by the learners of :mod:`sim.learners`:

  - ``mask`` (a scalar)  pi0 restricted to the oracle rule learner's feasible set F_n(c)
                         (each named rule's exact extent handed over: the upper bound);
  - ``named_mask`` (a scalar)  pi0 restricted to what the named-rule learner admits (each
                         rule's extent learned from the rejections that name it, in the
                         reward model's family: the fair counterpart of ``tilt``);
  - ``nsr``  L_NSR = mean over flagged labels of pi(y | c) (probability form);
  - ``npo``  NPO (beta ``npo_beta``) on the flagged labels; both trained full batch
             (axis ``training_step``), as DPO on the comparisons is: a policy z0 + psi theta
             with shared parameters on the ``policy_family``'s inputs (default ``belief``, the
             learners' family), by Adam at ``policy_learning_rate`` (0.02, E3's step size,
             chosen before any result), so a flagged response lowers the responses that
             look like it; ``policy_family = tabular``: one logit per context and response by
             plain SGD at each loss's own step size, number for number as before.

- The same rejections told only as binary flags, read by the cost model
  (:mod:`sim.costs`, family ``cost.family``, batch fit on all n): a learned constraint, as
  Safe RLHF's cost model.

Matched capacity (choice): the reward model, the named-rule learner and the cost model all
use the ``belief`` family by default (``quadratic`` plus endorses x 1[false belief]): each
side may see whether a response agrees with a false belief, neither sees more.

  - ``cost_mask`` (a scalar)  pi0 restricted to {c_theta <= 0};
  - ``constrained_tilt``  pi proportional to pi0 exp(beta r - mu C), the exact
    optimum of E_pi (beta r) - KL(pi || pi0) subject to E_pi C <= d
    (:func:`sim.policies.constrained_tilt`, ``cost_budget`` d), with C =
    sigma(c_theta) the predicted flag probability (a choice: the budget is then
    a predicted violation rate), over the grid ``betas`` (axis ``beta``).

- Hybrid: ``rbr_tilt``, the tilt by R = r + w . phi, phi the indicators of
  the prohibitions the rule learner discovered and w fitted by Mu et al.'s
  hinge loss on the same comparisons (``rbr_steps`` Adam steps, :mod:`sim.hybrids`),
  over ``betas``.

Metrics (:func:`sim.specs.setting.setting_metrics`): ``sycophancy_rate`` (mean
over false-belief contexts of pi(endorses)), and the means over contexts of
``violation_rate``, ``value`` and ``kl_to_prior``.

Variants: ``default`` (the ``belief`` family on every side) and ``context_free`` (the
``quadratic`` family on every side: no learner sees the user's belief, so no learner can
tell agreeing with a false belief from agreeing with a true one). The default sweep runs
five preference-annotator sycophancy rates, two rejecter sycophancy rates (0, 0.2) and three
couplings kappa (0, 0.5, 0.9) in one program.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from ..config import Config, ConfigError, param
from ..costs import CostConfig, admitted_by_cost
from ..hybrids import fit_rbr_weights, known_rule_indicators, rbr_reward
from ..keys import streams
from ..learners import LEARNERS, collect_labels, fit_once
from ..oracles import AnnotatorConfig, violated_prohibitions
from ..policies import PolicyConfig, constrained_tilt, mask, tilt
from ..preferences import LearnerConfig
from ..spec import Experiment, Variant
from ..world import WorldConfig
from .offline_policies import trained_policies
from .reward_policies import reward_policies, standardised_reward
from .setting import policy_setting, setting_metrics

__all__ = ["SycophancyConfig", "SPEC"]


@dataclasses.dataclass(frozen=True)
class SycophancyConfig(Config):
    """E2: world, annotators, reward model, prior, budget, grids and policy training."""

    section = "experiment"
    world: WorldConfig = param(WorldConfig(responses=512))
    annotator: AnnotatorConfig = param(AnnotatorConfig(length_bias=0.0, rejecter_length_bias=0.0))
    learner: LearnerConfig = param(LearnerConfig(family="belief"))
    policy: PolicyConfig = param(PolicyConfig())
    cost: CostConfig = param(CostConfig(family="belief"))
    cost_budget: float = param(0.05, lo=0.0, hi=1.0, sweep=True,
                               doc="d of the constrained tilt: E_pi C <= d, C = the cost model's "
                                   "predicted flag probability")
    rbr_steps: int = param(500, lo=1, hi=100_000,
                           doc="Adam steps fitting the rule-based reward's weights w")
    contexts: int = param(16, lo=1, hi=4096, doc="training contexts")
    labels: int = param(1024, lo=1, hi=1_000_000, doc="label budget of each signal")
    betas: tuple = param((0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0), lo=0.0, hi=1e4,
                         doc="beta grid of the tilts pi0 exp(beta r) / Z (r standardised)")
    best_of: tuple = param((1, 2, 4, 8, 16, 32, 64, 128), lo=1, hi=1_000_000,
                           doc="n grid of best-of-n")
    steps: int = param(400, lo=1, hi=1_000_000, doc="SGD steps of DPO, NSR and NPO")
    checkpoints: int = param(8, lo=1, hi=10_000,
                             doc="evaluations along training after step 0 (steps >= checkpoints)")
    dpo_learning_rate: float = param(100.0, lo=0.0, hi=1e6, lo_open=True, sweep=True,
                                     doc="SGD step size of DPO (losses are means over labels)")
    dpo_beta: float = param(0.1, lo=1e-3, hi=100.0, sweep=True,
                            doc="DPO's beta (>= 1e-3: below, its gradient vanishes in float32)")
    nsr_learning_rate: float = param(20000.0, lo=0.0, hi=1e7, lo_open=True, sweep=True,
                                     doc="SGD step size of NSR (its gradients are ~pi, small)")
    npo_learning_rate: float = param(20.0, lo=0.0, hi=1e6, lo_open=True, sweep=True,
                                     doc="SGD step size of NPO")
    npo_beta: float = param(0.1, lo=1e-3, hi=100.0, sweep=True,
                            doc="NPO's beta (>= 1e-3: its loss scales as 2 / beta; beta -> 0 "
                                "is the gradient-ascent limit)")
    policy_family: str = param("belief", choices=("tabular", "linear", "quadratic", "belief"),
                               doc="DPO's, NSR's and NPO's policy: shared parameters on a reward "
                                   "family's inputs (Adam; default the learners' belief family), "
                                   "or tabular logits (SGD at the three step sizes above)")
    policy_learning_rate: float = param(0.02, lo=0.0, hi=1e3, lo_open=True, sweep=True,
                                        doc="Adam step size of the shared-parameter policies")

    def check(self):
        if self.steps < self.checkpoints:
            raise ConfigError(f"experiment.steps = {self.steps} is out of range "
                              f"(allowed: steps >= checkpoints = {self.checkpoints})")


def _rbr_tilt(setting, known, comparisons, r, score, betas, static):
    """The hybrid: r + w . phi over the prohibitions the rule learner knows, w fitted by Mu et
    al.'s hinge on the comparisons, then tilted."""
    world, ctx, logp0 = setting.world, setting.contexts, setting.logp0
    target, weight = (a.astype(logp0.dtype) for a in comparisons.answer)
    phi = jax.vmap(lambda b, c: known_rule_indicators(
        violated_prohibitions(world, jnp.arange(world.features.shape[0]), b, c), known))(
        ctx.belief_true, ctx.features).astype(logp0.dtype)                         # (E, N, T + 2)
    ce, cf, cs = comparisons.context, comparisons.first, comparisons.second
    w_rbr = fit_rbr_weights(r[ce, cf], r[ce, cs], phi[ce, cf], phi[ce, cs], target, weight,
                            iters=static.rbr_steps)
    r_rbr = rbr_reward(r, phi, w_rbr)
    return jax.vmap(lambda b: score(tilt(logp0, r_rbr, b)))(betas)


def _cost_side(setting, rejections, k_rejections, r, score, betas, params, static):
    """The same rejections as binary flags -> the cost model: the prior masked by it, and the
    tilt under its cost budget (Safe RLHF's objective, exact)."""
    world, ctx, logp0 = setting.world, setting.contexts, setting.logp0
    learner = LEARNERS["cost_model"]
    theta_c = fit_once(learner, k_rejections, world, rejections, static.labels, params, static)
    c = -learner.score(theta_c, world, ctx, None, params, static).score            # (E, N)
    p_flag = jax.nn.sigmoid(c)
    return {"cost_mask": score(mask(logp0, admitted_by_cost(c))),
            "constrained_tilt": jax.vmap(lambda b: score(
                constrained_tilt(logp0, b * r, p_flag, 1.0, params.cost_budget)[0]))(betas)}


def _masks(setting, rejections, k_rejections, score, params, static):
    """The prior restricted to what the oracle rule learner admits (``mask``, the upper
    bound) and to what the named-rule learner admits (``named_mask``), both after all n
    rejections; and which rules the oracle knows (for the hybrid)."""
    world, ctx, logp0 = setting.world, setting.contexts, setting.logp0

    def masked(learner):
        fitted = fit_once(learner, k_rejections, world, rejections, static.labels, params,
                          static)
        admitted = learner.score(fitted, world, ctx, None, params, static).admitted
        return score(mask(logp0, admitted)), fitted

    oracle, fitted = masked(LEARNERS["rule"])
    named, _ = masked(LEARNERS["named_rule"])
    return {"mask": oracle, "named_mask": named}, fitted.known


def run(key, params, static):
    """One seed of E2: ``tilt``, ``first_order``, ``corrected``, ``rbr_tilt``,
    ``constrained_tilt`` (axis ``beta``), ``best_of_n`` (``n``), ``dpo``, ``nsr``, ``npo``
    (``training_step``), ``mask`` and ``cost_mask`` (scalars)."""
    k_setting, k_pairs, k_rejections, k_train = streams(
        key, "setting", "comparisons", "rejections", "training")
    setting = policy_setting(k_setting, params, static, static.contexts)
    world, ctx, logp0 = setting.world, setting.contexts, setting.logp0
    n = static.labels
    betas = jnp.asarray(static.betas, logp0.dtype)

    def score(logp):
        return setting_metrics(setting, logp)

    # positive signal: comparisons -> reward model (sim.learners)
    comparisons = collect_labels("comparisons", k_pairs, world, params, static, n, pool=ctx,
                                 policy=logp0)
    thetas = fit_once(LEARNERS["reward_model"], k_pairs, world, comparisons, n, params, static)
    r = standardised_reward(thetas, world, ctx, params.learner, static.learner)
    out = reward_policies(setting, r, score, betas, static.best_of)

    # negative signal: rejections -> the oracle's and the named-rule learner's masks
    rejections = collect_labels("rejections", k_rejections, world, params, static, n, pool=ctx,
                                policy=logp0)
    masks, known = _masks(setting, rejections, k_rejections, score, params, static)
    out.update(masks)
    out["rbr_tilt"] = _rbr_tilt(setting, known, comparisons, r, score, betas, static)
    out.update(_cost_side(setting, rejections, k_rejections, r, score, betas, params, static))
    out.update(trained_policies(setting, comparisons, rejections, k_train, score, params, static))
    return out


def training_steps(config: SycophancyConfig) -> tuple[int, ...]:
    """0 and the step after each of ``checkpoints`` equal chunks (steps rounded down)."""
    per = config.steps // config.checkpoints
    return tuple(range(0, per * config.checkpoints + 1, per))


def axes(config: SycophancyConfig) -> dict:
    beta = ("beta", config.betas)
    step = ("training_step", training_steps(config))
    return {"tilt": beta, "first_order": beta, "corrected": beta, "constrained_tilt": beta,
            "rbr_tilt": beta,
            "best_of_n": ("n", config.best_of), "dpo": step, "nsr": step, "npo": step}


def _context_free(config: SycophancyConfig) -> SycophancyConfig:
    return dataclasses.replace(
        config, learner=dataclasses.replace(config.learner, family="quadratic"),
        cost=dataclasses.replace(config.cost, family="quadratic"))


def quick() -> SycophancyConfig:
    return SycophancyConfig(world=WorldConfig(responses=256), contexts=8, labels=256, steps=80)


def tiny() -> SycophancyConfig:
    return SycophancyConfig(world=WorldConfig(responses=32, prohibitions=5, prohibition_mass=0.1),
                            contexts=2, labels=16, steps=4, checkpoints=2, betas=(0.0, 1.0),
                            best_of=(1, 4), rbr_steps=2)


SPEC = Experiment(
    name="sycophancy", claims=("E2",),
    title="preference training amplifies sycophancy; constraints do not (paper sec. 3.1, 3.2)",
    config_type=SycophancyConfig, default=SycophancyConfig, quick=quick, tiny=tiny, run=run,
    axes=axes,
    variants=(Variant("default", doc="tilts, best-of-n and DPO on comparisons; the oracle's "
                                     "and the named-rule learner's masks, the cost model, NSR "
                                     "and NPO on rejections; belief family on every side"),
              Variant("context_free", _context_free,
                      "the same, quadratic family on every side: no learner sees the user's "
                      "belief")),
    # the information each method's labels carry; rbr_tilt mixes named rules and comparisons
    tiers=(("mask", "oracle"), ("named_mask", "named"), ("nsr", "flag"), ("npo", "flag"),
           ("cost_mask", "flag"),
           ("constrained_tilt", "flag"), ("tilt", "comparison"), ("corrected", "comparison"),
           ("best_of_n", "comparison"), ("dpo", "comparison"), ("first_order", "comparison")),
    # annotator bias on both sides (preference sycophants s_syc, sycophantic rejecters s_r)
    # and the paper's own knob, the coupling kappa, on axes: one program (swept numbers);
    # claims are read at the defaults s_syc = s_r = 0.2, kappa = 0.5, the rest are regime
    # cells (s_r = 0.4 with --sweep annotator.rejecter_sycophancy=0,0.2,0.4)
    sweep=(("annotator.sycophancy", (0.0, 0.1, 0.2, 0.3, 0.4)),
           ("annotator.rejecter_sycophancy", (0.0, 0.2)),
           ("world.coupling", (0.0, 0.5, 0.9))),
)
