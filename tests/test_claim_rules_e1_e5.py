"""Claim rules of E1 to E5 (S1, S3, S4, P3.1 to P3.4, P5, P6.1) on hand-made per-seed tables:
each rule gives each class it can give, from the smallest table that makes it (issue 29); a
rule that cannot give a class says so in a test of its own."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_claim_rules import CLAIM, SEEDS, _e2, _noise, _table

UP = 0.1 + _noise(0.01, 3)      # a per-seed difference whose band lies well above 0
DOWN = -0.1 + _noise(0.01, 4)   # ... well below 0
FLAT = _noise(0.3, 2)           # its band (about +-0.1, +-0.14 on half the seeds) straddles 0
SAME = _noise(0.002, 6)         # a difference within +-0.01 by two one-sided tests (a match)
B = 1000.0                      # E1's (only, so largest) label budget


def _one(tmp_path, experiment, entries, sweep=()):
    return {experiment: _table(tmp_path, experiment, list(sweep), entries)}


def _s1(tmp_path, d1, dk):
    """E3 at its last step: NSR's pass@1 and pass@8 are REINFORCE's plus d1 and dk."""
    base = 0.5 + _noise(0.05, 1)
    entries = []
    for k, d in ((1, d1), (8, dk)):
        entries += [("reinforce", (), "policy", 100.0, f"pass_at_{k}", base),
                    ("nsr", (), "policy", 100.0, f"pass_at_{k}", base + d)]
    return _one(tmp_path, "negative_only", entries)


@pytest.mark.parametrize("d1, dk, verdict", [
    (UP, UP, "supported"), (UP, SAME, "supported"), (SAME, SAME, "equivalent"),
    (DOWN, DOWN, "contradicted"), (UP, DOWN, "mixed"), (SAME, DOWN, "mixed"),
    (FLAT, FLAT, "inconclusive"), (UP, FLAT, "inconclusive")])
def test_s1_gives_each_class_from_both_ks(tmp_path, d1, dk, verdict):
    """S1: NSR minus REINFORCE, paired, at pass@1 and pass@(largest k), each k exceeding (CI
    above 0), matching (within +-0.01 by two one-sided tests) or behind (CI below 0):
    supported if every k exceeds or matches, equivalent if all match, contradicted if all
    are behind, mixed if some are, inconclusive when a k can be told neither way."""
    reading = CLAIM["S1"].read(_s1(tmp_path, d1, dk))
    assert reading.verdict == verdict, reading


def _s3(named, reopen=0.0, cost=None):
    """E1 at the largest budget: the named-rule learner's unacceptable share and re-openings
    (and a flag-only batch cost model's when ``cost`` is given, with no re-openings)."""
    entries = [("named_batch", (), "named_rule", B, "unacceptable_share", named),
               ("named_batch", (), "named_rule", B, "reopenings", np.full(SEEDS, reopen))]
    if cost is not None:
        entries += [("cost_batch", (), "cost_model", B, "unacceptable_share", cost),
                    ("cost_batch", (), "cost_model", B, "reopenings", np.zeros(SEEDS))]
    return entries


SETTLED = 0.002 + _noise(0.001, 5)   # an unacceptable share whose band lies below 0.01


@pytest.mark.parametrize("entries, beaten, verdict", [
    (_s3(SETTLED), False, "supported"),
    (_s3(0.1 + _noise(0.01)), False, "contradicted"),
    (_s3(0.01 + 0.1 * FLAT), False, "inconclusive"),
    (_s3(SETTLED, reopen=1.0), False, "mixed"),
    (_s3(SETTLED, cost=0.1 + _noise(0.01)), False, "mixed"),
    (_s3(SETTLED), True, "mixed")],
    ids=["supported", "contradicted", "inconclusive", "mixed-reopens", "mixed-flags",
         "mixed-e10-noise"])
def test_s3_gives_each_class_from_the_named_rule_learner(tmp_path, entries, beaten, verdict):
    """S3: the named-rule learner's unacceptable share at the largest budget: supported if its
    CI lies below 0.01, contradicted if above, inconclusive if it straddles; mixed if it
    re-opens responses, a flag-only cost model does not converge (its CI above 0.01) or E10's
    noise map has the rule learner losing (a lead CI below 0: the oracle's ``noise_rule_*``
    and the named-rule learner's ``noise_named_*`` both, whichever the code reads)."""
    results = _one(tmp_path, "convergence", entries)
    if beaten:
        (tmp_path / "limits").mkdir()
        results["limits"] = _table(tmp_path / "limits", "limits", [], [
            ("default", (), f"noise_{who}_0.2", B, "lead", DOWN) for who in ("rule", "named")])
    reading = CLAIM["S3"].read(results)
    assert reading.verdict == verdict, reading


@pytest.mark.parametrize("cost, share", [(0.0, 1.0), (0.4, 0.0), (0.2, 0.5)])
def test_s4_is_never_supported_nor_contradicted_it_only_reports_a_share(tmp_path, cost, share):
    """S4 is read as "not testable in this model" whatever the numbers (it explains real
    systems): it reports the share (reward - cost) / (reward - rule) of the reward model's
    excess unacceptable share that flags alone remove."""
    entries = [(variant, (), method, B, "unacceptable_share", value + np.zeros(SEEDS))
               for variant, method, value in (("batch", "reward_model", 0.4),
                                              ("cost_batch", "cost_model", cost),
                                              ("rule", "rule", 0.0))]
    reading = CLAIM["S4"].read(_one(tmp_path, "convergence", entries))
    assert reading.verdict == "not testable in this model", reading
    assert math.isclose(reading.effect, share, abs_tol=1e-9), reading


@pytest.mark.parametrize("named, flag, verdict", [
    (DOWN, None, "supported"), (UP, None, "contradicted"), (FLAT, None, "inconclusive"),
    (DOWN, UP, "mixed")])
def test_p61_gives_each_class_from_named_minus_comparison(tmp_path, named, flag, verdict):
    """P6.1: unacceptable share, named-rule learner minus batch reward model, paired: supported
    if the CI lies below 0, contradicted if above, inconclusive if it straddles; mixed if the
    flag-only cost model does not beat the reward model."""
    reward = 0.3 + _noise(0.05, 1)
    entries = [("batch", (), "reward_model", B, "unacceptable_share", reward),
               ("named_batch", (), "named_rule", B, "unacceptable_share", reward + named)]
    if flag is not None:
        entries.append(("cost_batch", (), "cost_model", B, "unacceptable_share", reward + flag))
    reading = CLAIM["P6.1"].read(_one(tmp_path, "convergence", entries))
    assert reading.verdict == verdict, reading


@pytest.mark.parametrize("rise, verdict", [
    (lambda syc: 0.2 + _noise(0.01), "supported"),
    (lambda syc: -0.2 + _noise(0.01), "contradicted"),
    (lambda syc: _noise(0.3), "inconclusive"),
    (lambda syc: (0.2 if syc == 0.2 else -0.2) + _noise(0.01), "mixed")])
def test_p31_reads_as_s2_the_paired_rise_at_the_default(tmp_path, rise, verdict):
    """P3.1 is S2's rule: the tilt's rise (beta 4 minus 0) at s_syc = 0.2, paired: above 0
    supported, below contradicted, straddling inconclusive; another cell against it mixed."""
    reading = CLAIM["P3.1"].read(_e2(tmp_path, rise))
    assert reading.verdict == verdict, reading


@pytest.mark.parametrize("d, verdict", [(UP, "supported"), (DOWN, "contradicted"),
                                        (FLAT, "inconclusive")])
def test_p32_gives_each_class_from_the_rise_across_annotators(tmp_path, d, verdict):
    """P3.2: the tilt's sycophancy at beta 4, largest minus smallest annotator sycophancy,
    paired: supported if the CI lies above 0, contradicted if below, inconclusive if it
    straddles (no mixed: it has no cells)."""
    low = 0.5 + _noise(0.05, 1)
    entries = [("default", (syc,), "tilt", 4.0, "sycophancy_rate", v)
               for syc, v in ((0.1, low), (0.3, low + d))]
    reading = CLAIM["P3.2"].read(_one(tmp_path, "sycophancy", entries, ["annotator.sycophancy"]))
    assert reading.verdict == verdict, reading


def _p33(tmp_path, nsr, psr, prior=None):
    """E3's pass@8 of NSR and PSR at step 0 (``prior``) and at the last step (prior + change)."""
    prior = 0.5 + _noise(0.01, 1) if prior is None else prior
    entries = [(variant, (), "policy", x, "pass_at_8", prior + change)
               for variant, d in (("nsr", nsr), ("psr", psr))
               for x, change in ((0.0, 0.0), (100.0, d))]
    return CLAIM["P3.3"].read(_one(tmp_path, "negative_only", entries))


@pytest.mark.parametrize("nsr, psr, verdict", [
    (UP, DOWN, "supported"), (SAME, DOWN, "supported"), (DOWN, DOWN, "contradicted"),
    (FLAT, DOWN, "inconclusive"), (UP, UP, "mixed")])
def test_p33_gives_each_class_from_nsr_keeping_pass_at_k(tmp_path, nsr, psr, verdict):
    """P3.3: NSR's pass@(largest k), last step minus step 0, paired: supported (kept) if the
    CI lies above 0 or within +-0.01 by two one-sided tests, contradicted if below 0 beyond
    that, inconclusive if it straddles; mixed if PSR's own change is not below 0 (PSR keeps
    pass@k too: the contrast the paper draws is absent)."""
    reading = _p33(tmp_path, nsr, psr)
    assert reading.verdict == verdict, reading


def test_p33_change_is_paired_over_seeds(tmp_path):
    """NSR keeps pass@8 exactly, +0.02 on every seed, on a prior that varies by 0.1 across
    seeds: paired, the change's CI is [0.02, 0.02] (supported); the conservative band of two
    bands about +-0.035 wide straddles -0.01 (inconclusive)."""
    reading = _p33(tmp_path, 0.02, DOWN, prior=0.5 + _noise(0.1, 1))
    assert reading.verdict == "supported", reading


def _p34(tmp_path, ratios, loss_heavy_minus_even):
    """E4 at desirable share 0.5: KTO's weight ratio at lambda_D = 0.5 and 2 (``ratios``) and
    its violation rate there, the first minus the second ``loss_heavy_minus_even``."""
    even = 0.3 + _noise(0.02, 1)
    entries = [("default", (0.5,), "kto", x, metric, v) for x, ratio, violation in (
        (0.5, ratios[0], even + loss_heavy_minus_even), (2.0, ratios[1], even))
        for metric, v in (("weight_ratio", ratio + np.zeros(SEEDS)), ("violation_rate", violation))]
    return CLAIM["P3.4"].read(_one(tmp_path, "loss_aversion", entries,
                                   ["experiment.desirable_share"]))


@pytest.mark.parametrize("ratios, d, verdict", [
    ((0.5, 2.0), DOWN, "supported"), ((0.5, 2.0), UP, "contradicted"),
    ((0.5, 2.0), FLAT, "inconclusive"), ((0.5, 0.8), DOWN, "inconclusive")],
    ids=["supported", "contradicted", "inconclusive", "inconclusive-no-crossing"])
def test_p34_gives_each_class_from_the_violation_rate_across_ratio_one(tmp_path, ratios, d,
                                                                       verdict):
    """P3.4: KTO's violation rate at the largest lambda_D with weight ratio < 1 minus at the
    smallest with ratio >= 1, paired: supported if the CI lies below 0, contradicted if above,
    inconclusive if it straddles or the grid does not cross ratio 1 (no mixed: no cells)."""
    reading = _p34(tmp_path, ratios, d)
    assert reading.verdict == verdict, reading


P5_SIGN = {"P5-length": ("mean_length", -1), "P5-density": ("density", +1),
           "P5-sycophancy": ("sycophancy_rate", -1)}


def _p5(tmp_path, claim, rho, tilt=0.0, control=0.0):
    """E5's Spearman rho (in units of the claim's predicted sign) of the named-rule learner's
    mask and the tilt (``default``) and the control's tilt (``control``): scalars."""
    metric, sign = P5_SIGN[claim]
    entries = [(variant, (), method, None, f"spearman_{metric}", sign * v + 0.1 * FLAT)
               for variant, method, v in (("default", "named_mask_trend", rho),
                                          ("default", "tilt_trend", tilt),
                                          ("control", "tilt_trend", control))]
    return CLAIM[claim].read(_one(tmp_path, "capability", entries))


@pytest.mark.parametrize("claim", sorted(P5_SIGN))
@pytest.mark.parametrize("rho, tilt, control, verdict", [
    (0.5, 0.0, 0.0, "supported"), (-0.5, 0.0, 0.0, "contradicted"), (0.0, 0.0, 0.0, "inconclusive"),
    (0.5, 0.0, 0.5, "mixed"), (0.5, -0.5, 0.0, "mixed")],
    ids=["supported", "contradicted", "inconclusive", "mixed-control", "mixed-regime"])
def test_p5_gives_each_class_in_its_predicted_direction(tmp_path, claim, rho, tilt, control,
                                                       verdict):
    """P5 (length and sycophancy: rho below 0; density: above 0): the named-rule learner's
    mask's rho of tier and the metric: supported if its CI lies in the predicted direction,
    contradicted if the other way, inconclusive if it straddles 0; mixed if the control's
    tilt goes the predicted way too or another regime (the tilt) goes the other way."""
    reading = _p5(tmp_path, claim, rho, tilt, control)
    assert reading.verdict == verdict, reading
