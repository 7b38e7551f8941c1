"""E6, ``shift`` (the summary's claim that constraint adherence generalises under shift).

Every learner is trained on one distribution and its policy is evaluated on
the training distribution and on a shifted one, with the shift magnitude s
over the grid ``shifts`` (axis ``shift``; s = 0 is no shift). Per seed and s,
in one policy setting (:mod:`sim.specs.setting`), ``labels`` labels of each
signal are bought on the training distribution (:mod:`sim.specs.regimes`;
the hybrids spend ``labels / 2`` of each). Three kinds of shift (the
variants; each has a weight in [0, 1], ``response_shift``, ``context_shift``
and ``novel_shift``, numbers, so the three variants are one compiled program;
the default config is the response shift alone, and weights between 0 and 1
scale or mix the kinds):

- ``response``: training queries come from a Gaussian window in latent space,
  pi_train(i) proportional to exp(s u . x_i), u a random unit direction (for
  x ~ N(0, I) this is the mean shifted by s along u). In distribution means
  the policy's prior seen through the same window, pi0(i | c) exp(s u . x_i);
  shifted means the complementary window exp(-s u . x_i).
- ``context``: training contexts c ~ N(0, I); the evaluation contexts are
  c + s e, e a random unit direction in context space (the same draws).
  Prohibitions do not depend on the context here, so this shift moves only the
  utility's ideal point mu(c) = M c: a case built to favour constraints.
- ``novel``: prohibitions that fire only outside the training region. The
  first ``novel_share`` of the T prohibitions are the novel ones; a response
  violating one is queried exp(-s) times less often in training (never, as s
  grows). In distribution is the prior through the same weighting; shifted is
  the whole pool, where they fire. The rule learner cannot know what it never
  saw.

The training queries are drawn from the window (``annotator.query`` must be
``policy``: the window is the query law). Regimes: ``mask`` (the oracle rule learner, an
upper bound), ``named_mask`` (the named-rule learner, in the reward model's family), ``cost_mask``,
``tilt``, ``best_of_n``, ``mask_then_tilt``, ``constrained_tilt``, and the
``prior`` with no feedback. Metrics per regime and s: ``violation_in``,
``violation_shift``, ``adherence_gap`` = violation_shift - violation_in,
``value_in``, ``value_shift`` (means over ``eval_contexts`` held-out contexts).
Both learners default to the ``quadratic`` family (the same features);
``--cost.family maxout`` runs the expressive cost model (about 10x slower).

CoCoRL (Lindner et al., arXiv 2305.16147) is the closest published pattern:
learned constraints transfer to new tasks where an inverse-RL reward does not.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from ..config import Config, ConfigError, param
from ..costs import CostConfig
from ..keys import normal, streams
from ..metrics import policy_value, violation_rate
from ..oracles import AnnotatorConfig
from ..policies import PolicyConfig
from ..preferences import LearnerConfig
from ..spec import Experiment, Variant
from ..world import Contexts, WorldConfig, sample_contexts
from .regimes import learn_at_budgets, regime_names, regime_policies
from .setting import policy_setting, setting_at

__all__ = ["ShiftConfig", "SPEC"]


@dataclasses.dataclass(frozen=True)
class ShiftConfig(Config):
    """E6: world, annotators (queries from the training window), learners, prior, shift."""

    section = "experiment"
    world: WorldConfig = param(WorldConfig(responses=512))
    annotator: AnnotatorConfig = param(AnnotatorConfig(query="policy"))
    learner: LearnerConfig = param(LearnerConfig(family="quadratic"))
    cost: CostConfig = param(CostConfig(family="quadratic"))
    policy: PolicyConfig = param(PolicyConfig())
    response_shift: float = param(1.0, lo=0.0, hi=1.0, sweep=True,
                                  doc="weight of the response shift (module docstring)")
    context_shift: float = param(0.0, lo=0.0, hi=1.0, sweep=True,
                                 doc="weight of the context shift")
    novel_shift: float = param(0.0, lo=0.0, hi=1.0, sweep=True,
                               doc="weight of the novel prohibitions' shift")
    shifts: tuple = param((0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0), lo=0.0, hi=20.0,
                          doc="shift magnitudes s (latent sd, context sd, or log-odds for novel)")
    novel_share: float = param(0.25, lo=0.0, hi=1.0, lo_open=True,
                               doc="share of the T prohibitions that are novel (novel shift)")
    contexts: int = param(16, lo=1, hi=4096, doc="training contexts")
    eval_contexts: int = param(16, lo=1, hi=4096, doc="held-out evaluation contexts")
    labels: int = param(1024, lo=2, hi=1_000_000, doc="label budget of each signal")
    beta: float = param(4.0, lo=0.0, hi=1e4, sweep=True, doc="beta of the tilts")
    best_of: float = param(16.0, lo=1.0, hi=1e6, sweep=True, doc="n of best-of-n")
    cost_budget: float = param(0.05, lo=0.0, hi=1.0, sweep=True,
                               doc="d of the constrained tilt (predicted flag probability)")

    def check(self):
        if self.annotator.query != "policy":
            raise ConfigError(f"annotator.query = {self.annotator.query!r} is out of range for "
                              "shift (allowed: policy; the training window is the query law)")


def _unit(key, size, dtype):
    v = normal(key, (size,)).astype(dtype)
    return v / jnp.maximum(jnp.linalg.norm(v), 1e-12)


def _windows(params, static, world, u, s, dtype):
    """(log weight of training queries, log weight of the shifted evaluation), per response:
    the response window s u . x (training) against -s u . x (shifted), and the novel
    prohibitions' -s in training, each times its kind's weight."""
    along = world.features @ u
    k = max(1, round(static.novel_share * world.normals.shape[0]))
    novel = jnp.any(world.violates[:, :k], axis=1).astype(dtype)
    response, novel_w = params.response_shift * s, params.novel_shift * s
    return response * along - novel_w * novel, -response * along


def run(key, params, static):
    """One seed of E6: every regime's in-distribution and shifted metrics at every s."""
    k_setting, k_labels, k_dir, k_eval = streams(key, "setting", "labels", "direction", "eval")
    setting = policy_setting(k_setting, params, static, static.contexts)
    world, dtype = setting.world, setting.z0.dtype
    k_u, k_e = streams(k_dir, "latent", "context")
    u = _unit(k_u, world.features.shape[1], dtype)
    e_dir = _unit(k_e, world.context_map.shape[1], dtype)
    base = sample_contexts(k_eval, world, static.eval_contexts)
    half = static.labels // 2
    methods = regime_names() + ["prior"]

    def at(s):
        train_w, shift_w = _windows(params, static, world, u, s, dtype)
        moved = base.features + params.context_shift * s * e_dir
        both = Contexts(jnp.concatenate([base.features, moved]),
                        jnp.concatenate([base.belief_true, base.belief_true]))
        query = jax.nn.log_softmax(setting.logp0 * 0.0 + train_w, axis=-1)
        learned = learn_at_budgets(k_labels, setting, params, static, (half, static.labels),
                                   (half, static.labels), eval_contexts=both, query_logp=query)
        evaluation = setting_at(k_setting, world, both, params.policy)
        e = static.eval_contexts
        window = jnp.concatenate([jnp.broadcast_to(train_w, (e,) + train_w.shape),
                                  jnp.broadcast_to(shift_w, (e,) + shift_w.shape)])
        prior = jax.nn.log_softmax(evaluation.logp0 + window, axis=-1)

        def policies(k, names):
            return regime_policies(prior, learned.feasible[k], learned.cost[k], learned.reward[k],
                                   params.beta, params.best_of, params.cost_budget, names,
                                   named=learned.named[k])

        pols = {**policies(1, ("mask", "named_mask", "cost_mask", "tilt", "best_of_n")),
                **policies(0, ("mask_then_tilt", "constrained_tilt")), "prior": prior}
        out = {}
        for name in methods:
            viol = violation_rate(pols[name], evaluation.acceptable)
            val = policy_value(pols[name], evaluation.values)
            out[name] = {"violation_in": viol[:e].mean(), "violation_shift": viol[e:].mean(),
                         "adherence_gap": viol[e:].mean() - viol[:e].mean(),
                         "value_in": val[:e].mean(), "value_shift": val[e:].mean()}
        return out

    return jax.vmap(at)(jnp.asarray(static.shifts, dtype))


