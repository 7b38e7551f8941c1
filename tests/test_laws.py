"""The exact laws of returns (sim.laws) against closed forms and brute force, in float64."""

import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

from sim import laws


def test_shared_violation_mass_is_the_share_of_responses_sharing_a_prohibition():
    rng = np.random.default_rng(0)
    v = rng.random((40, 7)) < 0.15
    mu = np.asarray(laws.shared_violation_mass(jnp.asarray(v)))
    brute = [np.mean([(v[i] & v[j]).any() for j in range(40)]) for i in range(40)]
    np.testing.assert_allclose(mu, brute, rtol=0, atol=1e-7)
    rows = jnp.asarray([3, 9, 0])
    np.testing.assert_allclose(laws.shared_violation_mass(jnp.asarray(v), rows), mu[[3, 9, 0]])


def test_for_disjoint_prohibitions_the_feasible_law_is_clean_share_plus_missing_mass(x64):
    """mean_i (1 - mu_i)^n = (1 - sum_j p_j) + sum_j p_j (1 - p_j)^n when no response violates
    two prohibitions (the issue's reduction to the missing mass)."""
    sizes = (5, 12, 1, 30)
    n_pool = 100
    v = np.zeros((n_pool, len(sizes)), bool)
    start = 0
    for j, s in enumerate(sizes):
        v[start:start + s, j] = True
        start += s
    steps = jnp.asarray([0, 1, 3, 10, 100, 1000])
    mu = laws.shared_violation_mass(jnp.asarray(v)).astype(jnp.float64)
    p = jnp.asarray(v.mean(0), jnp.float64)
    np.testing.assert_allclose(laws.feasible_law(mu, steps),
                               1 - p.sum() + laws.missing_mass_law(p, steps), rtol=1e-12)


def test_coupon_collector_integral_matches_closed_forms(x64):
    """T = 1: E = 1/p; T equal masses p: E = H_T / p; unequal: scipy's quadrature."""
    np.testing.assert_allclose(laws.coupon_collector_time(jnp.asarray([0.02])), 50.0, rtol=1e-5)
    harmonic = sum(1 / k for k in range(1, 11))
    np.testing.assert_allclose(laws.coupon_collector_time(jnp.full((10,), 0.1)), harmonic / 0.1,
                               rtol=1e-5)
    p = np.array([0.3, 0.05, 0.01, 0.002, 0.0])   # a zero mass is never found and left out
    f = lambda t: 1 - np.prod(1 - np.exp(-p[:4] * t))  # noqa: E731
    ref = integrate.quad(f, 0, np.inf, limit=500)[0]
    np.testing.assert_allclose(laws.coupon_collector_time(jnp.asarray(p)), ref, rtol=1e-4)
    lower, upper = laws.coupon_bounds(jnp.asarray(p))
    assert float(lower) == pytest.approx(500.0) and float(upper) == pytest.approx(sum(1 / p[:4]))
    assert float(lower) <= ref <= float(upper)


def test_loglog_slope_recovers_a_power_law_and_ignores_unused_points(x64):
    x = jnp.asarray([0.0, 1, 10, 100, 1000, 1e4])
    y = 3.0 * jnp.where(x > 0, x, 1.0) ** -0.7
    y = y.at[-1].set(0.0)                       # a zero cannot be logged: left out
    use = jnp.asarray([True] * 6)
    assert float(laws.loglog_slope(x, y, use)) == pytest.approx(-0.7, abs=1e-12)
    assert float(laws.loglog_slope(x, y, x > 500)) == 0.0   # one usable point: no slope


@pytest.mark.parametrize("alpha, beta", [(2.0, 0.5), (-1.0, 3.0)])
def test_gao_fits_recover_both_functional_forms(x64, alpha, beta):
    d = jnp.linspace(0.0, 4.0, 9)
    safe = jnp.where(d > 0, d, 1.0)
    fits_bon = laws.gao_fits(d, d * (alpha - beta * d))
    fits_rl = laws.gao_fits(d, d * (alpha - beta * jnp.where(d > 0, jnp.log(safe), 0.0)))
    for fits, name in ((fits_bon, "bon"), (fits_rl, "rl")):
        assert float(fits[f"alpha_{name}"]) == pytest.approx(alpha, abs=1e-6)
        assert float(fits[f"beta_{name}"]) == pytest.approx(beta, abs=1e-6)
        assert float(fits[f"r2_{name}"]) == pytest.approx(1.0, abs=1e-9)


def test_budget_to_fraction_is_where_the_curve_stays_within_ten_percent(x64):
    steps = jnp.asarray([0, 1, 10, 100, 1000])
    assert float(laws.budget_to_fraction(steps, jnp.asarray([1.0, 0.5, 0.05, 0.0, 0.0]))) == 10
    # a dip that comes back does not count as flat
    assert float(laws.budget_to_fraction(steps, jnp.asarray([1.0, 0.0, 0.5, 0.2, 0.0]))) == 1000
    assert float(laws.budget_to_fraction(steps, jnp.ones(5))) == 0


def test_missing_mass_law_is_a_sum_over_prohibitions(x64):
    p = jnp.asarray([0.2, 0.01, 0.0])
    for n in (0, 5, 50):
        expect = sum(float(q) * (1 - float(q)) ** n for q in p)
        assert float(laws.missing_mass_law(p, jnp.asarray([n]))[0]) == pytest.approx(expect)
