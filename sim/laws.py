"""Exact laws of returns for the rule learner, and the curve fits of E7 (``returns``).

With ``reveal="all"``, no annotator noise and queries uniform over the N
responses, label l reveals every context-free prohibition its response
violates. Write V_i for the set of prohibitions response i violates (the T
halfspaces and the padding prohibition) and

    mu_i = (1/N) |{ j : V_j and V_i share a prohibition }|,

the chance that one query closes response i. The queries are independent,
so after n labels

    P(i still feasible) = (1 - mu_i)^n                      (:func:`feasible_law`)

exactly. For disjoint prohibitions with pool masses p_j (the share of the
pool violating g_j) the unacceptable mass still admitted is the Good-Turing
*missing mass*

    M_n = sum_j p_j (1 - p_j)^n                              (:func:`missing_mass_law`);

halfspaces overlap, so the law counts shared mass more than once (an upper
bound on the mean when they do). The labels until every prohibition with
p_j > 0 has been revealed, N_all, satisfy

    1 / p_min <= E[N_all] <= sum_j 1 / p_j                   (:func:`coupon_bounds`)

(the rarest alone takes 1/p_min on average; the slowest takes at most the sum
of all), and for independent prohibitions in continuous (Poissonised) time

    E[N_all] = int_0^inf [1 - prod_j (1 - exp(-p_j t))] dt   (:func:`coupon_collector_time`).

Curve fits: :func:`loglog_slope` (the exponent of a power law, OLS on logs),
:func:`gao_fits` (Gao, Schulman and Hilton, arXiv 2210.10760: gold reward
against d = sqrt(KL), R_bon(d) = d (alpha - beta d) and R_RL(d) = d (alpha -
beta log d), least squares through the origin) and :func:`budget_to_fraction`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["context_free_violations", "shared_violation_mass", "feasible_law", "missing_mass_law",
           "coupon_collector_time", "coupon_bounds", "loglog_slope", "gao_fits",
           "budget_to_fraction"]


def context_free_violations(world) -> jax.Array:
    """(N, T + 1) bool: the T halfspaces and the padding prohibition."""
    return jnp.concatenate([world.violates, world.pads[:, None]], axis=1)


def shared_violation_mass(violates: jax.Array, rows: jax.Array | None = None) -> jax.Array:
    """mu_i for the responses ``rows`` (default all): (R,) the share of the pool sharing a
    violated prohibition with i (0 for a response that violates nothing)."""
    v = violates.astype(jnp.float32)
    own = v if rows is None else v[rows]
    shared = (own @ v.T) > 0.5               # (R, N); counts are exact in float32
    dtype = jnp.result_type(float)
    return jnp.sum(shared.astype(dtype), axis=1) / jnp.asarray(v.shape[0], dtype)


def feasible_law(mu: jax.Array, steps: jax.Array, among: jax.Array | None = None) -> jax.Array:
    """mean_i (1 - mu_i)^n for each n in ``steps``: (K,). With ``among`` (bool, like mu) it
    is mean_i among_i (1 - mu_i)^n, the expected share of the rows that are in ``among``
    and still feasible (``among`` = unacceptable: the exact missing mass)."""
    n = jnp.asarray(steps, mu.dtype)[:, None]
    alive = jnp.where(mu[None] > 0, (1.0 - mu[None]) ** n, 1.0)
    if among is not None:
        alive = jnp.where(among[None], alive, 0.0)
    return jnp.mean(alive, axis=1)


def missing_mass_law(masses: jax.Array, steps: jax.Array) -> jax.Array:
    """sum_j p_j (1 - p_j)^n for each n in ``steps``: (K,)."""
    n = jnp.asarray(steps, masses.dtype)[:, None]
    return jnp.sum(masses[None] * (1.0 - masses[None]) ** n, axis=1)


def coupon_bounds(masses: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(1 / p_min, sum_j 1 / p_j) over the masses p_j > 0 (both 0 when none is positive)."""
    pos = masses > 0
    safe = jnp.where(pos, masses, 1.0)
    p_min = jnp.min(jnp.where(pos, masses, jnp.inf))
    lower = jnp.where(jnp.any(pos), 1.0 / jnp.where(jnp.any(pos), p_min, 1.0), 0.0)
    return lower, jnp.sum(jnp.where(pos, 1.0 / safe, 0.0))


