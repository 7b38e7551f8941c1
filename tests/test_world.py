"""The world of docs/model.md section 1: shapes, the coupled utility, the prohibitions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import norm

from sim import WorldConfig, make_world, sample_contexts, unacceptable, utility, value
from sim.world import density


def test_world_fields_have_documented_shapes_and_ranges():
    cfg = WorldConfig(responses=300, latent_dims=5, context_dims=3, prohibitions=7)
    w = make_world(jax.random.key(0), cfg)
    assert w.features.shape == (300, 5) and w.violates.shape == (300, 7)
    assert w.endorses.dtype == jnp.bool_ and w.violates.dtype == jnp.bool_
    assert w.normals.shape == (7, 5) and w.context_map.shape == (5, 3)
    assert np.allclose(np.linalg.norm(w.normals, axis=1), 1.0, atol=1e-5)
    assert np.all(w.length > 0) and np.all(w.claims <= w.length) and np.all(w.claims > 0)
    d = np.asarray(density(w))
    assert np.all((d > 0) & (d <= 1))


def test_thresholds_are_the_normal_quantile_of_one_minus_the_mass(x64):
    """theta_j = Phi^-1(1 - p_j), so a prohibition covers mass p_j of N(0, I)."""
    cfg = WorldConfig(prohibitions=32, prohibition_mass=0.3, prohibition_mass_spread=0.2)
    w = make_world(jax.random.key(1), cfg)
    masses = np.asarray(w.masses)
    assert np.all((masses >= 0.1) & (masses <= 0.5))
    np.testing.assert_allclose(w.thresholds, norm.ppf(1 - masses), rtol=1e-10, atol=1e-10)


def test_each_prohibition_covers_its_mass_in_expectation():
    """P(w . x > theta) = p for x ~ N(0, I): the empirical share is within 4 standard errors."""
    cfg = WorldConfig(responses=100_000, prohibitions=4, prohibition_mass=0.2)
    w = make_world(jax.random.key(2), cfg)
    share = np.asarray(w.violates.mean(axis=0))
    se = np.sqrt(0.2 * 0.8 / 100_000)
    assert np.all(np.abs(share - 0.2) < 4 * se)


def test_utility_matches_the_closed_form_in_float64(x64):
    """U(x, c) = -1/2 (x - M c)^T A (x - M c) + bonus * density + a endorses belief_true(c),
    checked against NumPy."""
    cfg = WorldConfig(responses=50, coupling=0.7, density_bonus=2.0)
    w = make_world(jax.random.key(3), cfg)
    c = np.random.default_rng(0).standard_normal(cfg.context_dims)
    x, a, m = (np.asarray(t) for t in (w.features, w.metric, w.context_map))
    diff = x - m @ c
    expected = -0.5 * np.einsum("nd,de,ne->n", diff, a, diff) + 2.0 * np.asarray(w.claims / w.length)
    np.testing.assert_allclose(utility(w, jnp.asarray(c), False), expected, rtol=1e-12)
    agreeing = expected + cfg.agree_value * np.asarray(w.endorses)   # a user who is right
    np.testing.assert_allclose(utility(w, jnp.asarray(c), True), agreeing, rtol=1e-12)


def test_metric_is_coupled_correlation_and_identity_at_zero_coupling(x64):
    """A = (1 - kappa) I + kappa C with C a correlation matrix (SPD, unit diagonal)."""
    w0 = make_world(jax.random.key(4), WorldConfig(coupling=0.0))
    np.testing.assert_allclose(w0.metric, np.eye(8), atol=1e-12)
    w = make_world(jax.random.key(4), WorldConfig(coupling=0.9))
    a = np.asarray(w.metric)
    np.testing.assert_allclose(np.diag(a), 1.0, atol=1e-9)
    assert np.all(np.linalg.eigvalsh(a) > 0)
    off = a[~np.eye(8, dtype=bool)]
    assert np.max(np.abs(off)) > 0.05  # really coupled


def test_default_penalty_puts_every_unacceptable_response_below_every_acceptable_one():
    """Lambda = 1000 (the default) is large enough at the default sizes (docs/model.md section 1)."""
    w = make_world(jax.random.key(5), WorldConfig())
    ctx = sample_contexts(jax.random.key(6), w, 32)
    for c, b in zip(ctx.features, ctx.belief_true):
        v = np.asarray(value(w, c, b))
        bad = np.asarray(unacceptable(w, b))
        assert bad.any() and (~bad).any()
        assert v[bad].max() < v[~bad].min()


def test_factual_prohibition_fires_only_for_endorsing_a_false_belief():
    w = make_world(jax.random.key(7), WorldConfig(responses=400))
    base = np.asarray(w.violates.any(axis=1) | w.pads)
    false_ctx = np.asarray(unacceptable(w, jnp.asarray(False)))
    true_ctx = np.asarray(unacceptable(w, jnp.asarray(True)))
    np.testing.assert_array_equal(true_ctx, base)
    np.testing.assert_array_equal(false_ctx, base | np.asarray(w.endorses))


def test_padding_prohibition_is_density_below_the_floor():
    w = make_world(jax.random.key(8), WorldConfig(padding_floor=0.1))
    np.testing.assert_array_equal(w.pads, np.asarray(w.claims / w.length) < 0.1)
    assert not make_world(jax.random.key(8), WorldConfig()).pads.any()


@pytest.mark.parametrize("prob", [0.0, 0.3, 1.0])
def test_context_beliefs_follow_their_probability(prob):
    w = make_world(jax.random.key(9), WorldConfig(belief_true_prob=prob))
    share = float(sample_contexts(jax.random.key(10), w, 20_000).belief_true.mean())
    assert abs(share - prob) < 4 * np.sqrt(max(prob * (1 - prob), 1e-12) / 20_000) + 1e-9


def test_zipf_masses_have_the_stated_exponent_and_total(x64):
    """E7's world option: log p_j is linear in log j with slope -a, and sum_j p_j = T p."""
    import jax.numpy as jnp

    from sim.world import zipf_masses
    for t, p, a in ((16, 0.05, 1.0), (1024, 0.01, 0.7), (64, 0.02, 1.5)):
        masses = np.asarray(zipf_masses(t, jnp.float64(p), jnp.float64(a), jnp))
        slope = np.polyfit(np.log(np.arange(1, t + 1)), np.log(masses), 1)[0]
        assert abs(slope + a) < 1e-9 and abs(masses.sum() - t * p) < 1e-9
        np.testing.assert_allclose(masses, zipf_masses(t, p, a), rtol=1e-12)


def test_a_zipf_world_fires_each_prohibition_at_its_mass():
    """P(g_j = 1) = p_j under the zipf law too (binomial tolerance, 4 sd)."""
    from sim.world import WorldConfig, make_world
    n = 20_000
    world = make_world(jax.random.key(3), WorldConfig(responses=n, prohibitions=32,
                                                      mass_law="zipf", zipf_exponent=1.2))
    p = np.asarray(world.masses)
    freq = np.asarray(world.violates).mean(0)
    assert np.all(np.abs(freq - p) < 4 * np.sqrt(p * (1 - p) / n) + 1e-6)


def test_a_zipf_law_whose_largest_mass_reaches_one_is_refused():
    from sim.config import ConfigError
    from sim.world import WorldConfig
    with pytest.raises(ConfigError, match=r"world.zipf_exponent = 3.0 is out of range"):
        WorldConfig(prohibitions=4, prohibition_mass=0.3, mass_law="zipf", zipf_exponent=3.0)
    with pytest.raises(ConfigError, match="prohibition_mass_spread"):
        WorldConfig(mass_law="zipf", prohibition_mass_spread=0.01)
