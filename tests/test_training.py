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
