"""Policy training (sim.training) and experiment E3 as a library call."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sim.negative_only import VARIANTS, make_negative_only

from experiments import negative_only as e3
from experiments.runner import seed_keys
from sim import losses
from sim.training import TrainConfig, policy_logits, train_policy, verifiable_loss

RNG = np.random.default_rng(0)
LOGITS_NP = RNG.standard_normal((3, 12))
REWARD_NP = np.where(RNG.uniform(size=(3, 12)) < 0.4, 1.0, -1.0)


def test_exact_psr_and_nsr_share_their_gradient_over_one_softmax(x64):
    LOGITS, REWARD = jnp.asarray(LOGITS_NP), jnp.asarray(REWARD_NP)
    """L_NSR = 1 - pi(A) = 1 + L_PSR for each softmax, so the exact gradients coincide
    (and W-REINFORCE's is (1 + lambda) times theirs)."""
    def g(fn):
        return jax.grad(lambda z: jnp.sum(fn(jax.nn.log_softmax(z), REWARD)))(LOGITS)
    np.testing.assert_allclose(g(losses.psr), g(losses.nsr), atol=1e-14)
    np.testing.assert_allclose(g(lambda lp, r: losses.w_reinforce(lp, r, 0.1)), 1.1 * g(losses.nsr),
                               atol=1e-14)


@pytest.mark.parametrize("objective", ["psr", "nsr", "w_reinforce", "reinforce"])
def test_sampled_gradients_agree_with_exact_ones_in_expectation(x64, objective):
    """The REINFORCE estimate is unbiased: its mean over 20,000 draws is within 5 standard
    errors of the exact gradient, coordinate by coordinate."""
    LOGITS, REWARD = jnp.asarray(LOGITS_NP), jnp.asarray(REWARD_NP)
    exact = verifiable_loss(objective, REWARD, 0.1, TrainConfig(estimate="exact"))
    sampled = verifiable_loss(objective, REWARD, 0.1, TrainConfig(estimate="sampled", samples=4))
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
        return {"violation": jnp.mean(jnp.sum(jnp.where(reward < 0, jnp.exp(logp), 0), -1)),
                "kl": jnp.mean(jnp.sum(jnp.exp(logp) * (logp - jax.nn.log_softmax(z0)), -1))}

    out = train_policy(jax.random.key(0), jnp.zeros_like(z0), lambda th: policy_logits(th, z0, None),
                       verifiable_loss("nsr", reward, 0.1, cfg), evaluate, cfg, 5.0)
    assert out["violation"].shape == (7,) and float(out["kl"][0]) == 0.0
    assert np.all(np.diff(np.asarray(out["violation"])) < 0)


QUICK = e3.quick_config()


@functools.cache
def quick(variant):
    run, params, steps = make_negative_only(QUICK, variant)
    return jax.device_get(run(seed_keys(0, 4), params)), steps


def test_e3_metrics_are_finite_and_start_at_the_prior():
    first = None
    for v in VARIANTS:
        out, steps = quick(v)
        assert steps[0] == 0 and steps[-1] == QUICK.training.steps
        for name, values in out.items():
            assert values.shape == (4, len(steps)) and np.all(np.isfinite(values)), (v, name)
        if first is None:
            first = out["pass_at_1"][:, 0]
        # the reference tilts by a beta found by bisection for KL ~ 0: equal up to that search
        tol = 1e-3 if v == "kl_optimum" else 1e-6
        np.testing.assert_allclose(out["pass_at_1"][:, 0], first, atol=tol)
        assert np.all(np.abs(out["kl_to_prior"][:, 0]) < 1e-5)


def test_kl_optimum_reference_matches_the_kl_of_reinforce():
    ref, _ = quick("kl_optimum")
    rl, _ = quick("reinforce")
    close = np.isclose(ref["kl_to_prior"], rl["kl_to_prior"], rtol=1e-3, atol=1e-4)
    # past the tilt family's largest KL (-log pi0(A), all mass on A) the reference stays there
    assert close[:, :2].all() and np.all(close | (ref["kl_to_prior"] < rl["kl_to_prior"]))
    # at equal KL the optimum is at least as good at pass@1 (it is the KL-constrained optimum)
    assert np.all(ref["pass_at_1"][:, -1] >= rl["pass_at_1"][:, -1] - 1e-4)
