"""The preference side's policies from one learned reward (E2, paper sections 3.1 and 3.2).

From the prior pi0 and a reward r(., c) standardised over the responses in each context:

- ``tilt``        pi0 exp(beta r) / Z, the KL-regularised RLHF optimum, over a beta grid;
- ``first_order`` Shapira et al.'s first-order prediction of its sycophancy,
                  S(pi0) + beta Cov_pi0(endorses, r), Cov averaged over false-belief contexts;
- ``corrected``   the tilt by r - lambda* endorses 1[false belief], lambda* =
                  Cov_pi0(endorses, r) / Var_pi0(endorses) per false-belief context: the penalty
                  that cancels the first-order shift (our reading of their corrected reward);
- ``best_of_n``   the exact best-of-n law of pi0 under r, over an n grid.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..ensembles import ensemble_rewards
from ..policies import best_of_n, tilt
from .regimes import standardise

__all__ = ["standardised_reward", "reward_policies"]


def standardised_reward(thetas, world, contexts, params, static):
    """The (ensemble's) reward r(., c) standardised over the responses in each context: (E, N).
    ``thetas`` (K, p): the members; ``params``, ``static``: the learner's config halves."""
    return standardise(ensemble_rewards(thetas, static.family, world, contexts, params, static))


def reward_policies(setting, r, score, betas, best_of):
    """The positive signal's policies from the reward r (E, N), each scored by ``score``: the
    tilt over ``betas``, Shapira et al.'s first-order prediction, the tilt by their corrected
    reward, and best-of-n over ``best_of`` (module docstring)."""
    world, ctx, logp0 = setting.world, setting.contexts, setting.logp0
    dtype = logp0.dtype
    endorse = world.endorses.astype(dtype)
    false = ~ctx.belief_true
    p0 = jnp.exp(logp0)
    p_endorse = jnp.sum(p0 * endorse, -1)
    cov = jnp.sum(p0 * endorse * r, -1) - p_endorse * jnp.sum(p0 * r, -1)
    var = p_endorse * (1.0 - p_endorse)
    lam_star = jnp.where(false, cov / jnp.maximum(var, 1e-9), 0.0)
    r_corrected = r - lam_star[:, None] * endorse[None, :] * false[:, None].astype(dtype)
    s0 = score(logp0)["sycophancy_rate"]
    n_false = jnp.maximum(jnp.sum(false.astype(dtype)), 1.0)
    mean_cov = jnp.sum(jnp.where(false, cov, 0.0)) / n_false
    return {
        "tilt": jax.vmap(lambda b: score(tilt(logp0, r, b)))(betas),
        "first_order": {"sycophancy_rate": s0 + betas * mean_cov},
        "corrected": jax.vmap(lambda b: score(tilt(logp0, r_corrected, b)))(betas),
        "best_of_n": jax.vmap(lambda m: score(best_of_n(logp0, r, m)))(
            jnp.asarray(best_of, dtype)),
    }
