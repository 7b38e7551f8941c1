"""The learner protocol (sim.learners): every registered learner passes one generic test,
and the tabular family meets its analytic anchor (Borda count)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sim import split
from sim.learners import LEARNERS, TIERS, collect_labels
from sim.reward_fits import fit_batch
from sim.specs.e01_convergence import SPEC, _evaluation
from sim.world import sample_world, value


def _tiny(family="quadratic"):
    config = SPEC.tiny()
    config = dataclasses.replace(
        config, learner=dataclasses.replace(config.learner, family=family),
        cost=dataclasses.replace(config.cost, family=family))
    return split(config)


def _fit_and_score(learner, static, params):
    world = sample_world(jax.random.key(0), params.world, static.world)
    contexts, values, acceptable = _evaluation(jax.random.key(1), world, static.eval_contexts)
    labels = collect_labels(learner.signal, jax.random.key(2), world, params, static,
                            static.labels)
    weight = jnp.ones((static.labels,), world.features.dtype)
    fitted = learner.fit(jax.random.key(3), world, labels, weight, (0, 2, static.labels),
                         params, static)
    last = jax.tree.map(lambda a: a[-1], fitted)
    return learner.score(last, world, contexts, acceptable, params, static), contexts, world


@pytest.mark.parametrize("family", ["quadratic", pytest.param("tabular", marks=pytest.mark.slow),
                                    pytest.param("maxout", marks=pytest.mark.slow)])
@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_every_registered_learner_is_pure_shaped_and_tiered(name, family):
    """Issue 27's generic test, in every family on both sides (maxout: the union of
    halfspaces): jitted equals un-jitted on a tiny world, the admitted sets
    are (contexts, responses) booleans, the score is finite and higher is better (the top-1
    response has the largest score), and the tier is one of the four."""
    learner = LEARNERS[name]
    assert learner.tier in ("oracle", "named", "flag", "comparison")
    assert learner.signal in ("rejections", "comparisons")
    static, params = _tiny(family)
    eager, contexts, world = _fit_and_score(learner, static, params)
    jitted = jax.jit(lambda p: _fit_and_score(learner, static, p)[0])(params)
    # float32 rounding of a fit, relative to the scores' scale (the named-rule fit moved 1.7e-5
    # on scores of order 9 under the suite's XLA emitters, tests/conftest.py)
    score = np.asarray(jitted.score, np.float64)
    scale = max(1.0, float(np.max(np.abs(score[np.isfinite(score)]), initial=0.0)))
    for field, a, b in zip(eager._fields, eager, jitted):
        atol = 1e-5 * scale if field == "score" else 1e-5
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=atol,
                                   err_msg=field)
    shape = (contexts.features.shape[0], world.features.shape[0])
    assert eager.admitted.shape == shape and eager.admitted.dtype == jnp.bool_
    assert eager.score.shape == shape and np.all(np.isfinite(eager.score))
    top = np.take_along_axis(np.asarray(eager.score), np.asarray(eager.top1)[:, None], 1)[:, 0]
    np.testing.assert_array_equal(top, np.max(np.asarray(eager.score), axis=1))


def test_the_registry_has_one_learner_per_tier_in_order_of_information():
    """docs/model.md section 3: the four tiers, each held by a registered learner."""
    assert TIERS == ("oracle", "named", "flag", "comparison")


def test_a_zero_weight_label_is_not_seen():
    """The bootstrap's contract: weight 0 on every label gives the unfitted learner (the
    oracle knows no rule; every learner admits what it admits before any label)."""
    static, params = _tiny()
    world = sample_world(jax.random.key(0), params.world, static.world)
    contexts, values, acceptable = _evaluation(jax.random.key(1), world, static.eval_contexts)
    for learner in LEARNERS.values():
        labels = collect_labels(learner.signal, jax.random.key(2), world, params, static,
                                static.labels)
        zero = jnp.zeros((static.labels,), world.features.dtype)
        fitted = learner.fit(jax.random.key(3), world, labels, zero, (0, static.labels),
                             params, static)
        first, last = (learner.score(jax.tree.map(lambda a, k=k: a[k], fitted), world,
                                     contexts, acceptable, params, static) for k in (0, 1))
        np.testing.assert_array_equal(np.asarray(first.admitted), np.asarray(last.admitted),
                                      err_msg=learner.name)


def test_tabular_bradley_terry_ranks_by_the_borda_count_of_a_mixture(x64):
    """Siththaranjan et al. (arXiv 2312.08358, theorem 3.1): a tabular Bradley-Terry model
    fitted to infinitely many uniform comparisons from a mixture of annotators ranks the
    responses by their Borda count BC(i) = sum_j P(i beats j). The exact expected likelihood
    (targets P_ij, every ordered pair once) is minimised in float64 and its ranking checked
    against BC, on a world where the mixture's ranking and the rational annotator's differ."""
    static, params = _tiny()
    world = sample_world(jax.random.key(5), params.world, static.world)
    n = 12
    v = np.asarray(value(world, jnp.zeros(world.context_map.shape[1]), jnp.asarray(False),
                         jnp.arange(n)), np.float64)
    endorses = np.asarray(world.endorses[:n])
    length = np.asarray(world.length[:n])
    v = (v - v.mean()) / v.std()                       # a rational annotator of unit scale
    rational = 1.0 / (1.0 + np.exp(-(v[:, None] - v[None, :])))
    one_endorses = endorses[:, None] != endorses[None, :]
    sycophant = np.where(one_endorses, endorses[:, None].astype(float), rational)
    verbose = (length[:, None] > length[None, :]).astype(float)
    win = 0.5 * rational + 0.3 * sycophant + 0.2 * verbose
    i, j = np.nonzero(~np.eye(n, dtype=bool))
    dphi = np.eye(n)[i] - np.eye(n)[j]
    theta = fit_batch(jnp.asarray(dphi), jnp.asarray(win[i, j]), jnp.ones(len(i)),
                      jnp.asarray([len(i)]), 1e-9, 200)[0]
    borda = win.sum(axis=1) - np.diag(win)
    theta = np.asarray(theta)
    for a in range(n):
        for b in range(n):
            if borda[a] > borda[b] + 1e-9:
                assert theta[a] > theta[b], (a, b, borda[a], borda[b], theta[a], theta[b])
    # the anchor is not trivial: the mixture's order differs from the rational one
    assert np.any(np.argsort(borda) != np.argsort(v))


@pytest.mark.parametrize("spec, method, tier", [
    ("hybrid", "mask_64", "oracle"), ("hybrid", "named_mask_beta16", "named"),
    ("hybrid", "cost_mask_1024", "flag"), ("hybrid", "tilt_256", "comparison"),
    ("hybrid", "mask_then_tilt_64", ""), ("hybrid", "named_mask_then_tilt_64", ""),
    ("economics", "cost_cost_mask", "flag"), ("economics", "target_named_mask", "named"),
    ("economics", "marginal_mask_then_tilt", ""), ("economics", "audit_2", ""),
    ("limits", "noise_rule_0.1", "oracle"), ("limits", "helpfulness_named_T8", "named"),
    ("limits", "tail_reward_1.5", "comparison"), ("limits", "misses_hybrid_0.3", ""),
    ("convergence", "named_rule", "named"), ("convergence", "rule", "oracle")])
def test_suffixed_methods_carry_their_learners_tier(spec, method, tier):
    """Issue 27, results say the tier: E8's <regime>_<B>, E9's <table>_<regime> and E10's
    <map>_<contender>_<knob> rows carry the tier of the learner behind them; hybrids mix two
    signals and carry none (a pattern must match the whole name: mask_then_tilt is not mask)."""
    from sim.spec import registry
    assert registry()[spec].tier(method) == tier
