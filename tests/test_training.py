"""Policy training (sim.training): exact and sampled verifiable-reward gradients, the loop."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sim import losses
from sim.training import TrainConfig, policy_logits, train_policy, verifiable_loss

RNG = np.random.default_rng(0)
LOGITS_NP = RNG.standard_normal((3, 12))
REWARD_NP = np.where(RNG.uniform(size=(3, 12)) < 0.4, 1.0, -1.0)


def test_exact_psr_and_nsr_share_their_gradient_over_one_softmax(x64):
    """L_NSR = 1 - pi(A) = 1 + L_PSR for each softmax, so the exact gradients coincide
    (and W-REINFORCE's is (1 + lambda) times theirs)."""
    LOGITS, REWARD = jnp.asarray(LOGITS_NP), jnp.asarray(REWARD_NP)
    def g(fn):
        return jax.grad(lambda z: jnp.sum(fn(jax.nn.log_softmax(z), REWARD)))(LOGITS)
    np.testing.assert_allclose(g(losses.psr), g(losses.nsr), atol=1e-14)
    np.testing.assert_allclose(g(lambda lp, r: losses.w_reinforce(lp, r, 0.1)), 1.1 * g(losses.nsr),
                               atol=1e-14)


@pytest.mark.parametrize("weights", [(1.0, 0.0), (0.0, 1.0), (0.1, 1.0), (1.0, 1.0)])
def test_sampled_gradients_agree_with_exact_ones_in_expectation(x64, weights):
    """The REINFORCE estimate is unbiased: its mean over 20,000 draws is within 5 standard
    errors of the exact gradient, coordinate by coordinate."""
    LOGITS, REWARD = jnp.asarray(LOGITS_NP), jnp.asarray(REWARD_NP)
    exact = verifiable_loss(*weights, REWARD, TrainConfig(estimate="exact"))
    sampled = verifiable_loss(*weights, REWARD, TrainConfig(estimate="sampled", samples=4))
    g_exact = np.asarray(jax.grad(lambda z: exact(None, z))(LOGITS))
    keys = jax.random.split(jax.random.key(1), 20_000)
    draws = np.asarray(jax.jit(jax.vmap(lambda k: jax.grad(lambda z: sampled(k, z))(LOGITS)))(keys))
    mean, se = draws.mean(0), draws.std(0) / np.sqrt(len(draws))
    assert np.all(np.abs(mean - g_exact) <= 5 * se + 1e-9)


def test_training_from_zero_starts_at_the_prior_and_lowers_violations(x64):
    z0 = jnp.asarray(RNG.standard_normal((4, 20)))
    reward = jnp.where(jnp.asarray(RNG.uniform(size=(4, 20)) < 0.3), 1.0, -1.0)
    cfg = TrainConfig(steps=60, checkpoints=6, optimizer="sgd", learning_rate=5.0, estimate="exact")

    def evaluate(logits):
        logp = jax.nn.log_softmax(logits)
        return {"violation": jnp.mean(jnp.sum(jnp.where(reward < 0, jnp.exp(logp), 0.0), -1)),
                "kl": jnp.mean(jnp.sum(jnp.exp(logp) * (logp - jax.nn.log_softmax(z0)), -1))}

    out = train_policy(jax.random.key(0), jnp.zeros_like(z0), lambda th: policy_logits(th, z0, None),
                       verifiable_loss(0.0, 1.0, reward, cfg), evaluate, cfg, 5.0)
    assert out["violation"].shape == (7,) and float(out["kl"][0]) == 0.0
    assert np.all(np.diff(np.asarray(out["violation"])) < 0)


def _nsr_on(z0, e, i):
    """NSR (probability form) on one flagged response i in context e."""
    return lambda logits: jnp.exp(jax.nn.log_softmax(logits, axis=-1)[e, i])


def test_tabular_offline_training_is_plain_sgd(x64):
    """Issue 28, the tabular policy stays what it was: train_logits without psi is plain SGD
    on per-context logits, step for step (float64, against a hand-written loop)."""
    from sim.training import train_logits
    z0 = jnp.asarray(RNG.standard_normal((2, 5)))
    loss = _nsr_on(z0, 0, 3)
    out = train_logits(jax.random.key(0), z0, loss, lambda z: {"z": z}, 6, 3, 2.0)
    theta = np.zeros((2, 5))
    for _ in range(6):
        theta = theta - 2.0 * np.asarray(jax.grad(loss)(z0 + theta))
    np.testing.assert_allclose(np.asarray(out["z"][-1]), np.asarray(z0) + theta, rtol=1e-12)


def test_a_shared_policy_lowers_the_lookalikes_of_a_flagged_response(x64):
    """Issue 28, policies that generalise: NSR on response 3 flagged in context 0 only. On
    shared features (responses 3 and 4 alike) response 4 falls too, and response 3 falls in
    context 1, where nothing was flagged; the tabular policy moves context 0 alone."""
    from sim.training import train_logits
    z0 = jnp.zeros((2, 5))
    psi = jnp.asarray([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.2], [1.0, 0.1]])   # (N, p)
    prob = lambda z: {"p": jax.nn.softmax(z, axis=-1)}   # noqa: E731
    shared = train_logits(jax.random.key(0), z0, _nsr_on(z0, 0, 3), prob, 50, 1, 0.05,
                          (lambda th: policy_logits(th, jnp.zeros((2, 5)), psi), 2))
    tabular = train_logits(jax.random.key(0), z0, _nsr_on(z0, 0, 3), prob, 50, 1, 2.0)
    ps, pt = np.asarray(shared["p"][-1]), np.asarray(tabular["p"][-1])
    assert ps[0, 3] < 0.1 and ps[0, 4] < 0.1 and ps[1, 3] < 0.1      # the region falls
    assert pt[0, 3] < 0.2 and pt[0, 4] > 0.2                          # only the labelled one
    np.testing.assert_allclose(pt[1], np.full(5, 0.2), rtol=1e-12)    # context 1 untouched


@pytest.mark.parametrize("family", ["linear", "quadratic", "belief", "contextual"])
def test_a_policys_features_are_its_reward_familys_inputs_in_sd_units(family):
    """Matched capacity: the shared policy z0 + psi(theta) reads exactly what a reward model of
    that family reads, psi(theta) = r_{theta / s} in every context, with each input scaled to
    sd 1 over the contexts' responses (s its sd), so Adam's step is in sd units."""
    from sim import WorldConfig, make_world, rewards, sample_contexts
    from sim.preferences import feature_dim
    from sim.training import family_features
    w = make_world(jax.random.key(4), WorldConfig(responses=24))
    ctx = sample_contexts(jax.random.key(5), w, 3)
    p = feature_dim(family, w.features.shape[1], w.context_map.shape[1], 24)
    theta = jnp.asarray(RNG.standard_normal(p), w.features.dtype)
    psi, width = family_features(family, w, ctx)
    assert width == p
    raw = np.asarray(jax.jacfwd(lambda t: rewards(t, family, w, ctx))(theta)).reshape(-1, p)
    s = np.maximum(raw.std(axis=0), 1e-6)
    dense = jax.jacfwd(psi)(theta)                        # (E, N, p): psi is linear in theta
    np.testing.assert_allclose(np.asarray(dense).reshape(-1, p).std(axis=0)[s > 1e-6], 1.0,
                               rtol=1e-4)
    np.testing.assert_allclose(np.asarray(psi(theta)),
                               np.asarray(rewards(theta / jnp.asarray(s), family, w, ctx)),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(policy_logits(theta, jnp.zeros((3, 24)), dense)),
                               np.asarray(psi(theta)), rtol=1e-4, atol=1e-4)
