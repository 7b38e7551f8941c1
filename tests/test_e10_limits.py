"""E10 (paper sec. 6.3, where via negativa fails): context-dependent prohibitions leave today's
world unchanged at share 0 and keep every prohibition's mass; with false flags the feasible
set never grows and false exclusion never falls (a property test); the maps' leads and
shared cells; the quick config end to end through the runner."""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import AnnotatorConfig, WorldConfig, collect_rejections, learn_constraints, split
from sim.config import ConfigError
from sim.constraints import feasible_sets
from sim.keys import seed_keys
from sim.spec import registry, run_configs
from sim.specs.e10_limits import contenders, fair_contenders
from sim.world import make_world, sample_contexts, sample_world, unacceptable, violations_in

SPEC = registry()["limits"]
SEEDS = 3
SMALL = dataclasses.replace(SPEC.tiny_config(), false_flags=(0.0, 0.3), context_weights=(0.0, 2.0),
                            couplings=(0.0, 0.9), active=(1, 4), zipf_exponents=(0.0, 1.0),
                            misses=(0.0, 0.5))


@functools.cache
def results():
    return jax.device_get(run_configs(SPEC, [SMALL], seed_keys(0, SEEDS)))


# ------------------------------------------------- context-dependent prohibitions


def test_at_context_share_zero_the_world_is_todays_world():
    """The option off (share 0) is the world as it was; on with weight 0 it has the same
    draws, the same halfspace table and the same acceptable set in every context."""
    key = jax.random.key(3)
    today = make_world(key, WorldConfig(responses=256))
    off = make_world(key, WorldConfig(responses=256, context_share=0.0, context_weight=3.0))
    flat = make_world(key, WorldConfig(responses=256, context_share=0.5, context_weight=0.0))
    assert off.context_normals is None and flat.context_normals is not None
    for field in today._fields:
        if field != "context_normals":
            np.testing.assert_array_equal(getattr(today, field), getattr(off, field), field)
            np.testing.assert_array_equal(getattr(today, field), getattr(flat, field), field)
    ctx = sample_contexts(jax.random.key(4), today, 16)
    a = jax.vmap(lambda b: unacceptable(today, b))(ctx.belief_true)
    b = jax.vmap(lambda b, c: unacceptable(flat, b, None, c))(ctx.belief_true, ctx.features)
    np.testing.assert_array_equal(a, b)


def test_context_dependent_prohibitions_keep_their_mass_and_move_with_the_context():
    """P(g_j(i, c) = 1) = p_j over responses and contexts (the threshold is rescaled by
    sqrt(1 + |u_j|^2)); the context-free reading (the halfspace of the same mass) fires as
    often, and in a given context it both over- and under-excludes."""
    config = WorldConfig(responses=4096, prohibitions=8, prohibition_mass=0.1,
                         context_share=1.0, context_weight=2.0)
    world = make_world(jax.random.key(0), config)
    ctx = sample_contexts(jax.random.key(1), world, 256)
    fires = jax.vmap(lambda c: violations_in(world, c))(ctx.features)          # (E, N, T)
    np.testing.assert_allclose(fires.mean(axis=(0, 1)), 0.1, atol=0.02)
    np.testing.assert_allclose(world.violates.mean(0), 0.1, atol=0.02)
    over = (world.violates[None] & ~fires).any(axis=(1, 2))
    under = (~world.violates[None] & fires).any(axis=(1, 2))
    assert over.mean() > 0.5 and under.mean() > 0.5
    with pytest.raises(ValueError, match="context_share"):
        unacceptable(world, jnp.asarray(True))


# ------------------------------------------------------ noisy flags, a property

WORLD = WorldConfig(responses=48, latent_dims=3, context_dims=2, prohibitions=6,
                    prohibition_mass=0.15, context_share=0.5)
LABELS, CONTEXTS = 32, 3


@jax.jit
def _sets(key, world_params, annotator_params):
    kw, kc, kl = jax.random.split(key, 3)
    world = sample_world(kw, world_params, split(WORLD)[0])
    ctx = sample_contexts(kc, world, CONTEXTS)
    rejections = collect_rejections(kl, world, annotator_params, split(AnnotatorConfig())[0],
                                    LABELS, pool=ctx)
    sets = feasible_sets(learn_constraints(rejections, world), world,
                         jnp.arange(LABELS + 1, dtype=jnp.int32), ctx.belief_true)
    acceptable = ~jax.vmap(lambda b, c: unacceptable(world, b, None, c))(ctx.belief_true,
                                                                         ctx.features)
    return sets, acceptable


