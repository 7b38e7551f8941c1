"""The constraint learner and the paper's monotonicity claims (section 4)."""

import functools

import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from sim import (
    AnnotatorConfig,
    WorldConfig,
    collect_rejections,
    contraction_curve,
    feasible_curve,
    feasible_sets,
    learn_constraints,
    make_world,
    sample_contexts,
    sample_world,
    split,
)
from sim.metrics import init_changes, update_changes

# ---------------------------------------------------------------- analytic checks


def _mean_curve(key, cfg, worlds):
    def one(k):
        w = sample_world(k, split(cfg)[1], split(cfg)[0])
        return feasible_curve(w.violates, jnp.arange(cfg.prohibitions))
    return np.asarray(jax.jit(jax.vmap(one))(jax.random.split(key, worlds)))


def test_central_random_cuts_halve_the_feasible_fraction_in_expectation():
    """E|F_k| / N = 2^-k for k central cuts (p = 1/2): given x, each uniform cut
    keeps it with probability exactly 1/2, independently."""
    cfg = WorldConfig(responses=512, latent_dims=3, prohibitions=8, prohibition_mass=0.5)
    curves = _mean_curve(jax.random.key(0), cfg, 400)
    mean, se = curves.mean(0), curves.std(0, ddof=1) / np.sqrt(len(curves))
    expected = 0.5 ** np.arange(9)
    assert np.all(np.abs(mean - expected) <= 4 * se + 1e-6), (mean, expected)


def _expected_curve(d, mass, k_max):
    """E|F_k|/N = E_r[ P(u <= theta / r)^k ], r ~ chi_d, (1 + u)/2 ~ Beta((d-1)/2, (d-1)/2)."""
    theta = stats.norm.ppf(1 - mass)
    a = (d - 1) / 2

    def keep(r):
        return stats.beta.cdf(np.clip((1 + theta / r) / 2, 0, 1), a, a)

    return np.array([integrate.quad(lambda r: keep(r) ** k * stats.chi.pdf(r, d), 0, np.inf,
                                    epsabs=1e-12)[0] for k in range(k_max + 1)])


def test_off_centre_cuts_match_the_exact_expectation(x64):
    """Non-central cuts (p = 0.2, d = 4): the mean curve matches the integral in float64."""
    cfg = WorldConfig(responses=512, latent_dims=4, prohibitions=10, prohibition_mass=0.2)
    curves = _mean_curve(jax.random.key(1), cfg, 400)
    mean, se = curves.mean(0), curves.std(0, ddof=1) / np.sqrt(len(curves))
    expected = _expected_curve(4, 0.2, 10)
    assert expected[-1] < 0.5  # the check has teeth: the curve really falls
    assert np.all(np.abs(mean - expected) <= 4 * se + 1e-9), (mean, expected)


@pytest.mark.parametrize("tile, chunk", [(1024, 32), (64, 7), (999, 40), (1, 1)])
def test_contraction_kernel_equals_feasible_curve_of_the_halfspaces(tile, chunk):
    """Any blocking gives the same curve: N = 1000 and T = 40 padded to whole tiles and
    chunks (the padded prohibitions, threshold +inf, cut nothing)."""
    w = make_world(jax.random.key(2), WorldConfig(responses=1000, prohibitions=40,
                                                  prohibition_mass=0.1))
    order = jax.random.permutation(jax.random.key(3), 40)
    expected = feasible_curve(w.violates, order)
    assert expected[-1] < 0.5 < expected[1]   # the curve really falls along the order
    np.testing.assert_array_equal(
        contraction_curve(w.features, w.normals, w.thresholds, order, tile=tile, chunk=chunk),
        expected)


# ------------------------------------------------------- properties of the feasible curve

# a few shapes (each shape compiles once), any contents
violation_matrices = hnp.arrays(np.bool_, st.sampled_from([(1, 1), (5, 3), (40, 12), (17, 7)]))


@given(violation_matrices, st.randoms(use_true_random=False))
def test_feasible_fraction_never_rises_and_ends_at_the_acceptable_share(violates, rnd):
    """Claim (paper sec. 4): as prohibitions accumulate the feasible share contracts monotonically."""
    order = list(range(violates.shape[1]))
    rnd.shuffle(order)
    curve = np.asarray(feasible_curve(jnp.asarray(violates), jnp.asarray(order)))
    assert curve[0] == 1.0
    assert np.all(np.diff(curve) <= 0)
    assert np.isclose(curve[-1], np.mean(~violates.any(axis=1)))


@given(violation_matrices, st.randoms(use_true_random=False))
def test_final_feasible_set_does_not_depend_on_the_order(violates, rnd):
    """Claim: prohibitions are independent, so the order they arrive in does not matter."""
    t = violates.shape[1]
    a, b = list(range(t)), list(range(t))
    rnd.shuffle(a)
    rnd.shuffle(b)
    va = feasible_curve(jnp.asarray(violates), jnp.asarray(a))[-1]
    vb = feasible_curve(jnp.asarray(violates), jnp.asarray(b))[-1]
    assert va == vb


