"""The annotators of docs/model.md section 2: laws checked by Monte Carlo within 4 standard errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import AnnotatorConfig, Contexts, WorldConfig, make_world, split, value
from sim.labels import sample_pairs
from sim.oracles import preference_oracle, rejection_oracle, violated_prohibitions

WORLD = make_world(jax.random.key(0), WorldConfig(responses=256, prohibitions=6,
                                                  prohibition_mass=0.2))
DRAWS = 20_000


def _prefs(cfg, i, j, belief, draws=DRAWS):
    static, params = split(cfg)
    ctx = Contexts(jnp.zeros(WORLD.context_map.shape[1]), jnp.asarray(belief))
    keys = jax.random.split(jax.random.key(1), draws)
    lab = jax.jit(jax.vmap(lambda k: preference_oracle(k, WORLD, params, static, i, j, ctx)))(keys)
    return np.asarray(lab.target), np.asarray(lab.weight)


def _values(belief):
    return np.asarray(value(WORLD, jnp.zeros(WORLD.context_map.shape[1]), jnp.asarray(belief)))


def _close(freq, p, n=DRAWS):
    return abs(freq - p) <= 4 * np.sqrt(max(p * (1 - p), 1e-12) / n) + 1e-9


def _pair(predicate):
    v = _values(True)
    for i in range(256):
        for j in range(256):
            if i != j and predicate(i, j, v):
                return i, j
    raise AssertionError("no such pair in the test world")


def test_rational_annotator_follows_bradley_terry_in_the_value_gap():
    """P(i wins) = sigma(beta_rat (V(i,c) - V(j,c)))."""
    i, j = _pair(lambda i, j, v: 0.3 < v[i] - v[j] < 1.5)
    cfg = AnnotatorConfig(sycophancy=0.0, length_bias=0.0, rationality=1.3)
    target, weight = _prefs(cfg, i, j, True)
    v = _values(True)
    assert _close(target.mean(), 1 / (1 + np.exp(-1.3 * (v[i] - v[j]))))
    assert np.all(weight == 1)


def test_sycophant_share_wins_for_an_endorsing_factual_error():
    """With s_syc of annotators sycophantic, a response endorsing a false belief (unacceptable,
    so the rational annotator never prefers it) still wins a share s_syc of comparisons."""
    e = np.asarray(WORLD.endorses)
    base = np.asarray(WORLD.violates.any(1))
    i, j = _pair(lambda i, j, v: e[i] and not e[j] and not base[i] and not base[j])
    target, _ = _prefs(AnnotatorConfig(sycophancy=0.3, length_bias=0.0), i, j, False)
    assert _close(target.mean(), 0.3)


def test_length_biased_annotators_prefer_the_longer_response():
    length = np.asarray(WORLD.length)
    v = _values(True)
    i, j = _pair(lambda i, j, vv: length[i] > length[j] and v[i] < v[j] - 50)
    target, _ = _prefs(AnnotatorConfig(sycophancy=0.0, length_bias=0.25), i, j, True)
    assert _close(target.mean(), 0.25)


def test_bpref_mistake_flips_a_sure_answer_at_its_rate():
    i, j = _pair(lambda i, j, v: v[i] - v[j] > 200)
    cfg = AnnotatorConfig(sycophancy=0.0, length_bias=0.0, mistake=True, mistake_rate=0.1)
    target, _ = _prefs(cfg, i, j, True)
    assert _close(1 - target.mean(), 0.1)


def test_bpref_equal_answers_one_half_for_near_ties_and_skip_drops_bad_pairs():
    i, j = _pair(lambda i, j, v: abs(v[i] - v[j]) < 0.2)
    cfg = AnnotatorConfig(sycophancy=0.0, length_bias=0.0, equal=True, equal_margin=0.5)
    target, _ = _prefs(cfg, i, j, True, draws=100)
    assert np.all(target == 0.5)
    i, j = _pair(lambda i, j, v: v[i] < -500 and v[j] < -500)
    cfg = AnnotatorConfig(skip=True, skip_floor=-100.0)
    _, weight = _prefs(cfg, i, j, True, draws=100)
    assert np.all(weight == 0)


def _rejections(cfg, i, belief, draws=DRAWS):
    static, params = split(cfg)
    keys = jax.random.split(jax.random.key(2), draws)
    return jax.jit(jax.vmap(lambda k: rejection_oracle(k, WORLD, params, static, i,
                                                       jnp.asarray(belief))))(keys)


def _multi_violator():
    counts = np.asarray(WORLD.violates.sum(1))
    return int(np.argmax(counts)), int(counts.max())


def test_rejection_oracle_reveal_all_returns_exactly_the_violated_prohibitions():
    i, _ = _multi_violator()
    lab = _rejections(AnnotatorConfig(), i, False, draws=50)
    truth = np.asarray(violated_prohibitions(WORLD, i, jnp.asarray(False)))
    assert np.all(np.asarray(lab.revealed) == truth[None])
    assert not np.asarray(lab.spurious).any()


def test_rejection_oracle_reveal_one_picks_uniformly_among_the_violated():
    i, k = _multi_violator()
    assert k >= 2
    lab = _rejections(AnnotatorConfig(reveal="one"), i, True)
    revealed = np.asarray(lab.revealed)
    truth = np.asarray(violated_prohibitions(WORLD, i, jnp.asarray(True)))
    assert np.all(revealed.sum(1) == 1) and np.all(revealed <= truth[None])
    for j in np.flatnonzero(truth):
        assert _close(revealed[:, j].mean(), 1 / truth.sum())


def test_rejection_oracle_miss_rate_and_false_flags():
    i, _ = _multi_violator()
    lab = _rejections(AnnotatorConfig(miss=0.25, false_flag=0.1), i, True)
    assert _close(1 - np.asarray(lab.revealed).any(1).mean(), 0.25)
    assert _close(np.asarray(lab.spurious).mean(), 0.1)
    # every spurious halfspace contains the queried response, and covers at least the mass
    # of some true prohibition (its threshold is at most the largest true threshold)
    x = np.asarray(WORLD.features[i])
    assert np.all(np.asarray(lab.spurious_normal) @ x > np.asarray(lab.spurious_threshold))
    assert np.all(np.asarray(lab.spurious_threshold) <= np.asarray(WORLD.thresholds).max() + 1e-6)


@pytest.mark.parametrize("n", [2, 5, 300])
def test_queries_are_distinct_pairs_covering_all_responses(n):
    i, j = sample_pairs(jax.random.key(3), n, 5000)
    i, j = np.asarray(i), np.asarray(j)
    assert np.all(i != j) and i.min() == 0 and i.max() == n - 1 and j.max() == n - 1


@pytest.mark.slow
def test_on_policy_queries_from_the_uniform_policy_equal_uniform_queries_in_law():
    """query = policy with pi uniform: queried responses are uniform and pairs are uniform over
    i != j (chi-square goodness of fit at the 0.1% level, 20,000 draws each)."""
    from scipy.stats import chisquare

    from sim.config import split
    from sim.labels import collect_comparisons, collect_rejections
    from sim.world import WorldConfig, make_world, sample_contexts
    n_resp = 16
    world = make_world(jax.random.key(0), WorldConfig(responses=n_resp))
    pool = sample_contexts(jax.random.key(1), world, 3)
    uniform_policy = jnp.full((3, n_resp), -jnp.log(float(n_resp)))
    static, params = split(AnnotatorConfig(query="policy"))
    r = collect_rejections(jax.random.key(2), world, params, static, 20_000, pool=pool,
                           policy=uniform_policy)
    assert chisquare(np.bincount(r.response, minlength=n_resp)).pvalue > 1e-3
    c = collect_comparisons(jax.random.key(3), world, params, static, 20_000, pool=pool,
                            policy=uniform_policy)
    assert not bool(jnp.any(c.first == c.second))
    pairs = np.bincount(np.asarray(c.first) * n_resp + np.asarray(c.second),
                        minlength=n_resp * n_resp).reshape(n_resp, n_resp)
    off = pairs[~np.eye(n_resp, dtype=bool)]
    assert chisquare(off).pvalue > 1e-3


@pytest.mark.slow
def test_on_policy_queries_follow_the_policy():
    """A policy with all its mass on response 3 in every context: every rejection query asks
    about 3, and every pair contains 3 (its partner uniform over the others)."""
    from sim.config import split
    from sim.labels import collect_comparisons, collect_rejections
    from sim.world import WorldConfig, make_world, sample_contexts
    world = make_world(jax.random.key(0), WorldConfig(responses=8))
    pool = sample_contexts(jax.random.key(1), world, 2)
    point = jnp.where(jnp.arange(8) == 3, 0.0, -jnp.inf)[None].repeat(2, axis=0)
    static, params = split(AnnotatorConfig(query="policy"))
    r = collect_rejections(jax.random.key(2), world, params, static, 500, pool=pool, policy=point)
    assert bool(jnp.all(r.response == 3))
    c = collect_comparisons(jax.random.key(3), world, params, static, 500, pool=pool, policy=point)
    assert bool(jnp.all(c.first == 3)) and bool(jnp.all(c.second != 3))
    assert len(np.unique(np.asarray(c.second))) == 7


def test_a_few_entries_of_a_long_uniform_draw_are_the_same_bits():
    """The rejection oracle draws 3 of its T + 5 uniforms unless it reveals one prohibition;
    they must be the very entries of the full draw (so every result is unchanged)."""
    from sim.keys import uniform, uniform_entries
    for seed in range(3):
        key = jax.random.fold_in(jax.random.key(seed), 11)
        for size in (5, 21, 1029):
            index = (0, 1, size - 1)
            full = np.asarray(uniform(key, (size,)))[list(index)]
            np.testing.assert_array_equal(np.asarray(uniform_entries(key, size, index)), full)


def _rejections(cfg, i, belief, draws=DRAWS, lenient=None):
    static, params = split(cfg)
    keys = jax.random.split(jax.random.key(2), draws)
    c = jnp.zeros(WORLD.context_map.shape[1])
    return jax.jit(jax.vmap(lambda k: rejection_oracle(k, WORLD, params, static, i,
                                                       jnp.asarray(belief), c)))(keys)


@pytest.mark.parametrize("reveal", ["all", "one", "flag"])
def test_with_the_rejecter_biases_at_0_every_label_is_the_unbiased_oracles(reveal):
    """Issue 27 (a hypothesis property): biased rejecters are off at 0, bit for bit: for any
    miss and false-flag rates and any key, the labels equal those of the oracle whose bias
    step is removed, for every response, both beliefs."""
    from unittest import mock

    import sim.oracles as oracles
    static, _ = split(AnnotatorConfig(reveal=reveal, miss=0.2, false_flag=0.1,
                                      rejecter_sycophancy=0.0, rejecter_length_bias=0.0))
    c = jnp.zeros(WORLD.context_map.shape[1])
    idx = jnp.arange(256)
    beliefs = jnp.arange(256) % 2 == 0

    def program():   # a new function each time: jit's trace cache is keyed on the function
        def labels(params, seed):
            keys = jax.random.split(jax.random.key(seed), 256)
            return jax.vmap(lambda k, i, b: oracles.rejection_oracle(
                k, WORLD, params, static, i, b, c))(keys, idx, beliefs)
        return jax.jit(labels)

    biased, unbiased = program(), program()
    with mock.patch.object(oracles, "rejecter_lenient", lambda *a: jnp.asarray(False)):
        unbiased(split(AnnotatorConfig())[1], 0)            # traced under the patch

    @settings(max_examples=12, deadline=None, derandomize=True)
    @given(miss=st.floats(0.0, 1.0), false_flag=st.floats(0.0, 1.0),
           seed=st.integers(0, 2**31 - 1))
    def property_(miss, false_flag, seed):
        params = split(AnnotatorConfig(reveal=reveal, miss=miss, false_flag=false_flag,
                                       rejecter_sycophancy=0.0, rejecter_length_bias=0.0))[1]
        for a, b in zip(biased(params, seed), unbiased(params, seed)):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

    property_()


def test_a_sycophantic_rejecter_lets_agreement_with_a_false_belief_pass_at_its_rate():
    """s_r: a response endorsing a false belief goes unflagged with probability s_r (it is
    always flagged by the unbiased rejecter: it breaks the factual rule); with a true belief,
    or a response that does not endorse, nothing changes."""
    agree = int(np.flatnonzero(np.asarray(WORLD.endorses))[0])
    plain = [i for i in range(256) if not WORLD.endorses[i] and WORLD.violates[i].any()][0]
    cfg = AnnotatorConfig(rejecter_sycophancy=0.3, rejecter_length_bias=0.0)
    flags = np.asarray(_rejections(cfg, agree, False).flag)
    assert _close(1 - flags.mean(), 0.3)
    assert np.asarray(_rejections(cfg, plain, False).flag).all()


def test_a_length_lenient_rejecter_lets_long_responses_pass_at_its_rate():
    """l_r: a long response (above the length law's median) that breaks a rule goes
    unflagged with probability l_r; a short one is always flagged."""
    bad = np.asarray(WORLD.violates.any(axis=1))
    long = np.asarray(WORLD.length > WORLD.length_median)
    i_long = int(np.flatnonzero(bad & long)[0])
    i_short = int(np.flatnonzero(bad & ~long)[0])
    cfg = AnnotatorConfig(rejecter_length_bias=0.6, rejecter_sycophancy=0.0)
    assert _close(1 - np.asarray(_rejections(cfg, i_long, True).flag).mean(), 0.6)
    assert np.asarray(_rejections(cfg, i_short, True).flag).all()


@settings(max_examples=12, deadline=None)
@given(reveal=st.sampled_from(["all", "one", "flag"]), miss=st.floats(0.0, 0.5),
       syc=st.floats(0.0, 1.0), length=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_compact_named_answers_rebuild_the_named_table(reveal, miss, syc, length, seed):
    """Every answer names every violated rule or none (reveal = all) or exactly one
    (reveal = one), so two numbers per answer rebuild the named table exactly
    (sim.oracles.compact_named / named_from_compact: how E7 keeps 100,000 answers), with
    misses and both rejecter biases on, in a world whose prohibitions read the context."""
    from sim.labels import collect_rejections
    from sim.oracles import compact_named, named_from_compact

    world = make_world(jax.random.key(seed), WorldConfig(responses=64, prohibitions=4,
                                                          prohibition_mass=0.2,
                                                          context_share=0.5))
    static, params = split(AnnotatorConfig(reveal=reveal, miss=miss, rejecter_sycophancy=syc,
                                           rejecter_length_bias=length))
    rej = collect_rejections(jax.random.key(seed + 1), world, params, static, 200)
    told, pick = compact_named(rej.answer.revealed)
    rebuilt = named_from_compact(world, rej.response, rej.belief_true, rej.contexts.features,
                                 told, pick, reveal)
    assert np.array_equal(np.asarray(rebuilt), np.asarray(rej.answer.revealed))
