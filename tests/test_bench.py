"""The benchmark's arithmetic: the roofline, the fitted exponents, the default-run rates."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from experiments import bench, roofline, throughput


def test_roofline_counts_every_multiply_add_compare_and_min_on_a_tiny_size():
    n, t, d, s = 3, 4, 5, 2
    ops = 0
    for _seed in range(s):
        for _i in range(n):
            for _j in range(t):
                ops += 2 * d      # w_j . x_i: d multiplies and d adds
                ops += 2          # the compare with theta_j and the running min
    assert roofline.contraction_flops(n, t, d, s) == ops == 288
    assert roofline.roofline_seconds(n, t, d, s, flops_per_second=144.0) == 2.0
    with pytest.raises(ValueError, match="flops_per_second"):
        roofline.roofline_seconds(n, t, d, s, flops_per_second=0.0)


@pytest.mark.parametrize("b", [0.5, 1.0, 2.0])
def test_the_fitted_exponent_recovers_a_power_law(b):
    sizes = np.array([1e3, 4e3, 1.6e4, 6.4e4])
    assert math.isclose(throughput.fitted_exponent(sizes, 0.003 * sizes**b), b, rel_tol=1e-9)


def _run(root, name, digest, scale, seeds, run_seconds, started):
    folder = root / name / digest
    folder.mkdir(parents=True)
    (folder / "summary.csv").write_text("x\n")
    (folder / "meta.json").write_text(json.dumps(
        {"scale": scale, "n_seeds": seeds, "compile_seconds": 1.5, "run_seconds": run_seconds,
         "devices": ["TFRT_CPU_0"], "started": started,
         "programs": [{"hlo_chars": 300}, {"hlo_chars": 200}, {"variant": "shares one"}]}))


def test_seeds_per_second_come_from_the_newest_default_run_only(tmp_path):
    _run(tmp_path, "returns", "a", "default", 64, 32.0, "2026-01-01T00:00:00")
    _run(tmp_path, "returns", "b", "default", 64, 16.0, "2026-01-02T00:00:00")   # newer
    _run(tmp_path, "returns", "c", "quick", 8, 0.5, "2026-01-03T00:00:00")       # not default
    _run(tmp_path, "shift", "d", "quick", 8, 1.0, "2026-01-03T00:00:00")
    rates = throughput.default_rates(tmp_path)
    assert list(rates) == ["returns"]
    assert rates["returns"]["seeds_per_second"] == 4.0 and rates["returns"]["devices"] == 1
    assert rates["returns"]["programs"] == 3 and rates["returns"]["hlo_chars"] == 500
    assert throughput.default_rates(tmp_path / "missing") == {}


def test_the_bench_measures_the_kernel_against_numpy_and_the_roofline():
    report = bench.run_bench(n_responses=512, n_prohibitions=16, dims=3, seeds=2, bt_labels=200,
                             bt_seeds=3, repeats=1)
    c = report["contraction"]
    assert c["max_abs_diff_vs_numpy"] < 1e-6
    assert c["flops"] == roofline.contraction_flops(512, 16, 3, 2)
    assert math.isclose(c["roofline_seconds"], c["flops"] / c["sgemm_flops_per_second"])
    assert c["multiple_of_roofline"] == c["jax_seconds"] / c["roofline_seconds"] > 0
    assert len(c["nt_sizes"]) == 3 and np.isfinite(c["exponent_in_nt"])
    assert report["bradley_terry"]["max_abs_theta_diff_vs_scipy"] < 1e-3
    assert "roofline" in bench.table(report)
