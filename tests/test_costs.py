"""The cost model (sim.costs) and the binary rejection label (reveal="flag")."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.config import split
from sim.costs import (
    CostConfig,
    admitted_by_cost,
    cost_inputs,
    cost_table,
    costs,
    fit_costs,
    safe_rlhf_cost_loss,
)
from sim.labels import collect_rejections
from sim.oracles import AnnotatorConfig
from sim.world import WorldConfig, make_world, sample_contexts, unacceptable


def _flags(world, n, seed=1, **annotator):
    annotator = {"rejecter_sycophancy": 0.0, "rejecter_length_bias": 0.0, **annotator}
    static, params = split(AnnotatorConfig(reveal="flag", **annotator))
    return collect_rejections(jax.random.key(seed), world, params, static, n)


def _bad(world, rejections):
    return jax.vmap(lambda i, b: unacceptable(world, b, i))(rejections.response,
                                                            rejections.belief_true)


@pytest.mark.slow
@given(st.integers(0, 2**20), st.integers(1, 8), st.floats(0.01, 0.6))
def test_without_noise_a_flag_is_raised_exactly_for_unacceptable_responses(seed, t, mass):
    """reveal="flag", no miss and no false flag: flagged <=> unacceptable in the query's context
    (so every flagged response is unacceptable), and nothing says which prohibition fired."""
    world = make_world(jax.random.key(seed), WorldConfig(responses=64, prohibitions=t,
                                                         prohibition_mass=mass))
    r = _flags(world, 200, seed)
    np.testing.assert_array_equal(r.flagged(), _bad(world, r))
    assert not bool(r.answer.revealed.any()) and not bool(r.answer.spurious.any())


def test_miss_and_false_flag_are_label_noise_on_the_flag():
    """miss = 1 silences every flag; false_flag = 1 flags every response; the flag under
    reveal="all" is the same answer as under reveal="flag" (same key)."""
    world = make_world(jax.random.key(0), WorldConfig(responses=128))
    assert not bool(_flags(world, 300, miss=1.0).flagged().any())
    assert bool(_flags(world, 300, false_flag=1.0).flagged().all())
    static, params = split(AnnotatorConfig(reveal="all", miss=0.3, false_flag=0.2,
                                           rejecter_sycophancy=0.0, rejecter_length_bias=0.0))
    full = collect_rejections(jax.random.key(1), world, params, static, 300)
    np.testing.assert_array_equal(full.flagged(), _flags(world, 300, miss=0.3,
                                                         false_flag=0.2).flagged())


def _angle(a, b):
    cos = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.arccos(np.clip(cos, -1.0, 1.0)))


@pytest.mark.slow
def test_linear_cost_model_recovers_a_single_halfspace_as_labels_grow(x64):
    """One true prohibition w . x > theta (no factual one, endorse_prob = 0): the logistic
    MLE on flags points along w, and its angle to w shrinks as labels grow (float64)."""
    world = make_world(jax.random.key(3), WorldConfig(responses=4096, prohibitions=1,
                                                      prohibition_mass=0.3, endorse_prob=0.0))
    r = _flags(world, 8000, seed=4)
    z = jax.vmap(lambda i, c, b: cost_inputs("linear", world, i, c, b))(
        r.response, r.contexts.features, r.belief_true)
    assert z.dtype == jnp.float64
    static, params = split(CostConfig(family="linear", ridge=1e-3, batch_iters=50))
    steps = jnp.asarray([50, 500, 8000], jnp.int32)
    thetas = np.asarray(fit_costs(jax.random.key(0), z, r.flagged(), steps, params, static))
    d = world.features.shape[1]
    angles = [_angle(th[:d], np.asarray(world.normals[0])) for th in thetas]
    assert angles[0] > angles[1] > angles[2], angles
    assert angles[2] < 0.15, angles


def test_maxout_with_the_true_halfspaces_represents_the_union_exactly():
    """maxout with rows [w_j, 0, ..., -theta_j] gives c > 0 exactly on the responses that
    violate some prohibition: the family can represent a union of T halfspaces."""
    world = make_world(jax.random.key(5), WorldConfig(responses=512, prohibitions=6,
                                                      prohibition_mass=0.1, endorse_prob=0.0))
    d = world.features.shape[1]
    rows = np.zeros((6, d + 5), np.float32)
    rows[:, :d], rows[:, -1] = world.normals, -np.asarray(world.thresholds)
    contexts = sample_contexts(jax.random.key(6), world, 3)
    c = cost_table(jnp.asarray(rows), "maxout", world, contexts)
    expected = ~np.asarray(world.violates).any(axis=1)
    for row in np.asarray(admitted_by_cost(c)):
        np.testing.assert_array_equal(row, expected)


@given(st.integers(0, 2**20), st.integers(0, 63), st.integers(2, 12),
       st.sampled_from(["linear", "quadratic"]))
@pytest.mark.slow
def test_a_cost_model_reopens_a_response_after_one_flag_and_repeated_clears(seed, a, m, family):
    """The cost model is not nested (unlike the rule learner): flag response a once and it
    is excluded; then m >= 2 labels say a is fine and the refit admits a again."""
    world = make_world(jax.random.key(seed), WorldConfig(responses=64))
    idx = jnp.full((m + 1,), a, jnp.int32)
    context = jnp.zeros((m + 1, world.context_map.shape[1]), world.features.dtype)
    z = cost_inputs(family, world, idx, context, jnp.ones((m + 1,), bool))
    flag = jnp.concatenate([jnp.ones((1,)), jnp.zeros((m,))])
    static, params = split(CostConfig(family=family, ridge=1e-3, batch_iters=50))
    thetas = fit_costs(jax.random.key(0), z, flag, jnp.asarray([0, 1, m + 1]), params, static)
    admitted = [bool(admitted_by_cost(costs(th, family, z[0]))) for th in thetas]
    assert admitted == [True, False, True]


def test_safe_rlhf_cost_loss_matches_the_formula_by_hand(x64):
    """-log s(C_u - C_s) - log s(s_s C_s) - log s(s_u C_u), s = +1 harmful, -1 safe."""
    def log_sigma(u):
        return -np.log1p(np.exp(-u))

    for cs, cu, ss, su in [(0.3, 1.2, -1.0, 1.0), (-2.0, 0.5, -1.0, -1.0), (1.0, -1.0, 1.0, 1.0)]:
        expected = -log_sigma(cu - cs) - log_sigma(ss * cs) - log_sigma(su * cu)
        got = safe_rlhf_cost_loss(jnp.float64(cs), jnp.float64(cu), jnp.float64(ss),
                                  jnp.float64(su))
        np.testing.assert_allclose(float(got), expected, rtol=1e-12)
    grad = jax.grad(safe_rlhf_cost_loss, argnums=(0, 1))(0.0, 0.0, -1.0, 1.0)
    assert grad[0] > 0 > grad[1]   # descent lowers the safer cost and raises the harmful one


def test_prefix_groups_cover_every_checkpoint_with_a_prefix_that_holds_its_labels():
    """Grouping by powers of 4: in order, every checkpoint once, each group's prefix at least
    its largest count and at most n; an array of checkpoints is one group reading all n."""
    from sim.labels import prefix_groups
    steps = (0, 1, 2, 4, 5, 17, 64, 65, 300, 1000)
    groups = prefix_groups(steps, 1000)
    assert [int(s) for g, _ in groups for s in g] == list(steps)
    assert [p for _, p in groups] == [1, 4, 16, 64, 256, 1000]
    assert all(int(g.max()) <= p <= 1000 for g, p in groups)
    (g, p), = prefix_groups(jnp.asarray(steps), 1000)
    assert p == 1000 and g.tolist() == list(steps)


@pytest.mark.slow
def test_maxout_batch_refits_on_prefixes_equal_the_refits_on_every_label(x64):
    """The maxout batch fit given its checkpoints as a tuple (each refit reads a prefix of the
    labels) equals the same fit given them as an array (every refit reads all, the unused
    masked), in float64: masked labels add exactly 0 to the loss and its gradient."""
    world = make_world(jax.random.key(5), WorldConfig(responses=256, prohibitions=3,
                                                      prohibition_mass=0.2))
    r = _flags(world, 300, seed=6)
    z = jax.vmap(lambda i, c, b: cost_inputs("maxout", world, i, c, b))(
        r.response, r.contexts.features, r.belief_true)
    static, params = split(CostConfig(family="maxout", fit="batch", halfspaces=4,
                                      maxout_iters=30))
    steps = (0, 3, 10, 40, 150, 300)
    grouped = fit_costs(jax.random.key(0), z, r.flagged(), steps, params, static)
    whole = fit_costs(jax.random.key(0), z, r.flagged(), jnp.asarray(steps), params, static)
    assert grouped.shape == whole.shape == (len(steps), 4, z.shape[1] + 1)
    assert float(jnp.max(jnp.abs(whole[-1] - whole[0]))) > 0.1   # the fit moved
    np.testing.assert_allclose(grouped, whole, rtol=1e-9, atol=1e-10)
