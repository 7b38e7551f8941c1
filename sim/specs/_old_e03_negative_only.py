"""Experiment E3 (paper section 3.3): negative-only training matches full RL and keeps pass@k.

A verifiable reward R(i, c) = +1 if i is acceptable in c, -1 if not. From the
same prior pi0 (:class:`sim.policies.PolicyConfig`) and the same training
contexts, the shared-parameter policy of :mod:`sim.training` is trained with

- ``reinforce``    L_PSR + L_NSR (full RL with this reward, lambda = 1);
- ``psr``          L_PSR alone (reinforce only the correct);
- ``nsr``          L_NSR alone (penalise only the wrong);
- ``w_reinforce``  lambda L_PSR + L_NSR, lambda = 0.1 (Zhu et al.'s choice);
- ``kl_optimum``   the reference for full RL: at each checkpoint, the
                   KL-regularised optimum pi0 exp(beta R) / Z with beta chosen
                   (by bisection, beta <= 50) so that its KL to pi0 equals
                   REINFORCE's. The tilt family's KL is at most -log pi0(A)
                   (beta -> infinity: pi0 restricted to A); once REINFORCE's KL
                   is beyond that, the reference is that limit.

Reference: Zhu et al., "The Surprising Effectiveness of Negative
Reinforcement in LLM Reasoning", arXiv 2506.01347. Their finding to reproduce
in kind: PSR raises pass@1 but falls below the prior at large k and collapses
entropy; NSR keeps entropy and pass@k at large k.

Metrics at each checkpoint (mean over the training contexts): ``pass_at_k``
for k = 1, 2, 4, ..., 256 (named ``pass_at_1`` ...), ``entropy``,
``kl_to_prior``, ``violation_rate``, ``value``, ``sycophancy_rate``, and where the freed mass goes:
the acceptable responses are split into deciles of their prior probability,
``prior_mass_q0`` ... ``prior_mass_q9`` is the mean pi0 in each decile and
``mass_change_q0`` ... the mean change pi - pi0.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp

from .config import Config, param, split
from .metrics import entropy, kl_to_prior, pass_at_k
from .policies import PolicyConfig, policy_setting, setting_metrics, tilt
from .preferences import context_free_features, response_features
from .training import TrainConfig, policy_logits, train_policy, verifiable_loss
from .world import WorldConfig

__all__ = ["NegativeOnlyConfig", "VARIANTS", "PASS_KS", "make_negative_only"]

VARIANTS = ("reinforce", "psr", "nsr", "w_reinforce", "kl_optimum")
PASS_KS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
DECILES = 10


@dataclasses.dataclass(frozen=True)
class NegativeOnlyConfig(Config):
    """E3: world, prior, training and the W-REINFORCE weight."""

    section = "experiment"
    world: WorldConfig = param(WorldConfig())
    policy: PolicyConfig = param(PolicyConfig())
    training: TrainConfig = param(TrainConfig())
    contexts: int = param(32, lo=1, hi=4096, doc="training contexts (prompts); pass@k is on them")
    lam: float = param(0.1, lo=0.0, sweep=True, doc="W-REINFORCE weight on L_PSR")


def _matched_tilt(logp0, reward, target_kl):
    """log pi0 exp(beta R) / Z with beta >= 0 such that mean KL to pi0 = target (bisection)."""

    def kl(beta):
        return jnp.mean(kl_to_prior(tilt(logp0, reward, beta), logp0))

    def halve(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        low = kl(mid) < target_kl
        return jnp.where(low, mid, lo), jnp.where(low, hi, mid)

    lo, hi = jax.lax.fori_loop(0, 30, halve, (jnp.zeros(()), jnp.full((), 50.0)))
    return tilt(logp0, reward, 0.5 * (lo + hi))


def _run(key, params, static: NegativeOnlyConfig, variant: str):
    k_train = jax.random.fold_in(key, 3)
    setting = policy_setting(key, params, static.world, static.contexts)
    world, _, z0, logp0, acceptable, _ = setting
    reward = jnp.where(acceptable, 1.0, -1.0)
    if static.training.policy_family == "tabular":
        psi, theta0 = None, jnp.zeros_like(z0)
    else:
        psi = context_free_features(static.training.policy_family, response_features(world))
        psi = (psi - psi.mean(0)) / jnp.maximum(psi.std(0), 1e-6)
        theta0 = jnp.zeros((psi.shape[1],), z0.dtype)

    # deciles of the prior probability among acceptable responses
    masked = jnp.where(acceptable, logp0, jnp.nan).reshape(-1)
    edges = jnp.nanquantile(masked, jnp.linspace(0, 1, DECILES + 1)[1:-1])
    decile = jnp.where(acceptable, jnp.searchsorted(edges, logp0), -1)
    onehot = (decile[..., None] == jnp.arange(DECILES)).astype(logp0.dtype)   # (E, N, 10)
    counts = jnp.maximum(onehot.sum((0, 1)), 1.0)
    prior_mass = jnp.einsum("en,enq->q", jnp.exp(logp0), onehot) / counts

    def evaluate(logits):
        logp = jax.nn.log_softmax(logits, axis=-1)
        out = {f"pass_at_{k}": pass_at_k(logp, acceptable, k) for k in PASS_KS}
        out.update(setting_metrics(setting, logp), entropy=jnp.mean(entropy(logp)))
        change = jnp.einsum("en,enq->q", jnp.exp(logp) - jnp.exp(logp0), onehot) / counts
        for q in range(DECILES):
            out[f"prior_mass_q{q}"] = prior_mass[q]
            out[f"mass_change_q{q}"] = change[q]
        return out

    if variant == "kl_optimum":
        def evaluate_reference(logits):
            current = jnp.mean(kl_to_prior(jax.nn.log_softmax(logits, axis=-1), logp0))
            return evaluate(_matched_tilt(logp0, reward, current))
        scorer, objective = evaluate_reference, "reinforce"
    else:
        scorer, objective = evaluate, variant
    loss = verifiable_loss(objective, reward, params["lam"], static.training)
    return train_policy(k_train, theta0, lambda th: policy_logits(th, z0, psi), loss, scorer,
                        static.training,
                        params["training"]["learning_rate"])


@functools.lru_cache(maxsize=64)
def _compiled(static: NegativeOnlyConfig, variant: str):
    return jax.jit(jax.vmap(functools.partial(_run, static=static, variant=variant),
                            in_axes=(0, None)))


def make_negative_only(config: NegativeOnlyConfig, variant: str):
    """``(run, params, steps)`` for one E3 variant, as :func:`sim.make_convergence`."""
    if variant not in VARIANTS:
        raise ValueError(f"variant = {variant!r} is not allowed (allowed: {', '.join(VARIANTS)})")
    static, params = split(config)
    t = config.training
    steps = tuple(range(0, t.steps + 1, t.steps // t.checkpoints))
    return _compiled(static, variant), params, steps
