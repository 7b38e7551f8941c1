"""Differences between two sets of per-seed values, with 95% percentile-bootstrap bands.

- :func:`paired`: the same seeds on both sides (the same draws of the world and the
  labels), d_s = a_s - b_s, the band of mean(d) over resamples of the seeds;
- :func:`unpaired`: independent seeds, the band of mean(a*) - mean(b*) over independent
  resamples of each side.

Both use ``numpy.random.default_rng(seed)`` with a fixed seed, so a band is the same on
every call; 1,000 resamples, as :mod:`experiments.results` uses for the summaries.
"""

from __future__ import annotations

import numpy as np

RESAMPLES = 1000


def _band(means: np.ndarray, centre: float) -> tuple[float, float, float]:
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(centre), float(min(lo, centre)), float(max(hi, centre))


def paired(a, b, seed: int = 0) -> tuple[float, float, float]:
    """(mean, low, high) of a - b over paired seeds (a[s] and b[s] share seed s)."""
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    if d.ndim != 1 or d.size == 0:
        raise ValueError(f"paired differences need two equal 1-d arrays (got {d.shape})")
    idx = np.random.default_rng(seed).integers(0, d.size, size=(RESAMPLES, d.size))
    return _band(d[idx].mean(axis=1), d.mean())


def unpaired(a, b, seed: int = 0) -> tuple[float, float, float]:
    """(mean, low, high) of mean(a) - mean(b), the two sides resampled independently."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.size == 0 or b.size == 0:
        raise ValueError("unpaired differences need values on both sides")
    rng = np.random.default_rng(seed)
    ma = a[rng.integers(0, a.size, size=(RESAMPLES, a.size))].mean(axis=1)
    mb = b[rng.integers(0, b.size, size=(RESAMPLES, b.size))].mean(axis=1)
    return _band(ma - mb, a.mean() - b.mean())
