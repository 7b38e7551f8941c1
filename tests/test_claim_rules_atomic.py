"""The atomic rows of the compound claims (S6 sycophancy / S6-adherence, S14-harm /
S14-power, P4-contraction / P4-drift), E10's P6.3 and E8's P6.3-separation on hand-made
per-seed tables (issue 29): each rule gives each class it can give; a rule that cannot give
a class says so in a test of its own. Other tiers' rows of a regime map are drawn, never
counted."""

from __future__ import annotations

import numpy as np
import pytest
from test_claim_rules import CLAIM, SEEDS, _noise, _table

from experiments.claims.reading import cell_shares, read_cells

UP = 0.1 + _noise(0.01, 3)
DOWN = -0.1 + _noise(0.01, 4)
FLAT = _noise(0.3, 2)
SAME = _noise(0.002, 6)          # within +-0.01 by two one-sided tests
BASE = 0.3 + _noise(0.05, 1)
SYC = ["annotator.sycophancy"]


def _e2(tmp_path, metric, named, oracle=None):
    """E2 at s_syc = 0.2 (default variant): the tilt at beta 0 and 4 and the named mask
    (tilt at beta 4 plus ``named``); the oracle's mask too when ``oracle`` is given."""
    entries = [("default", (0.2,), "tilt", x, metric, BASE) for x in (0.0, 4.0)]
    entries.append(("default", (0.2,), "named_mask", None, metric, BASE + named))
    if oracle is not None:
        entries.append(("default", (0.2,), "mask", None, metric, BASE + oracle))
    return {"sycophancy": _table(tmp_path, "sycophancy", SYC, entries)}


@pytest.mark.parametrize("d, verdict", [(DOWN, "supported"), (UP, "contradicted"),
                                        (SAME, "equivalent"), (FLAT, "inconclusive")])
def test_s6_adherence_gives_each_class_from_the_violation_rate(tmp_path, d, verdict):
    """S6-adherence: the named mask's violation rate minus the tilt's (beta 4), paired:
    equivalent within +-0.01 (two one-sided tests), else supported below 0, contradicted
    above, inconclusive between."""
    reading = CLAIM["S6-adherence"].read(_e2(tmp_path, "violation_rate", d))
    assert reading.verdict == verdict, reading


def test_s6_adherence_oracle_row_is_drawn_not_counted(tmp_path):
    """The oracle's mask, an upper bound, is a row of the map beside the read tier: it does
    not make a supported verdict mixed, nor enter the shares."""
    reading = CLAIM["S6-adherence"].read(_e2(tmp_path, "violation_rate", DOWN, oracle=UP))
    assert reading.verdict == "supported", reading
    tiers = [c.tier for c in reading.cells]
    assert tiers == ["", "oracle (upper bound)"]
    assert cell_shares(reading.cells).startswith("1 cells: 1 supported")
    assert [c.verdict for c in read_cells(reading.cells)] == ["supported"]


def _e9(tmp_path, harm_full, refusal=0.3):
    entries = [("default", (), "curator_0", 0.0, "harm", 0.5 + _noise(0.02, 1)),
               ("default", (), "curator_0", 1.0, "harm", 0.5 + _noise(0.02, 1) + harm_full),
               ("default", (), "curator_1", 1.0, "over_refusal", refusal + _noise(0.01, 2))]
    return {"economics": _table(tmp_path, "economics", [], entries)}


@pytest.mark.parametrize("d, verdict", [(-0.5 + 0 * UP, "true by construction"),
                                        (UP, "contradicted"), (FLAT, "inconclusive")])
def test_s14_harm_cannot_give_supported(tmp_path, d, verdict):
    """S14-harm: a complete library's harm minus an empty one's: below 0 is true by
    construction (it masks every true violation), so the rule never gives supported."""
    assert CLAIM["S14-harm"].read(_e9(tmp_path, d)).verdict == verdict


def test_s14_power_is_not_testable_whatever_the_numbers(tmp_path):
    """S14-power: no curators or users in the model: not testable, with the over-refusal a
    spurious library causes reported as context."""
    for refusal in (0.0, 0.9):
        reading = CLAIM["S14-power"].read(_e9(tmp_path, -0.5 + 0 * UP, refusal))
        assert reading.verdict == "not testable in this model"
        assert f"{refusal:.2f}" in reading.fails_where


def _e1(tmp_path, reopen, excess=None):
    b = 1000.0
    entries = [("named_batch", (), "named_rule", b, "reopenings", reopen)]
    if excess is not None:
        floor = 0.1 + _noise(0.02, 1)
        entries += [("batch", (), "reward_model", b, "ranking_drift", floor + excess),
                    ("batch", (), "reward_model", b, "ranking_drift_floor", floor)]
    return {"convergence": _table(tmp_path, "convergence", [], entries)}


@pytest.mark.parametrize("reopen, verdict", [(0.1 * np.abs(_noise(0.1)), "supported"),
                                             (50 + _noise(5), "contradicted"),
                                             (1 + 20 * FLAT, "inconclusive")])
def test_p4_contraction_reads_the_named_learners_reopenings(tmp_path, reopen, verdict):
    """P4-contraction: re-openings of the named-rule learner (per context): supported if the
    CI lies below 1 (monotone), contradicted if above, inconclusive if it straddles."""
    assert CLAIM["P4-contraction"].read(_e1(tmp_path, reopen)).verdict == verdict


@pytest.mark.parametrize("excess, verdict", [(0.05 + _noise(0.005), "supported"),
                                             (SAME, "equivalent"),
                                             (-0.05 + _noise(0.005), "contradicted")])
