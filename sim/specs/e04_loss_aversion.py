"""E4, ``loss_aversion`` (paper section 3.4): loss-averse weighting suits unpaired labels.

From the same prior and the same label budget n, a policy is trained offline, full batch
(:func:`sim.training.train_logits`). By default (``policy_family = belief``) it has shared
parameters, logits z0 + psi theta with psi the ``belief`` reward family's inputs
(:func:`sim.training.family_features`: the quadratic features, endorsing and length, and
endorses x false belief), so one undesirable label lowers the responses that look like it: the
region the paper's section 3.4 says an undesirable label excludes. It is trained by Adam at
``policy_learning_rate`` (0.02, E3's step size, chosen before any E4 result: pre-registered).
``policy_family = tabular`` is the earlier policy, one logit per training context and
response, trained by plain SGD at ``learning_rate`` (so the loss weights act as weights),
number for number as before:

- method ``kto``: KTO (:func:`sim.losses.kto`) on n unpaired labels, a share
  ``desirable_share`` of them desirable (an acceptable response, drawn
  uniformly among the acceptable ones of a uniform training context) and the
  rest undesirable (an unacceptable one); lambda_U = 1 and lambda_D runs over
  the grid ``lambda_desirable`` (axis ``lambda_desirable``); the reference
  point z0 is the exact KL(pi || pi0) averaged over contexts, detached and
  clamped at 0 (the KTO paper estimates it from a batch). Its metric
  ``weight_ratio`` is the measured lambda_D n_D / (lambda_U n_U), which the
  KTO paper recommends keeping in [1, 4/3];
- method ``dpo`` (a scalar): DPO on n comparisons from the preference oracle
  (uniform pairs in uniform training contexts; a soft label y counts y for one
  order and 1 - y for the other). It does not depend on the desirable share:
  every sweep point recomputes it from the same keys, so its numbers are the
  same at every point;
- method ``prior`` (a scalar): the metrics of the prior pi0, the reference.

One variant; the default sweep runs four desirable shares in one program.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from .. import losses
from ..config import Config, param
from ..keys import streams
from ..labels import collect_comparisons
from ..metrics import kl_to_prior
from ..oracles import AnnotatorConfig
from ..policies import PolicyConfig
from ..spec import Experiment, Variant
from ..training import preference_pairs_loss, train_logits
from ..world import WorldConfig
from .offline_policies import shared_features
from .setting import policy_setting, setting_metrics

__all__ = ["LossAversionConfig", "SPEC"]


@dataclasses.dataclass(frozen=True)
class LossAversionConfig(Config):
    """E4: world, annotators (for DPO's pairs), prior, budget, KTO's weights and training."""

    section = "experiment"
    world: WorldConfig = param(WorldConfig(responses=512))
    annotator: AnnotatorConfig = param(AnnotatorConfig())
    policy: PolicyConfig = param(PolicyConfig())
    contexts: int = param(16, lo=1, hi=4096, doc="training contexts")
    labels: int = param(1024, lo=1, hi=1_000_000, doc="label budget (KTO labels = DPO pairs)")
    desirable_share: float = param(0.5, lo=0.0, hi=1.0, sweep=True,
                                   doc="share of KTO labels that are desirable")
    lambda_desirable: tuple = param((0.25, 0.5, 1.0, 4.0 / 3.0, 2.0, 4.0, 9.0, 12.0, 16.0),
                                    lo=0.0, hi=1e3, lo_open=True,
                                    doc="KTO's lambda_D grid (lambda_U = 1)")
    beta: float = param(0.1, lo=1e-3, hi=100.0, sweep=True,
                        doc="KTO and DPO beta (>= 1e-3: below, gradients vanish in float32)")
    steps: int = param(300, lo=1, hi=1_000_000, doc="full-batch SGD steps")
    learning_rate: float = param(2000.0, lo=0.0, hi=1e7, lo_open=True, sweep=True,
                                 doc="SGD step size of the tabular policy (losses are means "
                                     "over labels)")
    policy_family: str = param("belief", choices=("tabular", "linear", "quadratic", "belief"),
                               doc="the policy: shared parameters on a reward family's inputs "
                                   "(Adam), or tabular logits (SGD)")
    policy_learning_rate: float = param(0.02, lo=0.0, hi=1e3, lo_open=True, sweep=True,
                                        doc="Adam step size of the shared-parameter policy")


def _final(setting, key, z0, loss_fn, params, static):
    """The setting's metrics after ``static.steps`` of full-batch training on ``loss_fn``
    (the module docstring: Adam on shared parameters, or SGD on tabular logits)."""
    features = shared_features(setting, static)
    rate = params.learning_rate if features is None else params.policy_learning_rate
    out = train_logits(key, z0, loss_fn,
                       lambda z: setting_metrics(setting, jax.nn.log_softmax(z, axis=-1)),
                       static.steps, 1, rate, features)
    return jax.tree.map(lambda a: a[-1], out)


def _unpaired(key, setting, params, static):
    """n unpaired labels: context e, response i, desirable flag, weight (0: no such response).

    Draws are 32-bit whatever the float precision, so float64 runs see the same labels."""
    k_ctx, k_flag, k_resp = streams(key, "contexts", "desirable", "responses")
    n, dtype = static.labels, setting.z0.dtype
    e = jax.random.randint(k_ctx, (n,), 0, static.contexts, jnp.int32)
    desirable = jax.random.uniform(k_flag, (n,), jnp.float32).astype(dtype) < params.desirable_share
    pool = jnp.where(desirable[:, None], setting.acceptable[e], ~setting.acceptable[e])  # (n, N)
    i = jax.random.categorical(k_resp, jnp.where(pool, 0.0, -jnp.inf).astype(jnp.float32))
    weight = pool.any(axis=1).astype(dtype)
    return e, i, desirable, weight


def run(key, params, static):
    """One seed of E4: ``kto`` (metrics at each lambda_D), ``dpo`` and ``prior`` (scalars)."""
    k_setting, k_unpaired, k_pairs, k_train = streams(
        key, "setting", "unpaired_labels", "comparisons", "training")
    setting = policy_setting(k_setting, params, static, static.contexts)
    z0, logp0, beta = setting.z0, setting.logp0, params.beta
    dtype = z0.dtype

    comparisons = collect_comparisons(k_pairs, setting.world, params.annotator, static.annotator,
                                      static.labels, pool=setting.contexts, policy=logp0)
    target, weight = comparisons.answer
    dpo = _final(setting, k_train, z0, lambda z: preference_pairs_loss(
        z, logp0, comparisons.context, comparisons.first, comparisons.second,
        target.astype(dtype), weight.astype(dtype), beta), params, static)

    e, i, desirable, w = _unpaired(k_unpaired, setting, params, static)
    n_d = jnp.sum(jnp.where(desirable, w, 0.0))
    n_u = jnp.sum(jnp.where(desirable, 0.0, w))

    def kto_for(lambda_d):
        def loss(logits):
            logp = jax.nn.log_softmax(logits, axis=-1)
            z_ref = jnp.mean(kl_to_prior(logp, logp0))
            per = losses.kto(logp[e, i], logp0[e, i], desirable, z_ref, beta, lambda_d, 1.0)
            return jnp.sum(w * per) / jnp.maximum(jnp.sum(w), 1.0)
        out = _final(setting, k_train, z0, loss, params, static)
        out["weight_ratio"] = lambda_d * n_d / jnp.maximum(n_u, 1.0)
        return out

    kto = jax.vmap(kto_for)(jnp.asarray(static.lambda_desirable, dtype))
    return {"kto": kto, "dpo": dpo, "prior": setting_metrics(setting, logp0)}


def axes(config: LossAversionConfig) -> dict:
    return {"kto": ("lambda_desirable", config.lambda_desirable)}


def quick() -> LossAversionConfig:
    return LossAversionConfig(world=WorldConfig(responses=256), contexts=8, labels=256, steps=100)


def tiny() -> LossAversionConfig:
    return LossAversionConfig(world=WorldConfig(responses=32, prohibitions=5, prohibition_mass=0.1),
                              contexts=2, labels=16, steps=4, lambda_desirable=(1.0, 4.0))


SPEC = Experiment(
    name="loss_aversion", claims=("E4",),
    title="loss-averse weighting suits unpaired labels (paper sec. 3.4)",
    config_type=LossAversionConfig, default=LossAversionConfig, quick=quick, tiny=tiny, run=run,
    axes=axes,
    variants=(Variant("default", doc="KTO over the lambda_D grid, DPO on pairs and the prior"),),
    sweep=(("experiment.desirable_share", (0.1, 0.25, 0.5, 0.75)),),
)
