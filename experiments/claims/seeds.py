"""Per-seed values behind a summary, so the ledger's differences are paired.

Every method of one run shares the seeds (the same world and label draws per seed), so the
difference of two readings of one run is read seed by seed: d_s = a_s - b_s, and its 95%
band is the percentile bootstrap of mean(d) over resamples of the seeds
(:func:`experiments.stats.paired`). That band is narrower than the conservative
[lo_a - hi_b, hi_a - lo_b] of two summary bands whenever the two readings move together
across seeds, and it is the right one: the two sides are not independent.

:class:`PerSeed` reads ``results.csv`` once (pandas) and answers
``values(variant, method, metric, point, x)``: the value of every seed, in seed order. A
reading (:func:`experiments.claims.reading.at`) carries them as :class:`Point`, a
``(mean, lo, hi)`` tuple with ``.seeds``; :func:`experiments.claims.reading.minus` pairs two
points that both carry seeds and falls back to the conservative band otherwise (a summary
without its ``results.csv``, as in hand-made test summaries).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np

__all__ = ["Point", "PerSeed"]


class Point(tuple):
    """(mean, lo, hi) of one reading, with the per-seed values behind it (or None)."""

    seeds: np.ndarray | None

    def __new__(cls, mean_lo_hi, seeds=None):
        point = super().__new__(cls, tuple(float(v) for v in mean_lo_hi))
        point.seeds = seeds
        return point


@functools.lru_cache(maxsize=2)
def _read(path: str):
    """A results.csv as one pandas frame, read once for every view of the run (the ledger
    reads a run at its reading point and at each regime point)."""
    import pandas as pd
    return pd.read_csv(path, dtype={"variant": str, "method": str, "metric": str})


class PerSeed:
    """The per-seed rows of one run's ``results.csv``, at a fixed sweep point ``fixed``
    (the ledger's reading point for fields swept only to map regimes)."""

    def __init__(self, path: Path, fixed: dict | None = None):
        self.path = Path(path)
        self.fixed = dict(fixed or {})
        self._frame = None

    def _rows(self):
        if self._frame is None:
            frame = _read(str(self.path))
            for column, value in self.fixed.items():
                frame = frame[np.isclose(frame[column].astype(float), float(value))]
            self._frame = frame
        return self._frame

    def values(self, variant: str, method: str, metric: str, where: dict,
               x: float) -> np.ndarray | None:
        """The value of every seed at one reading (seed order), or None if the run lacks it."""
        f = self._rows()
        keep = (f["variant"] == variant) & (f["method"] == method) & (f["metric"] == metric)
        for column, value in where.items():
            keep &= np.isclose(f[column].astype(float), float(value))
        if math.isnan(x):
            keep &= f["x"].isna()
        else:
            keep &= np.isclose(f["x"].astype(float), x, rtol=1e-9, atol=0.0)
        rows = f[keep].sort_values("seed")
        if rows.empty or rows["seed"].duplicated().any():
            return None
        return rows["value"].to_numpy(np.float64)
