"""The command line: the result schema, sweeps as data, atomic writes, determinism, errors."""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from experiments.results import Block, ResultError, Summary, bootstrap_rows, check_finite
from experiments.runner import main

# kappa set to its default: the --set replaces E1's default sweep (a run without sweep columns)
QUICK = ["convergence", "--quick", "--seeds", "3", "--variant", "rule,online", "--set",
         "world.coupling=0.5"]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    assert main([*QUICK, "--out", str(out)]) == 0
    (folder,) = [p for p in (out / "convergence").iterdir() if p.name != "latest"]
    return out, folder


def _rows(path):
    with open(path) as fh:
        return list(csv.reader(fh))


def test_a_run_writes_self_describing_results_summary_meta_and_figure(quick_run):
    out, folder = quick_run
    assert sorted(p.name for p in folder.iterdir()) == [
        "convergence.pdf", "convergence.png", "meta.json", "results.csv", "summary.csv"]
    assert not [p for p in (out / "convergence").iterdir() if p.name.startswith(".")]  # no temp
    rows = _rows(folder / "results.csv")
    assert rows[0] == ["experiment", "variant", "method", "tier", "seed", "axis", "x", "metric",
                       "value"]
    assert {(r[1], r[2], r[3]) for r in rows[1:]} == {("rule", "rule", "oracle"),
                                                      ("online", "reward_model", "comparison")}
    assert {r[5] for r in rows[1:]} == {"labels"} and {int(r[4]) for r in rows[1:]} == {0, 1, 2}
    assert max(float(r[6]) for r in rows[1:]) == 200.0  # x is the label count, not an index
    assert all(np.isfinite(float(r[8])) for r in rows[1:])
    summary = _rows(folder / "summary.csv")
    assert summary[0] == ["experiment", "variant", "method", "tier", "axis", "x", "metric",
                          "mean", "ci_low", "ci_high", "n_seeds"]
    for r in summary[1:]:
        assert float(r[8]) <= float(r[7]) <= float(r[9]) and r[10] == "3"
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["config_hash"] == folder.name and meta["config"]["labels"] == 200
    assert meta["command"].startswith("python -m experiments convergence --quick")
    assert meta["variants"] == ["rule", "online"] and meta["claims"] == ["E1"]
    for key in ("started", "versions", "git_commit", "devices", "compile_seconds", "programs"):
        assert key in meta
    assert (folder / "convergence.png").stat().st_size > 10_000


def test_the_summary_reader_gives_curves_by_method_metric_and_variant(quick_run):
    _, folder = quick_run
    s = Summary.from_csv(folder / "summary.csv")
    c = s.curve("rule", "feasible_fraction", variant="rule")
    assert c.x[0] == 0 and c.mean[0] == 1.0 and np.all(np.diff(c.mean) <= 0)
    assert s.n_seeds == 3 and set(s.variants) == {"rule", "online"}


def test_the_same_command_writes_bitwise_the_same_results(quick_run):
    out, folder = quick_run
    first = (folder / "results.csv").read_bytes()
    assert main([*QUICK, "--out", str(out)]) == 0
    assert (folder / "results.csv").read_bytes() == first


@pytest.mark.slow
def test_a_sweep_over_swept_numbers_is_one_program_with_a_column_per_field(tmp_path):
    assert main(["convergence", "--quick", "--seeds", "2", "--variant", "rule", "--out",
                 str(tmp_path), "--sweep", "world.coupling=0,0.9",
                 "--sweep", "annotator.miss=0,0.5"]) == 0
    (folder,) = [p for p in (tmp_path / "convergence").iterdir() if p.name != "latest"]
    rows = _rows(folder / "summary.csv")
    assert rows[0][:4] == ["experiment", "variant", "world.coupling", "annotator.miss"]
    assert {(r[2], r[3]) for r in rows[1:]} == {("0", "0"), ("0", "0.5"), ("0.9", "0"),
                                                ("0.9", "0.5")}
    meta = json.loads((folder / "meta.json").read_text())
    assert [p["points"] for p in meta["programs"]] == [4]  # one program for four points
    s = Summary.from_csv(folder / "summary.csv")
    missed = s.curve("rule", "discovered_prohibitions",
                     where={"annotator.miss": 0.5, "world.coupling": 0.0})
    clean = s.curve("rule", "discovered_prohibitions",
                    where={"annotator.miss": 0.0, "world.coupling": 0.0})
    assert missed.mean[-1] <= clean.mean[-1]


def test_bootstrap_band_contains_the_mean_and_is_a_point_for_constant_data():
    values = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0], [7.0, 2.0]])
    rows = bootstrap_rows("x", [Block("v", {}, "m", "labels", (0, 10), {"metric": values})], ())
    (a, b) = rows   # experiment, variant, method, tier, axis, x, metric, mean, lo, hi, n
    assert a[7] == pytest.approx(4.0) and a[8] < 4.0 < a[9]
    assert b[7] == b[8] == b[9] == pytest.approx(2.0)