@given(violation_matrices, st.data())
def test_a_repeated_prohibition_changes_nothing(violates, data):
    """Claim: constraints are cumulative; revealing one already known leaves F_n as it is."""
    t = violates.shape[1]
    seq = data.draw(st.lists(st.integers(0, t - 1), min_size=1, max_size=3 * t))
    curve = np.asarray(feasible_curve(jnp.asarray(violates), jnp.asarray(seq, dtype=jnp.int32)))
    for k, j in enumerate(seq):
        if j in seq[:k]:
            assert curve[k + 1] == curve[k]


# ------------------------------------------------------- properties of the learner

WORLD = WorldConfig(responses=48, latent_dims=3, context_dims=2, prohibitions=6)
LABELS, CONTEXTS = 24, 3


@functools.partial(jax.jit, static_argnames=("reveal", "labels"))
def _learned_sets(key, world_params, annotator_params, reveal, labels=LABELS):
    """F_n(c) for every n = 0..LABELS and a few contexts, plus A(c)."""
    kw, kc, kl = jax.random.split(key, 3)
    world = sample_world(kw, world_params, split(WORLD)[0])
    ctx = sample_contexts(kc, world, CONTEXTS)
    static = split(AnnotatorConfig(reveal=reveal))[0]
    trace = learn_constraints(collect_rejections(kl, world, annotator_params, static, labels), world)
    sets = feasible_sets(trace, world, jnp.arange(labels + 1), ctx.belief_true)
    acceptable = ~(world.violates.any(1)[None] | world.pads[None]
                   | (world.endorses[None] & ~ctx.belief_true[:, None]))
    return sets, acceptable


annotators = st.builds(
    lambda seed, mass, miss, fp, reveal: (seed, mass, miss, fp, reveal),
    st.integers(0, 2**31 - 1), st.floats(0.05, 0.6), st.floats(0.0, 0.9), st.floats(0.0, 0.5),
    st.sampled_from(["all", "one"]))


def _run(draw):
    seed, mass, miss, fp, reveal = draw
    wp = split(WorldConfig(**{**WORLD.__dict__, "prohibition_mass": mass}))[1]
    ap = split(AnnotatorConfig(miss=miss, false_flag=fp))[1]
    sets, acc = _learned_sets(jax.random.key(seed), wp, ap, reveal)
    return np.asarray(sets), np.asarray(acc), fp


@given(annotators)
def test_feasible_sets_are_nested_for_any_world_and_any_label_sequence(draw):
    """Claim (paper sec. 4): F_{n+1} is a subset of F_n, whatever the oracle's noise."""
    sets, _, _ = _run(draw)
    assert np.all(sets[1:] <= sets[:-1])
    fractions = sets.mean(axis=(1, 2))
    assert np.all(np.diff(fractions) <= 0)


@given(annotators)
def test_constraint_learner_never_reopens_a_response(draw):
    """Claim: a prohibition never re-opens what another closed (re-openings are 0)."""
    sets, _, _ = _run(draw)
    top1 = jnp.zeros((CONTEXTS,), jnp.int32)
    state = init_changes(jnp.asarray(sets[0]), top1)
    for s in sets[1:]:
        state = update_changes(state, jnp.asarray(s), top1)
    assert int(state.reopened.sum()) == 0


@given(annotators)
def test_without_false_flags_no_acceptable_response_is_ever_excluded(draw):
    """With eta_fp = 0 every revealed prohibition is true, so A(c) stays inside F_n(c)."""
    seed, mass, miss, _, reveal = draw
    sets, acc, _ = _run((seed, mass, miss, 0.0, reveal))
    assert np.all(sets >= acc[None])


def test_with_enough_clean_labels_the_feasible_set_is_exactly_the_acceptable_set():
    """Convergence: with reveal=all and no noise, F_n reaches A(c) once every prohibition is seen."""
    wp = split(WORLD)[1]
    ap = split(AnnotatorConfig())[1]
    for seed in range(10):
        sets, acc = _learned_sets(jax.random.key(seed), wp, ap, "all", labels=2000)
        np.testing.assert_array_equal(np.asarray(sets[-1]), np.asarray(acc))


def test_false_flags_can_exclude_acceptable_responses():
    """The contrast: with eta_fp > 0 the nesting still holds but F_n can cut into A(c)."""
    wp = split(WORLD)[1]
    ap = split(AnnotatorConfig(false_flag=0.5))[1]
    excluded = 0
    for seed in range(10):
        sets, acc = _learned_sets(jax.random.key(seed), wp, ap, "all")
        excluded += int(np.sum(np.asarray(acc) & ~np.asarray(sets[-1])))
    assert excluded > 0
