"""The ledger's statistics (experiments.claims.reading, experiments.claims.seeds): readings
of one run are paired by seed, grids are averaged per seed, a selection is scored on seeds it
did not see, and regime-only sweeps are read at the run's configured value."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from experiments import ledger, stats
from experiments.claims.reading import at, average, minus, split_half
from experiments.claims.seeds import PerSeed, Point
from experiments.results import Summary

HEAD = ["experiment", "variant", "world.coupling", "method", "tier", "seed", "axis", "x",
        "metric", "value"]


def _run(tmp_path, values: dict, couplings=(0.0, 0.5)):
    """A results.csv and the summary (means, bands from the per-seed values) of a run whose
    ``values[(method, x)]`` is a per-seed vector, the same at every coupling."""
    rows, summary_rows = [], []
    for kappa in couplings:
        for (method, x), v in values.items():
            for seed, value in enumerate(v):
                rows.append(["e", "default", kappa, method, "", seed, "labels", x, "m", value])
            mean, lo, hi = stats.paired(v, np.zeros_like(v))
            summary_rows.append(["e", "default", kappa, method, "", "labels", x, "m", mean, lo,
                                 hi, len(v)])
    path = tmp_path / "results.csv"
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([HEAD, *rows])
    header = ["experiment", "variant", "world.coupling", "method", "tier", "axis", "x",
              "metric", "mean", "ci_low", "ci_high", "n_seeds"]
    summary = Summary.from_rows(header, summary_rows)
    return path, summary


def test_two_readings_of_one_run_are_paired_by_seed(tmp_path):
    """a_s = b_s + 0.1 + small noise: the paired band of a - b is tight around 0.1 and equals
    the bootstrap of the per-seed differences; the conservative band (no seeds) is far wider
    and straddles 0, so pairing decides the verdict here."""
    rng = np.random.default_rng(0)
    b = rng.normal(0.0, 1.0, 64)
    a = b + 0.1 + rng.normal(0.0, 0.01, 64)
    path, summary = _run(tmp_path, {("a", 10): a, ("b", 10): b})
    view = summary.at({"world.coupling": 0.5})
    view.per_seed = PerSeed(path, {"world.coupling": 0.5})
    d = minus(at(view, "a", "m"), at(view, "b", "m"))
    assert d == pytest.approx(stats.paired(a, b))
    assert d[1] > 0.09 and d[2] < 0.11
    np.testing.assert_allclose(d.seeds, a - b)
    view.per_seed = None
    wide = minus(at(view, "a", "m"), at(view, "b", "m"))
    assert wide.seeds is None and wide[1] < 0 < wide[2]


def test_a_grid_is_averaged_per_seed_and_a_selection_is_scored_on_unseen_seeds():
    """average: the per-seed mean's bootstrap band. split_half: the best is chosen on the first
    half of the seeds (here c, which is best only there) and scored on the second half."""
    s = np.arange(8, dtype=float)
    p1, p2 = Point((s.mean(), 0, 0), s), Point((3 * s.mean(), 0, 0), 3 * s)
    mean = average([p1, p2])
    np.testing.assert_allclose(mean.seeds, 2 * s)
    assert mean[0] == pytest.approx(2 * s.mean())
    good_first = np.array([0, 0, 0, 0, 9, 9, 9, 9], float)
    flat = np.full(8, 1.0)
    best, scored = split_half({"c": Point((4.5, 0, 0), good_first), "d": Point((1, 0, 0), flat)},
                              lambda name: Point((0, 0, 0), {"c": good_first, "d": flat}[name]))
    assert best == "c"
    np.testing.assert_allclose(scored.seeds, [9, 9, 9, 9])   # the unseen half: c is bad there


def test_regime_only_sweeps_are_read_at_the_runs_configured_value(tmp_path):
    """kappa is swept to map regimes: the ledger reads it at the run's configured value
    (nearest point), else the world's default."""
    _, summary = _run(tmp_path, {("a", 1): np.ones(4)}, couplings=(0.0, 0.5, 0.9))
    assert ledger.reading_point(summary, {"world.coupling": 0.9}) == {"world.coupling": 0.9}
    assert ledger.reading_point(summary, {"world.coupling": 0.8}) == {"world.coupling": 0.9}
    assert ledger.reading_point(summary, {}) == {"world.coupling": 0.5}   # the world default


def test_the_pre_registered_sycophancy_is_the_annotators_default():
    """S2, S6 and P3.1 are read at the annotator's default s_syc (E2 keeps it)."""
    from experiments.claims.sycophancy import SYC_DEFAULT
    from sim.specs.e02_sycophancy import SycophancyConfig
    assert SYC_DEFAULT == SycophancyConfig().annotator.sycophancy


