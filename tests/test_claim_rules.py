"""Claim rules on hand-made per-seed tables: each rule gives each class it can give, and only
from the numbers it names (issue 29: a rule that cannot fail, or cannot succeed, says so)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from experiments import stats
from experiments.claims import CLAIMS
from experiments.claims.seeds import PerSeed
from experiments.results import Summary

CLAIM = {c.id: c for c in CLAIMS}
SEEDS = 32


def _table(tmp_path, experiment, sweep, entries):
    """A run's results.csv and summary from ``entries``: (variant, point, method, x, metric,
    per-seed values); x None for a scalar. The summary's bands are the seeds' bootstrap."""
    rows, summary_rows = [], []
    for variant, point, method, x, metric, v in entries:
        xs = "" if x is None else x
        for seed, value in enumerate(v):
            rows.append([experiment, variant, *point, method, "", seed, "a", xs, metric, value])
        mean, lo, hi = stats.paired(v, np.zeros_like(v))
        summary_rows.append([experiment, variant, *point, method, "", "a", xs, metric, mean, lo,
                             hi, len(v)])
    path = tmp_path / "results.csv"
    head = ["experiment", "variant", *sweep, "method", "tier"]
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([head + ["seed", "axis", "x", "metric", "value"], *rows])
    summary = Summary.from_rows(head + ["axis", "x", "metric", "mean", "ci_low", "ci_high",
                                        "n_seeds"], summary_rows)
    summary.per_seed = PerSeed(path)
    return summary


def _noise(scale, seed=0):
    return np.random.default_rng(seed).normal(0.0, scale, SEEDS)


def _e2(tmp_path, rise):
    """E2's tilt at beta 0 and 4 for s_syc 0.1 and 0.2 (default variant): rise(syc) is the
    per-seed rise; the prior's rate is 0.5 everywhere."""
    entries = []
    for syc in (0.1, 0.2):
        prior = 0.5 + _noise(0.05, 1)
        entries += [("default", (syc,), "tilt", 0.0, "sycophancy_rate", prior),
                    ("default", (syc,), "tilt", 4.0, "sycophancy_rate", prior + rise(syc))]
    return {"sycophancy": _table(tmp_path, "sycophancy", ["annotator.sycophancy"], entries)}


@pytest.mark.parametrize("rise, verdict", [
    (lambda syc: 0.2 + _noise(0.01), "supported"),
    (lambda syc: -0.2 + _noise(0.01), "contradicted"),
    (lambda syc: _noise(0.3), "inconclusive"),
    (lambda syc: (0.2 if syc == 0.2 else -0.2) + _noise(0.01), "mixed")])
def test_s2_gives_each_class_from_the_paired_rise_at_the_default(tmp_path, rise, verdict):
    """S2: the tilt's rise at s_syc = 0.2, paired over seeds: above 0 supported, below
    contradicted, straddling inconclusive, supported with another cell against it mixed."""
    reading = CLAIM["S2"].read(_e2(tmp_path, rise))
    assert reading.verdict == verdict, reading


def test_s2_is_paired_the_prior_noise_cancels(tmp_path):
    """A rise of +0.02 on a prior that varies by 0.05 across seeds: the conservative band
    would straddle 0; the paired one does not."""
    reading = CLAIM["S2"].read(_e2(tmp_path, lambda syc: 0.02 + _noise(0.002)))
    assert reading.verdict == "supported" and reading.ci_low > 0.015


@pytest.mark.parametrize("excess, verdict", [(0.05, "supported"), (-0.05, "contradicted")])
def test_s5_reads_drift_against_its_noise_floor(tmp_path, excess, verdict):
    """S5: drift minus its bootstrap floor, paired: a drift above its floor keeps drifting;
    below it, estimation noise explains the drift (contradicted)."""
    floor = 0.1 + _noise(0.02)
    entries = [("batch", (), "reward_model", 2000.0, "ranking_drift", floor + excess),
               ("batch", (), "reward_model", 2000.0, "ranking_drift_floor", floor)]
    reading = CLAIM["S5"].read({"convergence": _table(tmp_path, "convergence", [], entries)})
    assert reading.verdict == verdict, reading


@pytest.mark.parametrize("gap, verdict", [(0.0, "true by construction"), (0.3, "inconclusive")])
def test_s13_checks_an_identity_so_it_cannot_support_the_claim(tmp_path, gap, verdict):
    """S13 compares the simulated audit with 1 - (1 - p)^m: agreement is true by construction
    (never "supported"); a departure is a defect (inconclusive), never "contradicted"."""
    law = 0.6 + np.zeros(SEEDS)
    entries = [("default", (), "audit_2", None, "detected", law + gap + _noise(0.01)),
               ("default", (), "audit_2", None, "closed_form", law)]
    reading = CLAIM["S13"].read({"economics": _table(tmp_path, "economics", [], entries)})
    assert reading.verdict == verdict, reading
