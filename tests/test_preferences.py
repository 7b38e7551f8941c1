"""The Bradley-Terry preference learner of docs/model.md section 3."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sim import WorldConfig, fit_batch, fit_online, make_world, rewards, sample_contexts, value
from sim.preferences import (
    feature_dim,
    features,
    response_features,
    surface_loadings,
)
from sim.reward_fits import bradley_terry_nll
from sim.world import unacceptable


def _synthetic(key, n, theta_true):
    """Comparisons from a well-specified linear utility: P(i wins) = sigma(theta* . dphi)."""
    k1, k2 = jax.random.split(key)
    dphi = jax.random.normal(k1, (n, theta_true.shape[0]))
    target = (jax.random.uniform(k2, (n,)) < jax.nn.sigmoid(dphi @ theta_true)).astype(dphi.dtype)
    return dphi, target, jnp.ones_like(target)


def test_batch_fit_recovers_the_true_weights_as_labels_grow(x64):
    theta_true = jnp.array([1.5, -0.7, 0.3, 0.0, 2.0])
    dphi, target, weight = _synthetic(jax.random.key(0), 20_000, theta_true)
    steps = jnp.array([100, 1_000, 20_000])
    thetas = fit_batch(dphi, target, weight, steps, 1e-3, 20)
    errors = np.linalg.norm(np.asarray(thetas) - np.asarray(theta_true), axis=1)
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.1


def test_newton_refit_is_the_regularised_mle_and_agrees_with_optax_lbfgs(x64):
    theta_true = jnp.array([0.8, -1.2, 0.5])
    dphi, target, weight = _synthetic(jax.random.key(1), 500, theta_true)
    steps = jnp.array([50, 500])
    newton = fit_batch(dphi, target, weight, steps, 0.1, 15, "newton")
    lbfgs = fit_batch(dphi, target, weight, steps, 0.1, 200, "lbfgs")
    np.testing.assert_allclose(newton, lbfgs, atol=1e-6)
    # first-order optimality of L_n at n = 500
    grad = jax.grad(lambda th: jnp.sum(bradley_terry_nll(th, dphi, target, weight))
                    + 0.05 * jnp.sum(th * th))(newton[1])
    assert float(jnp.max(jnp.abs(grad))) < 1e-8


def test_bradley_terry_gradient_is_sigma_minus_target(x64):
    dphi = jnp.array([[1.0, -2.0], [0.5, 0.25]])
    target = jnp.array([1.0, 0.5])
    theta = jnp.array([0.3, -0.1])
    grad = jax.grad(lambda th: jnp.sum(bradley_terry_nll(th, dphi, target, jnp.ones(2))))(theta)
    expected = dphi.T @ (jax.nn.sigmoid(dphi @ theta) - target)
    np.testing.assert_allclose(grad, expected, rtol=1e-12)


def test_one_online_sgd_step_is_a_gradient_step_on_that_label(x64):
    dphi, target, weight = _synthetic(jax.random.key(2), 10, jnp.array([1.0, 2.0]))
    thetas = fit_online(dphi, target, weight, jnp.array([0, 1]), 0.0, 0.5, "sgd")
    np.testing.assert_allclose(thetas[0], 0.0)
    np.testing.assert_allclose(thetas[1], -0.5 * dphi[0] * (0.5 - target[0]), rtol=1e-12)


def test_online_fit_lowers_the_loss_it_streams():
    theta_true = jnp.array([1.0, -1.0, 0.5, 2.0])
    dphi, target, weight = _synthetic(jax.random.key(3), 3000, theta_true)
    thetas = fit_online(dphi, target, weight, jnp.array([0, 3000]), 1e-2, 0.05)
    loss = [float(jnp.mean(bradley_terry_nll(t, dphi, target, weight))) for t in thetas]
    assert loss[1] < 0.8 * loss[0]


@pytest.mark.parametrize("family", ["linear", "quadratic", "belief", "contextual", "tabular"])
def test_fast_rewards_equal_features_times_theta(family):
    w = make_world(jax.random.key(4), WorldConfig(responses=64))
    ctx = sample_contexts(jax.random.key(5), w, 3)
    p = feature_dim(family, 8, 4, 64)
    theta = jax.random.normal(jax.random.key(6), (p,))
    fast = rewards(theta, family, w, ctx)
    r = response_features(w)
    for e in range(3):
        phi = features(family, r, ctx.features[e], unacceptable(w, ctx.belief_true[e]),
                       (r.endorses > 0) & ctx.belief_true[e], 64)
        assert phi.shape == (64, p)
        np.testing.assert_allclose(fast[e], phi @ theta, rtol=2e-5, atol=2e-4)


def test_contextual_family_contains_the_true_value_so_it_is_well_specified(x64):
    """V(i, c) = theta* . phi(i, c) + const(c) with theta* read off A, M, a, Lambda and the
    bonus."""
    cfg = WorldConfig(responses=100, coupling=0.6, density_bonus=1.5, latent_dims=4,
                      context_dims=3)
    w = make_world(jax.random.key(7), cfg)
    a, m = np.asarray(w.metric), np.asarray(w.context_map)
    d, k = 4, 3
    ia, ib = np.triu_indices(d)
    quad = np.where(ia == ib, -0.5 * a[ia, ib], -a[ia, ib])
    theta = np.concatenate([np.zeros(d), quad, [0.0, 0.0, 1.5], (a @ m).reshape(-1),
                            [cfg.agree_value, -1000.0]])
    assert theta.shape[0] == feature_dim("contextual", d, k)
    ctx = sample_contexts(jax.random.key(8), w, 5)
    r = np.asarray(rewards(jnp.asarray(theta), "contextual", w, ctx))
    for e in range(5):
        gap = r[e] - np.asarray(value(w, ctx.features[e], ctx.belief_true[e]))
        assert np.ptp(gap) < 1e-9  # constant in i: the same ranking and the same comparisons


def test_surface_loadings_of_the_linear_family_are_its_coefficients(x64):
    w = make_world(jax.random.key(9), WorldConfig(responses=50))
    theta = jnp.arange(10.0)  # [x (8), endorses, log length]
    endorse, length = surface_loadings(theta, "linear", response_features(w))
    assert float(endorse) == pytest.approx(8.0)
    assert float(length) == pytest.approx(9.0 * np.log(2.0))


def test_ensemble_aggregates_are_ordered_and_one_member_is_the_single_model():
    """min <= uncertainty-weighted <= mean <= max over members, and K = 1 (weights all ones)
    gives bitwise the single reward model's parameters."""
    from sim.config import split
    from sim.ensembles import aggregate, fit_reward_models
    from sim.labels import collect_comparisons, feature_differences
    from sim.oracles import AnnotatorConfig
    from sim.preferences import LearnerConfig
    from sim.reward_fits import fit_batch
    from sim.world import WorldConfig, make_world
    world = make_world(jax.random.key(0), WorldConfig(responses=128))
    a_static, a_params = split(AnnotatorConfig())
    comp = collect_comparisons(jax.random.key(1), world, a_params, a_static, 300)
    dphi = feature_differences("linear", world, comp)
    target, weight = comp.answer
    steps = jnp.asarray([50, 300], jnp.int32)
    static, params = split(LearnerConfig(family="linear"))
    single = fit_batch(dphi, target, weight, steps, params.ridge, static.batch_iters)
    one = fit_reward_models(jax.random.key(2), dphi, target, weight, steps, params, static)
    np.testing.assert_array_equal(one[0], single)
    static5, params5 = split(LearnerConfig(family="linear", ensemble=5))
    members = fit_reward_models(jax.random.key(2), dphi, target, weight, steps, params5, static5)
    assert members.shape == (5, 2, single.shape[-1])
    assert not np.allclose(members[0], members[1])       # bootstrap resamples differ
    r = members[:, -1] @ np.asarray(dphi[:40]).T           # (5, 40) member "rewards"
    lo = aggregate(r, "min", 1.0)
    mean = aggregate(r, "mean", 1.0)
    uwo = aggregate(r, "uncertainty", 1.0)
    assert np.all(lo <= mean + 1e-6) and np.all(mean <= np.max(r, axis=0) + 1e-6)
    r64 = np.asarray(r, np.float64)   # each aggregate is Coste et al.'s formula, not another one
    np.testing.assert_allclose(lo, r64.min(0), rtol=1e-6)
    np.testing.assert_allclose(mean, r64.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(uwo, r64.mean(0) - r64.var(0), rtol=1e-4, atol=1e-5)
    assert np.all(uwo <= mean + 1e-6)
