"""The named-rule learner (sim.named): told which rule a rejection names, it learns what
the rule covers from examples; the middle tier between the rule learner (oracle) and the
cost model (flag)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sim import AnnotatorConfig, WorldConfig, make_world, split
from sim.labels import collect_rejections
from sim.named import fit_named, named_costs, named_targets
from sim.world import sample_contexts


def test_with_a_linear_family_it_recovers_a_single_true_halfspace(x64):
    """Issue 27: one prohibition, every violation named: the angle between the learned
    classifier's weights on x and the true normal w shrinks as labels grow (float64)."""
    world = make_world(jax.random.key(0), WorldConfig(responses=4096, prohibitions=1,
                                                      prohibition_mass=0.3))
    static, params = split(AnnotatorConfig())
    rejections = collect_rejections(jax.random.key(1), world, params, static, 4000)
    steps = (50, 400, 4000)
    theta = fit_named(world, rejections, "linear", steps, 1e-2, 30, "all")   # (K, R, p + 1)
    d = world.features.shape[1]
    w = np.asarray(world.normals[0])
    angles = []
    for k in range(len(steps)):
        v = np.asarray(theta[k, 0, :d])
        angles.append(np.degrees(np.arccos(v @ w / np.linalg.norm(v))))
    assert angles[0] > angles[1] > angles[2], angles
    assert angles[2] < 5.0, angles


def test_a_rule_never_named_admits_everything_and_a_flag_for_another_rule_is_no_negative():
    """reveal = one: a response flagged for another rule gets weight 0 for this one; an
    unflagged response is a negative for every rule; reveal = all: every label counts."""
    world = make_world(jax.random.key(2), WorldConfig(responses=64, prohibitions=3,
                                                      prohibition_mass=0.2))
    for reveal in ("one", "all"):
        static, params = split(AnnotatorConfig(reveal=reveal))
        rej = collect_rejections(jax.random.key(3), world, params, static, 300)
        target, weight = named_targets(rej, reveal)
        named, flagged = np.asarray(rej.answer.revealed), np.asarray(rej.flagged())
        assert np.array_equal(np.asarray(target), named.astype(float))
        if reveal == "one":
            expect = named | ~flagged[:, None]
        else:
            expect = np.ones_like(named)
        assert np.array_equal(np.asarray(weight), expect.astype(float))
    # the padding rule (index T) is off in this world: never named, so it never fires
    theta = fit_named(world, rej, "linear", (300,), 1e-2, 10, "all")[0]
    ctx = sample_contexts(jax.random.key(4), world, 3)
    pad = jnp.zeros_like(theta).at[world.masses.shape[0]].set(theta[world.masses.shape[0]])
    assert np.all(np.asarray(named_costs(pad, "linear", world, ctx)) <= 0.0)


def test_online_named_is_the_independent_streaming_fit_of_every_rule():
    """One streaming step over every rule at once (sim.named.fit_named_online) equals R
    separate streaming fits (sim.reward_fits.fit_online) of each rule's targets and weights
    (reveal = one: flagged for another rule is no negative), for B = 1 and B = 8."""
    from sim.costs import CostConfig
    from sim.labels import padded_rows
    from sim.named import fit_named_online, named_inputs
    from sim.reward_fits import fit_online

    world = make_world(jax.random.key(5), WorldConfig(responses=64, prohibitions=3,
                                                      prohibition_mass=0.2))
    static, params = split(AnnotatorConfig(reveal="one"))
    rej = collect_rejections(jax.random.key(6), world, params, static, 200)
    z = named_inputs("linear", world, rej)
    target, weight = named_targets(rej, "one")
    steps = (0, 7, 50, 200)
    r = target.shape[1]
    for block in (1, 8):
        cs, cp = split(CostConfig(online_block=block, learning_rate=0.05))
        take = padded_rows(rej.answer.revealed, block)
        joint = fit_named_online(z, take, rej.flagged(), r, steps, cp, cs,
                                 "one")                                        # (K, R, p)
        alone = jnp.stack([fit_online(z, target[:, j], weight[:, j], jnp.asarray(steps),
                                      cp.ridge, cp.learning_rate, "adam", block)
                           for j in range(r)], axis=1)
        np.testing.assert_allclose(np.asarray(joint), np.asarray(alone), rtol=1e-5, atol=1e-6)
    assert np.all(np.asarray(joint[0]) == 0.0)          # n = 0: nothing learned
    assert np.any(np.asarray(joint[-1]) != 0.0)


@pytest.mark.slow   # the batch fit's recovery is the fast tier's; online is its streamed form
def test_online_named_learns_the_true_halfspace_too():
    """Streaming (B = 16) on one prohibition: the learned normal's angle to the true one
    shrinks from 400 to 4,000 labels and ends below 25 degrees (a weaker fit than batch)."""
    from sim.costs import CostConfig
    from sim.labels import padded_rows
    from sim.named import fit_named_online, named_inputs

    world = make_world(jax.random.key(0), WorldConfig(responses=4096, prohibitions=1,
                                                      prohibition_mass=0.3))
    static, params = split(AnnotatorConfig())
    rej = collect_rejections(jax.random.key(1), world, params, static, 4000)
    cs, cp = split(CostConfig(online_block=16))
    take = padded_rows(rej.answer.revealed, 16)
    theta = fit_named_online(named_inputs("linear", world, rej), take,
                             rej.flagged(), rej.answer.revealed.shape[1], (400, 4000), cp, cs,
                             "all")
    d = world.features.shape[1]
    w = np.asarray(world.normals[0])
    v = np.asarray(theta[:, 0, :d])
    angles = np.degrees(np.arccos(v @ w / np.linalg.norm(v, axis=1)))
    assert angles[0] > angles[1], angles
    assert angles[1] < 25.0, angles


def test_the_families_said_to_read_no_context_give_every_context_the_same_costs():
    """sim.preferences.reads_no_context(family) is what named_costs relies on to compute one
    N x R table for all contexts: true exactly when the classifiers' inputs do not move with
    the context (checked against a per-context computation for every family)."""
    from sim.named import _inputs
    from sim.preferences import reads_no_context

    world = make_world(jax.random.key(7), WorldConfig(responses=32))
    ctx = sample_contexts(jax.random.key(8), world, 6)
    idx = jnp.arange(32)
    for family in ("linear", "quadratic", "belief", "contextual", "tabular", "maxout"):
        z = jax.vmap(lambda c, b, f=family: _inputs(f, world, idx, c, b))(ctx.features,
                                                                         ctx.belief_true)
        same = bool(np.all(np.asarray(z) == np.asarray(z[:1])))
        assert same == reads_no_context(family), family
