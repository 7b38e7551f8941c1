"""Softmax policies over the N responses and their closed forms (docs/model.md section 5).

All functions work in log space on the last axis and broadcast over leading
axes (contexts, seeds).

- :func:`prior_logits`  the "pretrained" prior pi0 = softmax(z0): correlated with
  V, but with real mass on unacceptable and on sycophantic responses;
- :func:`tilt`          the KL-regularised optimum pi*_beta proportional to pi0 exp(beta r)
  (Rafailov et al. 2023; Shapira et al. 2026, arXiv 2602.01002);
- :func:`best_of_n`     the exact law of best-of-n sampling under a reward on a
  finite space, ties broken uniformly;
- :func:`mask`          pi0 restricted to a feasible set and renormalised;
- :func:`constrained_tilt`  the KL-regularised optimum under a cost budget
  (Safe RLHF's objective, Dai et al. 2023, arXiv 2310.12773), exact;
- :func:`dual_ascent`   Safe RLHF's multiplier update, the training-time version.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from .config import Config, param
from .keys import normal, stream, uniform
from .world import World, utility

__all__ = ["PolicyConfig", "prior_logits", "apply_difficulty", "tilt", "best_of_n", "mask",
           "constrained_tilt", "dual_ascent", "expected_cost", "lagrangian_tilt"]


@dataclasses.dataclass(frozen=True)
class PolicyConfig(Config):
    """The prior pi0 = softmax(z0), z0(i, c) = a U~(i, c) + b endorses_i + s eps_i.

    U~ is U(., c) standardised over the responses (the prior knows the coupled
    utility, not the prohibitions, so it puts mass on unacceptable responses),
    b is a bonus for endorsing the user (mass on sycophantic responses, as a
    pretrained model that agrees too readily), eps_i ~ N(0, 1) is fixed
    per response (idiosyncrasies of pretraining).

    Difficulty (``difficulty`` D > 0, E3): prompts differ in how often the pretrained
    model answers them correctly. Context c draws delta_c ~ U[0, D] (its own stream,
    ``difficulty``, so D = 0 is today's prior draw for draw) and z0(i, c) -= delta_c on
    the responses acceptable in c: pi0(A(c)) shrinks by up to e^-D, so at D = 8 some
    contexts put about 1e-3 of the prior's mass where the acceptable fraction put 0.05,
    and pass@k at large k is no longer 1 (:func:`apply_difficulty`).
    """

    section = "policy"
    prior_value_weight: float = param(1.0, lo=0.0, hi=100.0, sweep=True,
                                      doc="a, weight of the standardised utility in z0 "
                                          "(<= 100: beyond, pi0 is a point mass in float32)")
    prior_endorse_bonus: float = param(0.5, lo=-100.0, hi=100.0, sweep=True,
                                       doc="b, logit bonus of endorsing the user in z0 (|b| <= 100)")
    prior_noise: float = param(1.0, lo=0.0, hi=100.0, sweep=True,
                               doc="s, sd of the per-response noise (<= 100)")
    difficulty: float = param(0.0, lo=0.0, hi=50.0, sweep=True,
                              doc="D, contexts differ in difficulty: z0 -= delta_c on the "
                                  "acceptable responses, delta_c ~ U[0, D] (0: every context "
                                  "alike, today's prior draw for draw)")


def prior_logits(key: jax.Array, world: World, params, context_features: jax.Array,
                 belief_true: jax.Array) -> jax.Array:
    """z0(i, c) for every response in one context: (N,). ``params`` from ``split(PolicyConfig())``."""
    u = utility(world, context_features, belief_true)
    u = (u - jnp.mean(u)) / jnp.maximum(jnp.std(u), 1e-12)
    eps = normal(key, u.shape).astype(u.dtype)
    return (params.prior_value_weight * u
            + params.prior_endorse_bonus * world.endorses.astype(u.dtype)
            + params.prior_noise * eps)


def apply_difficulty(key: jax.Array, z0: jax.Array, acceptable: jax.Array, params) -> jax.Array:
    """z0 (E, N) with delta_c ~ U[0, D] subtracted on each context's acceptable responses
    (:class:`PolicyConfig`); exactly z0 when D = 0."""
    delta = params.difficulty * uniform(stream(key, "difficulty"), z0.shape[:1]).astype(z0.dtype)
    return z0 - jnp.where(acceptable, delta[:, None], 0.0).astype(z0.dtype)


def tilt(logp0: jax.Array, reward: jax.Array, beta) -> jax.Array:
    """log pi*_beta = log softmax(log pi0 + beta r): the optimum of E_pi r - KL(pi || pi0) / beta."""
    return jax.nn.log_softmax(logp0 + beta * reward, axis=-1)


def _best_of_n_1d(logp0, reward, n):
    size = logp0.shape[0]
    order = jnp.argsort(reward, stable=True)
    r, lp = reward[order], logp0[order]
    starts = jnp.concatenate([jnp.array([True]), r[1:] != r[:-1]])
    group = jnp.cumsum(starts.astype(jnp.int32)) - 1          # tie group of each position
    ends = jnp.concatenate([r[1:] != r[:-1], jnp.array([True])])
    end = jax.lax.cummin(jnp.where(ends, jnp.arange(size), size - 1), reverse=True)
    # log F(t_g), group included; from the upper tail where F is near 1 (float precision)
    log_above = jnp.concatenate([jax.lax.cumlogsumexp(lp, reverse=True)[1:],
                                 jnp.full((1,), -jnp.inf, lp.dtype)])[end]
    log_upto = jnp.where(log_above < -0.7, jnp.log1p(-jnp.exp(log_above)),
                         jax.lax.cumlogsumexp(lp)[end])
    top = jax.ops.segment_max(lp, group, num_segments=size)
    top = jnp.where(jnp.isfinite(top), top, 0.0)
    log_mass = top + jnp.log(jax.ops.segment_sum(jnp.exp(lp - top[group]), group,
                                                 num_segments=size))   # log pi0(g)
    log_mass = log_mass[group]
    # P(best in g) = F^n - (F - pi0(g))^n = F^n (1 - exp(-y)), y = -n log(1 - pi0(g) / F),
    # in log space with first-order forms where a share or y is below float precision
    log_share = jnp.minimum(log_mass - log_upto, 0.0)
    log_y = jnp.log(n) + jnp.where(log_share < -20.0, log_share,
                                   jnp.log(-jnp.log1p(-jnp.exp(log_share))))
    log_group_best = n * log_upto + jnp.where(log_y < -20.0, log_y,
                                              jnp.log(-jnp.expm1(-jnp.exp(log_y))))
    out = jnp.where(jnp.isfinite(lp), log_group_best + lp - log_mass, -jnp.inf)
    return jnp.zeros_like(out).at[order].set(out)


def best_of_n(logp0: jax.Array, reward: jax.Array, n) -> jax.Array:
    """Exact log-probabilities of best-of-n sampling from pi0 under reward r.

    Draw n responses i.i.d. from pi0 and keep the one with the highest r,
    breaking ties uniformly among the tied draws. With F(t) = pi0(r <= t) and
    a tie group g (all responses with r = t_g):

        P(best in g) = F(t_g)^n - F(t_g^-)^n,   P(best = i in g) = P(best in g) pi0(i) / pi0(g).

    ``n`` may be a traced number (n = 1 gives pi0). Stable in log space for
    any reward magnitude (only the order of r is used).
    """
    flat_p = logp0.reshape(-1, logp0.shape[-1])
    flat_r = jnp.broadcast_to(reward, logp0.shape).reshape(flat_p.shape)
    out = jax.vmap(_best_of_n_1d, in_axes=(0, 0, None))(flat_p, flat_r, jnp.asarray(n, logp0.dtype))
    return out.reshape(logp0.shape)


def mask(logp0: jax.Array, feasible: jax.Array) -> jax.Array:
    """log pi0 restricted to the feasible set and renormalised (-inf outside it).

    If no response is feasible there is nothing to restrict to, and pi0 is
    returned unchanged (a documented choice; the constraint learner's F_n is
    empty only with false flags).
    """
    masked = jnp.where(feasible, logp0, -jnp.inf)
    any_feasible = jnp.any(feasible, axis=-1, keepdims=True)
    out = jax.nn.log_softmax(jnp.where(any_feasible, masked, logp0), axis=-1)
    return out


def lagrangian_tilt(logp0: jax.Array, reward: jax.Array, cost: jax.Array, beta, lam) -> jax.Array:
    """log pi_lambda = log softmax(log pi0 + (r - lambda C) / beta) on the last axis: the
    KL-regularised optimum of the Lagrangian E_pi (r - lambda C) - beta KL(pi || pi0)."""
    return jax.nn.log_softmax(logp0 + (reward - lam * cost) / beta, axis=-1)


def expected_cost(logp: jax.Array, cost: jax.Array) -> jax.Array:
    """E_pi C on the last axis, (...,); responses with pi = 0 contribute 0 whatever their cost."""
    return jnp.sum(jnp.where(jnp.isfinite(logp), jnp.exp(logp) * cost, 0.0), axis=-1)


def _constrained_tilt_1d(logp0, reward, cost, beta, budget, iters):
    def spend(lam):
        return expected_cost(lagrangian_tilt(logp0, reward, cost, beta, lam), cost)

    # bracket: double hi until the budget is met (or hi is huge: then the budget is below
    # the least cost pi0 can reach, and the lambda -> infinity limit is approached)
    def grow(state):
        hi, k = state
        return hi * 2.0, k + 1

    hi, _ = jax.lax.while_loop(lambda s: (spend(s[0]) > budget) & (s[1] < 100), grow,
                               (jnp.ones((), logp0.dtype), 0))

    def halve(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        over = spend(mid) > budget
        return jnp.where(over, mid, lo), jnp.where(over, hi, mid)

    _, hi = jax.lax.fori_loop(0, iters, halve, (jnp.zeros((), logp0.dtype), hi))
    lam = jnp.where(spend(jnp.zeros((), logp0.dtype)) <= budget, 0.0, hi)
    return lagrangian_tilt(logp0, reward, cost, beta, lam), lam


def constrained_tilt(logp0: jax.Array, reward: jax.Array, cost: jax.Array, beta,
                     budget, iters: int = 200) -> tuple[jax.Array, jax.Array]:
    """The KL-regularised optimum under a cost budget, solved exactly.

        max_pi  E_pi r - beta KL(pi || pi0)   subject to   E_pi C <= d

    (Safe RLHF's constrained objective, Dai et al. 2023, arXiv 2310.12773,
    eq. 10, with its KL penalty written as a regulariser). Its solution is

        pi_lambda proportional to pi0 exp((r - lambda C) / beta),

    with lambda >= 0 the smallest multiplier that meets the budget: lambda = 0
    when the plain tilt already meets it, else the root of E_{pi_lambda} C = d.
    Since d/dlambda E_{pi_lambda} C = -Var_{pi_lambda}(C) / beta <= 0, the root
    is found by bisection (``iters`` halvings of a bracket found by doubling).
    Note ``beta`` here is the KL weight, so :func:`tilt`'s inverse temperature
    is 1 / beta. If d is below the least cost pi0 can reach, no lambda meets
    it; the returned lambda is then the last bracket (2^100, finite in
    float32), pi is that tilt, close to pi0 restricted to the cheapest responses.

    Args:
      logp0: (..., N) log pi0; reward, cost: broadcastable to it.
      beta: KL weight (> 0); budget: d. Scalars (may be traced).
      iters: bisection steps (static).

    Returns:
      (log pi, lambda): (..., N) and (...,).
    """
    reward = jnp.broadcast_to(reward, logp0.shape).reshape(-1, logp0.shape[-1])
    cost = jnp.broadcast_to(cost, logp0.shape).reshape(reward.shape)
    beta = jnp.asarray(beta, logp0.dtype)
    budget = jnp.asarray(budget, logp0.dtype)
    logp, lam = jax.vmap(_constrained_tilt_1d, in_axes=(0, 0, 0, None, None, None))(
        logp0.reshape(reward.shape), reward, cost, beta, budget, iters)
    return logp.reshape(logp0.shape), lam.reshape(logp0.shape[:-1])


_LOG_LAM_MAX = 30.0


def dual_ascent(logp0: jax.Array, reward: jax.Array, cost: jax.Array, beta, budget,
                eta, steps: int, lam0=1.0) -> jax.Array:
    """Safe RLHF's multiplier update, lambda's path over ``steps`` updates: (steps + 1, ...).

        ln lambda <- ln lambda + eta lambda (E_pi C - d)

    (Dai et al. 2023, arXiv 2310.12773, eq. 11 and their ``safe_rlhf/algorithms/
    ppo_lag`` trainer), with pi = pi_lambda of :func:`constrained_tilt` at the
    current lambda: the policy is re-optimised exactly between updates, so the
    path isolates the multiplier's dynamics. Its fixed points with lambda > 0
    are the roots of E_{pi_lambda} C = d. ln lambda is clipped to [-30, 30]: a large eta
    lambda step otherwise overflows to lambda = inf and a NaN policy (choice; at
    lambda = e^30 the cost term already dominates any standardised reward).
    """
    beta = jnp.asarray(beta, logp0.dtype)
    lam0 = jnp.full(logp0.shape[:-1], lam0, logp0.dtype)

    def update(log_lam, _):
        lam = jnp.exp(log_lam)
        spent = expected_cost(lagrangian_tilt(logp0, reward, cost, beta, lam[..., None]), cost)
        log_lam = jnp.clip(log_lam + eta * lam * (spent - budget), -_LOG_LAM_MAX, _LOG_LAM_MAX)
        return log_lam, jnp.exp(log_lam)

    _, path = jax.lax.scan(update, jnp.log(lam0), None, length=steps)
    return jnp.concatenate([lam0[None], path])
