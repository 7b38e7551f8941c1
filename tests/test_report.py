"""The report's claim pages (:mod:`experiments.report`, their panels
:mod:`experiments.report_panels`) drawn from small synthetic summaries,
no JAX: one axes per panel, the reading point marked where the claim reads, a note in
place of data a run lacks, and every testable claim declaring the panels it is read from."""

import json

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from experiments import ledger, report, report_panels  # noqa: E402
from experiments.claims import CLAIMS  # noqa: E402
from experiments.claims.reading import Panel, panel_curves  # noqa: E402
from experiments.results import SUMMARY_TAIL, Summary, csv_text  # noqa: E402

CLAIM = {c.id: c for c in CLAIMS}
SYC = "annotator.sycophancy"


def _summary(experiment, curves, sweep=()):
    """A Summary of ``curves``: (variant, point values, method, axis, xs, metric, means),
    each mean with the band [mean - 0.05, mean + 0.05] over 4 seeds."""
    header = ("experiment", "variant", *sweep, *SUMMARY_TAIL)
    rows = []
    for variant, point, method, axis, xs, metric, means in curves:
        for x, m in zip(xs, means):
            rows.append((experiment, variant, *point, method, "", axis, "" if x is None else x,
                         metric, m, m - 0.05, m + 0.05, 4))
    return header, rows


def _row(claim, verdict="supported"):
    """A ledger row for ``claim`` (the page's text fields)."""
    return dict(claim_id=claim.id, claim=claim.claim, experiment=claim.experiment,
                metric=claim.metric, setting=claim.setting, effect="0.1", ci_low="0.05",
                ci_high="0.15", verdict=verdict, fails_where="", rule=claim.rule,
                results="results/x/abc", config_hash="abc", commit="0123")


def _negative_only(variants=("nsr", "reinforce")):
    """E3's summary: pass@1 and pass@4 of each variant along 0, 2, 4 training steps."""
    curves = [(v, (), "policy", "training_step", (0, 2, 4), f"pass_at_{k}", (0.3, 0.4, 0.5))
              for v in variants for k in (1, 4)]
    return Summary.from_rows(*_summary("negative_only", curves))


def _data_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def _stars(ax):
    return [line for line in ax.lines if line.get_marker() == "*"]


def _texts(fig):
    return " ".join(t.get_text() for t in fig.texts) + " ".join(
        t.get_text() for ax in fig.axes for t in ax.texts)


def test_a_claim_page_draws_one_axes_per_panel_with_the_reading_point_at_the_last_x():
    """S1 (two panels, read at the last training step): two axes, each with a star on each
    curve at x = 4 and a dotted vertical line there; the {largest} metric is filled (pass@4)."""
    s1 = CLAIM["S1"]
    fig = report.claim_page(_row(s1), None, s1, {"negative_only": _negative_only()})
    axes = _data_axes(fig)
    assert len(axes) == len(s1.panels) == 2
    for ax in axes:
        stars = _stars(ax)
        assert len(stars) == 2 and all(list(st.get_xdata()) == [4] for st in stars)
        marks = [line for line in ax.lines if line.get_gid() == "read_x"]
        assert [list(m.get_xdata()) for m in marks] == [[4, 4]]
    assert "pass_at_4" in axes[1].get_title(loc="left")
    assert "not in this run" not in _texts(fig)
    plt.close(fig)


def test_the_reading_point_is_read_x_at_the_claims_sweep_point():
    """S2 reads the tilt at beta = 0 and 4 at s_syc = 0.3, in a run sweeping s_syc: the
    panel names every swept field (no AmbiguousPoint), draws the s_syc = 0.3 curve, and
    marks x = 0 and x = 4, not the last beta (8)."""
    s2 = CLAIM["S2"]
    betas = (0.0, 1.0, 4.0, 8.0)
    curves = [("default", (syc,), "tilt", "beta", betas, "sycophancy_rate",
               tuple(syc + 0.01 * b for b in betas)) for syc in (0.0, 0.3, 0.5)]
    summary = Summary.from_rows(*_summary("sycophancy", curves, sweep=(SYC,)))
    fig = report.claim_page(_row(s2), None, s2, {"sycophancy": summary})
    (ax,) = _data_axes(fig)
    assert sorted(float(st.get_xdata()[0]) for st in _stars(ax)) == [0.0, 4.0]
    assert sorted(st.get_ydata()[0] for st in _stars(ax)) == pytest.approx([0.3, 0.34])
    assert sorted(m.get_xdata()[0] for m in ax.lines if m.get_gid() == "read_x") == [0.0, 4.0]
    assert "= 0.3" in ax.get_title(loc="left")
    plt.close(fig)


def test_a_run_without_the_claims_point_is_read_at_the_nearest_and_says_so():
    """A quick run whose betas stop at 1 is read at beta = 1 (as ``at`` reads it), and the
    legend says the claim reads 4."""
    s2 = CLAIM["S2"]
    curves = [("default", (), "tilt", "beta", (0.0, 1.0), "sycophancy_rate", (0.2, 0.3))]
    summary = Summary.from_rows(*_summary("sycophancy", curves))
    fig = report.claim_page(_row(s2), None, s2, {"sycophancy": summary})
    (ax,) = _data_axes(fig)
    assert sorted(float(st.get_xdata()[0]) for st in _stars(ax)) == [0.0, 1.0]
    legend = " ".join(t.get_text().replace("\n", " ") for lg in fig.legends for t in lg.get_texts())
    assert "the claim reads 0, 4" in legend
    plt.close(fig)


