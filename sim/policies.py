"""Softmax policies over the N responses and their closed forms (MODEL.md section 5).

All functions work in log space on the last axis and broadcast over leading
axes (contexts, seeds).

- :func:`prior_logits`  the "pretrained" prior pi0 = softmax(z0): correlated with
  V, but with real mass on unacceptable and on sycophantic responses;
- :func:`tilt`          the KL-regularised optimum pi*_beta proportional to pi0 exp(beta r)
  (Rafailov et al. 2023; Shapira et al. 2026, arXiv 2602.01002);
- :func:`best_of_n`     the exact law of best-of-n sampling under a reward on a
  finite space, ties broken uniformly;
- :func:`mask`          pi0 restricted to a feasible set and renormalised.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from .config import Config, param
from .keys import normal
from .world import World, utility

__all__ = ["PolicyConfig", "prior_logits", "tilt", "best_of_n", "mask"]


@dataclasses.dataclass(frozen=True)
class PolicyConfig(Config):
    """The prior pi0 = softmax(z0), z0(i, c) = a U~(i, c) + b endorses_i + s eps_i.

    U~ is U(., c) standardised over the responses (the prior knows the coupled
    utility, not the prohibitions, so it puts mass on unacceptable responses),
    b is a bonus for endorsing the user (mass on sycophantic responses, as a
    pretrained model that agrees too readily), eps_i ~ N(0, 1) is fixed
    per response (idiosyncrasies of pretraining).
    """

    section = "policy"
    prior_value_weight: float = param(1.0, lo=0.0, sweep=True,
                                      doc="a, weight of the standardised utility in z0")
    prior_endorse_bonus: float = param(0.5, sweep=True,
                                       doc="b, logit bonus of endorsing the user in z0")
    prior_noise: float = param(1.0, lo=0.0, sweep=True, doc="s, sd of the per-response noise")


def prior_logits(key: jax.Array, world: World, params, context_features: jax.Array) -> jax.Array:
    """z0(i, c) for every response in one context: (N,). ``params`` from ``split(PolicyConfig())``."""
    u = utility(world, context_features)
    u = (u - jnp.mean(u)) / jnp.maximum(jnp.std(u), 1e-12)
    eps = normal(key, u.shape).astype(u.dtype)
    return (params.prior_value_weight * u
            + params.prior_endorse_bonus * world.endorses.astype(u.dtype)
            + params.prior_noise * eps)


def tilt(logp0: jax.Array, reward: jax.Array, beta) -> jax.Array:
    """log pi*_beta = log softmax(log pi0 + beta r): the optimum of E_pi r - KL(pi || pi0) / beta."""
    return jax.nn.log_softmax(logp0 + beta * reward, axis=-1)


def _best_of_n_1d(logp0, reward, n):
    size = logp0.shape[0]
    order = jnp.argsort(reward, stable=True)
    r, lp = reward[order], logp0[order]
    cdf = jax.lax.cumlogsumexp(lp)                       # log F at each sorted position
    idx = jnp.arange(size)
    starts = jnp.concatenate([jnp.array([True]), r[1:] != r[:-1]])
    ends = jnp.concatenate([r[1:] != r[:-1], jnp.array([True])])
    start = jax.lax.cummax(jnp.where(starts, idx, 0))
    end = jax.lax.cummin(jnp.where(ends, idx, size - 1), reverse=True)
    log_upto = cdf[end]                                  # log F(r_g), group included
    log_below = jnp.where(start > 0, cdf[jnp.maximum(start - 1, 0)], -jnp.inf)

    def log_diff(a, b):  # log(exp(a) - exp(b)), b <= a
        return a + jnp.log1p(-jnp.exp(jnp.minimum(b - a, 0.0)))

    log_group_best = log_diff(n * log_upto, n * log_below)   # P(max falls in the group)
    log_group_mass = log_diff(log_upto, log_below)
    out = log_group_best + lp - log_group_mass
    out = jnp.where(jnp.isfinite(lp), out, -jnp.inf)
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
