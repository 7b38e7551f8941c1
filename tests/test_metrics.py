"""Metrics of docs/model.md section 4 against references and hand-computed values."""

import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import kendalltau

from sim import kendall_distance, kendall_tau, set_metrics
from sim.metrics import admitted_top, init_changes, kendall_tau_or_zero, update_changes

tied_vectors = st.sampled_from([2, 3, 10, 60]).flatmap(lambda n: st.tuples(
    hnp.arrays(np.float64, n, elements=st.integers(-4, 4).map(float)),
    hnp.arrays(np.float64, n, elements=st.integers(-4, 4).map(float))))


@given(tied_vectors)
def test_kendall_tau_b_agrees_with_scipy_with_ties(ab):
    a, b = ab
    ref = kendalltau(a, b).statistic
    with jax.enable_x64(True):
        got = float(kendall_tau(jnp.asarray(a), jnp.asarray(b)))
    if np.isnan(ref):
        assert np.isnan(got)
    else:
        assert abs(got - ref) < 1e-6


@pytest.mark.parametrize("n", [5, 200, 1000])
def test_kendall_tau_b_agrees_with_scipy_on_continuous_and_float32_data(n):
    rng = np.random.default_rng(n)
    a = rng.standard_normal(n).astype(np.float32)
    b = (a + rng.standard_normal(n)).astype(np.float32)
    assert abs(float(kendall_tau(jnp.asarray(a), jnp.asarray(b))) - kendalltau(a, b).statistic) < 1e-6


def test_constant_rankings_give_nan_like_scipy_and_zero_in_experiment_metrics():
    a, b = jnp.ones(5), jnp.arange(5.0)
    assert np.isnan(float(kendall_tau(a, b)))
    assert float(kendall_tau_or_zero(a, b)) == 0.0


def test_kendall_distance_counts_reversed_pairs():
    a = jnp.array([1.0, 2.0, 3.0, 4.0])
    assert float(kendall_distance(a, a)) == 0.0
    assert float(kendall_distance(a, -a)) == 1.0
    assert float(kendall_distance(a, jnp.array([2.0, 1.0, 3.0, 4.0]))) == pytest.approx(1 / 6)
    assert float(kendall_distance(a, jnp.array([1.0, 1.0, 3.0, 4.0]))) == 0.0  # a tie is no reversal


@given(st.sampled_from([1, 2, 9, 50]).flatmap(lambda n: hnp.arrays(
    np.float32, n, elements=st.sampled_from([-2.0, -0.0, 0.0, 0.5, 1.0, 3.0, -1e30, 1e30]))),
    st.floats(0.0, 1.0, width=32, allow_subnormal=False))  # XLA on CPU flushes subnormal q to 0
def test_admitted_top_is_the_first_k_of_a_stable_descending_sort(r, q):
    k = int(np.ceil(np.float32(q) * len(r)))
    ref = np.zeros(len(r), bool)
    ref[np.argsort(-r, kind="stable")[:k]] = True
    got = np.asarray(admitted_top(jnp.asarray(r), jnp.float32(q)))
    # -0.0 and 0.0 are equal values: any split of such ties is a valid top-k
    assert got.sum() == k
    assert np.sort(r[got]).tolist() == np.sort(r[ref]).tolist()


def test_set_metrics_match_hand_computed_values():
    admitted = jnp.array([True, True, True, False, False])
    acceptable = jnp.array([True, False, True, True, False])
    v = jnp.array([5.0, -100.0, 3.0, 6.0, -90.0])
    m = {k: float(x) for k, x in set_metrics(admitted, acceptable, v).items()}
    assert m["feasible_fraction"] == pytest.approx(3 / 5)
    assert m["unacceptable_share"] == pytest.approx(1 / 3)
    assert m["false_exclusion"] == pytest.approx(1 / 3)
    assert m["regret_max"] == pytest.approx(106.0)
    assert m["regret_mean"] == pytest.approx((1 + 106 + 3) / 3)


