"""The engine's plan (issue 30, "one program per experiment"), on a toy spec that compiles in
well under a second: the chosen variants run as one program, variants that differ only in
numbers share one compiled program, the blocks come back in the order the variants were
chosen, and each variant's numbers are the ones it gives run alone."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from experiments import engine
from sim.config import Config, param
from sim.spec import Experiment, Variant


@dataclasses.dataclass(frozen=True)
class ToyConfig(Config):
    section = "experiment"
    size: int = param(3, lo=1, hi=100, doc="a static size")
    scale: float = param(1.0, lo=0.0, hi=10.0, sweep=True, doc="a swept number")
    squared: bool = param(False, doc="a static branch")


def _run(key, params, static):
    x = jax.random.uniform(key, (static.size,)) * params.scale
    return {"toy": {"value": jnp.sum(x ** 2 if static.squared else x)}}


def _with(**changes):
    return lambda c: dataclasses.replace(c, **changes)


TOY = Experiment(
    name="toy", claims=(), title="toy", config_type=ToyConfig, default=ToyConfig,
    quick=ToyConfig, run=_run, axes=lambda c: {},
    variants=(Variant("plain"), Variant("squared", _with(squared=True)),
              Variant("twice", _with(scale=2.0)), Variant("wide", _with(size=5))),
    sweep=(("experiment.scale", (0.5, 1.5)),))


def _values(blocks):
    return {(b.variant, b.point["experiment.scale"]): b.metrics["value"] for b in blocks}


def test_variants_of_distinct_static_configs_are_one_program_and_shared_ones_share_one():
    """``plain`` and ``twice`` differ only in a number: they share a static config, so
    they are programs of their own that share one compile; ``squared`` and ``wide`` (a
    branch, a size) run together as one program over both sweep points."""
    programs = engine.plan(TOY, ToyConfig(), TOY.variants, list(TOY.sweep))
    assert [[m.variant for m in p.members] for p in programs] == [
        ["squared", "wide"], ["plain"], ["twice"]]
    assert all(len(p.points) == 2 for p in programs)
    assert programs[1].statics == programs[2].statics


def test_blocks_come_in_the_chosen_order_with_each_variants_own_numbers(monkeypatch):
    """One compile per distinct set of static configs (2 here, for 4 variants), the
    blocks in the order of the chosen variants, and every variant's values those it
    gives run alone (its program of one member): the merge changes no number."""
    monkeypatch.setattr(engine, "_COMPILED", {})
    programs = engine.plan(TOY, ToyConfig(), TOY.variants, list(TOY.sweep))
    blocks, timings = engine.simulate(TOY, programs, 3, 0)
    assert [b.variant for b in blocks] == ["plain"] * 2 + ["squared"] * 2 + ["twice"] * 2 + [
        "wide"] * 2
    assert sum("xla_seconds" in t for t in timings) == 2
    assert timings[0]["variants"] == ["squared", "wide"]
    together = _values(blocks)
    for variant in TOY.variants:
        alone, _ = engine.simulate(TOY, engine.plan(TOY, ToyConfig(), [variant],
                                                    list(TOY.sweep)), 3, 0)
        for key, value in _values(alone).items():
            np.testing.assert_allclose(together[key], value, rtol=1e-6)
    assert not np.allclose(together[("plain", 0.5)], together[("twice", 0.5)])