def axes(config: ShiftConfig) -> dict:
    return {name: ("shift", config.shifts) for name in regime_names() + ["prior"]}


def quick() -> ShiftConfig:
    return ShiftConfig(world=WorldConfig(responses=256), contexts=8, eval_contexts=8, labels=256,
                       shifts=(0.0, 1.0, 2.0, 3.0))


def tiny() -> ShiftConfig:
    return ShiftConfig(world=WorldConfig(responses=32, prohibitions=5, prohibition_mass=0.1),
                       contexts=2, eval_contexts=2, labels=16, shifts=(0.0, 2.0))


def _kind(kind):
    """The variant with only ``kind``'s weight at 1."""
    return lambda config: dataclasses.replace(
        config, **{f"{k}_shift": float(k == kind) for k in ("response", "context", "novel")})


SPEC = Experiment(
    name="shift", claims=("E6",),
    title="constraint adherence generalises under distribution shift (summary)",
    config_type=ShiftConfig, default=ShiftConfig, quick=quick, tiny=tiny, run=run, axes=axes,
    tiers=(("mask", "oracle"), ("named_mask", "named"), ("cost_mask", "flag"),
           ("tilt", "comparison"), ("best_of_n", "comparison")),
    variants=(Variant("response", _kind("response"), "training queries from a latent window; "
                                                     "evaluated in the mirror window"),
              Variant("context", _kind("context"), "evaluation contexts shifted by s"),
              Variant("novel", _kind("novel"), "prohibitions that fire outside training")),
)