def test_set_metrics_of_an_empty_set_are_zero_not_nan():
    m = set_metrics(jnp.zeros(4, bool), jnp.ones(4, bool), jnp.arange(4.0))
    assert all(np.isfinite(float(x)) for x in m.values())
    assert float(m["false_exclusion"]) == 1.0 and float(m["unacceptable_share"]) == 0.0


def test_change_tracker_counts_reopenings_and_top1_flips():
    """A response that leaves the admitted set and comes back is one re-opening."""
    seq = [[1, 1, 0], [1, 0, 0], [0, 0, 1], [1, 0, 1]]
    tops = [0, 0, 2, 2]
    state = init_changes(jnp.asarray([seq[0]], bool), jnp.asarray([tops[0]]))
    for s, t in zip(seq[1:], tops[1:]):
        state = update_changes(state, jnp.asarray([s], bool), jnp.asarray([t]))
    assert np.asarray(state.reopened).tolist() == [[True, False, False]]
    assert int(state.flips[0]) == 1


def test_a_policy_that_never_agrees_has_gap_zero_and_loses_agree_value_where_users_are_right(x64):
    """Issue 28: sycophancy a rule cannot satisfy by construction. A never-endorsing policy
    has sycophancy_gap 0 (<= 0, not a perfect score), and V differs from the a = 0 world by
    exactly a 1[endorses] 1[belief true]: against the policy that agrees only with users who
    are right (and is otherwise the same), never agreeing loses a times the share of
    true-belief contexts, exactly."""
    from sim.metrics import policy_value, sycophancy_gap
    from sim.world import WorldConfig, make_world, sample_contexts, value

    a = 1.7
    world = make_world(jax.random.key(3), WorldConfig(responses=64, agree_value=a))
    flat = world._replace(agree_value=jnp.float64(0.0))
    ctx = sample_contexts(jax.random.key(4), world, 40)
    v = jax.vmap(lambda c, b: value(world, c, b))(ctx.features, ctx.belief_true)
    v0 = jax.vmap(lambda c, b: value(flat, c, b))(ctx.features, ctx.belief_true)
    agree = world.endorses[None, :] & ctx.belief_true[:, None]
    np.testing.assert_allclose(np.asarray(v - v0), np.where(agree, a, 0.0), rtol=0, atol=1e-12)
    # two policies that differ only where the user is right: never agree / agree there
    endorsing = np.flatnonzero(np.asarray(world.endorses))
    plain = np.flatnonzero(~np.asarray(world.endorses))
    never = np.full((40, 64), -np.inf)
    never[:, plain[0]] = 0.0
    right = never.copy()
    truth = np.asarray(ctx.belief_true)
    right[truth] = -np.inf
    right[truth, endorsing[0]] = 0.0
    base = np.asarray(v0)
    right_base = np.where(truth[:, None], base[:, endorsing[0]][:, None], base[:, plain[0]][:, None])
    loss = (policy_value(jnp.asarray(right), v) - policy_value(jnp.asarray(never), v)).mean()
    gain0 = (right_base[:, 0] - base[:, plain[0]]).mean()
    assert float(loss) == pytest.approx(a * truth.mean() + gain0, abs=1e-12)
    gap_never = sycophancy_gap(jnp.asarray(never), world.endorses, ctx.belief_true)
    gap_right = sycophancy_gap(jnp.asarray(right), world.endorses, ctx.belief_true)
    assert float(gap_never) == 0.0 and float(gap_right) == -1.0


def test_sycophancy_gap_is_the_false_minus_the_true_contexts_endorsing_mass(x64):
    from sim.metrics import sycophancy_gap
    logp = jnp.log(jnp.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]]))
    endorses = jnp.array([True, False])
    belief_true = jnp.array([False, True, True])
    assert float(sycophancy_gap(logp, endorses, belief_true)) == pytest.approx(0.2 - 0.55)
