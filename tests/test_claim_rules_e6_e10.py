"""Claim rules of E6 to E10 (S7, S8, S15, S9-returns, S9-drift, P3.1-data, S10, S11, S12) on
hand-made per-seed tables: each rule gives each class it can give, from the smallest table
that makes it (issue 29); a rule that cannot give a class says so in a test of its own."""

from __future__ import annotations

import numpy as np
import pytest
from test_claim_rules import CLAIM, SEEDS, _noise, _table

UP = 0.1 + _noise(0.01, 3)      # a per-seed difference whose band lies well above 0
DOWN = -0.1 + _noise(0.01, 4)   # ... well below 0
FLAT = _noise(0.3, 2)           # its band (about +-0.1, +-0.14 on half the seeds) straddles 0
TILT = 0.3 + _noise(0.05, 1)    # the tilt's per-seed value: the paired differences' base


def _one(tmp_path, experiment, entries):
    return {experiment: _table(tmp_path, experiment, [], entries)}


def _limits(tmp_path, results, name, knob, who=("named",)):
    """Add E10's map ``name`` with one cell, ``knob``, where the learners ``who`` lose (their
    lead's CI below 0): ``named`` the named-rule learner, ``rule`` the oracle."""
    (tmp_path / "limits").mkdir()
    results["limits"] = _table(tmp_path / "limits", "limits", [], [
        ("default", (), f"{name}_{w}_{knob}", 1000.0, "lead", DOWN) for w in who])
    return results


def _e6(tmp_path, kinds):
    """E6 at shift 1 of each kind (``response`` first: the reading's): per kind, metric ->
    method -> per-seed values; the tilt's adherence gap (which names the shifts) defaults to
    TILT."""
    entries = []
    for kind, metrics in kinds.items():
        metrics = {"adherence_gap": {"tilt": TILT}, **metrics}
        entries += [(kind, (), method, 1.0, metric, v)
                    for metric, by_method in metrics.items() for method, v in by_method.items()]
    return _one(tmp_path, "shift", entries)


def _gap(d):
    return {"adherence_gap": {"tilt": d}}


@pytest.mark.parametrize("kinds, verdict", [
    ({"response": _gap(UP)}, "supported"), ({"response": _gap(DOWN)}, "contradicted"),
    ({"response": _gap(FLAT)}, "inconclusive"),
    ({"response": _gap(UP), "context": _gap(DOWN)}, "mixed")],
    ids=["supported", "contradicted", "inconclusive", "mixed"])
def test_s7_gives_each_class_from_the_tilts_adherence_gap(tmp_path, kinds, verdict):
    """S7: the tilt's adherence gap, per-seed mean over the response kind's shifts > 0:
    supported if the CI lies above 0, contradicted if below, inconclusive if it straddles;
    mixed if a (kind, shift) cell does not agree."""
    reading = CLAIM["S7"].read(_e6(tmp_path, kinds))
    assert reading.verdict == verdict, reading


def _s8(d):
    return {"adherence_gap": {"tilt": TILT, "named_mask": TILT + d}}


@pytest.mark.parametrize("kinds, beaten, verdict", [
    ({"response": _s8(DOWN)}, False, "supported"), ({"response": _s8(UP)}, False, "contradicted"),
    ({"response": _s8(FLAT)}, False, "inconclusive"),
    ({"response": _s8(DOWN), "context": _s8(UP)}, False, "mixed"),
    ({"response": _s8(DOWN)}, True, "mixed")],
    ids=["supported", "contradicted", "inconclusive", "mixed-cell", "mixed-e10-context"])
def test_s8_gives_each_class_from_named_mask_minus_tilt(tmp_path, kinds, beaten, verdict):
    """S8: adherence gap, the named-rule learner's mask minus the tilt, paired, per-seed mean
    over the response shifts: supported if the CI lies below 0, contradicted if above,
    inconclusive if it straddles; mixed if a (kind, shift) cell disagrees or E10's context
    map has the rule learner losing."""
    results = _e6(tmp_path, kinds)
    if beaten:
        _limits(tmp_path, results, "context", 0.5)
    reading = CLAIM["S8"].read(results)
    assert reading.verdict == verdict, reading


def test_s8_an_oracle_beaten_in_e10_decides_nothing(tmp_path):
    """Only the fair tier fails a claim: E10's oracle rule learner losing its context map
    leaves a supported S8 supported."""
    results = _limits(tmp_path, _e6(tmp_path, {"response": _s8(DOWN)}), "context", 0.5,
                      who=("rule",))
    assert CLAIM["S8"].read(results).verdict == "supported"


def _s15(named, constrained):
    return {"violation_shift": {"tilt": TILT, "named_mask": TILT + named,
                                "constrained_tilt": TILT + constrained}}