def test_list_and_help_describe_every_experiment_and_field(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.split()[:2] == ["convergence", "E1"] for line in lines)
    assert main(["convergence", "--help"]) == 0
    text = capsys.readouterr().out
    for field in ("world.coupling", "annotator.sycophancy", "learner.family", "experiment.labels"):
        assert field in text
    assert "control_online" in text
    assert main(["all", "--help"]) == 0   # the module docstring as terminal text, no markup
    text = capsys.readouterr().out
    assert "--jobs N" in text and "experiments.ledger" in text
    assert not [mark for mark in ("``", ":mod:", ":func:", "**") if mark in text]


BAD = [
    (["nosuch"], "unknown experiment 'nosuch'", {}),
    (["convergence", "--bogus"], "unrecognized arguments: --bogus", {}),
    (["convergence", "--quikc"], "unrecognized arguments: --quikc (did you mean --quick?)", {}),
    (["convergence", "--set", "world.responses=2.5"],
     "world.responses = '2.5' is not an integer (allowed: 2 <= responses <= 4194304)", {}),
    (["convergence", "--sweep", "annotator.sycophancy=0,abc"],
     "annotator.sycophancy = 'abc' is not a number (allowed: 0 <= sycophancy <= 1)", {}),
    (["economics", "--set", "experiment.audit_probes=1,x"],
     "(allowed: each of 1 <= audit_probes <= 1000000)", {}),
    (["convergence", "--seeds", "0"], "--seeds = 0 is out of range", {}),
    (["convergence", "--seeds", "many"],
     "--seeds = 'many' is not an integer (allowed: 1 <= seeds <= 1000000)", {}),
    (["convergence", "--base-seed", "x"], "--base-seed = 'x' is not an integer", {}),
    (["convergence", "--num-processes", "two"],
     "--num-processes = 'two' is not an integer (allowed: 1 <= num-processes <= 65536)", {}),
    (["convergence", "--set", "world.coupling=1.5"], "world.coupling = 1.5 is out of range", {}),
    (["convergence", "--set", "world.nope=1"], "unknown field 'nope'", {}),
    (["convergence", "--set", "coupling=0.9"], "did you mean world.coupling?", {}),
    (["convergence", "--set", "world.coupeling=0.9"], "did you mean world.coupling?", {}),
    # nothing silently ignored: an empty sweep item, a field both set and swept, twice
    (["convergence", "--sweep", "world.coupling=0.1,,0.2"],
     "--sweep world.coupling=0.1,,0.2: value 2 is empty", {}),
    (["convergence", "--sweep", "world.coupling=0.1,0.1"], "0.1 is given twice", {}),
    (["convergence", "--set", "world.coupling=0.3", "--sweep", "world.coupling=0,0.5"],
     "--sweep world.coupling and --set world.coupling name the same field", {}),
    (["convergence", "--set", "world.coupling=0.3", "--set", "world.coupling=0.5"],
     "--set world.coupling is given twice", {}),
    (["convergence", "--sweep", "world.coupling=0,0.5", "--sweep", "world.coupling=0.9"],
     "--sweep world.coupling is given twice", {}),
    (["sycophancy", "--set", "experiment.betas=1,,2"], "value 2 is empty", {}),
    (["convergence", "--set", "coupling"], "expected section.field=value", {}),
    (["convergence", "--sweep", "world.coupling=0,2"], "world.coupling = 2.0 is out of range", {}),
    (["convergence", "--variant", "best"], "--variant 'best' is not a variant", {}),
    (["convergence", "--out", "/proc/x"], "--out /proc/x: cannot write there", {}),
    (["convergence", "--num-processes", "2"], "need --coordinator HOST:PORT", {}),
    (["convergence", "--coordinator", "nohost", "--num-processes", "2", "--process-id", "0"],
     "--coordinator = 'nohost' is not HOST:PORT", {}),
    (["convergence", "--coordinator", "h:1", "--num-processes", "2", "--process-id", "2"],
     "--process-id = 2 is out of range (allowed: 0 <= process-id < 2)", {}),
    (["convergence", "--coordinator", "h:1", "--num-processes", "2"],
     "--process-id = (missing) is out of range", {}),
    # the environment the command line reads (the compile cache's size bound)
    (["convergence", "--tiny"], "VNSIM_JAX_CACHE_BYTES = '12' is out of range",
     {"VNSIM_JAX_CACHE_BYTES": "12"}),
    (["convergence", "--tiny"], "VNSIM_JAX_CACHE_BYTES = 'lots' is out of range",
     {"VNSIM_JAX_CACHE_BYTES": "lots"}),
    (["convergence", "--tiny"], "VNSIM_MEMORY_SHARE = '2' is out of range",
     {"VNSIM_MEMORY_SHARE": "2"}),
    (["all", "--tiny", "--jobs", "0"], "--jobs = 0 is out of range (allowed: 1 <= jobs <= 64)",
     {}),
    (["all", "--tiny"], "VNSIM_MEMORY_SHARE = 'half' is out of range",
     {"VNSIM_MEMORY_SHARE": "half"}),
]


