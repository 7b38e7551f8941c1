"""E8 (paper sec. 6.3): the split's end points reduce the hybrid to its parts, the constrained
tilt's multiplier vanishes when its budget is slack, the helpfulness metrics against their
definitions, and the quick config end to end through the runner."""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sim.config import ConfigError
from sim.keys import seed_keys
from sim.metrics import acceptable_regret, helpfulness
from sim.policies import constrained_tilt, tilt
from sim.spec import registry, run_configs
from sim.specs.e08_hybrid import split_counts
from sim.world import WorldConfig

SPEC = registry()["hybrid"]
SEEDS = 4
SMALL = dataclasses.replace(
    SPEC.tiny_config(), world=WorldConfig(responses=64, prohibitions=6, prohibition_mass=0.1),
    contexts=3, budgets=(16, 64), shares=(0.0, 0.25, 1.0), front_budget=64, front_betas=(1.0,),
    dual_steps=5, rbr_steps=20, dpo_steps=5)


@functools.cache
def results(cost_budget=0.05):
    config = dataclasses.replace(SMALL, cost_budget=cost_budget)
    return jax.device_get(run_configs(SPEC, [config], seed_keys(0, SEEDS)))


def _same(a, b, metrics=("violation_rate", "helpfulness", "sycophancy_rate", "value")):
    for m in metrics:
        np.testing.assert_allclose(a[m], b[m], rtol=1e-5, atol=1e-5, err_msg=m)


def test_split_counts_spend_the_whole_budget():
    counts = split_counts((10, 100), (0.0, 0.25, 1.0))
    assert counts == ((0, 10), (2, 8), (10, 0), (0, 100), (25, 75), (100, 0))
    assert all(r + c == b for (r, c), b in zip(counts, (10,) * 3 + (100,) * 3))


@pytest.mark.slow
def test_all_rejections_make_mask_then_tilt_the_mask():
    """At f = 1 there are no comparisons: the reward is constant and the hybrid is the mask."""
    out = results()
    for b in SMALL.budgets:
        _same(jax.tree.map(lambda a: a[0, :, -1], out[f"mask_then_tilt_{b}"]),
              jax.tree.map(lambda a: a[0, :, -1], out[f"mask_{b}"]))


@pytest.mark.slow
def test_all_comparisons_make_mask_then_tilt_the_tilt():
    """At f = 0 the rule learner knows nothing: F_0 is every response and the hybrid is the tilt."""
    out = results()
    for b in SMALL.budgets:
        _same(jax.tree.map(lambda a: a[0, :, 0], out[f"mask_then_tilt_{b}"]),
              jax.tree.map(lambda a: a[0, :, 0], out[f"tilt_{b}"]))


@pytest.mark.slow   # compiles the whole experiment: the full suite only
def test_the_baseline_has_zero_margins_and_the_margins_are_differences():
    out = results()
    for b in SMALL.budgets:
        tilt_b = out[f"tilt_{b}"]
        for m in ("violation_cut", "helpfulness_gain", "value_gain"):
            assert np.all(tilt_b[m][0, :, 0] == 0.0), m
        mask_b = out[f"mask_{b}"]
        np.testing.assert_allclose(mask_b["violation_cut"][0],
                                   tilt_b["violation_rate"][0, :, :1] - mask_b["violation_rate"][0],
                                   atol=1e-6)


@pytest.mark.slow   # compiles the whole experiment: the full suite only
def test_a_slack_cost_budget_makes_the_constrained_tilt_the_tilt():
    """Claim (Safe RLHF's KKT condition): with d = 1 every policy meets E_pi C <= d, so lambda = 0
    and the constrained optimum is the plain tilt, at every budget and split."""
    out = results(cost_budget=1.0)
    for b in SMALL.budgets:
        _same(jax.tree.map(lambda a: a[0], out[f"constrained_tilt_{b}"]),
              jax.tree.map(lambda a: a[0], out[f"tilt_{b}"]))
    logp0 = jax.nn.log_softmax(jnp.asarray([[0.1, 0.5, -0.3, 0.0]]), -1)
    r, cost = jnp.asarray([[1.0, -1.0, 0.5, 2.0]]), jnp.asarray([[0.2, 0.9, 0.1, 0.4]])
    logp, lam = constrained_tilt(logp0, 3.0 * r, cost, 1.0, 1.0)
    assert float(lam[0]) == 0.0
    np.testing.assert_allclose(logp, tilt(logp0, r, 3.0), atol=1e-6)
    _, lam = constrained_tilt(logp0, 3.0 * r, cost, 1.0, 0.2)
    assert float(lam[0]) > 0.0


