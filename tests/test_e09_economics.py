"""E9 (summary claims 11, 13, 14): label costs are linear in labels, the audit's detection
probability follows its closed form, the curators' library behaves as its definition says,
and the quick config runs end to end through the runner."""

import dataclasses
import functools

import jax
import numpy as np
import pytest

from sim.config import ConfigError
from sim.keys import seed_keys
from sim.spec import registry, run_configs
from sim.specs.e08_hybrid import split_counts
from sim.specs.e09_economics import label_costs
from sim.world import WorldConfig

SPEC = registry()["economics"]
SEEDS = 96
SMALL = dataclasses.replace(
    SPEC.tiny_config(),
    world=WorldConfig(responses=64, prohibitions=8, prohibition_mass=0.05, mass_law="zipf",
                      zipf_exponent=0.0),
    contexts=3, budgets=(16, 64), shares=(0.0, 0.5, 1.0), front_budget=64, audit_missing=(2, 4),
    audit_probes=(1, 4, 16, 64), curator_rhos=(0.0, 0.5, 1.0), curator_sigmas=(0.0, 0.5))


@functools.cache
def results():
    return jax.device_get(run_configs(SPEC, [SMALL], seed_keys(0, SEEDS)))


def test_label_costs_are_linear_in_labels():
    counts = split_counts((10, 20), (0.0, 0.5, 1.0))
    cost = np.asarray(label_costs(counts, 0.3, 2.0))
    np.testing.assert_allclose(cost, [3.0, 2.25, 1.5, 6.0, 4.5, 3.0], rtol=1e-6)
    np.testing.assert_allclose(cost[3:], 2 * cost[:3], rtol=1e-6)     # twice the labels
    equal = np.asarray(label_costs(counts, 0.3, 1.0))
    np.testing.assert_allclose(equal, 0.3 * np.array([10, 10, 10, 20, 20, 20]), rtol=1e-6)


@pytest.mark.slow
def test_audit_detection_follows_the_closed_form():
    """Claim 13's audit: P(detect within m uniform probes) = 1 - (1 - p_missing)^m; the share
    of seeds that detect lies within 4 standard errors of the mean closed form."""
    out = results()
    for k in SMALL.audit_missing:
        a = out[f"audit_{k}"]
        detected, closed = a["detected"][0], a["closed_form"][0]              # (S, M)
        assert np.all(np.diff(detected, axis=1) >= 0)                         # nested probes
        mean_closed = closed.mean(0)
        se = np.sqrt(np.maximum(mean_closed * (1 - mean_closed), 1e-4) / SEEDS)
        assert np.all(np.abs(detected.mean(0) - mean_closed) <= 4 * se + 1e-6), k
        p = a["missing_mass"][0][:, 0]
        np.testing.assert_allclose(closed, 1 - (1 - p[:, None]) ** np.array(SMALL.audit_probes),
                                   rtol=1e-5, atol=1e-6)
    assert out[f"audit_{max(SMALL.audit_missing)}"]["missing_mass"][0].mean() > 0


@pytest.mark.slow
def test_a_complete_curator_refuses_only_the_unacceptable():
    """rho = 1, sigma = 0: the library is the true set, so no harm and no over-refusal;
    over-refusal comes from spurious rules alone (it does not depend on rho)."""
    out = results()
    exact = out["curator_0"]
    assert np.all(exact["harm"][0][:, -1] <= 1e-6)
    assert np.all(exact["over_refusal"][0] == 0.0)
    spurious = out["curator_0.5"]["over_refusal"][0]                          # (S, rho)
    np.testing.assert_allclose(spurious, spurious[:, :1] * np.ones_like(spurious), atol=1e-6)
    assert spurious.mean() > 0
    assert np.all(np.diff(exact["harm"][0], axis=1) <= 1e-6)                  # knowing more


@pytest.mark.slow
def test_a_looser_target_never_costs_more():
    out = results()
    for name in ("mask", "tilt", "mask_then_tilt"):
        cost = out[f"cost_{name}"]
        usd = cost["usd_r2"][0]                                               # (S, eps), loosest first
        assert np.all(np.diff(usd, axis=1) >= -1e-5), name
        assert np.all(np.diff(cost["reached"][0], axis=1) <= 0), name


def test_out_of_range_audits_are_refused():
    with pytest.raises(ConfigError, match="experiment.audit_missing"):
        dataclasses.replace(SMALL, audit_missing=(99,))
    with pytest.raises(ConfigError, match="experiment.cost_ratios"):
        dataclasses.replace(SMALL, cost_ratios=(8.0,))
