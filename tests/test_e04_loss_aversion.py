"""E4 (paper sec. 3.4) as a library call: the unpaired labels' share, KTO against the prior,
DPO the same at every sweep point, and one program for all of them."""

import dataclasses
import functools

import jax
import numpy as np
import pytest

from sim.keys import seed_keys
from sim.spec import TRACES, registry, run_configs
from sim.world import WorldConfig

SPEC = registry()["loss_aversion"]
SHARES = (0.1, 0.25, 0.5, 0.75)
SEEDS = 8
# Small enough to compile and run in seconds, large enough that the share is measurable.
SMALL = dataclasses.replace(SPEC.quick(), world=WorldConfig(responses=64), contexts=4, labels=256,
                            steps=20, lambda_desirable=(0.5, 16.0))


def _configs(config, shares):
    return [dataclasses.replace(config, desirable_share=s) for s in shares]


@functools.cache
def results(family: str = "belief"):
    """Outputs at every share of :data:`SHARES` (leading axis), and the traces it took, for
    the policy ``family`` (default: the shared-parameter policy on the belief features)."""
    before = TRACES[SPEC.name]
    config = dataclasses.replace(SMALL, policy_family=family)
    out = jax.device_get(run_configs(SPEC, _configs(config, SHARES), seed_keys(0, SEEDS)))
    return out, TRACES[SPEC.name] - before


def test_outputs_follow_the_axes_and_are_finite():
    out, _ = results()
    assert SPEC.axes(SMALL) == {"kto": ("lambda_desirable", (0.5, 16.0))}
    assert set(out) == {"kto", "dpo", "prior"}
    assert set(out["kto"]) == {"sycophancy_rate", "sycophancy_gap", "violation_rate", "value", "kl_to_prior",
                               "weight_ratio"}
    for method, metrics in out.items():
        for name, values in metrics.items():
            shape = (len(SHARES), SEEDS) + ((2,) if method == "kto" else ())
            assert values.shape == shape and np.all(np.isfinite(values)), (method, name)


def test_measured_desirable_ratio_matches_the_share_in_law():
    """n_D / n_U = weight_ratio / lambda_D: its mean over seeds is share / (1 - share) within a
    Monte Carlo tolerance (delta method: sd ~ sqrt(p (1 - p) / n) / (1 - p)^2 per seed)."""
    out, _ = results()
    ratio = out["kto"]["weight_ratio"] / np.asarray(SMALL.lambda_desirable)   # (P, S, 2)
    n = SMALL.labels
    for p, per_seed in zip(SHARES, ratio[:, :, 0]):
        sd = np.sqrt(p * (1 - p) / n) / (1 - p) ** 2
        bias = p / (n * (1 - p) ** 2)     # E[X / (n - X)] exceeds the ratio of the means
        assert abs(per_seed.mean() - p / (1 - p)) < 4 * sd / np.sqrt(SEEDS) + 2 * bias, p


@pytest.mark.parametrize("family", ["belief", "tabular"])
def test_kto_with_a_large_desirable_weight_lowers_violations_below_the_prior(family):
    """At lambda_D = 16 every seed at every share ends with fewer violations than pi0 (both
    policies). On the tabular policy, trained by plain SGD so the loss weights act as
    weights, also on average fewer than at lambda_D = 1/2 (Adam on shared parameters
    rescales the gradient, so that ordering is a result there, not a mechanism)."""
    out, _ = results(family)
    kto, prior = out["kto"]["violation_rate"], out["prior"]["violation_rate"]
    assert np.all(kto[:, :, -1] < prior)
    if family == "tabular":
        assert np.all(kto[:, :, -1].mean(axis=1) < kto[:, :, 0].mean(axis=1))
    assert np.all(out["kto"]["kl_to_prior"] > 0) and np.all(out["prior"]["kl_to_prior"] == 0)


def test_dpo_and_the_prior_are_identical_at_every_sweep_point():
    """Neither depends on the desirable share: same keys, same numbers, bit for bit."""
    out, _ = results()
    for method in ("dpo", "prior"):
        for name, values in out[method].items():
            for p in range(1, len(SHARES)):
                np.testing.assert_array_equal(values[p], values[0], err_msg=f"{method}/{name}")
    assert not np.array_equal(out["kto"]["violation_rate"][0], out["kto"]["violation_rate"][-1])


def test_every_share_runs_in_one_program():
    out, traces = results()
    assert traces == 1            # every share and seed of SMALL: one trace
    before = TRACES[SPEC.name]
    again = jax.device_get(run_configs(SPEC, _configs(SMALL, (0.3, 0.4, 0.6, 0.9)),
                                       seed_keys(1, SEEDS)))
    assert TRACES[SPEC.name] == before  # new shares and seeds: no new trace
    assert not np.array_equal(again["kto"]["weight_ratio"], out["kto"]["weight_ratio"])
