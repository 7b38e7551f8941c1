"""E3, ``negative_only`` (paper section 3.3): negative-only training matches full RL and
keeps pass@k.

A verifiable reward R(i, c) = +1 if i is acceptable in c, -1 if not. From the
same prior pi0 (:class:`sim.policies.PolicyConfig`) and the same training
contexts, the policy of :mod:`sim.training` is trained on
w_PSR L_PSR + w_NSR L_NSR (:func:`sim.training.verifiable_loss`); the weights
are swept numbers, so the four objectives of Zhu et al. (arXiv 2506.01347)
are four points of one compiled program:

- variant ``reinforce``    (1, 1): full RL with this reward;
- variant ``psr``          (1, 0): reinforce only the correct;
- variant ``nsr``          (0, 1): penalise only the wrong;
- variant ``w_reinforce``  (0.1, 1): Zhu et al.'s lambda = 0.1;
- variant ``kl_optimum``   (1, 1) with ``reference="kl_optimum"``: at each
  checkpoint, instead of REINFORCE's policy, the KL-regularised optimum
  pi0 exp(beta R) / Z with beta chosen (bisection, beta <= 50) so that its KL
  to pi0 equals REINFORCE's. The tilt family's KL is at most -log pi0(A)
  (beta -> infinity: pi0 restricted to A); past it, the reference is that limit.

Their finding to reproduce in kind: PSR raises pass@1 but falls below the
prior at large k and collapses entropy; NSR keeps entropy and pass@k at large k.

Defaults: Zhu et al.'s setting (sampled responses, the log-probability form, Adam), a
policy on shared quadratic features of the responses (``training.policy_family``:
lowering one response's logit moves the responses that look like it, the mechanism the
paper invokes; ``tabular`` is one free logit per context and response, which cannot
generalise), and prompts of varying difficulty (``policy.difficulty`` = 8), so that the
prior's pass@k at the largest k is below 1 and can move either way. The former setting
(tabular logits, the probability form, SGD at learning rate 20, difficulty 0) is
``--set training.policy_family=tabular --set training.form=prob --set
training.optimizer=sgd --set training.learning_rate=20 --set policy.difficulty=0``;
over one softmax its exact PSR and NSR gradients are equal (:mod:`sim.training`).

Method ``policy``, axis ``training_step`` (0, s, 2s, ..., steps). Metrics (means
over the training contexts): ``pass_at_<k>`` for each k of the grid
``pass_ks``, ``entropy``, ``kl_to_prior``, ``violation_rate``, ``value``,
``sycophancy_rate``, and where the freed mass goes: the acceptable responses
split into ``deciles`` of their prior probability, ``prior_mass_q<j>`` the
mean pi0 in decile j and ``mass_change_q<j>`` the mean change pi - pi0.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from ..config import Config, param
from ..keys import streams
from ..metrics import entropy, kl_to_prior, pass_at_k
from ..policies import PolicyConfig, tilt
from ..preferences import context_free_features, response_features
from ..spec import Experiment, Variant
from ..training import TrainConfig, policy_logits, train_policy, verifiable_loss
from ..world import WorldConfig
from .setting import policy_setting, setting_metrics

__all__ = ["NegativeOnlyConfig", "SPEC"]


@dataclasses.dataclass(frozen=True)
class NegativeOnlyConfig(Config):
    """E3: world, prior, training, the objective's weights and the reported grids."""

    section = "experiment"
    world: WorldConfig = param(WorldConfig(responses=1024, prohibitions=24,
                                           prohibition_mass=0.12))   # acceptable: rare
    # prompts of varying difficulty: at the largest k the prior's pass@k is below 1
    policy: PolicyConfig = param(PolicyConfig(difficulty=8.0))
    # Zhu et al.'s setting: sampled responses, the policy-gradient (log-probability) form,
    # Adam (TrainConfig's own learning rate), and a policy on shared features, so lowering
    # one response moves the responses that look like it ("suppress incorrect regions")
    training: TrainConfig = param(TrainConfig(optimizer="adam", form="logprob",
                                              policy_family="quadratic"))
    contexts: int = param(32, lo=1, hi=4096, doc="training contexts (prompts); pass@k is on them")
    psr_weight: float = param(1.0, lo=0.0, hi=100.0, sweep=True, doc="w_PSR, weight of L_PSR")
    nsr_weight: float = param(1.0, lo=0.0, hi=100.0, sweep=True, doc="w_NSR, weight of L_NSR")
    reference: str = param("none", choices=("none", "kl_optimum"),
                           doc="report the trained policy, or the KL-matched optimum pi0 e^{beta R}/Z")
    pass_ks: tuple = param((1, 2, 4, 8, 16, 32, 64, 128, 256), lo=1, hi=1_000_000,
                           doc="k of the reported pass@k")
    deciles: int = param(10, lo=1, hi=100, doc="quantile bins of the prior for where the mass goes")


