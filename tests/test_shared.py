"""Traced once per program (:mod:`sim.shared`, :mod:`experiments.members`): what a
program's members compute alike is traced once, and no number changes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments import engine
from sim import shared
from sim.spec import batched, registry


def _counted():
    calls = []

    @shared.shared
    def draw(key, n: int):
        calls.append(n)
        return jax.random.normal(key, (n,))
    return draw, calls


def test_a_shared_function_is_traced_once_per_input_inside_sharing_only():
    draw, calls = _counted()

    def twice(key, other):
        with shared.sharing():
            a, b = draw(key, 3), draw(key, 3)       # the same tracer and size: one trace
            c, d = draw(key, 4), draw(other, 3)     # another size, another key: traced again
        return a, b, c, d

    key, other = jax.random.key(0), jax.random.key(1)
    a, b, c, d = jax.jit(twice)(key, other)
    assert calls == [3, 4, 3]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, jax.random.normal(key, (3,)))
    np.testing.assert_array_equal(d, jax.random.normal(other, (3,)))
    calls.clear()
    jax.jit(lambda k: (draw(k, 3), draw(k, 3)))(key)   # outside sharing: every call runs
    assert calls == [3, 3]


def test_a_result_made_inside_a_scan_body_is_not_reused_outside_it():
    """A result is reused only in the trace that made it: a map's body traces its own copy,
    and the call after it, outside the body, another (no tracer leaks out of the body)."""
    draw, calls = _counted()

    def program(key):
        with shared.sharing():
            inside = jax.lax.map(lambda _: draw(key, 2), jnp.arange(3))
            outside = draw(key, 2)
        return inside, outside

    inside, outside = jax.jit(program)(jax.random.key(2))
    assert calls == [2, 2]
    np.testing.assert_array_equal(inside[1], outside)


@pytest.mark.slow   # five programs of E1
def test_members_of_e1_draw_one_world_and_give_the_numbers_they_give_apart():
    """E1's twelve members in one program trace one world, one evaluation and one label
    stream per annotator (four: rejections named or flagged, comparisons biased or not),
    and a member reading each stream gives the numbers it gives as a program of its own
    (to float32 rounding: XLA optimises a program of one member apart)."""
    spec = registry()["convergence"]
    programs = engine.plan(spec, spec.tiny_config(), spec.variants, [])
    (program,) = programs
    before = shared.CALLS.copy()
    seeds = np.arange(2, dtype=np.uint32)
    layout, distinct = engine.param_layout(program)
    run = engine.seeded(spec, program.statics, layout)
    together = run(np.uint32(0), seeds, engine.point_params(distinct, 0))
    traced = {name: shared.CALLS[name, "traced"] - before[name, "traced"]
              for name in ("sample_world", "_evaluation", "collect_rejections",
                           "collect_comparisons")}
    assert traced == {"sample_world": 1, "_evaluation": 1, "collect_rejections": 2,
                      "collect_comparisons": 2}
    assert shared.CALLS["sample_world", "reused"] - before["sample_world", "reused"] == 11
    keys = jax.vmap(lambda s: jax.random.fold_in(jax.random.key(0), s))(seeds)
    for member, out in zip(program.members, together):
        if member.variant not in ("named_batch", "batch", "control_online", "maxout_batch"):
            continue
        apart = batched(spec, member.static)(keys, jax.tree.map(lambda a: a[:1], member.params))
        for method, metrics in apart.items():
            for metric, value in metrics.items():
                np.testing.assert_allclose(out[method][metric], value, rtol=1e-5, atol=1e-6,
                                           err_msg=f"{member.variant} {method}/{metric}")


def test_members_share_a_number_only_where_it_is_the_same_field_and_equal_everywhere():
    """The layout merges the same field of two members when it is equal at every sweep
    point, never two fields of one member: a one-member program's layout does not depend
    on its numbers, so variants that differ only in numbers still share one compile."""
    spec = registry()["sycophancy"]
    sweep = [("annotator.sycophancy", (0.0, 0.2))]
    (program,) = engine.plan(spec, spec.tiny_config(), spec.variants, sweep)
    layout, distinct = engine.param_layout(program)
    leaves = jax.tree.leaves(tuple(m.params for m in program.members))
    assert len(layout.where) == len(leaves) and len(distinct) < len(leaves)
    for k, leaf in enumerate(leaves):
        np.testing.assert_array_equal(distinct[layout.where[k]], np.asarray(leaf))
    per_member = len(leaves) // len(program.members)
    assert len(set(layout.where[:per_member])) == per_member   # one member: all apart
    one = engine.plan(spec, spec.tiny_config(), spec.variants[:1], sweep)[0]
    assert engine.param_layout(one)[0].where == tuple(range(per_member))


def test_a_checkpoint_reading_is_one_function_however_many_learners_call_it():
    """The readings every member takes of its scores (``learned_sets``' checkpoint metrics,
    the policy experiments' ``setting_metrics``, ``surface_metrics``, E8's
    ``hybrid_metrics``) are jitted: in a program where two learners read scores of one
    shape, under vmap over seeds as the engine runs them, the lowered module defines each
    reading once and calls it from both, with the numbers it gives without jit. (The other
    three are checked to be jitted; ``learned_sets``' reading stands for how jit shares.)"""
    from sim.specs import learned_sets as ls
    from sim.specs.e08_hybrid import hybrid_metrics
    from sim.specs.setting import setting_metrics, surface_metrics

    for reading in (ls._reading, setting_metrics, surface_metrics, hybrid_metrics):
        assert hasattr(reading, "lower"), reading   # a jitted function: one trace per shape

    static = type("Static", (), {"eval_responses": 3})
    e, n, k = 2, 5, 4
    acceptable = jnp.arange(e * n).reshape(e, n) % 3 > 0
    values = jnp.linspace(-1.0, 1.0, e * n).reshape(e, n)

    def two_learners(thetas):
        def scorer(sign):
            def score(theta):
                r = sign * theta[:, None] * values + jnp.arange(n, dtype=values.dtype)
                return r, r > 0, jnp.argmax(r, axis=1)
            return score
        read = [ls.learned_sets(thetas, scorer(s), lambda t, rs: {}, acceptable, values, static)
                for s in (1.0, -1.0)]
        return read

    thetas = jnp.linspace(0.5, 2.0, 2 * k * e).reshape(2, k, e)
    text = jax.jit(jax.vmap(two_learners)).lower(thetas).as_text()
    assert text.count("func.func private @_reading") == 1, text.count("@_reading")
    assert text.count("call @_reading") == 2
    jitted = jax.jit(jax.vmap(two_learners))(thetas)
    with jax.disable_jit():
        inline = jax.vmap(two_learners)(thetas)
    for a, b in zip(jax.tree.leaves(jitted), jax.tree.leaves(inline)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


def test_learners_that_score_alike_call_one_scoring_function():
    """Every learner's scoring (:mod:`sim.learners`) is jitted on only what it reads (its
    family, the learner's own sections), so two members whose static configs differ
    elsewhere (as E1's batch and online fits do) lower one scoring function and call it
    twice, where each had its own copy."""
    import dataclasses

    from sim import split
    from sim.learners import LEARNERS, collect_labels
    from sim.specs.e01_convergence import SPEC, _evaluation
    from sim.world import sample_world

    config = SPEC.tiny()
    static, params = split(config)
    other, _ = split(dataclasses.replace(config, labels=config.labels + 1))
    assert static != other

    def both(key):
        world = sample_world(key, params.world, static.world)
        contexts, _, acceptable = _evaluation(key, world, static.eval_contexts)
        out = []
        for learner in LEARNERS.values():
            labels = collect_labels(learner.signal, key, world, params, static, static.labels)
            weight = jnp.ones((static.labels,), world.features.dtype)
            fitted = learner.fit(key, world, labels, weight, (static.labels,), params, static)
            last = jax.tree.map(lambda a: a[-1], fitted)
            out += [learner.score(last, world, contexts, acceptable, params, s)
                    for s in (static, other)]
        return out

    text = jax.jit(both).lower(jax.random.key(0)).as_text()
    for name in ("_rule_scored", "_named_scored", "_cost_scored", "_reward_scored"):
        assert text.count(f"func.func private @{name}") == 1, name
        assert text.count(f"call @{name}(") == 2, name
