"""Experiment E4 (paper section 3.4): loss-averse weighting suits unpaired labels.

From the same prior and the same label budget n, a tabular policy (one logit
per training context and response, :mod:`sim.training`) is trained offline,
full batch, with plain SGD (so the loss weights act as weights; Adam's
per-coordinate scaling would undo them):

- ``kto``: KTO (:func:`sim.losses.kto`) on n unpaired labels, a share
  ``desirable_share`` of them desirable (an acceptable response, drawn
  uniformly among the acceptable ones of a uniform training context) and the
  rest undesirable (an unacceptable one); lambda_U = 1 and lambda_D runs over
  ``RATIOS``; the reference point z0 is the exact KL(pi || pi0) averaged over
  contexts, detached and clamped at 0 (the KTO paper estimates it from a batch);
- ``dpo``: DPO (:func:`sim.losses.dpo`) on n comparisons from the preference
  oracle (uniform pairs in uniform training contexts; a soft label y counts
  y for one order and 1 - y for the other).

The ``step`` axis of the results indexes ``RATIOS``; the metric
``weight_ratio`` is lambda_D n_D / (lambda_U n_U), which the KTO paper
recommends keeping in [1, 4/3]. DPO does not depend on the ratio and is
repeated along the axis.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp

from . import losses
from .config import Config, param, split
from .metrics import kl_to_prior
from .oracles import AnnotatorConfig, preference_oracle, sample_queries
from .policies import PolicyConfig, policy_setting, setting_metrics
from .training import preference_pairs_loss, train_logits
from .world import Contexts, WorldConfig

__all__ = ["LossAversionConfig", "RATIOS", "SHARES", "make_loss_aversion", "variant_names"]

RATIOS = (0.25, 0.5, 1.0, 4.0 / 3.0, 2.0, 4.0, 9.0, 12.0, 16.0)
SHARES = (0.1, 0.25, 0.5, 0.75)


@dataclasses.dataclass(frozen=True)
class LossAversionConfig(Config):
    """E4: world, annotators (for DPO's pairs), prior, budget and training."""

    section = "experiment"
    world: WorldConfig = param(WorldConfig(responses=512))
    annotator: AnnotatorConfig = param(AnnotatorConfig())
    policy: PolicyConfig = param(PolicyConfig())
    contexts: int = param(16, lo=1, hi=4096, doc="training contexts")
    labels: int = param(1024, lo=1, hi=1_000_000, doc="label budget (KTO labels = DPO pairs)")
    desirable_share: float = param(0.5, lo=0.0, hi=1.0, sweep=True,
                                   doc="share of KTO labels that are desirable")
    beta: float = param(0.1, lo=0.0, lo_open=True, sweep=True, doc="KTO and DPO beta")
    steps: int = param(300, lo=1, hi=1_000_000, doc="full-batch SGD steps")
    learning_rate: float = param(2000.0, lo=0.0, lo_open=True, sweep=True,
                                 doc="SGD step size (losses are means over labels)")


def variant_names() -> tuple[str, ...]:
    return ("dpo",) + tuple(f"kto_desirable_{round(100 * s)}" for s in SHARES)


def _run(key, params, static: LossAversionConfig, kind: str):
    k_labels = jax.random.fold_in(key, 3)
    setting = policy_setting(key, params, static.world, static.contexts)
    world, ctx, z0, logp0, acceptable, _ = setting
    n, beta, lr = static.labels, params["beta"], params["learning_rate"]
    k_e, k_d, k_i, k_pairs, k_ans = jax.random.split(k_labels, 5)
    e = jax.random.randint(k_e, (n,), 0, static.contexts)

    def train(loss_fn):  # final metrics of full-batch SGD
        out = train_logits(key, z0, loss_fn,
                           lambda z: setting_metrics(setting, jax.nn.log_softmax(z, axis=-1)),
                           static.steps, 1, lr)
        return jax.tree.map(lambda a: a[-1], out)

    if kind == "dpo":
        i, j = sample_queries(k_pairs, world.features.shape[0], n)
        answers = jax.vmap(lambda k, a, b, c, t: preference_oracle(
            k, world, params["annotator"], static.annotator, a, b, Contexts(c, t)))(
            jax.random.split(k_ans, n), i, j, ctx.features[e], ctx.belief_true[e])

        out = train(lambda z: preference_pairs_loss(z, logp0, e, i, j, answers.target,
                                                     answers.weight, beta))
        out = jax.tree.map(lambda a: jnp.full((len(RATIOS),), a), out)
        out["weight_ratio"] = jnp.zeros((len(RATIOS),))
        return out

    desirable = jax.random.uniform(k_d, (n,)) < params["desirable_share"]
    pool = jnp.where(desirable[:, None], acceptable[e], ~acceptable[e])         # (n, N)
    has = pool.any(axis=1)
    i = jax.random.categorical(k_i, jnp.where(pool, 0.0, -jnp.inf))
    weight = has.astype(z0.dtype)
    n_d = jnp.sum(weight * desirable)
    n_u = jnp.sum(weight * ~desirable)

    def kto_for(lambda_d):
        def kto_loss(logits):
            logp = jax.nn.log_softmax(logits, axis=-1)
            z_ref = jnp.mean(kl_to_prior(logp, logp0))
            per = losses.kto(logp[e, i], logp0[e, i], desirable, z_ref, beta, lambda_d, 1.0)
            return jnp.sum(weight * per) / jnp.maximum(jnp.sum(weight), 1.0)
        out = train(kto_loss)
        out["weight_ratio"] = lambda_d * n_d / jnp.maximum(n_u, 1.0)
        return out

    return jax.vmap(kto_for)(jnp.asarray(RATIOS, z0.dtype))


@functools.lru_cache(maxsize=16)
def _compiled(static: LossAversionConfig, kind: str):
    return jax.jit(jax.vmap(functools.partial(_run, static=static, kind=kind), in_axes=(0, None)))


def make_loss_aversion(config: LossAversionConfig, variant: str):
    """``(run, params, steps)`` for one E4 variant (``dpo`` or ``kto_desirable_<percent>``).

    All KTO variants share one compiled program: the desirable share is a swept number.
    """
    if variant not in variant_names():
        raise ValueError(f"variant = {variant!r} is not allowed (allowed: {', '.join(variant_names())})")
    if variant.startswith("kto"):
        config = dataclasses.replace(config, desirable_share=int(variant.rsplit("_", 1)[1]) / 100)
    static, params = split(config)
    kind = "dpo" if variant == "dpo" else "kto"
    return _compiled(static, kind), params, tuple(range(len(RATIOS)))