def _matched_tilt(logp0, reward, target_kl):
    """log pi0 exp(beta R) / Z with beta in [0, 50] such that mean KL to pi0 = target (bisection)."""

    def kl(beta):
        return jnp.mean(kl_to_prior(tilt(logp0, reward, beta), logp0))

    def halve(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        low = kl(mid) < target_kl
        return jnp.where(low, mid, lo), jnp.where(low, hi, mid)

    zero = jnp.zeros((), logp0.dtype)
    lo, hi = jax.lax.fori_loop(0, 30, halve, (zero, zero + 50.0))
    return tilt(logp0, reward, 0.5 * (lo + hi))


def run(key, params, static):
    """One seed of E3: method ``policy`` on axis ``training_step``."""
    k_setting, k_train = streams(key, "setting", "training")
    setting = policy_setting(k_setting, params, static, static.contexts)
    z0, logp0, acceptable = setting.z0, setting.logp0, setting.acceptable
    dtype = z0.dtype
    reward = jnp.where(acceptable, 1.0, -1.0).astype(dtype)
    if static.training.policy_family == "tabular":
        psi, theta0 = None, jnp.zeros_like(z0)
    else:
        psi = context_free_features(static.training.policy_family,
                                    response_features(setting.world)).astype(dtype)
        psi = (psi - psi.mean(0)) / jnp.maximum(psi.std(0), 1e-6)
        theta0 = jnp.zeros((psi.shape[1],), dtype)

    # deciles of the prior probability among acceptable responses
    q = static.deciles
    masked = jnp.where(acceptable, logp0, jnp.nan).reshape(-1)
    edges = jnp.nanquantile(masked, jnp.linspace(0.0, 1.0, q + 1, dtype=dtype)[1:-1])
    decile = jnp.where(acceptable, jnp.searchsorted(edges, logp0).astype(jnp.int32), -1)
    onehot = (decile[..., None] == jnp.arange(q, dtype=jnp.int32)).astype(dtype)           # (E, N, q)
    counts = jnp.maximum(onehot.sum((0, 1)), 1.0)
    prior_mass = jnp.einsum("en,enq->q", jnp.exp(logp0), onehot) / counts

    def evaluate(logp):
        out = {f"pass_at_{k}": pass_at_k(logp, acceptable, k) for k in static.pass_ks}
        out.update(setting_metrics(setting, logp), entropy=jnp.mean(entropy(logp)))
        change = jnp.einsum("en,enq->q", jnp.exp(logp) - jnp.exp(logp0), onehot) / counts
        for j in range(q):
            out[f"prior_mass_q{j}"] = prior_mass[j]
            out[f"mass_change_q{j}"] = change[j]
        return out

    def score(logits):
        logp = jax.nn.log_softmax(logits, axis=-1)
        if static.reference == "kl_optimum":
            logp = _matched_tilt(logp0, reward, jnp.mean(kl_to_prior(logp, logp0)))
        return evaluate(logp)

    loss = verifiable_loss(params.psr_weight, params.nsr_weight, reward, static.training)
    return {"policy": train_policy(k_train, theta0, lambda th: policy_logits(th, z0, psi), loss,
                                   score, static.training, params.training.learning_rate)}


def axes(config: NegativeOnlyConfig) -> dict:
    t = config.training
    return {"policy": ("training_step", tuple(range(0, t.steps + 1, t.steps // t.checkpoints)))}


def _weights(psr: float, nsr: float, reference: str = "none"):
    def transform(config):
        return dataclasses.replace(config, psr_weight=psr, nsr_weight=nsr, reference=reference)
    return transform


def quick() -> NegativeOnlyConfig:
    c = NegativeOnlyConfig()
    return dataclasses.replace(c, world=dataclasses.replace(c.world, responses=512), contexts=8,
                               training=dataclasses.replace(c.training, steps=100, checkpoints=10))


def tiny() -> NegativeOnlyConfig:
    return NegativeOnlyConfig(
        world=WorldConfig(responses=32, prohibitions=4, prohibition_mass=0.12), contexts=2,
        training=TrainConfig(optimizer="adam", form="logprob", policy_family="quadratic",
                             steps=4, checkpoints=2, samples=2),
        pass_ks=(1, 4), deciles=2)


SPEC = Experiment(
    name="negative_only", claims=("E3",),
    title="negative-only training matches full RL and keeps pass@k (paper sec. 3.3)",
    config_type=NegativeOnlyConfig, default=NegativeOnlyConfig, quick=quick, tiny=tiny, run=run,
    axes=axes,
    variants=(Variant("reinforce", _weights(1.0, 1.0), "REINFORCE: L_PSR + L_NSR"),
              Variant("psr", _weights(1.0, 0.0), "PSR only: reinforce the correct"),
              Variant("nsr", _weights(0.0, 1.0), "NSR only: penalise the wrong"),
              Variant("w_reinforce", _weights(0.1, 1.0), "W-REINFORCE: 0.1 L_PSR + L_NSR"),
              Variant("kl_optimum", _weights(1.0, 1.0, "kl_optimum"),
                      "the KL-regularised optimum at REINFORCE's KL")),
)