def coupon_collector_time(masses: jax.Array, points: int = 4096) -> jax.Array:
    """int_0^inf [1 - prod_{p_j > 0} (1 - exp(-p_j t))] dt, by the trapezoid rule.

    In u = t p_min the integrand falls below K exp(-u) (K the number of positive
    masses), so the grid runs to u = log K + 30; 4,096 points give a relative
    error below 1e-5 for smooth integrands (a test checks T = 1 and equal masses,
    where E = 1/p and H_T / p).
    """
    pos = masses > 0
    k = jnp.maximum(jnp.sum(pos), 1).astype(masses.dtype)
    p_min = jnp.min(jnp.where(pos, masses, jnp.inf))
    p_min = jnp.where(jnp.isfinite(p_min), p_min, 1.0)
    u = jnp.linspace(0.0, jnp.log(k) + 30.0, points, dtype=masses.dtype)
    rate = jnp.where(pos, masses / p_min, 0.0)
    log_all = jnp.sum(jnp.where(pos[None], jnp.log(-jnp.expm1(-u[:, None] * rate[None])), 0.0),
                      axis=1)
    integrand = -jnp.expm1(log_all)
    du = u[1] - u[0]
    area = du * (jnp.sum(integrand) - 0.5 * (integrand[0] + integrand[-1]))
    return jnp.where(jnp.any(pos), area / p_min, 0.0)


def loglog_slope(x: jax.Array, y: jax.Array, use: jax.Array) -> jax.Array:
    """OLS slope of log y on log x over the points ``use`` with x, y > 0 (0 if fewer than 2)."""
    ok = use & (x > 0) & (y > 0)
    w = ok.astype(y.dtype)
    lx = jnp.log(jnp.where(ok, x, 1.0)).astype(y.dtype)
    ly = jnp.log(jnp.where(ok, y, 1.0))
    count = jnp.maximum(w.sum(), 1.0)
    cx, cy = lx - (w * lx).sum() / count, ly - (w * ly).sum() / count
    var = (w * cx * cx).sum()
    return jnp.where((w.sum() >= 2) & (var > 0), (w * cx * cy).sum() / jnp.where(var > 0, var, 1.0),
                     0.0)


def gao_fits(d: jax.Array, gain: jax.Array) -> dict[str, jax.Array]:
    """Least-squares fits of gold gain R against d = sqrt(KL) over the points (K,).

    R_bon = alpha d - beta d^2 and R_RL = alpha d - beta d log d, each fitted
    through the origin (R(0) = 0 by definition: the gain over the prior) by
    solving the 2 x 2 normal equations; ``r2_*`` is 1 - SSE / sum R^2.
    Points with d = 0 carry no information and drop out.
    """
    out = {}
    safe_d = jnp.where(d > 0, d, 1.0)
    for name, second in (("bon", d * d), ("rl", jnp.where(d > 0, d * jnp.log(safe_d), 0.0))):
        a = jnp.stack([d, -second], axis=1)                                   # (K, 2)
        gram = a.T @ a + 1e-9 * jnp.eye(2, dtype=d.dtype)
        coef = jnp.linalg.solve(gram, a.T @ gain)
        resid = gain - a @ coef
        total = jnp.sum(gain * gain)
        out[f"alpha_{name}"], out[f"beta_{name}"] = coef[0], coef[1]
        out[f"r2_{name}"] = jnp.where(total > 0, 1.0 - jnp.sum(resid * resid) / jnp.where(
            total > 0, total, 1.0), 0.0)
    return out


def budget_to_fraction(steps: jax.Array, curve: jax.Array, fraction: float = 0.9) -> jax.Array:
    """The first budget after which the curve has made ``fraction`` of its total change
    (from steps[0] to steps[-1]) and stays there: the budget where returns flatten."""
    total = curve[0] - curve[-1]
    remaining = jnp.abs(curve - curve[-1])
    within = remaining <= (1.0 - fraction) * jnp.abs(total)
    stays = jax.lax.cummin(within.astype(jnp.int32), reverse=True).astype(bool)
    first = jnp.argmax(stays)
    return jnp.asarray(steps, curve.dtype)[first]