def _ids(cases):
    return [" ".join(args) + "".join(f" {k}={v}" for k, v in env.items())
            for args, _, env in cases]


@pytest.mark.parametrize("case", BAD, ids=_ids(BAD))
def test_bad_command_lines_exit_2_with_one_line(case, tmp_path, capsys, monkeypatch):
    """Bad input (arguments, or the environment the command line reads): status 2, one
    line naming the field, the value and the allowed range, and nothing written. In this
    process, through ``main`` (what ``python -m experiments`` returns as its status: the
    next test checks that for two of these)."""
    args, match, env = case
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path)]
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    status = main(args)
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and match in lines[0] and "Traceback" not in err
    assert not any(tmp_path.iterdir())


PROCESS = [BAD[1], BAD[-1]]   # an argument argparse refuses; the environment, under ``all``


@pytest.mark.parametrize("case", PROCESS, ids=_ids(PROCESS))
def test_bad_command_lines_are_exit_2_and_one_line_from_the_process_too(case, tmp_path):
    args, match, env = case
    proc = subprocess.run([sys.executable, "-m", "experiments", *args, "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ, **env))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and match in lines[0] and "Traceback" not in proc.stderr
    assert not any(tmp_path.iterdir())


def test_a_non_finite_result_is_refused_before_anything_is_written():
    check_finite([Block("v", {}, "m", "none", (None,), {"ok": np.zeros((2, 1))})])
    with pytest.raises(ResultError, match="v/m/bad"):
        check_finite([Block("v", {}, "m", "none", (None,), {"bad": np.array([[0.0], [np.nan]])})])


@pytest.mark.slow
def test_the_summary_line_counts_programs_that_share_a_compile(tmp_path, capsys, monkeypatch):
    """E6's three kinds of shift are three programs of one static config: the run says it
    compiled one (meta.json: one program with XLA's compile time, two that reused it)."""
    from experiments import engine
    monkeypatch.setattr(engine, "_COMPILED", {})
    assert main(["shift", "--tiny", "--out", str(tmp_path)]) == 0
    line, = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("shift: ")]
    assert "3 programs (1 compiled)" in line, line
    (folder,) = [p for p in (tmp_path / "shift").iterdir() if p.name != "latest"]
    meta = json.loads((folder / "meta.json").read_text())
    assert [("xla_seconds" in p) for p in meta["programs"]] == [True, False, False]


def test_a_point_inside_a_sweep_is_bitwise_the_point_run_alone(tmp_path, monkeypatch):
    """Issue 31: kappa = 0.5 inside a 3-point sweep differed from kappa = 0.5 alone (float32
    fusions of the vmapped points, amplified by counts and non-convex fits). Every point now
    runs through the one program compiled for a single point: bitwise equal, and a sweep of
    a new size compiles nothing."""
    from experiments import engine
    monkeypatch.setattr(engine, "_COMPILED", {})
    base = ["loss_aversion", "--tiny", "--variant", "default", "--no-figures"]
    assert main([*base, "--sweep", "experiment.beta=0.05,0.2,1", "--out",
                 str(tmp_path / "sweep")]) == 0
    compiled = len(engine._COMPILED)
    assert main([*base, "--set", "experiment.beta=0.2", "--out", str(tmp_path / "alone")]) == 0
    assert main([*base, "--sweep", "experiment.beta=0.2,3", "--out", str(tmp_path / "two")]) == 0
    assert len(engine._COMPILED) == compiled   # neither size compiled a new program
    sweep = pd_rows(tmp_path / "sweep")
    alone = pd_rows(tmp_path / "alone")
    two = pd_rows(tmp_path / "two")
    inside = sweep[sweep["experiment.beta"] == 0.2].drop(columns="experiment.beta")
    pairs = two[two["experiment.beta"] == 0.2].drop(columns="experiment.beta")
    for other in (alone, pairs):
        merged = inside.merge(other, on=[c for c in other.columns if c != "value"])
        assert len(merged) == len(alone) > 0
        assert (merged.value_x.to_numpy() == merged.value_y.to_numpy()).all()


def pd_rows(out):
    import pandas as pd
    (folder,) = [p for p in (out / "loss_aversion").iterdir() if p.name != "latest"]
    return pd.read_csv(folder / "results.csv", keep_default_na=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["shift", "returns"])
def test_e6_and_e7_take_a_coupling_sweep_without_a_new_program(name, tmp_path, monkeypatch):
    """Issue 28: kappa on an axis in E6 and E7 is data, not a new compile."""
    from experiments import engine
    monkeypatch.setattr(engine, "_COMPILED", {})
    assert main([name, "--tiny", "--out", str(tmp_path / "one")]) == 0
    compiled = len(engine._COMPILED)
    assert main([name, "--tiny", "--sweep", "world.coupling=0,0.9", "--out",
                 str(tmp_path / "two")]) == 0
    assert len(engine._COMPILED) == compiled