def test_regime_points_move_one_field_and_read_the_rule_there(tmp_path):
    """The other settings of the regime-only fields are cells of every claim's map: the
    reading point with one field moved (kappa = 0 and 0.9 around the default 0.5), named by
    the field that moved; a supported reading with such a cell against it becomes mixed."""
    from experiments.claims.reading import Cell, Reading
    from experiments.ledger_regimes import regime_label, regime_points, with_regimes
    _, summary = _run(tmp_path, {("a", 1): np.ones(4)}, couplings=(0.0, 0.5, 0.9))
    points = regime_points(summary, {})
    assert points == [{"world.coupling": 0.0}, {"world.coupling": 0.9}]
    assert regime_label(points[1], {"world.coupling": 0.5}) == "kappa = 0.9"

    class Rule:       # a claim whose rule reads the view it is handed
        experiment = "e"

        @staticmethod
        def read(views):
            return Reading(1.0, 0.5, 1.5, views["e"], "")

    views = {"e": [("kappa = 0", "supported"), ("kappa = 0.9", "contradicted")]}
    verdict, fails, cells = with_regimes(Rule, {"e": "supported"}, views, "supported", "", ())
    assert verdict == "mixed" and "kappa = 0.9" in fails and "kappa = 0:" not in fails
    assert cells == (Cell("kappa = 0", 1.0, 0.5, 1.5, "supported"),
                     Cell("kappa = 0.9", 1.0, 0.5, 1.5, "contradicted"))


def test_every_numeric_reading_point_is_a_default_or_a_named_middle():
    """Issue 29, pre-registered readings: each number a claim is read at is the config's own
    default (s_syc, E4's desirable share, kappa and s_r through READ_AT_DEFAULT), or a point of
    the experiment's own grid that the claim's setting names (E9's cost ratio 2, the middle of
    1, 2, 4; E8's split f = 0.5, half the budget on each signal). A reading point moved off
    these fails here."""
    from experiments.claims import CLAIMS
    from experiments.claims.hybrid import SEPARATION_SHARE
    from sim.oracles import AnnotatorConfig
    from sim.specs.e04_loss_aversion import LossAversionConfig
    from sim.specs.e08_hybrid import HybridConfig
    from sim.specs.e09_economics import EconomicsConfig
    from sim.world import WorldConfig
    claims = {c.id: c for c in CLAIMS}
    assert LossAversionConfig().desirable_share == 0.5 and "0.5" in claims["P3.4"].setting
    ratios = EconomicsConfig().cost_ratios
    assert 2.0 == ratios[len(ratios) // 2] and "cost ratio 2" in claims["S11"].setting
    assert SEPARATION_SHARE in HybridConfig().shares
    assert f"f = {SEPARATION_SHARE:g}" in claims["P6.3-separation"].setting
    defaults = {"world.coupling": WorldConfig().coupling,
                "annotator.rejecter_sycophancy": AnnotatorConfig().rejecter_sycophancy}
    assert set(ledger.READ_AT_DEFAULT) == set(defaults)
    for claim in ("S2", "S6", "S6-adherence", "P3.1"):
        assert "annotator sycophancy 0.2 (the default)" in claims[claim].setting
    assert AnnotatorConfig().sycophancy == 0.2


def test_a_ledger_of_runs_off_the_default_scale_says_so_on_screen_and_in_claims_md(tmp_path):
    """Verdicts are pre-registered at the default scale: a ledger read from a quick or tiny
    run names those runs and their scale in its first lines; a default one says nothing."""
    import json
    runs = {}
    for name, scale in (("convergence", "quick"), ("returns", "default")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "meta.json").write_text(json.dumps({"scale": scale}))
        runs[name] = tmp_path / name
    note = ledger.scale_note(runs)
    assert "convergence: quick" in note and "returns" not in note
    assert ledger.markdown([], note).splitlines()[2] == f"**{note}**"
    assert ledger.screen([], tmp_path, note).endswith(note)
    assert ledger.scale_note({"returns": runs["returns"]}) == ""


def test_the_screens_columns_are_apart_for_the_longest_claim_id(tmp_path):
    """Every claim id, the longest (P6.3-separation, 15 characters) too, has a space before
    its verdict on the one-screen summary."""
    rows = [{"claim_id": c, "verdict": "mixed", "effect": "0.1", "ci_low": "0", "ci_high": "0.2",
             "results": ""} for c in ("S1", "P6.3-separation")]
    lines = ledger.screen(rows, tmp_path).splitlines()
    starts = {line.index("mixed") for line in lines[1:]}
    assert len(starts) == 1 and all(line[min(starts) - 1] == " " for line in lines[1:])
    assert lines[0].index("verdict") == min(starts)
