"""The researcher's loop: the Python API, the headline, compare, plot and the notebook."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments import comparison, headline, ledger, plot, stats
from experiments.runner import main

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """E4 tiny at the default and with one number changed (the same program)."""
    out = tmp_path_factory.mktemp("api")
    df, folder = experiments.run("loss_aversion", tiny=True, out=out)
    df_b, folder_b = experiments.run("loss_aversion", tiny=True, out=out,
                                     set={"experiment.beta": 1.0})
    return out, (df, folder), (df_b, folder_b)


def test_run_returns_the_results_table_and_its_folder(two_runs):
    out, (df, folder), (_, folder_b) = two_runs
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns[-7:]) == ["method", "tier", "seed", "axis", "x", "metric", "value"]
    assert folder.parent == out / "loss_aversion" and (folder / "results.csv").is_file()
    assert (out / "loss_aversion" / "latest").resolve() == folder_b.resolve()   # the newest
    back = experiments.load(folder)
    pd.testing.assert_frame_equal(back, df)
    assert back.attrs["meta"]["config"]["beta"] == 0.1   # what the run set, not swept
    summary = experiments.load(folder, "summary")
    assert {"mean", "ci_low", "ci_high", "n_seeds"} <= set(summary.columns)


def test_bad_input_to_the_api_is_one_line_value_error(tmp_path):
    with pytest.raises(ValueError, match="world.coupling = 1.5 is out of range"):
        experiments.run("loss_aversion", tiny=True, out=tmp_path, set={"world.coupling": 1.5})
    with pytest.raises(ValueError, match="unknown experiment 'nope'"):
        experiments.run("nope")
    with pytest.raises(ValueError, match="table = 'x' is not a table"):
        experiments.load(tmp_path, "x")
    assert not any(tmp_path.iterdir())


def test_the_api_command_line_is_the_command_lines(tmp_path):
    argv = experiments.api.arguments("sycophancy", quick=True, set={"experiment.betas": (0, 4.0)},
                                     sweep={"world.coupling": [0.0, 0.5]}, out=tmp_path)
    assert argv[:2] == ["sycophancy", "--quick"]
    assert "experiment.betas=0,4.0" in argv and "world.coupling=0.0,0.5" in argv


def test_compare_pairs_seeds_and_finds_the_changed_number(two_runs, capsys):
    """A - B paired over seeds; a run compared with itself differs nowhere."""
    _, (df, folder), (df_b, folder_b) = two_runs
    rows, paired = comparison.differences(folder_b, folder)
    assert paired and rows
    same, _ = comparison.differences(folder, folder)
    assert all(m == lo == hi == 0.0 for _, m, lo, hi, *_ in same)
    assert main(["compare", str(folder_b), str(folder)]) == 0
    out = capsys.readouterr().out
    assert "config: experiment.beta: 1.0 -> 0.1" in out and "rows differ" in out
    assert "code: the same" in out and "versions: the same" in out and "machine: the same" in out


def test_a_run_records_its_machine_and_compare_names_a_change_of_machine(two_runs):
    """Bits are promised on one machine only: meta.json names the CPU, the best instruction
    set its flags list and a hash of the flags (x86 ``flags``, ARM ``Features``), and compare
    says when code, package versions or machine differ, and never "the same" for a run that
    did not record it."""
    from experiments.provenance import machine
    _, (df, folder), _ = two_runs
    meta = ledger.read_meta(folder)
    assert set(meta["machine"]) == {"cpu", "isa", "flags", "arch"}
    assert meta["machine"] == machine()
    avx2 = "model name\t: Some CPU 9000\nflags\t\t: fpu sse4_2 avx avx2 fma\n"
    assert machine(avx2)["cpu"] == "Some CPU 9000" and machine(avx2)["isa"] == "avx2"
    wider = machine(avx2.replace(" avx2", " avx2 avx512f"))
    assert wider["isa"] == "avx512f" and wider["flags"] != machine(avx2)["flags"]
    arm = "Features\t: fp asimd sve\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n"
    assert machine(arm)["isa"] == "sve" and machine(arm)["cpu"] == "CPU implementer 0x41 CPU part 0xd0c"
    assert machine("")["isa"] == "unknown" and machine("")["flags"] == ""
    other = dict(meta, machine=machine(avx2), code_version="0" * 12,
                 versions=dict(meta["versions"], jax="9.9"))
    code, versions, mach = comparison.provenance_changes(meta, other)
    assert code == f"code: {meta['code_version']} -> {'0' * 12}"
    assert versions.startswith("versions: ") and "jax 9.9" in versions
    assert mach.startswith(f"machine: {meta['machine']['cpu']} (") and "Some CPU 9000 (avx2" in mach
    assert "last bits" in mach and "last bits" not in comparison.provenance_changes(meta, {})[2]
    assert comparison.provenance_changes(meta, dict(meta)) == [
        "code: the same", "versions: the same", "machine: the same"]
    assert comparison.provenance_changes({}, {}) == [
        f"{k}: not recorded in A and B" for k in ("code", "versions", "machine")]
    assert comparison.provenance_changes(meta, {})[2] == "machine: not recorded in B"


def test_the_headline_names_the_settings_a_run_changed():
    """A --set is named on the headline's first line, against the nearest of the spec's
    own configs, so a change can be judged without opening the figure."""
    import dataclasses

    from sim.spec import registry
    spec = registry()["convergence"]
    c = spec.quick()
    c = dataclasses.replace(c, annotator=dataclasses.replace(c.annotator, sycophancy=0.8))
    assert headline.changes(spec, c) == "annotator.sycophancy = 0.8 (quick: 0.2)"
    assert headline.changes(spec, spec.default()) == ""


def test_a_long_sweep_headlines_the_swept_field_at_the_other_fields_defaults():
    """Past MAX_POINTS points, the headline shows the points along the --sweep field with the
    experiment's own sweep at the config's value; without a --sweep, the default point."""
    from experiments.results import RESULT_HEAD, SUMMARY_TAIL, Summary
    from sim.spec import registry
    spec = registry()["convergence"]
    head = RESULT_HEAD + ("world.coupling", "annotator.sycophancy") + SUMMARY_TAIL
    rows = [",".join(map(str, ("convergence", "batch", k, s, "reward_model", "comparison",
                               "labels", 6, "unacceptable_share", 0.1, 0.05, 0.15, 2)))
            for k in (0.0, 0.5, 0.9) for s in (0.0, 0.2, 0.4)]
    summary = Summary.parse("\n".join([",".join(head), *rows]) + "\n")
    config = spec.tiny_config()   # coupling 0.5, sycophancy 0.2
    text = headline.text("convergence", summary, config, focus=("annotator.sycophancy",))
    points = [line for line in text.splitlines() if line.startswith(" at ")]
    assert points == [f" at world.coupling = 0.5, annotator.sycophancy = {s}:"
                      for s in ("0", "0.2", "0.4")]
    assert "(6 more sweep points" in text
    default = headline.text("convergence", summary, config)
    assert [line for line in default.splitlines() if line.startswith(" at ")] == [
        " at world.coupling = 0.5, annotator.sycophancy = 0.2:"]


def test_paired_and_unpaired_bands_contain_their_mean_and_pairing_narrows():
    rng = np.random.default_rng(1)
    base = rng.normal(size=64)
    a, b = base + 0.1 + 0.01 * rng.normal(size=64), base
    m, lo, hi = stats.paired(a, b)
    mu, lou, hiu = stats.unpaired(a, b)
    assert lo <= m <= hi and lou <= mu <= hiu and np.isclose(m, mu)
    assert lo > 0 and hi - lo < (hiu - lou) / 10   # the shared seed cancels


def test_every_run_prints_a_headline_of_its_main_numbers(two_runs):
    _, (_, folder), _ = two_runs
    text = headline.text("loss_aversion", ledger.load_summary(folder))
    assert text.startswith("headline: mean [95% CI]") and "violation_rate" in text


def test_plot_redraws_a_run_from_its_files(two_runs):
    """The figures come back from summary.csv and meta.json alone, without a rerun."""
    _, (_, folder), _ = two_runs
    (folder / "loss_aversion.png").unlink()
    names = plot.redraw(folder)
    assert "loss_aversion.png" in names
    assert (folder / "loss_aversion.png").stat().st_size > 10_000


def test_a_run_without_figures_has_the_same_numbers_and_plot_draws_them_later(two_runs, tmp_path,
                                                                            capsys):
    """``figures=False`` (``--no-figures``) writes the numbers of a run with figures, bitwise,
    into the folder of the same name, and no figure; ``plot`` draws them afterwards."""
    _, (_, folder), _ = two_runs
    capsys.readouterr()
    _, bare = experiments.run("loss_aversion", tiny=True, out=tmp_path, figures=False)
    assert "no figures: python -m experiments plot" in capsys.readouterr().out
    assert bare.name == folder.name
    assert (bare / "results.csv").read_bytes() == (folder / "results.csv").read_bytes()
    assert not list(bare.glob("*.png")) and not list(bare.glob("*.pdf"))
    meta = json.loads((bare / "meta.json").read_text())
    assert meta["figures"] == [] and meta["figure_version"] is None
    assert "loss_aversion.png" in plot.redraw(bare)
    assert json.loads((bare / "meta.json").read_text())["figure_version"]


def test_plot_and_compare_take_an_experiments_folder_as_its_latest_run(two_runs, tmp_path):
    """``OUT/NAME`` is read as ``OUT/NAME/latest``; a missing folder and a folder without
    meta.json are each one line naming the path, exit status 2."""
    _, (_, folder), _ = two_runs
    assert plot.main([str(folder.parent)]) == 0
    assert comparison.main([str(folder.parent), str(folder)]) == 0
    from experiments.options import UsageError
    with pytest.raises(UsageError, match="no such folder"):
        plot.main([str(tmp_path / "nowhere")])
    with pytest.raises(UsageError, match="not a results folder .no meta.json"):
        comparison.main([str(tmp_path), str(folder)])


@pytest.mark.slow
def test_the_starter_notebook_runs(tiny_all, tmp_path):
    """docs/notebook.py, whole, as a new user runs it (two E1 runs), at the tiny scale: its
    programs are those of the session's ``all --tiny`` (loaded from the compilation cache;
    the quick programs are traced in tests/test_specs.py)."""
    proc = subprocess.run([sys.executable, str(REPO / "docs" / "notebook.py")], cwd=tmp_path,
                          env=dict(os.environ, VNSIM_NOTEBOOK_OUT=str(tmp_path),
                                   VNSIM_NOTEBOOK_SCALE="tiny"),
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "notebook_drift.png").is_file()
    assert "paired over" in proc.stdout
