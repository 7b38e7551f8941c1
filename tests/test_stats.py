"""The ledger's statistics (experiments.stats): the paired t p-value against SciPy's test,
Holm's step-down procedure against its definition, and two one-sided tests (TOST) against
the 90% band they are equivalent to."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from experiments import stats


def test_p_value_is_the_paired_t_tests():
    """p of mean(d) = 0 equals scipy.stats.ttest_1samp's two-sided p (float64)."""
    rng = np.random.default_rng(0)
    for mean in (0.0, 0.1, -0.3):
        d = rng.normal(mean, 1.0, 64)
        assert stats.p_value(d) == pytest.approx(scipy_stats.ttest_1samp(d, 0.0).pvalue,
                                                 rel=1e-10)


def test_p_value_of_constant_differences():
    """No spread: p is 1 for a zero difference and 0 for any other (no NaN)."""
    assert stats.p_value(np.zeros(8)) == 1.0 and stats.p_value(np.full(8, 0.1)) == 0.0


def test_holm_on_a_worked_example():
    """Holm (1979): p = (0.01, 0.04, 0.03, 0.005) at 5%: the sorted thresholds are 0.0125,
    0.0167, 0.025, 0.05; 0.005 and 0.01 pass, 0.03 > 0.025 stops the procedure."""
    assert stats.holm([0.01, 0.04, 0.03, 0.005]).tolist() == [True, False, False, True]


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30))
def test_holm_rejects_a_subset_of_uncorrected_and_a_superset_of_bonferroni(p):
    """Holm's correction lies between Bonferroni's (p <= alpha / m) and none (p <= alpha),
    and it rejects the smallest p-values first (monotone)."""
    p = np.asarray(p)
    reject = stats.holm(p)
    assert np.all(reject <= (p <= 0.05)) and np.all((p <= 0.05 / p.size) <= reject)
    if reject.any() and (~reject).any():
        assert p[reject].max() <= p[~reject].min()


def test_tost_is_the_90_band_inside_the_margin():
    """Equivalent within +-margin exactly when the 5th and 95th bootstrap percentiles of
    mean(d) lie inside (-margin, margin): a small spread around 0 is; a shifted or a wide one
    is not, at the same margin."""
    rng = np.random.default_rng(1)
    assert stats.equivalent(rng.normal(0.0, 0.01, 64), 0.01)
    assert not stats.equivalent(rng.normal(0.009, 0.01, 64), 0.01)
    assert not stats.equivalent(rng.normal(0.0, 0.2, 64), 0.01)
    assert stats.equivalent(rng.normal(0.0, 0.2, 64), 0.2)
