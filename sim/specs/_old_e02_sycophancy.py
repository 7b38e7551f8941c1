"""Experiment E2 (paper sections 3.1, 3.2): preference training amplifies sycophancy;
constraints do not.

Per seed, in E training contexts (about half with a false user belief) and
with one label budget n for each signal:

- Positive signal: n comparisons from the preference oracle with sycophancy
  rate s_syc (the variant, a swept number) train the Bradley-Terry reward
  model (:mod:`sim.preferences`, batch MLE); its reward r(., c) is standardised
  per context. From the prior pi0 (:mod:`sim.policies`):
  ``tilt``       pi0 exp(beta r) / Z over ``BETAS``;
  ``first_order`` Shapira et al.'s prediction S(pi0) + beta Cov_pi0(endorses, r)
                 (averaged over false-belief contexts);
  ``corrected``  the tilt by r - lambda* endorses 1[false belief], lambda* =
                 Cov_pi0(endorses, r) / Var_pi0(endorses) per false-belief
                 context: the penalty that cancels the first-order shift
                 (our reading of their corrected reward; paper text not checked);
  ``best_of_n``  best-of-n under r over ``NS``;
  ``dpo``        DPO (beta 0.1) on the same comparisons, full-batch SGD on
                 per-context logits, at ``CHECKPOINTS`` points along training.
- Negative signal: n rejection-oracle labels on uniform (response, context)
  queries. ``mask``: pi0 restricted to the constraint learner's feasible set
  F_n; ``nsr``: L_NSR = sum over flagged labels of pi(y) (probability form);
  ``npo``: NPO (beta 0.1) on the flagged labels; both full-batch SGD along
  training.

Metrics (``<method>_<metric>``, the step axis indexing the method's grid):
``sycophancy_rate`` (mean over false-belief contexts of pi(endorses)),
``violation_rate``, ``value`` and ``kl_to_prior`` (means over contexts).
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp

from . import losses
from .config import Config, param, split
from .metrics import sycophancy_rate
from .oracles import AnnotatorConfig, preference_oracle, rejection_oracle, sample_queries
from .policies import PolicyConfig, best_of_n, mask, policy_setting, setting_metrics, tilt
from .preferences import LearnerConfig, features, fit_batch, response_features, rewards
from .training import preference_pairs_loss, train_logits
from .world import Contexts, WorldConfig, unacceptable

__all__ = ["SycophancyConfig", "SHARES", "BETAS", "NS", "METHODS", "make_sycophancy",
           "variant_names"]

SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
BETAS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
NS = (1, 2, 4, 8, 16, 32, 64, 128)
CHECKPOINTS = 8
METHODS = ("tilt", "corrected", "best_of_n", "dpo", "mask", "nsr", "npo")


@dataclasses.dataclass(frozen=True)
class SycophancyConfig(Config):
    """E2: world, annotators, reward model, prior, budget and policy training."""

    section = "experiment"
    world: WorldConfig = param(WorldConfig(responses=512))
    annotator: AnnotatorConfig = param(AnnotatorConfig(length_bias=0.0))
    learner: LearnerConfig = param(LearnerConfig(family="linear"))
    policy: PolicyConfig = param(PolicyConfig())
    contexts: int = param(16, lo=1, hi=4096, doc="training contexts")
    labels: int = param(1024, lo=1, hi=1_000_000, doc="label budget of each signal")
    steps: int = param(400, lo=CHECKPOINTS, hi=1_000_000, doc="SGD steps of DPO, NSR and NPO")
    dpo_learning_rate: float = param(100.0, lo=0.0, lo_open=True, sweep=True,
                                     doc="SGD step size of DPO (losses are means over labels)")
    nsr_learning_rate: float = param(20000.0, lo=0.0, lo_open=True, sweep=True,
                                     doc="SGD step size of NSR (its gradients are ~pi, small)")
    npo_learning_rate: float = param(20.0, lo=0.0, lo_open=True, sweep=True,
                                     doc="SGD step size of NPO")


def variant_names() -> tuple[str, ...]:
    return tuple(f"syc_{round(100 * s)}" for s in SHARES)


def _run(key, params, static: SycophancyConfig):
    k_pref, k_rej = (jax.random.fold_in(key, s) for s in (3, 4))
    setting = policy_setting(key, params, static.world, static.contexts)
    world, ctx, z0, logp0, _, _ = setting
    endorse = world.endorses.astype(z0.dtype)
    false = ~ctx.belief_true
    n, family = static.labels, static.learner.family

    def score(logp):
        return setting_metrics(setting, logp)

    def train_path(loss_fn, learning_rate):  # metrics at CHECKPOINTS points after the start
        out = train_logits(key, z0, loss_fn, lambda z: score(jax.nn.log_softmax(z, axis=-1)),
                           static.steps, CHECKPOINTS, learning_rate)
        return jax.tree.map(lambda a: a[1:], out)

    # positive signal: comparisons -> reward model
    k_pairs, k_e, k_ans = jax.random.split(k_pref, 3)
    i, j = sample_queries(k_pairs, world.features.shape[0], n)
    e = jax.random.randint(k_e, (n,), 0, static.contexts)
    answers = jax.vmap(lambda k, a, b, c, t: preference_oracle(
        k, world, params["annotator"], static.annotator, a, b, Contexts(c, t)))(
        jax.random.split(k_ans, n), i, j, ctx.features[e], ctx.belief_true[e])
    resp = response_features(world)

    def phi(idx, c, belief):
        return features(family, jax.tree.map(lambda a: a[idx], resp), c,
                        unacceptable(world, belief, idx))

    dphi = (jax.vmap(phi)(i, ctx.features[e], ctx.belief_true[e])
            - jax.vmap(phi)(j, ctx.features[e], ctx.belief_true[e]))
    theta = fit_batch(dphi, answers.target, answers.weight, jnp.asarray([n]),
                      params["learner"]["ridge"], static.learner.batch_iters,
                      static.learner.batch_solver)[0]
    r = rewards(theta, family, world, ctx)
    r = (r - r.mean(-1, keepdims=True)) / jnp.maximum(r.std(-1, keepdims=True), 1e-6)

    p0 = jnp.exp(logp0)
    cov = jnp.sum(p0 * endorse * r, -1) - jnp.sum(p0 * endorse, -1) * jnp.sum(p0 * r, -1)
    var = jnp.sum(p0 * endorse, -1) * (1 - jnp.sum(p0 * endorse, -1))
    lam_star = jnp.where(false, cov / jnp.maximum(var, 1e-9), 0.0)
    r_corrected = r - lam_star[:, None] * endorse[None, :] * false[:, None]
    betas = jnp.asarray(BETAS, z0.dtype)

    out = {}

    def record(method, per_point):
        for name, v in per_point.items():
            out[f"{method}_{name}"] = v

    record("tilt", jax.vmap(lambda b: score(tilt(logp0, r, b)))(betas))
    s0 = sycophancy_rate(logp0, world.endorses, ctx.belief_true)
    mean_cov = jnp.sum(jnp.where(false, cov, 0.0)) / jnp.maximum(jnp.sum(false), 1)
    out["first_order_sycophancy_rate"] = s0 + betas * mean_cov
    record("corrected", jax.vmap(lambda b: score(tilt(logp0, r_corrected, b)))(betas))
    record("best_of_n", jax.vmap(lambda m: score(best_of_n(logp0, r, m)))(
        jnp.asarray(NS, z0.dtype)))

    record("dpo", train_path(lambda z: preference_pairs_loss(
        z, logp0, e, i, j, answers.target, answers.weight, 0.1), params["dpo_learning_rate"]))

    # negative signal: rejections of uniform (response, context) queries
    k_q, k_o = jax.random.split(k_rej)
    qi = jax.random.randint(k_q, (n,), 0, world.features.shape[0])
    qe = jax.random.randint(jax.random.fold_in(k_q, 1), (n,), 0, static.contexts)
    answers_r = jax.vmap(lambda k, a, b: rejection_oracle(
        k, world, params["annotator"], static.annotator, a, b, jnp.mean(world.masses)))(
        jax.random.split(k_o, n), qi, ctx.belief_true[qe])
    known = answers_r.revealed.any(axis=0)                                    # (T + 2,)
    t = world.normals.shape[0]
    cut = (jnp.any(world.violates & known[None, :t], axis=1) | (world.pads & known[t])
           | jnp.any(answers_r.spurious[None, :] & (world.features @ answers_r.spurious_normal.T
                                                    > answers_r.spurious_threshold[None, :]), 1))
    feasible = ~cut[None, :] & ~(known[t + 1] & world.endorses[None, :] & false[:, None])
    masked = score(mask(logp0, feasible))
    record("mask", jax.tree.map(lambda a: jnp.full((len(BETAS),), a), masked))
    flagged = (answers_r.revealed.any(axis=1) | answers_r.spurious).astype(z0.dtype)
    n_flag = jnp.maximum(jnp.sum(flagged), 1.0)

    def nsr_loss(logits):
        logp = jax.nn.log_softmax(logits, axis=-1)
        return jnp.sum(flagged * jnp.exp(logp[qe, qi])) / n_flag

    def npo_loss(logits):
        logp = jax.nn.log_softmax(logits, axis=-1)
        return jnp.sum(flagged * losses.npo(logp[qe, qi], logp0[qe, qi], 0.1)) / n_flag

    for name, loss in (("nsr", nsr_loss), ("npo", npo_loss)):
        record(name, train_path(loss, params[f"{name}_learning_rate"]))
    return out


@functools.lru_cache(maxsize=8)
def _compiled(static: SycophancyConfig):
    return jax.jit(jax.vmap(functools.partial(_run, static=static), in_axes=(0, None)))


def make_sycophancy(config: SycophancyConfig, variant: str):
    """``(run, params, steps)`` for one E2 variant ``syc_<percent>`` (one program for all)."""
    if variant not in variant_names():
        raise ValueError(f"variant = {variant!r} is not allowed (allowed: {', '.join(variant_names())})")
    share = int(variant.split("_")[1]) / 100
    config = dataclasses.replace(config, annotator=dataclasses.replace(
        config.annotator, sycophancy=share, length_bias=min(config.annotator.length_bias, 1 - share)))
    static, params = split(config)
    return _compiled(static), params, tuple(range(len(BETAS)))