@given(st.integers(0, 2**31 - 1), st.floats(0.0, 0.9), st.floats(0.0, 4.0),
       st.floats(0.0, 0.9))
def test_with_false_flags_the_feasible_set_never_grows_and_false_exclusion_never_falls(
        seed, false_flag, weight, miss):
    """E10 (a): a monotone set cannot un-exclude. Whatever the false-flag and miss rates and
    however much the prohibitions read the context, F_{n+1} is inside F_n, so the share of
    acceptable responses excluded, |A \\ F_n| / |A|, is non-decreasing in labels n."""
    wp = split(dataclasses.replace(WORLD, context_weight=weight))[1]
    ap = split(AnnotatorConfig(false_flag=false_flag, miss=miss))[1]
    sets, acc = (np.asarray(a) for a in _sets(jax.random.key(seed), wp, ap))
    assert np.all(sets[1:] <= sets[:-1])
    excluded = (acc[None] & ~sets).sum(-1) / np.maximum(acc.sum(-1), 1)[None]   # (n + 1, E)
    assert np.all(np.diff(excluded, axis=0) >= 0)


# ------------------------------------------------------------------ the maps


@pytest.mark.slow
def test_the_winner_leads_by_the_gap_to_the_runner_up():
    """lead = value minus the best other fair value: at most one fair contender leads (> 0),
    the winner's lead is minus the largest lead of the others, and the oracle's lead is its
    value minus the best fair value (an upper bound's margin, not a contender's)."""
    out = results()
    for method in out:
        if not method.startswith("noise_rule_"):
            continue
        suffix = method[len("noise_rule_"):]
        at = {c: out[f"noise_{c}_{suffix}"] for c in contenders()}
        leads = np.stack([at[c]["lead"][0] for c in fair_contenders()])
        assert np.all((leads > 0).sum(0) <= 1)
        top = np.sort(leads, axis=0)
        np.testing.assert_allclose(top[-1], -top[-2], rtol=1e-5, atol=1e-3)
        best_fair = np.max(np.stack([at[c]["value"][0] for c in fair_contenders()]), axis=0)
        np.testing.assert_allclose(at["rule"]["lead"][0], at["rule"]["value"][0] - best_fair,
                                   rtol=1e-5, atol=1e-3)


@pytest.mark.slow   # compiles the whole experiment: the full suite only
def test_the_maps_share_their_baseline_cell():
    """At false flags 0, context weight 0, Zipf exponent 0 and misses 0 the maps (a), (b),
    (d) and (e) sit on the same world and labels: the same numbers."""
    out = results()
    for c in contenders():
        base = out[f"noise_{c}_0"]
        for other in (f"context_{c}_0", f"tail_{c}_0", f"misses_{c}_0"):
            for m, v in base.items():
                np.testing.assert_allclose(out[other][m], v, rtol=1e-5, atol=1e-5,
                                           err_msg=f"{other} {m}")


@pytest.mark.slow   # compiles the whole experiment: the full suite only
def test_only_noise_or_context_make_the_rule_learner_refuse_acceptable_responses():
    """Without false flags and with context-free prohibitions every rejection names a true
    prohibition, so the mask excludes no acceptable response; false flags do exclude some."""
    out = results()
    assert np.all(out["noise_rule_0"]["over_refusal"] == 0.0)
    assert np.all(out["misses_rule_0.5"]["over_refusal"] == 0.0)
    assert np.any(out["noise_rule_0.3"]["over_refusal"] > 0.0)
    for method, scores in out.items():
        for m, v in scores.items():
            assert np.all(np.isfinite(v)), (method, m)


def test_bad_maps_are_refused():
    tiny = SPEC.tiny_config()
    with pytest.raises(ConfigError, match="experiment.active"):
        dataclasses.replace(tiny, active=(1, 99))
    with pytest.raises(ConfigError, match="world.context_share"):
        dataclasses.replace(tiny, world=dataclasses.replace(tiny.world, context_share=0.0))
    with pytest.raises(ConfigError, match="experiment.zipf_exponents"):
        dataclasses.replace(tiny, world=dataclasses.replace(tiny.world, prohibition_mass=0.3),
                            zipf_exponents=(0.0, 8.0))