@pytest.mark.slow   # compiles the whole experiment: the full suite only
def test_the_rule_learners_mask_never_violates_more_with_more_rejections():
    """Claim (sec. 4): with no false flags F_n only loses unacceptable responses."""
    out = results()
    for b in SMALL.budgets:
        v = out[f"mask_{b}"]["violation_rate"][0]                          # (S, F)
        assert np.all(np.diff(v, axis=1) <= 1e-6)


def test_helpfulness_and_regret_against_their_definitions(x64):
    v = jnp.asarray([[1.0, 3.0, -1000.0, 2.0]])
    ok = jnp.asarray([[True, True, False, True]])
    p = jnp.asarray([[0.1, 0.2, 0.3, 0.4]])
    h = (0.1 * 1.0 + 0.2 * 3.0 + 0.4 * 2.0) / 0.7
    assert abs(float(helpfulness(jnp.log(p), v, ok)[0]) - h) < 1e-12
    assert abs(float(acceptable_regret(jnp.log(p), v, ok)[0]) - (3.0 - h)) < 1e-12
    only_bad = jnp.log(jnp.asarray([[0.0, 0.0, 1.0, 0.0]]))
    assert float(helpfulness(only_bad, v, ok)[0]) == 1.0          # worst acceptable, not NaN
    none = jnp.zeros_like(ok)
    assert float(helpfulness(jnp.log(p), v, none)[0]) == 0.0


def test_bad_splits_are_refused():
    with pytest.raises(ConfigError, match="experiment.shares"):
        dataclasses.replace(SMALL, shares=(0.5, 1.0))
    with pytest.raises(ConfigError, match="experiment.front_budget"):
        dataclasses.replace(SMALL, front_budget=32)


def test_rbr_at_splits_equals_one_fit_per_split_and_skips_the_empty_ones(x64):
    """The grid of rule-based rewards (fitted once per split, grouped by the prefix of the
    comparisons) equals fitting each split alone on every comparison, masked to its first
    n_c (float64); a split with no rejection or no comparison is r itself, bit for bit."""
    from types import SimpleNamespace

    from sim.hybrids import fit_rbr_weights, known_rule_indicators, rbr_reward, rbr_rewards_at_splits
    from sim.labels import prefix_for
    counts = ((0, 12), (3, 9), (4, 8), (12, 0), (0, 24), (4, 20), (18, 6))
    e_n, n_n, n_t, n_max = 2, 9, 4, 24
    # the fitted splits fall in two groups, one with several n_c masked on its prefix
    assert {prefix_for(c, n_max) for r, c in counts if r and c} == {16, 24}
    ks = jax.random.split(jax.random.key(3), 6)
    rewards = jax.random.normal(ks[0], (len(counts), e_n, n_n), jnp.float64)
    violated = jax.random.bernoulli(ks[1], 0.3, (e_n, n_n, n_t))
    discovered_at = jnp.asarray([1, 4, 7, 25], jnp.int32)
    context = jax.random.randint(ks[3], (n_max,), 0, e_n)
    first = jax.random.randint(ks[4], (n_max,), 0, n_n)
    second = jax.random.randint(ks[5], (n_max,), 0, n_n)
    # the annotator prefers the side violating fewer rules (a tie when as many)
    fewer = violated[context, second].sum(-1) - violated[context, first].sum(-1)
    target = jnp.sign(fewer).astype(jnp.float64) / 2 + 0.5
    cmp = SimpleNamespace(context=context, first=first, second=second,
                          answer=(target, jnp.ones((n_max,), jnp.float64)))
    grid = rbr_rewards_at_splits(rewards, violated, discovered_at, cmp, counts, 1.0, 100)
    for p, (n_r, n_c) in enumerate(counts):
        if n_r == 0 or n_c == 0:
            np.testing.assert_array_equal(grid[p], rewards[p])
            continue
        r = rewards[p]
        phi = known_rule_indicators(violated, discovered_at <= n_r)
        e, i, j = cmp.context, cmp.first, cmp.second
        used = (jnp.arange(n_max) < n_c).astype(jnp.float64)
        w = fit_rbr_weights(r[e, i], r[e, j], phi[e, i], phi[e, j], target, used, 1.0,
                            iters=100)
        assert float(jnp.max(jnp.abs(w))) > 0.01, "the anchor must fit a non-trivial w"
        np.testing.assert_allclose(grid[p], rbr_reward(r, phi, w), rtol=1e-8, atol=1e-8)
