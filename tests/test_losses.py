"""The objectives of docs/model.md section 5: hand-computed values (x64), limits, extremes."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sim import losses


def sig(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_reference_values_computed_by_hand(x64):
    # DPO: h = (-1 - -2) - (-3 - -2.5) = 1.5
    assert float(losses.dpo(-1.0, -3.0, -2.0, -2.5, 0.1)) == pytest.approx(-math.log(sig(0.15)), rel=1e-12)
    # IPO: (1.5 - 1/(2*0.25))^2 = (1.5 - 2)^2
    assert float(losses.ipo(-1.0, -3.0, -2.0, -2.5, 0.25)) == pytest.approx(0.25, rel=1e-12)
    # KTO: r = 0.5, z0 = max(0.2, 0) -> desirable: 1 - 1 * sigma(0.1 * 0.3)
    assert float(losses.kto(-1.0, -1.5, True, 0.2, 0.1, 1.0, 1.33)) == pytest.approx(1 - sig(0.03), rel=1e-12)
    # undesirable with a negative KL estimate clamped to 0: 1.33 - 1.33 sigma(0.1 * (0 - 0.5))
    assert float(losses.kto(-1.0, -1.5, False, -0.7, 0.1, 1.0, 1.33)) == pytest.approx(
        1.33 * (1 - sig(-0.05)), rel=1e-12)
    # NPO: -(2/0.1) log sigma(-0.1 * 0.5)
    assert float(losses.npo(-1.0, -1.5, 0.1)) == pytest.approx(-20 * math.log(sig(-0.05)), rel=1e-12)
    # D2O: anchors mean ratio (0.2 + 0.4)/2 = 0.3; -log sigma(0.1 * 0.3 - 0.1 * 0.5)
    got = losses.d2o(-1.0, -1.5, jnp.array([-1.0, -2.0]), jnp.array([-1.2, -2.4]), 0.1, 0.1)
    assert float(got) == pytest.approx(-math.log(sig(0.03 - 0.05)), rel=1e-12)
    # PSR / NSR / W-REINFORCE on pi = (0.5, 0.3, 0.2), R = (+1, -1, +1)
    logp, reward = jnp.log(jnp.array([0.5, 0.3, 0.2])), jnp.array([1.0, -1.0, 1.0])
    assert float(losses.psr(logp, reward)) == pytest.approx(-0.7, rel=1e-12)
    assert float(losses.nsr(logp, reward)) == pytest.approx(0.3, rel=1e-12)
    assert float(losses.w_reinforce(logp, reward, 0.1)) == pytest.approx(0.3 - 0.07, rel=1e-12)
    assert float(losses.w_reinforce(logp, reward, 1.0)) == pytest.approx(-0.4, rel=1e-12)


def test_losses_return_one_value_per_example_without_reduction():
    a = jnp.zeros((4, 3))
    assert losses.dpo(a, a, a, a).shape == (4, 3)
    assert losses.kto(a, a, a > 0, a, 0.1).shape == (4, 3)
    assert losses.d2o(a[:, 0], a[:, 0], a, a).shape == (4,)
    assert losses.nsr(a, a - 1).shape == (4,)


def test_nsr_descent_raises_each_acceptable_logit_in_proportion_to_its_probability(x64):
    """Zhu et al.: NSR lowers wrong responses and raises every other by lr * pi_k * P(wrong)."""
    z = jnp.array([1.0, 0.2, -0.5, 0.3, 2.0])
    reward = jnp.array([1.0, -1.0, 1.0, 1.0, -1.0])
    grad = jax.grad(lambda z: losses.nsr(jax.nn.log_softmax(z), reward))(z)
    pi = jax.nn.softmax(z)
    p_wrong = float(jnp.sum(jnp.where(reward < 0, pi, 0)))
    step = -grad  # a unit descent step
    good = np.asarray(reward) > 0
    np.testing.assert_allclose(np.asarray(step)[good], np.asarray(pi)[good] * p_wrong, rtol=1e-12)
    assert np.all(np.asarray(step)[~good] < 0)
    # the policy-gradient form has the same gradient
    grad_pg = jax.grad(lambda z: losses.nsr(jax.nn.log_softmax(z), reward, form="logprob"))(z)
    np.testing.assert_allclose(grad_pg, grad, rtol=1e-12)


def test_npo_gradient_tends_to_gradient_ascent_as_beta_goes_to_zero(x64):
    """d NPO / d logp = 2 sigma(beta (logp - ref)) -> 1 (x2): NPO becomes gradient ascent on
    the forget example (loss = logp up to scale) as beta -> 0."""
    logp, ref = -0.7, -1.9
    grads = [float(jax.grad(losses.npo)(logp, ref, b)) for b in (1.0, 0.1, 1e-3, 1e-6)]
    assert abs(grads[-1] - 1.0) < 1e-5
    assert abs(grads[0] - 1.0) > abs(grads[1] - 1.0) > abs(grads[2] - 1.0)


@pytest.mark.parametrize("x", [1e4, -1e4])
def test_losses_and_gradients_stay_finite_at_log_ratios_of_1e4(x):
    x = jnp.float32(x)
    zero = jnp.float32(0.0)
    fns = [
        lambda x: losses.dpo(x, zero, zero, zero, 0.1),
        lambda x: losses.ipo(x, zero, zero, zero, 0.1),
        lambda x: losses.kto(x, zero, True, zero, 0.1),
        lambda x: losses.kto(x, zero, False, zero, 0.1),
        lambda x: losses.npo(x, zero, 0.1),
        lambda x: losses.d2o(x, zero, jnp.stack([x, -x]), jnp.zeros(2), 0.1, 0.1),
        lambda x: losses.nsr(jax.nn.log_softmax(jnp.stack([x, zero, -x])), jnp.array([1., -1., 1.])),
        lambda x: losses.w_reinforce(jax.nn.log_softmax(jnp.stack([x, zero])), jnp.array([-1., 1.])),
    ]
    for f in fns:
        value, grad = jax.value_and_grad(f)(x)
        assert np.isfinite(float(value)) and np.isfinite(float(grad))


@pytest.mark.parametrize("per_context", [False, True])
@pytest.mark.parametrize("name", ["psr", "nsr", "dpo", "kto", "npo"])
def test_the_parametric_policys_gradient_of_each_loss_matches_finite_differences(name, per_context,
                                                                                 x64):
    """Issue 28: a policy on shared features, logits z0 + psi theta (sim.training.policy_logits),
    psi context-free (N, p) or per context (E, N, p, as the belief family's). The gradient in
    theta of each objective (PSR, NSR, DPO, KTO, NPO) equals central finite differences in
    float64: lowering one response moves those that look like it, exactly as the chain rule
    through psi says."""
    from sim.training import policy_logits
    rng = np.random.default_rng(7)
    e, n, p = 3, 6, 4
    z0 = jnp.asarray(rng.normal(size=(e, n)))
    psi = jnp.asarray(rng.normal(size=(e, n, p) if per_context else (n, p)))
    logp0 = jax.nn.log_softmax(z0, axis=-1)
    reward = jnp.asarray(np.where(rng.random((e, n)) < 0.4, 1.0, -1.0))
    pairs = (jnp.array([0, 1, 2]), jnp.array([1, 3, 5]), jnp.array([4, 0, 2]))  # (e, i, j)

    def objective(theta, form="prob"):
        logp = jax.nn.log_softmax(policy_logits(theta, z0, psi), axis=-1)
        if name in ("psr", "nsr"):   # the gradient of the log-probability (policy-gradient)
            return jnp.mean(getattr(losses, name)(logp, reward, form))   # surrogate is checked
        # against finite differences of the expected objective it stands for
        ctx, i, j = pairs
        if name == "dpo":
            return jnp.mean(losses.dpo(logp[ctx, i], logp[ctx, j], logp0[ctx, i], logp0[ctx, j]))
        if name == "kto":
            desirable = reward[ctx, i] > 0
            return jnp.mean(losses.kto(logp[ctx, i], logp0[ctx, i], desirable, 0.0))
        return jnp.mean(losses.npo(logp[ctx, j], logp0[ctx, j]))

    theta = jnp.asarray(rng.normal(size=p) * 0.3)
    grad = np.asarray(jax.grad(lambda t: objective(t, "logprob"))(theta))
    h = 1e-6
    fd = np.array([(float(objective(theta + h * np.eye(p)[k])) - float(objective(theta - h * np.eye(p)[k])))
                   / (2 * h) for k in range(p)])
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)
    assert np.abs(grad).max() > 1e-6   # the features carry the gradient: not a vacuous check