@pytest.mark.parametrize("kinds, verdict", [
    ({"response": _s15(DOWN, DOWN)}, "supported"), ({"response": _s15(UP, UP)}, "contradicted"),
    ({"response": _s15(FLAT, FLAT)}, "inconclusive"),
    ({"response": _s15(DOWN, UP), "context": _s15(UP, UP)}, "mixed")],
    ids=["supported", "contradicted", "inconclusive", "mixed"])
def test_s15_gives_each_class_from_the_best_hybrid_minus_tilt(tmp_path, kinds, verdict):
    """S15: violation under shift, the best of the named mask and the constrained tilt (chosen
    on the first half of the seeds) minus the tilt (scored on the second half), per-seed mean
    over the response shifts: supported if the CI lies below 0, contradicted if above,
    inconclusive if it straddles; mixed if a (kind, shift) cell disagrees."""
    reading = CLAIM["S15"].read(_e6(tmp_path, kinds))
    assert reading.verdict == verdict, reading


def test_s15_scores_its_choice_on_the_seeds_that_did_not_choose_it(tmp_path):
    """The named mask is far below the tilt on the first 16 seeds and above it on the last 16;
    the constrained tilt is below it on every seed: the named mask is chosen, and scored on
    the last 16 seeds it is above the tilt (contradicted)."""
    lucky = np.where(np.arange(SEEDS) < SEEDS // 2, -0.3, 0.1) + _noise(0.01, 5)
    reading = CLAIM["S15"].read(_e6(tmp_path, {"response": _s15(lucky, DOWN)}))
    assert reading.verdict == "contradicted" and reading.ci_low > 0.05, reading


@pytest.mark.parametrize("b90, verdict", [
    (2_000 + _noise(100), "supported"), (50_000 + _noise(100), "contradicted"),
    (10_000 + 50_000 * FLAT, "inconclusive")])
def test_s9_returns_gives_each_class_from_budget_90(tmp_path, b90, verdict):
    """S9-returns: the cost model's budget to 90% of its gain: supported if its CI lies below
    10% of the largest budget (here 100,000 labels), contradicted if above, inconclusive if it
    straddles (no mixed: no cells)."""
    entries = [("default", (), "cost_returns", None, "budget_90", b90),
               ("default", (), "cost_model", 100_000.0, "unacceptable_share", np.zeros(SEEDS))]
    reading = CLAIM["S9-returns"].read(_one(tmp_path, "returns", entries))
    assert reading.verdict == verdict, reading


@pytest.mark.parametrize("drift, verdict", [
    (0.05 + _noise(0.005), "supported"), (0.002 + _noise(0.001), "equivalent"),
    (0.01 + 0.1 * FLAT, "inconclusive")])
def test_s9_drift_gives_each_class_from_late_drift(tmp_path, drift, verdict):
    """S9-drift: the reward model's late drift: equivalent (it settles) if within +-0.01 by
    two one-sided tests, supported if its CI lies above 0.01 (it keeps drifting),
    inconclusive if it straddles. Drift is a share of pairs, never below 0, so a CI below
    0.01 is inside the margin: the rule cannot give contradicted on real drift (a negative
    table shows it can in principle)."""
    entries = [("default", (), "reward_returns", None, "drift_late", drift)]
    reading = CLAIM["S9-drift"].read(_one(tmp_path, "returns", entries))
    assert reading.verdict == verdict, reading


def test_s9_drift_contradicted_only_by_a_band_below_the_margin(tmp_path):
    """A (non-physical) late drift of -0.05: below 0.01 and outside the margin: contradicted."""
    entries = [("default", (), "reward_returns", None, "drift_late", -0.05 + _noise(0.005))]
    reading = CLAIM["S9-drift"].read(_one(tmp_path, "returns", entries))
    assert reading.verdict == "contradicted", reading


@pytest.mark.parametrize("loading, verdict", [
    (0.3 + _noise(0.01), "supported"), (_noise(0.01), "equivalent"),
    (FLAT, "inconclusive"), (-0.3 + _noise(0.01), "contradicted"),
    (0.02 + _noise(0.002), "equivalent")],
    ids=["supported", "equivalent-eliminated", "inconclusive-wide", "contradicted-negative",
         "equivalent-inside-the-margin"])
def test_p31_data_gives_each_class_from_the_endorse_loading(tmp_path, loading, verdict):
    """P3.1-data: the reward model's endorse loading at the largest budget: equivalent
    (eliminated, against the claim) if within +-0.05 by two one-sided tests, checked first (a
    loading smaller than the margin is no bias the claim means); else supported if its CI
    lies above 0, contradicted if below, inconclusive otherwise."""
    entries = [("default", (), "reward_model", 100_000.0, "surface_loading_endorse", loading)]
    reading = CLAIM["P3.1-data"].read(_one(tmp_path, "returns", entries))
    assert reading.verdict == verdict, reading


def _e8(tmp_path, cut, gain, zipf_cut=None):
    """E8 at budget 1000: the tilt (f = 0) and one fair hybrid, the constrained tilt, at
    f = 0.5 (so the best), with its violation cut and helpfulness gain; ``zipf_cut``: the
    cut in a second world, ``zipf``."""
    m, f = "constrained_tilt_1000", 0.5
    entries = [("default", (), "tilt_1000", 0.0, "value", np.zeros(SEEDS)),
               ("default", (), m, f, "value", 1.0 + _noise(0.01)),
               ("default", (), m, f, "violation_cut", cut),
               ("default", (), m, f, "helpfulness_gain", gain)]
    if zipf_cut is not None:
        entries.append(("zipf", (), m, f, "violation_cut", zipf_cut))
    return _one(tmp_path, "hybrid", entries)


@pytest.mark.parametrize("cut, gain, zipf, verdict", [
    (UP, UP, None, "supported"), (DOWN, UP, None, "contradicted"),
    (FLAT, UP, None, "inconclusive"), (UP, DOWN, None, "mixed"), (UP, UP, DOWN, "mixed")],
    ids=["supported", "contradicted", "inconclusive", "mixed-gain", "mixed-variant"])
def test_s10_gives_each_class_from_the_best_fair_hybrid(tmp_path, cut, gain, zipf, verdict):
    """S10: the best fair hybrid at the largest budget over the tilt at f = 0 (chosen and
    scored on disjoint halves of the seeds): supported if the violation cut's and the
    helpfulness gain's CIs lie above 0, contradicted if the cut's lies below, inconclusive if
    it straddles; mixed if the gain's does not lie above 0 or another world's cut does not."""
    reading = CLAIM["S10"].read(_e8(tmp_path, cut, gain, zipf))
    assert reading.verdict == verdict, reading


@pytest.mark.parametrize("d, marginal, verdict", [
    (-300 + _noise(10), None, "supported"), (300 + _noise(10), None, "contradicted"),
    (1_000 * FLAT, None, "inconclusive"), (-300 + _noise(10), DOWN, "mixed")])
def test_s11_gives_each_class_from_named_mask_minus_tilt_usd(tmp_path, d, marginal, verdict):
    """S11: USD to a violation rate of 0.01 at cost ratio 2, the named-rule learner's mask
    minus the tilt, paired: supported if the CI lies below 0, contradicted if above,
    inconclusive if it straddles; mixed if another variant's marginal harm cut per USD
    turns negative (CI below 0) at its largest budget."""
    tilt = 1_000 + _noise(50, 1)
    entries = [("default", (), "cost_tilt", 0.01, "usd_r2", tilt),
               ("default", (), "cost_named_mask", 0.01, "usd_r2", tilt + d)]
    if marginal is not None:
        entries.append(("zipf", (), "marginal_named_mask", 10_000.0, "harm_cut_per_kusd_r2",
                        marginal))
    reading = CLAIM["S11"].read(_one(tmp_path, "economics", entries))
    assert reading.verdict == verdict, reading


@pytest.mark.parametrize("with_table", [False, True])
def test_s12_reads_no_numbers_so_it_is_never_supported_nor_contradicted(tmp_path, with_table):
    """S12 (firms, markets) has no counterpart in the model: "not testable in this model"
    from no results at all and from an E9 table alike."""
    results = _one(tmp_path, "economics", [
        ("default", (), "cost_tilt", 0.01, "usd_r2", 1_000 + _noise(50))]) if with_table else {}
    reading = CLAIM["S12"].read(results)
    assert reading.verdict == "not testable in this model", reading


@pytest.mark.parametrize("excess, verdict", [
    (0.05 + _noise(0.005), "supported"), (_noise(0.002), "equivalent"),
    (-0.05 + _noise(0.005), "contradicted")])
def test_s9_drift_reads_late_drift_against_its_noise_floor(tmp_path, excess, verdict):
    """S9-drift with E7's noise floor: late drift minus the floor's, paired: supported above
    0 (drift beyond estimation noise), equivalent within +-0.01 (it settles into its noise),
    contradicted below 0 (successive budgets agree more than refits of one)."""
    floor = 0.07 + _noise(0.01, 1)
    entries = [("default", (), "reward_returns", None, "drift_floor_late", floor),
               ("default", (), "reward_returns", None, "drift_late", floor + excess)]
    reading = CLAIM["S9-drift"].read(_one(tmp_path, "returns", entries))
    assert reading.verdict == verdict, reading
