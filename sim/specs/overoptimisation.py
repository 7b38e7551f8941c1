"""Reward over-optimisation (Gao et al. 2022, arXiv 2210.10760): the gold gain of optimising a
learned reward, against the distance from the prior (E7's preference side).

For a learned (standardised) reward r, the prior tilted by it, pi_beta ~ pi0 exp(beta r),
for every beta, and best-of-n of pi0 under r for every n: the gold gain
R = E_pi V - E_pi0 V against d = sqrt(KL(pi || pi0)), and the fits
R_RL = d (alpha - beta log d) (over the tilts) and R_bon = d (alpha - beta d) (over best-of-n)
of :func:`sim.laws.gao_fits`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import laws
from ..metrics import kl_to_prior, policy_value
from ..policies import best_of_n, tilt

__all__ = ["gold_gain", "gao_curves"]


def gold_gain(setting, logp):
    """(E_pi V - E_pi0 V, sqrt(KL(pi || pi0))), means over the setting's contexts."""
    v0 = jnp.mean(policy_value(setting.logp0, setting.values))
    gain = jnp.mean(policy_value(logp, setting.values)) - v0
    return gain, jnp.sqrt(jnp.maximum(jnp.mean(kl_to_prior(logp, setting.logp0)), 0.0))


def gao_curves(setting, rewards, static):
    """Gold gain against d = sqrt(KL) for the tilts and best-of-n of ``rewards`` (budgets,
    E, N) at each of ``static.curve_budgets``, and Gao et al.'s fits of them
    (:func:`sim.laws.gao_fits`): ``(fits, curves)``. ``static`` needs ``betas``,
    ``best_of``, ``budgets`` and ``curve_budgets``."""
    dtype = setting.logp0.dtype
    betas = jnp.asarray(static.betas, dtype)
    ns = jnp.asarray(static.best_of, dtype)

    def at_budget(r):
        gt, dt = jax.vmap(lambda b: gold_gain(setting, tilt(setting.logp0, r, b)))(betas)
        gb, db = jax.vmap(lambda n: gold_gain(setting, best_of_n(setting.logp0, r, n)))(ns)
        return gt, dt, gb, db

    at = jnp.asarray([static.budgets.index(n) for n in static.curve_budgets])
    gt, dt, gb, db = jax.lax.map(at_budget, rewards[at])                             # (K, B)
    rl = jax.vmap(laws.gao_fits)(dt, gt)
    bon = jax.vmap(laws.gao_fits)(db, gb)
    fits = {k: v for k, v in rl.items() if k.endswith("_rl")}
    fits.update({k: v for k, v in bon.items() if k.endswith("_bon")})
    fits["gain_max_tilt"] = jnp.max(gt, axis=1)
    fits["gain_max_bon"] = jnp.max(gb, axis=1)
    curves = {}
    for k, n in enumerate(static.curve_budgets):
        curves[f"tilt_{n}"] = {"gain": gt[k], "sqrt_kl": dt[k]}
        curves[f"bon_{n}"] = {"gain": gb[k], "sqrt_kl": db[k]}
    return fits, curves
