"""Closed-form policies and policy metrics (docs/model.md sections 4 and 5)."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import WorldConfig, make_world, split
from sim.metrics import (
    entropy,
    expected,
    kl_to_prior,
    pass_at_k,
    policy_drift,
    policy_value,
    sycophancy_rate,
    violation_rate,
)
from sim.policies import PolicyConfig, best_of_n, mask, prior_logits, tilt


def _brute_force_best_of_n(p, r, n):
    out = np.zeros(len(p))
    for draw in itertools.product(range(len(p)), repeat=n):
        weight = np.prod(p[list(draw)])
        top = max(r[list(draw)])
        winners = [i for i in draw if r[i] == top]
        for i in winners:
            out[i] += weight / len(winners)
    return out


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_best_of_n_is_exact_with_ties_against_enumeration(x64, n):
    p = np.array([0.1, 0.2, 0.3, 0.15, 0.25])
    r = np.array([1.0, 2.0, 2.0, 0.0, 5.0])
    got = np.exp(np.asarray(best_of_n(jnp.log(p), jnp.asarray(r), n)))
    np.testing.assert_allclose(got, _brute_force_best_of_n(p, r, n), atol=1e-12)


def test_best_of_one_is_the_prior_and_mass_moves_to_the_top_reward(x64):
    logp0 = jax.nn.log_softmax(jnp.array([0.3, -1.0, 2.0, 0.0]))
    r = jnp.array([0.0, 3.0, -1.0, 1.0])
    np.testing.assert_allclose(best_of_n(logp0, r, 1), logp0, atol=1e-12)
    top = [float(jnp.exp(best_of_n(logp0, r, n))[1]) for n in (1, 2, 8, 64, 1024)]
    assert all(a < b for a, b in zip(top, top[1:])) and top[-1] > 0.999


def test_closed_forms_are_stable_for_rewards_of_magnitude_1e4():
    logp0 = jax.nn.log_softmax(jnp.array([0.0, 1.0, -1.0]))
    r = jnp.array([1e4, -1e4, 5e3])
    for out in (tilt(logp0, r, 1.0), best_of_n(logp0, r, 16.0)):
        p = np.exp(np.asarray(out))
        assert np.all(np.isfinite(np.asarray(out)) | (p == 0)) and abs(p.sum() - 1) < 1e-5
    assert float(jnp.exp(tilt(logp0, r, 1.0))[0]) == pytest.approx(1.0)


def test_sycophancy_shift_of_the_tilt_at_beta_zero_is_the_prior_covariance(x64):
    """Shapira et al.: dS(pi*_beta)/dbeta at 0 = Cov_pi0(endorses, r) (finite differences)."""
    rng = np.random.default_rng(0)
    logp0 = jax.nn.log_softmax(jnp.asarray(rng.standard_normal(40)))
    r = jnp.asarray(rng.standard_normal(40))
    e = jnp.asarray(rng.uniform(size=40) < 0.4)

    def s(beta):
        return sycophancy_rate(tilt(logp0, r, beta)[None], e, jnp.array([False]))

    h = 1e-6
    derivative = (s(h) - s(-h)) / (2 * h)
    p = jnp.exp(logp0)
    ef = e.astype(p.dtype)
    cov = jnp.sum(p * ef * r) - jnp.sum(p * ef) * jnp.sum(p * r)
    assert float(derivative) == pytest.approx(float(cov), rel=1e-6)


def test_mask_puts_no_mass_outside_the_feasible_set_and_keeps_relative_odds(x64):
    logp0 = jax.nn.log_softmax(jnp.array([0.5, -0.2, 1.0, 0.0]))
    feasible = jnp.array([True, False, True, False])
    p = np.exp(np.asarray(mask(logp0, feasible)))
    assert p[1] == 0 and p[3] == 0 and p.sum() == pytest.approx(1.0)
    assert p[0] / p[2] == pytest.approx(float(jnp.exp(logp0[0] - logp0[2])))
    np.testing.assert_allclose(mask(logp0, jnp.zeros(4, bool)), logp0)  # nothing to keep


WORLD = WorldConfig(responses=40, latent_dims=3, prohibitions=8, prohibition_mass=0.15)


@given(st.integers(0, 2**31 - 1), st.data())
def test_masking_by_more_true_prohibitions_never_raises_violations_nor_lowers_survivors(seed, data):
    """Claim (paper sec. 3.3): removing what is wrong moves the prior's mass to what is left.
    With D a subset of D' (true prohibitions), pi0|F(D') has violation rate <= pi0|F(D), and every
    response feasible under D' has at least its probability under pi0|F(D)."""
    world = make_world(jax.random.key(seed), WORLD)
    logp0 = jax.nn.log_softmax(prior_logits(jax.random.key(seed + 1), world,
                                            split(PolicyConfig())[1], jnp.zeros(4), False))
    small = data.draw(st.lists(st.integers(0, 7), unique=True, max_size=8))
    extra = data.draw(st.lists(st.integers(0, 7), unique=True, max_size=8))
    large = sorted(set(small) | set(extra))
    acceptable = ~world.violates.any(axis=1)

    def feasible(ids):
        return ~world.violates[:, jnp.asarray(ids, jnp.int32)].any(axis=1) if ids else jnp.ones(40, bool)

    f_small, f_large = feasible(small), feasible(large)
    p_small, p_large = mask(logp0, f_small), mask(logp0, f_large)
    assert float(violation_rate(p_large, acceptable)) <= float(violation_rate(p_small, acceptable)) + 1e-6
    keep = np.asarray(f_large)
    assert np.all(np.asarray(p_large)[keep] >= np.asarray(p_small)[keep] - 1e-6)