def test_p4_drift_and_s5_read_drift_beyond_its_floor_with_a_margin(tmp_path, excess, verdict):
    """P4-drift (as S5): drift minus its bootstrap floor: equivalent within +-0.01 (drift is
    estimation noise), supported above 0, contradicted below."""
    results = _e1(tmp_path, np.zeros(SEEDS), excess)
    assert CLAIM["P4-drift"].read(results).verdict == verdict
    assert CLAIM["S5"].read(results).verdict == verdict


CONTENDERS = ("rule", "named", "cost", "reward", "hybrid")


def _e10(tmp_path, values_by_cell):
    """E10 map (a) at budgets 64 and 256: values_by_cell[knob] = contender -> per-seed value
    (the same at both budgets)."""
    entries = [("default", (), f"noise_{c}_{knob}", b, "value", v)
               for knob, values in values_by_cell.items() for c, v in values.items()
               for b in (64.0, 256.0)]
    return {"limits": _table(tmp_path, "limits", [], entries)}


def _cell(pref_minus_neg, oracle=5.0):
    neg = 10 + _noise(1.0, 7)
    return {"rule": neg + oracle, "named": neg, "cost": neg - 1, "reward": neg - 3,
            "hybrid": neg + pref_minus_neg}


@pytest.mark.parametrize("cells, verdict", [
    ({"0.1": _cell(UP * 10), "0.3": _cell(DOWN * 10)}, "supported"),
    ({"0.1": _cell(DOWN * 10), "0.3": _cell(DOWN * 10)}, "contradicted"),
    ({"0.1": _cell(FLAT), "0.3": _cell(DOWN * 10)}, "inconclusive")])
def test_p63_reads_preferences_against_the_best_fair_negative(tmp_path, cells, verdict):
    """P6.3 (existential): max(reward, hybrid) minus max(named, cost) per seed in each cell:
    supported if the cell chosen on half the seeds is above 0 on the other half,
    contradicted if every cell is below 0, inconclusive otherwise; the oracle, 5 value units
    above every fair contender, decides nothing."""
    reading = CLAIM["P6.3"].read(_e10(tmp_path, cells))
    assert reading.verdict == verdict, reading
    oracle = [c for c in reading.cells if c.tier]
    assert oracle and all(c.verdict == "contradicted" for c in oracle)


def _e8(tmp_path, d):
    entries = []
    for b in (64, 1024):
        entries += [("default", (), f"tilt_{b}", x, "sycophancy_rate", BASE) for x in (0.0, 0.5)]
        entries.append(("default", (), f"named_mask_then_tilt_{b}", 0.5, "sycophancy_rate",
                        BASE + d))
    return {"hybrid": _table(tmp_path, "hybrid", [], entries)}


@pytest.mark.parametrize("d, verdict", [(DOWN, "supported"), (UP, "contradicted"),
                                        (SAME, "equivalent"), (FLAT, "inconclusive")])
def test_p63_separation_gives_each_class(tmp_path, d, verdict):
    """P6.3-separation: sycophancy of the named mask then tilt at f = 0.5 minus the tilt on
    all B labels, largest B, paired: equivalent within +-0.01, else supported below 0,
    contradicted above, inconclusive between; every (B, f) a cell."""
    reading = CLAIM["P6.3-separation"].read(_e8(tmp_path, d))
    assert reading.verdict == verdict, reading
    assert len(reading.cells) == 2


def _s6(tmp_path, named, trained=-0.1):
    """E2 at s_syc = 0.2: the tilt at beta 0 and 4, the named mask (tilt at beta 4 plus
    ``named``), and NSR and NPO after training (the prior plus ``trained``)."""
    entries = [("default", (0.2,), "tilt", x, "sycophancy_rate", BASE) for x in (0.0, 4.0)]
    entries.append(("default", (0.2,), "named_mask", None, "sycophancy_rate", BASE + named))
    entries += [("default", (0.2,), m, 8.0, "sycophancy_rate", BASE + trained + _noise(0.01, 9))
                for m in ("nsr", "npo")]
    return {"sycophancy": _table(tmp_path, "sycophancy", SYC, entries)}


@pytest.mark.parametrize("named, trained, verdict", [
    (DOWN, -0.1, "supported"), (UP, -0.1, "contradicted"), (FLAT, -0.1, "inconclusive"),
    (DOWN, 0.1, "mixed")])
def test_s6_gives_each_class_from_the_named_mask_against_the_tilt(tmp_path, named, trained,
                                                                  verdict):
    """S6: sycophancy of the named mask minus the tilt (beta 4), paired: supported below 0,
    contradicted above, inconclusive between; mixed when NSR and NPO on the same rejections
    do not lower the prior's rate."""
    assert CLAIM["S6"].read(_s6(tmp_path, named, trained)).verdict == verdict


@pytest.mark.parametrize("share, verdict", [(0.05, "supported"), (0.5, "contradicted"),
                                            (0.1, "inconclusive")])
def test_p4_feasible_reads_the_residual_regret_as_a_share_of_the_pools(tmp_path, share, verdict):
    """P4-feasible: the named-rule learner's admitted set's mean regret at the largest budget
    over the pool's (its set before any label), per seed: supported below the 0.1 margin
    ("approximately acceptable"), contradicted above, inconclusive when it straddles."""
    pool = 4.0 + _noise(0.2, 1)
    last = pool * (share + (_noise(0.2, 2) if share == 0.1 else _noise(0.002, 2)))
    entries = [("named_batch", (), "named_rule", 0.0, "regret_mean", pool),
               ("named_batch", (), "named_rule", 1000.0, "regret_mean", last)]
    results = {"convergence": _table(tmp_path, "convergence", [], entries)}
    assert CLAIM["P4-feasible"].read(results).verdict == verdict
