"""The command line: result files, atomic writes, determinism, one-line errors with status 2."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from experiments import EXPERIMENTS, bench
from experiments.runner import ResultError, bootstrap_summary, check_finite, main


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    assert main(["convergence", "--quick", "--out", str(out)], EXPERIMENTS) == 0
    (folder,) = (out / "convergence").iterdir()
    return out, folder


def _rows(path):
    with open(path) as fh:
        return list(csv.reader(fh))


def test_a_run_writes_long_results_summary_meta_and_figure(quick_run):
    out, folder = quick_run
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["convergence.pdf", "convergence.png", "meta.json", "results.csv",
                     "summary.csv"]
    assert not [p for p in (out / "convergence").iterdir() if p.name.startswith(".")]  # no temp
    rows = _rows(folder / "results.csv")
    assert rows[0] == ["experiment", "variant", "seed", "step", "metric", "value"]
    variants = {r[1] for r in rows[1:]}
    assert variants == {"constraints", "preference_batch", "preference_online", "control_batch",
                        "control_online"}
    assert {int(r[2]) for r in rows[1:]} == set(range(8))
    assert all(np.isfinite(float(r[5])) for r in rows[1:])
    summary = _rows(folder / "summary.csv")
    assert summary[0] == ["experiment", "variant", "step", "metric", "mean", "ci_low", "ci_high",
                          "n_seeds"]
    for r in summary[1:]:
        assert float(r[5]) <= float(r[4]) <= float(r[6]) and r[7] == "8"
    meta = json.loads((folder / "meta.json").read_text())
    for key in ("config", "seeds", "versions", "git_commit", "devices", "compile_seconds",
                "run_seconds", "config_hash"):
        assert key in meta
    assert meta["config_hash"] == folder.name and meta["config"]["labels"] == 200
    assert (folder / "convergence.png").stat().st_size > 10_000


def test_the_same_command_writes_bitwise_the_same_results(quick_run):
    out, folder = quick_run
    first = (folder / "results.csv").read_bytes()
    assert main(["convergence", "--quick", "--out", str(out)], EXPERIMENTS) == 0
    assert (folder / "results.csv").read_bytes() == first


def test_summary_mean_and_band_are_those_of_the_seeds():
    values = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0], [7.0, 2.0]])
    rows = bootstrap_summary({"v": {"m": values}}, [0, 10], "x")
    (a, b) = rows
    assert a[4] == pytest.approx(4.0) and a[5] < 4.0 < a[6]
    assert b[4] == b[5] == b[6] == pytest.approx(2.0)


@pytest.mark.parametrize("args,match", [
    (["nosuch"], "unknown experiment 'nosuch'"),
    (["convergence", "--bogus"], "unrecognized arguments: --bogus"),
    (["convergence", "--seeds", "0"], "--seeds = 0 is out of range"),
    (["convergence", "--seeds", "many"], "invalid int value"),
    (["convergence", "--set", "world.coupling=1.5"], "world.coupling = 1.5 is out of range"),
    (["convergence", "--set", "world.nope=1"], "unknown field 'nope'"),
    (["convergence", "--set", "coupling"], "expected section.field=value"),
])
def test_bad_command_lines_exit_2_with_one_line(args, match, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "experiments", *args, "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and match in lines[0] and "Traceback" not in proc.stderr
    assert not any(tmp_path.iterdir())


def test_benchmark_kernels_agree_with_their_numpy_references():
    report = bench.run_bench(n_responses=512, n_prohibitions=16, dims=3, seeds=2, bt_labels=200,
                             bt_seeds=3, repeats=1)
    assert report["contraction"]["max_abs_diff_vs_numpy"] < 1e-6
    assert report["bradley_terry"]["max_abs_theta_diff_vs_scipy"] < 1e-3


def test_a_non_finite_result_is_refused_before_anything_is_written():
    check_finite({"v": {"m": np.zeros((2, 3))}})
    with pytest.raises(ResultError, match="v/m"):
        check_finite({"v": {"m": np.array([[0.0, np.nan]])}})
