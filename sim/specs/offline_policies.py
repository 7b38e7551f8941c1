"""Policies trained offline on fixed label sets (E2's DPO, NSR and NPO; E4's KTO and DPO).

Two policy forms (docs/model.md section 5; ``experiment.policy_family``): ``tabular``, one
logit per training context and response trained by plain SGD, or shared parameters,
logits z0 + psi(theta) with psi a reward family's inputs in sd units
(:func:`sim.training.family_features`), trained by Adam, so that lowering one response moves
the responses that look like it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import losses
from ..training import family_features, preference_pairs_loss, train_logits

__all__ = ["shared_features", "trained_policies"]


def shared_features(setting, static):
    """The shared-parameter policy's feature map ``(psi, p)`` in the setting's contexts, or
    None for the tabular policy (``static.policy_family``)."""
    if static.policy_family == "tabular":
        return None
    return family_features(static.policy_family, setting.world, setting.contexts)


def trained_policies(setting, comparisons, rejections, k_train, score, params, static):
    """DPO on the comparisons, NSR and NPO on the flagged rejections: one run on three stacked
    policies (one loop to compile, not three). Tabular: three logit tables by plain SGD, each
    loss scaled by its own step size (the same as three runs). Shared parameters (the
    default): three theta vectors on the ``policy_family``'s inputs by Adam at
    ``policy_learning_rate`` (Adam's update of a coordinate reads only its own gradient, so
    this too is three independent runs)."""
    z0, logp0 = setting.z0, setting.logp0
    dtype = z0.dtype
    target, weight = (a.astype(dtype) for a in comparisons.answer)
    e, i = rejections.context, rejections.response
    flagged = rejections.flagged().astype(dtype)
    n_flagged = jnp.maximum(jnp.sum(flagged), 1.0)

    def dpo_loss(logits):
        return preference_pairs_loss(logits, logp0, comparisons.context, comparisons.first,
                                     comparisons.second, target, weight, params.dpo_beta)

    def nsr_loss(logits):
        logp = jax.nn.log_softmax(logits, axis=-1)
        return jnp.sum(flagged * jnp.exp(logp[e, i])) / n_flagged

    def npo_loss(logits):
        logp = jax.nn.log_softmax(logits, axis=-1)
        return jnp.sum(flagged * losses.npo(logp[e, i], logp0[e, i], params.npo_beta)) / n_flagged

    tabular = static.policy_family == "tabular"
    one = jnp.ones((), dtype)
    trained = {"dpo": (dpo_loss, params.dpo_learning_rate if tabular else one),
               "nsr": (nsr_loss, params.nsr_learning_rate if tabular else one),
               "npo": (npo_loss, params.npo_learning_rate if tabular else one)}

    def stacked_loss(logits):
        return sum(rate * loss(z) for z, (loss, rate) in zip(logits, trained.values()))

    features = shared_features(setting, static)
    path = train_logits(k_train, jnp.broadcast_to(z0, (len(trained),) + z0.shape), stacked_loss,
                        jax.vmap(lambda z: score(jax.nn.log_softmax(z, axis=-1))),
                        static.steps, static.checkpoints,
                        one if tabular else params.policy_learning_rate, features)
    return {name: {metric: values[:, k] for metric, values in path.items()}
            for k, name in enumerate(trained)}
