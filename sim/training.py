"""Policy training with optax: any objective, many seeds, exact or sampled (docs/model.md section 5).

The policy is a softmax over the N responses in each of E training contexts,
with logits z_theta(i, c) = z0(i, c) + theta(i, c) (``policy_family="tabular"``:
one free logit per context and response, a bandit per prompt) or
z0(i, c) + theta . psi(i) (``linear`` / ``quadratic``: psi a context-free
feature map of :mod:`sim.preferences`, theta shared by all contexts as a
language model's weights are shared by all prompts). z0 is the prior's logits
(:func:`sim.policies.prior_logits`); theta = 0 is the prior.

A fact of this model worth knowing before reading E3: over one softmax with a
binary reward, L_NSR = sum_{R=-1} pi = 1 - pi(A) = 1 + L_PSR, so the *exact*
PSR, NSR, REINFORCE and W-REINFORCE objectives have the same gradient up to a
positive factor (1 + lambda for W-REINFORCE); with Adam, which removes the
scale, they train identically. Their differences are properties of the
sampled (REINFORCE) estimates, which is why ``estimate="sampled"`` is the
default.

:func:`train_policy` runs ``steps`` optimiser steps as a ``jax.lax.scan``
(inside a scan over ``checkpoints``) on a loss ``loss_fn(key, logits)`` and
evaluates the policy at each checkpoint; it is a pure function of its key, so
it runs under ``jax.jit(jax.vmap(...))`` over seeds.

:func:`verifiable_loss` builds the objectives of Zhu et al. (arXiv 2506.01347)
for a verifiable reward R in {-1, +1}: ``estimate="exact"`` takes the
expectation over the whole softmax (the probability form, or the
log-probability form), ``estimate="sampled"`` draws ``samples`` responses per
context per step and uses the REINFORCE estimate, whose gradient has the same
expectation (a test checks this).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax

from . import losses
from .config import Config, ConfigError, param
from .keys import uniform

__all__ = ["TrainConfig", "train_policy", "train_logits", "verifiable_loss", "preference_pairs_loss",
           "policy_logits", "family_features"]


@dataclasses.dataclass(frozen=True)
class TrainConfig(Config):
    """Optimiser, length and gradient estimate of policy training."""

    section = "training"
    steps: int = param(400, lo=1, hi=1_000_000, doc="optimiser steps")
    checkpoints: int = param(20, lo=1, hi=10_000, doc="evaluations, evenly spaced (steps % checkpoints == 0)")
    optimizer: str = param("adam", choices=("adam", "sgd"), doc="optax optimiser")
    learning_rate: float = param(0.02, lo=0.0, hi=1e6, lo_open=True, sweep=True,
                                 doc="step size (SGD on mean losses may need large steps)")
    estimate: str = param("sampled", choices=("exact", "sampled"),
                          doc="expectations over the softmax, or REINFORCE samples")
    samples: int = param(8, lo=1, hi=65_536, doc="responses sampled per context per step")
    form: str = param("prob", choices=("prob", "logprob"),
                      doc="PSR/NSR objective in probability or policy-gradient form")
    policy_family: str = param("tabular", choices=("tabular", "linear", "quadratic"),
                               doc="tabular logits per context, or shared parameters on features psi")

    def check(self):
        if self.steps % self.checkpoints:
            raise ConfigError(f"training.checkpoints = {self.checkpoints} is out of range "
                              f"(allowed: a divisor of training.steps = {self.steps})")


def policy_logits(theta: jax.Array, z0: jax.Array, psi: jax.Array | None) -> jax.Array:
    """The policy's logits in every training context: z0 (E, N) + theta (tabular, psi None)
    or z0 + psi theta with shared parameters theta (..., p): psi (N, p) context-free or
    (E, N, p) per context (a family that reads the context, as ``belief`` does)."""
    if psi is None:
        return z0 + theta
    z = jnp.einsum("...np,...p->...n", psi, theta) if psi.ndim == 2 else jnp.einsum(
        "enp,...p->...en", psi, theta)
    return z0 + (z[..., None, :] if psi.ndim == 2 else z)


def family_features(family: str, world, contexts) -> tuple[Callable, int]:
    """A reward family of :mod:`sim.preferences` as a policy's feature map: ``(psi, p)`` with
    psi(theta) = r_{theta / s} (E, N) in every context, linear in theta (p,)
    (:func:`sim.preferences.rewards`, computed without building the (E, N, p) tensor), so a
    policy z0 + psi(theta) and a reward model of that family read the same inputs (matched
    capacity). Each input k is scaled to sd 1 over the contexts' responses (s_k its sd,
    floored at 1e-6), as E3's policy standardises its features: Adam's step is then in sd
    units whatever an input's scale (log length is about 5, a quadratic term up to 10). The
    inputs' means are not removed: a mean shifts every logit of a context alike, which the
    softmax ignores."""
    from .preferences import feature_dim, rewards
    n, d = world.features.shape
    p = feature_dim(family, d, world.context_map.shape[1], n)

    def raw(theta):
        return rewards(theta, family, world, contexts)

    columns = jax.vmap(raw)(jnp.eye(p, dtype=world.features.dtype))                 # (p, E, N)
    scale = jnp.maximum(jnp.std(columns.reshape(p, -1), axis=1), 1e-6)
    return (lambda theta: raw(theta / scale)), p


def verifiable_loss(psr_weight, nsr_weight, reward: jax.Array, static: TrainConfig) -> Callable:
    """loss_fn(key, logits) for the verifiable-reward objectives of Zhu et al.

    The objective is data, so all of them share one compiled program:
    REINFORCE is (w_PSR, w_NSR) = (1, 1), PSR (1, 0), NSR (0, 1) and
    W-REINFORCE (lambda, 1), lambda = 0.1 in Zhu et al.

    Args:
      psr_weight, nsr_weight: w_PSR and w_NSR (traced numbers).
      reward: (E, N) in {-1, +1}.
      static: the training config (``estimate``, ``samples``, ``form``).

    Returns:
      ``loss_fn(key, logits) -> scalar``, the mean over contexts of
      w_PSR L_PSR + w_NSR L_NSR (exact), or of its REINFORCE estimate
      (1/k) sum_s [-w_PSR 1[R_s = +1] + w_NSR 1[R_s = -1]] log pi(y_s), y_s ~ pi (sampled).
    """
    w_pos, w_neg = psr_weight, nsr_weight

    def exact(key, logits):
        logp = jax.nn.log_softmax(logits, axis=-1)
        return jnp.mean(w_pos * losses.psr(logp, reward, static.form)
                        + w_neg * losses.nsr(logp, reward, static.form))

    def sampled(key, logits):
        logp = jax.nn.log_softmax(logits, axis=-1)
        e = logits.shape[0]
        # inverse-CDF sampling: one cumulative sum per context, k uniforms
        cdf = jnp.cumsum(jnp.exp(jax.lax.stop_gradient(logp)), axis=-1)
        u = uniform(key, (e, static.samples)).astype(cdf.dtype) * cdf[:, -1:]
        draws = jax.vmap(jnp.searchsorted)(cdf, u)
        draws = jnp.minimum(draws, logits.shape[1] - 1)
        r = jnp.take_along_axis(reward, draws, axis=1)
        lp = jnp.take_along_axis(logp, draws, axis=1)
        weight = -w_pos * (r > 0).astype(lp.dtype) + w_neg * (r < 0).astype(lp.dtype)
        return jnp.mean(weight * lp)

    return exact if static.estimate == "exact" else sampled


def train_policy(key: jax.Array, theta0: jax.Array, logits_fn: Callable, loss_fn: Callable,
                 evaluate: Callable, static: TrainConfig, learning_rate) -> dict:
    """Optimise theta and evaluate the policy at every checkpoint.

    Args:
      key: PRNG key (used by sampled losses).
      theta0: initial parameters (zeros: the prior).
      logits_fn: theta -> (E, N) logits.
      loss_fn: (key, logits) -> scalar loss.
      evaluate: (E, N) logits -> dict of scalar metrics.
      static: the training config.
      learning_rate: step size (a traced number).

    Returns:
      dict of (checkpoints + 1,) arrays: the metrics at steps 0, s, 2s, ..., steps.
    """
    opt = (optax.adam if static.optimizer == "adam" else optax.sgd)(learning_rate)
    per = static.steps // static.checkpoints

    def step(carry, k):
        theta, state = carry
        grad = jax.grad(lambda th: loss_fn(k, logits_fn(th)))(theta)
        with jax.numpy_dtype_promotion("standard"):   # optax mixes its own scalars
            updates, state = opt.update(grad, state, theta)
            theta = optax.apply_updates(theta, updates)
        return (theta, state), None

    def chunk(carry, k):
        carry, _ = jax.lax.scan(step, carry, jax.random.split(k, per))
        return carry, evaluate(logits_fn(carry[0]))

    first = evaluate(logits_fn(theta0))
    _, history = jax.lax.scan(chunk, (theta0, opt.init(theta0)),
                              jax.random.split(key, static.checkpoints))
    return jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), first, history)


def train_logits(key: jax.Array, z0: jax.Array, loss_fn: Callable, evaluate: Callable, steps: int,
                 checkpoints: int, learning_rate, features: tuple | None = None) -> dict:
    """Full-batch training of the offline objectives (DPO, KTO, NSR and NPO on fixed label
    sets), theta starting at 0 (the prior).

    Tabular (``features`` None): per-context logits z0 + theta by plain SGD, so each loss's
    weights act as weights. Shared parameters (``features = (psi, p)``, psi a linear map
    theta (p,) -> (E, N), :func:`family_features`): z0 + psi(theta), theta (..., p) shared by
    every context and by
    every response that looks alike, so lowering one response moves its neighbours (the
    mechanism of the paper's "suppress incorrect regions"), trained by Adam at step size
    ``learning_rate`` (plain SGD's step would depend on the features' scale; Adam's per
    coordinate normalisation keeps the relative weights inside one loss). ``z0`` may carry
    leading axes (stacked policies, each its own theta). ``loss_fn(logits) -> scalar``;
    ``steps`` is rounded down to a multiple of ``checkpoints``. Returns the metrics at
    checkpoints 0..checkpoints.
    """
    config = TrainConfig(steps=steps - steps % checkpoints, checkpoints=checkpoints,
                         optimizer="sgd" if features is None else "adam", estimate="exact")
    if features is None:
        return train_policy(key, jnp.zeros_like(z0), lambda th: z0 + th,
                            lambda _, logits: loss_fn(logits), evaluate, config, learning_rate)
    psi, p = features
    for _ in range(z0.ndim - 2):   # stacked policies: one theta each
        psi = jax.vmap(psi)
    return train_policy(key, jnp.zeros(z0.shape[:-2] + (p,), z0.dtype),
                        lambda th: z0 + psi(th), lambda _, logits: loss_fn(logits), evaluate,
                        config, learning_rate)


def preference_pairs_loss(logits: jax.Array, logp0: jax.Array, e: jax.Array, i: jax.Array,
                          j: jax.Array, target: jax.Array, weight: jax.Array, beta) -> jax.Array:
    """DPO over a set of comparisons (i vs j in context e), weighted mean.

    A soft target y (1: i wins, 1/2: a tie) counts y for the order (i, j) and
    1 - y for (j, i); a weight of 0 (a skipped comparison) drops it.
    """
    logp = jax.nn.log_softmax(logits, axis=-1)
    wi, wj, ri, rj = logp[e, i], logp[e, j], logp0[e, i], logp0[e, j]
    per = target * losses.dpo(wi, wj, ri, rj, beta) + (1 - target) * losses.dpo(wj, wi, rj, ri, beta)
    return jnp.sum(weight * per) / jnp.maximum(jnp.sum(weight), 1.0)
