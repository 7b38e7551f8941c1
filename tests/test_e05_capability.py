"""E5 (paper sec. 5): the metrics of the signature against their definitions, the regimes'
mechanisms at a small size, and the quick config end to end through the runner."""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from sim.config import split
from sim.keys import seed_keys
from sim.metrics import spearman
from sim.spec import registry, run_configs
from sim.specs.setting import policy_setting, prior_logp, surface_metrics
from sim.world import WorldConfig, density

SPEC = registry()["capability"]
SEEDS = 6
SMALL = dataclasses.replace(
    SPEC.tiny_config(), world=WorldConfig(responses=64, prohibitions=6, padding_floor=0.05),
    contexts=4, tiers=(8, 16, 32, 64), dpo_steps=5)


@functools.cache
def results(beta):
    return jax.device_get(run_configs(SPEC, [dataclasses.replace(SMALL, beta=beta)],
                                      seed_keys(0, SEEDS)))


def test_spearman_equals_scipy_with_ties(x64):
    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.integers(0, 4, 9).astype(float)       # many ties
        b = rng.standard_normal(9)
        assert abs(float(spearman(jnp.asarray(a), jnp.asarray(b)))
                   - stats.spearmanr(a, b).statistic) < 1e-12
    assert float(spearman(jnp.ones(5), jnp.arange(5.0))) == 0.0   # constant: 0, not NaN


def test_surface_metrics_of_the_prior_and_of_a_point_mass(x64):
    """lc_value = value at the prior (no length shift); a point mass has its response's length
    and density."""
    params_static = split(SMALL)
    static, params = params_static
    setting = policy_setting(jax.random.key(1), params, static, 3)
    prior = surface_metrics(setting, setting.logp0)
    value = float(jnp.mean(jnp.sum(jnp.exp(setting.logp0) * setting.values, -1)))
    assert abs(float(prior["lc_value"]) - value) < 1e-9
    i = 5
    point = jnp.where(jnp.arange(setting.logp0.shape[1]) == i, 0.0, -jnp.inf)
    point = jnp.broadcast_to(point, setting.logp0.shape)
    m = surface_metrics(setting, point)
    assert abs(float(m["mean_length"]) - float(setting.world.length[i])) < 1e-9
    assert abs(float(m["density"]) - float(density(setting.world)[i])) < 1e-12


def test_the_second_axis_reproduces_the_prior_at_its_own_weight():
    static, params = split(SMALL)
    key = jax.random.key(2)
    setting = policy_setting(key, params, static, 3)
    again = prior_logp(key, setting, params.policy)
    np.testing.assert_array_equal(np.asarray(again), np.asarray(setting.logp0))
    other = prior_logp(key, setting, params.policy._replace(prior_value_weight=jnp.float32(4.0)))
    assert not np.array_equal(np.asarray(other), np.asarray(setting.logp0))


@pytest.mark.slow
def test_the_rule_learners_mask_violates_less_with_every_tier():
    """Claim (sec. 4 feeding sec. 5): with no false flags F_n only loses unacceptable
    responses, so the masked prior's violation rate never rises with the tier, in every seed."""
    v = results(4.0)["mask"]["violation_rate"][0]                    # (S, tiers)
    assert np.all(np.diff(v, axis=1) <= 1e-6)
    assert np.all(v[:, -1] <= v[:, 0])


@pytest.mark.slow
def test_the_hybrid_spends_half_the_budget_on_each_signal():
    """At beta = 0 mask-then-tilt is the mask: at tier n it equals the mask at tier n/2."""
    out = results(0.0)
    for metric in ("violation_rate", "mean_length", "sycophancy_rate"):
        np.testing.assert_allclose(out["mask_then_tilt"][metric][0, :, 1:],
                                   out["mask"][metric][0, :, :-1], rtol=1e-5, atol=1e-6)


def test_trends_are_the_spearman_of_each_seeds_curve():
    out = results(4.0)
    tiers = np.log(np.asarray(SMALL.tiers, float))
    for name in ("tilt", "dpo", "cost_mask"):
        for metric in ("mean_length", "density", "sycophancy_rate"):
            curves = out[name][metric][0]
            want = [0.0 if np.ptp(c) == 0 else stats.spearmanr(tiers, c).statistic
                    for c in curves]
            np.testing.assert_allclose(out[f"{name}_trend"][f"spearman_{metric}"][0], want,
                                       atol=1e-5)


@pytest.mark.slow
def test_dpo_grouped_by_prefix_equals_dpo_on_every_label(x64):
    """DPO at budgets given as a tuple (grouped: each group reads a prefix of the labels)
    equals the same budgets as an array (every run reads all labels, those past n weighted
    0), float64: the loss is the same weighted mean; n = 0 leaves pi0 unchanged."""
    from sim.labels import collect_comparisons
    from sim.specs.regimes import dpo_at_budgets
    from sim.specs.setting import setting_metrics
    static, params = split(SMALL)
    setting = policy_setting(jax.random.key(4), params, static, 3)
    cmp = collect_comparisons(jax.random.key(5), setting.world, params.annotator,
                              static.annotator, 40, pool=setting.contexts)
    budgets = (0, 3, 9, 17, 40)

    def run(b):
        return dpo_at_budgets(jax.random.key(6), setting, cmp, b, 0.1, 50.0, 20,
                              lambda logp: setting_metrics(setting, logp))

    grouped, whole = run(budgets), run(jnp.asarray(budgets, jnp.int32))
    prior = setting_metrics(setting, setting.logp0)
    for m in ("violation_rate", "value"):
        np.testing.assert_allclose(grouped[m], whole[m], rtol=1e-9, atol=1e-12, err_msg=m)
        np.testing.assert_allclose(grouped[m][0], prior[m], rtol=1e-9, err_msg=m)
    assert abs(float(grouped["value"][-1] - prior["value"])) > 1e-3    # training moved it