def test_with_a_false_flag_masking_can_raise_the_violation_rate():
    """The counterexample: a spurious prohibition that cuts an acceptable response shifts its
    mass onto the unacceptable ones that remain."""
    logp0 = jnp.log(jnp.array([0.5, 0.3, 0.2]))
    acceptable = jnp.array([True, False, True])
    before = violation_rate(mask(logp0, jnp.ones(3, bool)), acceptable)
    after = violation_rate(mask(logp0, jnp.array([False, True, True])), acceptable)  # cuts response 0
    assert float(before) == pytest.approx(0.3) and float(after) == pytest.approx(0.6)


def test_policy_metrics_match_hand_computed_values(x64):
    logp = jnp.log(jnp.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]))
    acceptable = jnp.array([[True, False, True], [True, True, False]])
    np.testing.assert_allclose(violation_rate(logp, acceptable), [0.3, 0.8])
    assert float(pass_at_k(logp, acceptable, 2)) == pytest.approx(1 - (0.3**2 + 0.8**2) / 2)
    endorses, belief = jnp.array([False, True, True]), jnp.array([True, False])
    assert float(sycophancy_rate(logp, endorses, belief)) == pytest.approx(0.9)
    np.testing.assert_allclose(policy_value(logp, jnp.array([1.0, 2.0, 3.0])), [1.7, 2.7])
    np.testing.assert_allclose(entropy(logp[0]), -(0.5 * np.log(0.5) + 0.3 * np.log(0.3) + 0.2 * np.log(0.2)))
    assert float(policy_drift(logp[0], logp[1])) == pytest.approx(0.6)
    assert float(kl_to_prior(logp[0], logp[0])) == 0.0
    kl = 0.5 * np.log(5) + 0.3 * np.log(3) + 0.2 * np.log(0.25)
    assert float(kl_to_prior(logp[0], logp[1])) == pytest.approx(kl)
    assert float(expected(logp[0], jnp.array([100.0, 200.0, 400.0]))) == pytest.approx(190.0)
    masked = jnp.log(jnp.array([0.0, 0.4, 0.6]))
    assert np.isfinite(float(entropy(masked))) and np.isfinite(float(kl_to_prior(masked, logp[0])))


def test_prior_puts_real_mass_on_unacceptable_and_sycophantic_responses():
    world = make_world(jax.random.key(0), WorldConfig())
    z0 = prior_logits(jax.random.key(1), world, split(PolicyConfig())[1], jnp.zeros(4), False)
    logp0 = jax.nn.log_softmax(z0)
    bad = world.violates.any(axis=1) | world.endorses  # a false-belief context
    assert 0.2 < float(violation_rate(logp0, ~bad)) < 0.95
    assert float(sycophancy_rate(logp0[None], world.endorses, jnp.array([False]))) > 0.5


def _problem(seed, n=6):
    rng = np.random.default_rng(seed)
    logp0 = np.log(rng.dirichlet(np.ones(n)))
    return logp0, rng.normal(size=n), rng.uniform(0.0, 1.0, size=n)


