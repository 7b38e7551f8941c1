"""The named-rule learner (sim.named): told which rule a rejection names, it learns what
the rule covers from examples; the middle tier between the rule learner (oracle) and the
cost model (flag)."""

import jax
import jax.numpy as jnp
import numpy as np

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
