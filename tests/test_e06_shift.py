"""E6 (summary: adherence generalises under shift): what each kind of shift does at a small size,
the window as the query law, and the quick config end to end."""

import dataclasses
import functools

import jax
import numpy as np
import pytest

from sim.config import ConfigError
from sim.keys import seed_keys
from sim.oracles import AnnotatorConfig
from sim.spec import registry, run_configs
from sim.world import WorldConfig

SPEC = registry()["shift"]
SEEDS = 6
SMALL = dataclasses.replace(SPEC.tiny_config(), world=WorldConfig(responses=96, prohibitions=6),
                            contexts=4, eval_contexts=4, labels=128, shifts=(0.0, 2.0, 20.0))
METHODS = ("mask", "named_mask", "cost_mask", "tilt", "best_of_n", "mask_then_tilt",
           "constrained_tilt", "prior")


@functools.cache
def results(kind):
    config = {v.name: v for v in SPEC.variants}[kind].transform(SMALL)
    return jax.device_get(run_configs(SPEC, [config], seed_keys(0, SEEDS)))


@pytest.mark.parametrize("kind", ["response", "novel"])
def test_no_shift_means_no_gap(kind):
    """At s = 0 the shifted evaluation is the in-distribution one, for every method."""
    out = results(kind)
    for name in METHODS:
        np.testing.assert_array_equal(out[name]["violation_shift"][0, :, 0],
                                      out[name]["violation_in"][0, :, 0])
        assert np.all(out[name]["adherence_gap"][0, :, 0] == 0.0)


def test_a_context_shift_does_not_change_training():
    """The context shift moves only evaluation contexts: every in-distribution number is the
    same at every s (the same labels, learners and evaluation)."""
    out = results("context")
    for name in METHODS:
        v = out[name]["violation_in"][0]
        np.testing.assert_array_equal(v, np.broadcast_to(v[:, :1], v.shape))


def test_the_rule_learner_cannot_know_prohibitions_it_never_saw():
    """Novel prohibitions queried exp(-20) as often: the mask is near-clean in distribution
    and violates outside, in every seed where the novel prohibition has mass."""
    out = results("novel")["mask"]
    inside, outside = out["violation_in"][0, :, -1], out["violation_shift"][0, :, -1]
    assert np.all(inside < 0.05)
    assert np.mean(outside - inside) > 0.05


def test_the_window_is_the_query_law():
    with pytest.raises(ConfigError, match="annotator.query"):
        dataclasses.replace(SMALL, annotator=AnnotatorConfig(query="uniform"))


def test_the_three_kinds_of_shift_are_one_program():
    """The kinds are numbers (weights), not branches: the variants share one static config,
    so the three compile once (only the weights differ)."""
    from sim.config import split
    statics = {split(v.transform(SMALL))[0] for v in SPEC.variants}
    assert len(statics) == 1 and len(SPEC.variants) == 3