@pytest.mark.slow
def test_constrained_tilt_meets_a_binding_budget_exactly_and_is_the_plain_tilt_otherwise(x64):
    """E_pi C = d to 1e-6 when the plain tilt spends more than d (lambda > 0); lambda = 0 and
    pi = pi0 exp(r / beta) (normalised) when it spends less."""
    from sim.policies import constrained_tilt, expected_cost
    for seed in range(20):
        logp0, r, c = _problem(seed)
        beta = 0.5
        plain = tilt(jnp.asarray(logp0), jnp.asarray(r), 1.0 / beta)
        spent = float(expected_cost(plain, jnp.asarray(c)))
        binding = 0.5 * (spent + c.min())          # reachable and below the plain spend
        logp, lam = constrained_tilt(jnp.asarray(logp0), r, c, beta, binding)
        assert float(lam) > 0.0
        assert abs(float(expected_cost(logp, jnp.asarray(c))) - binding) < 1e-6
        logp, lam = constrained_tilt(jnp.asarray(logp0), r, c, beta, spent + 0.1)
        assert float(lam) == 0.0
        np.testing.assert_allclose(logp, plain, atol=1e-12)


def test_constrained_tilt_agrees_with_a_generic_solver(x64):
    """max E_pi r - beta KL(pi || pi0) s.t. E_pi C <= d, solved over the simplex by scipy's
    SLSQP, matches the closed form pi proportional to pi0 exp((r - lambda C) / beta)."""
    from scipy.optimize import minimize

    from sim.policies import constrained_tilt
    for seed in range(8):
        logp0, r, c = _problem(100 + seed, n=5)
        beta, d = 0.7, float(np.exp(logp0) @ c) * 0.8 + 0.2 * c.min()
        p0 = np.exp(logp0)

        def negative(p):
            p = np.clip(p, 1e-300, None)
            return -(p @ r - beta * np.sum(p * (np.log(p) - logp0)))

        res = minimize(negative, p0, method="SLSQP", bounds=[(0.0, 1.0)] * 5, tol=1e-14,
                       constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1.0},
                                    {"type": "ineq", "fun": lambda p: d - p @ c}],
                       options={"maxiter": 1000})
        logp, _ = constrained_tilt(jnp.asarray(logp0), r, c, beta, d)
        np.testing.assert_allclose(np.exp(np.asarray(logp)), res.x, atol=2e-5)


def test_dual_ascent_converges_to_the_bisection_multiplier(x64):
    """Safe RLHF's ln lambda <- ln lambda + eta lambda (E_pi C - d) settles at the lambda of
    the exact constrained tilt (a binding budget)."""
    from sim.policies import constrained_tilt, dual_ascent
    logp0, r, c = _problem(7)
    beta = 0.5
    logp_plain = tilt(jnp.asarray(logp0), jnp.asarray(r), 1.0 / beta)
    d = 0.5 * (float(jnp.exp(logp_plain) @ c) + c.min())
    _, lam = constrained_tilt(jnp.asarray(logp0), r, c, beta, d)
    path = dual_ascent(jnp.asarray(logp0), jnp.asarray(r), jnp.asarray(c), beta, d,
                       eta=0.5, steps=3000)
    np.testing.assert_allclose(float(path[-1]), float(lam), rtol=1e-6)


def test_constrained_tilt_batches_over_leading_axes():
    """(S, E, N) inputs: the same answer as one problem at a time."""
    from sim.policies import constrained_tilt
    rng = np.random.default_rng(0)
    logp0 = jax.nn.log_softmax(jnp.asarray(rng.normal(size=(2, 3, 7)), jnp.float32), axis=-1)
    r = jnp.asarray(rng.normal(size=(2, 3, 7)), jnp.float32)
    c = jnp.asarray(rng.uniform(size=(2, 3, 7)), jnp.float32)
    logp, lam = constrained_tilt(logp0, r, c, 1.0, 0.3)
    assert logp.shape == (2, 3, 7) and lam.shape == (2, 3)
    one, lam_one = constrained_tilt(logp0[1, 2], r[1, 2], c[1, 2], 1.0, 0.3)
    np.testing.assert_allclose(logp[1, 2], one, atol=1e-6)
    np.testing.assert_allclose(lam[1, 2], lam_one, rtol=1e-6)
