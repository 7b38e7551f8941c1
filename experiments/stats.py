"""Differences between two sets of per-seed values, with 95% percentile-bootstrap bands.

- :func:`paired`: the same seeds on both sides (the same draws of the world and the
  labels), d_s = a_s - b_s, the band of mean(d) over resamples of the seeds;
- :func:`unpaired`: independent seeds, the band of mean(a*) - mean(b*) over independent
  resamples of each side;
- :func:`equivalent`: two one-sided tests (TOST, Schuirmann 1987) of |mean(d)| < margin at
  level 5% each: the 90% percentile-bootstrap band of mean(d) lies inside (-margin, margin);
- :func:`p_value`: the paired t-test's two-sided p-value of mean(d) = 0 (t = mean(d) /
  (sd(d) / sqrt(S)), S - 1 degrees of freedom), and :func:`holm`: Holm's (1979) step-down
  correction of several p-values at family-wise level 5%.

Both use ``numpy.random.default_rng(seed)`` with a fixed seed, so a band is the same on
every call; 1,000 resamples, as :mod:`experiments.results` uses for the summaries.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as _scipy_stats

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


def _differences(d) -> np.ndarray:
    d = np.asarray(d, np.float64)
    if d.ndim != 1 or d.size == 0:
        raise ValueError(f"per-seed differences must be a non-empty 1-d array (got {d.shape})")
    return d


def equivalent(d, margin: float, seed: int = 0) -> bool:
    """TOST: both one-sided tests reject at 5% when the 90% percentile-bootstrap band of
    mean(d) (the 5th and 95th percentiles over resamples of the seeds) lies inside
    (-margin, margin)."""
    d = _differences(d)
    idx = np.random.default_rng(seed).integers(0, d.size, size=(RESAMPLES, d.size))
    lo, hi = np.percentile(d[idx].mean(axis=1), [5.0, 95.0])
    return bool(-margin < lo and hi < margin)


def p_value(d) -> float:
    """Two-sided p-value of the paired t-test of mean(d) = 0 (1.0 when every d_s is equal
    to the mean: no evidence either way unless that mean is not 0, then 0.0)."""
    d = _differences(d)
    sd = float(d.std(ddof=1)) if d.size > 1 else 0.0
    if sd == 0.0:
        return 1.0 if float(d.mean()) == 0.0 else 0.0
    t = float(d.mean()) / (sd / np.sqrt(d.size))
    return float(2.0 * _scipy_stats.t.sf(abs(t), d.size - 1))


def holm(p_values, alpha: float = 0.05) -> np.ndarray:
    """Holm's step-down test: sort the m p-values increasingly; reject p_(k) while p_(k) <=
    alpha / (m - k + 1) (k = 1, ..., m), stop at the first that is not. Controls the
    family-wise error at ``alpha`` under any dependence. Returns the rejections in input
    order."""
    p = np.asarray(p_values, np.float64)
    order = np.argsort(p, kind="stable")
    reject = np.zeros(p.size, bool)
    for k, i in enumerate(order):
        if p[i] > alpha / (p.size - k):
            break
        reject[i] = True
    return reject