def test_a_missing_method_or_run_is_a_note_not_an_exception():
    """A run without REINFORCE draws NSR and notes "not in this run" for the rest; a claim
    whose experiment has no results draws the note in place of each panel."""
    s1 = CLAIM["S1"]
    fig = report.claim_page(_row(s1), None, s1, {"negative_only": _negative_only(("nsr",))})
    axes = _data_axes(fig)
    assert len(axes) == 2 and all(len(_stars(ax)) == 1 for ax in axes)
    assert all("not in this run" in " ".join(t.get_text() for t in ax.texts) for ax in axes)
    plt.close(fig)
    fig = report.claim_page(_row(s1, "inconclusive"), None, s1, {})
    axes = _data_axes(fig)
    assert len(axes) == 2 and not any(_stars(ax) for ax in axes)
    assert all(ax.texts[0].get_text() == "not in this run" for ax in axes)
    plt.close(fig)


def test_a_panel_of_scalars_draws_a_point_and_its_ci_per_curve():
    """S9-returns reads two scalars (axis none): one star per curve, at its mean."""
    s9 = CLAIM["S9-returns"]
    curves = [("default", (), "cost_returns", "none", (None,), "budget_90", (300.0,)),
              ("default", (), "rule_returns", "none", (None,), "budget_90", (120.0,))]
    summary = Summary.from_rows(*_summary("returns", curves))
    fig = report.claim_page(_row(s9), None, s9, {"returns": summary})
    axes = _data_axes(fig)
    assert [st.get_ydata()[0] for ax in axes for st in _stars(ax)] == pytest.approx([300, 120])
    plt.close(fig)


def test_holes_in_a_panels_names_are_filled_from_the_run():
    """``{largest}`` takes the largest number that completes a name, ``{each}`` one curve
    per number, its label numbered."""
    curves = [("default", (), f"audit_{k}", "probes", (1, 4), metric, (0.1, 0.2))
              for k in (1, 2, 4) for metric in ("detected", "closed_form")]
    curves += [("default", (), "tilt_8", "rejection_share", (0, 1), "value", (0, 1)),
               ("default", (), "tilt_16", "rejection_share", (0, 1), "value", (0, 1)),
               ("default", (), "tilt_beta1", "rejection_share", (0, 1), "value", (0, 1))]
    summary = Summary.from_rows(*_summary("economics", curves))
    each = Panel("detected", (("audit_{each}", "default", "{} missing"),))
    assert [c[0] for c in panel_curves(each, summary)] == ["audit_1", "audit_2", "audit_4"]
    assert [c[2] for c in panel_curves(each, summary)][-1] == "4 missing"
    largest = Panel("value", (("tilt_{largest}", None, "B = {}"),))
    assert panel_curves(largest, summary) == [("tilt_16", None, "B = 16", "value")]


def test_every_testable_claim_declares_one_or_two_panels_each_naming_a_metric():
    """Every claim but those "not testable in this model" (S12) declares one or two panels,
    each naming a metric and at least one curve; S12's page says why it has none."""
    for c in CLAIMS:
        assert len(c.panels) <= 2, c.id
        if c.id != "S12":
            assert c.panels, c.id
        for p in c.panels:
            assert isinstance(p, Panel) and p.metric and p.curves, c.id
            assert all(len(curve) in (3, 4) for curve in p.curves), c.id
    s12 = CLAIM["S12"]
    fig = report.claim_page(_row(s12, "not testable in this model"), None, s12, {})
    assert "no panel: not testable in this model" in _texts(fig)
    plt.close(fig)


def test_write_makes_one_page_per_claim_through_a_temporary_file(tmp_path):
    """report.write on a folder holding one experiment: a PDF of 1 + 24 pages, no temporary
    file left behind, under 1 MB."""
    folder = tmp_path / "negative_only" / "abc"
    folder.mkdir(parents=True)
    header, rows = _summary("negative_only", [
        (v, (), "policy", "training_step", (0, 2, 4), f"pass_at_{k}", (0.3, 0.4, 0.5))
        for v in ("nsr", "reinforce", "psr") for k in (1, 4)])
    (folder / "summary.csv").write_text(csv_text(header, rows))
    (folder / "meta.json").write_text(json.dumps({"summary_rows": len(rows), "started": "x"}))
    runs = ledger.find_runs(tmp_path)
    out = report.write(tmp_path / "report.pdf", ledger.compute(runs), runs)
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) < 1_000_000
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1 + len(CLAIMS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["negative_only", "report.pdf"]


def test_a_run_sweeping_a_field_no_claim_names_is_read_at_its_configured_value():
    """A swept field the panel does not name is taken at the run's configured value (the
    nearest point), so the curve is never ambiguous."""
    curves = [("default", (z,), "reward_returns", "none", (None,), "drift_late", (10.0 * (z + 1),))
              for z in (0.0, 1.0, 2.0)]
    summary = Summary.from_rows(*_summary("returns", curves, sweep=("world.zipf_exponent",)))
    meta = {"config": str({"world": {"zipf_exponent": 1.1}}),
            "sweep": [["world.zipf_exponent", [0.0, 1.0, 2.0]]]}
    defaults = report_panels.configured(meta)
    assert defaults == {"world.zipf_exponent": 1.1}
    assert report_panels.sweep_point(summary, None, defaults) == {"world.zipf_exponent": 1.0}
    fig, ax = plt.subplots()
    scalar = Panel("drift_late", (("reward_returns", None, "reward model"),))
    report_panels.draw_panel(ax, scalar, summary, defaults)
    assert [st.get_ydata()[0] for st in _stars(ax)] == pytest.approx([20.0])
    assert np.isfinite(ax.get_ylim()).all()
    plt.close(fig)
