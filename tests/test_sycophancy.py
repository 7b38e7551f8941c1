"""Experiment E2 as a library call: the closed forms against the first-order law, masking."""

import functools

import jax
import numpy as np
from sim.sycophancy import BETAS, make_sycophancy, variant_names

from experiments import sycophancy as e2
from experiments.runner import seed_keys

QUICK = e2.quick_config()


@functools.cache
def quick(variant):
    run, params, _ = make_sycophancy(QUICK, variant)
    return jax.device_get(run(seed_keys(0, 4), params)), run


def test_all_sycophancy_rates_share_one_program_and_give_finite_metrics():
    runs = {quick(v)[1] for v in variant_names()}
    assert len(runs) == 1 and next(iter(runs))._cache_size() == 1
    for v in variant_names():
        out, _ = quick(v)
        for name, values in out.items():
            assert values.shape == (4, len(BETAS)) and np.all(np.isfinite(values)), (v, name)


def test_tilt_follows_the_first_order_law_at_small_beta_and_starts_at_the_prior():
    """Shapira et al.: S(pi*_beta) = S(pi0) + beta Cov + O(beta^2); beta = 0 is the prior."""
    for v in variant_names():
        out, _ = quick(v)
        np.testing.assert_allclose(out["tilt_sycophancy_rate"][:, 0],
                                   out["first_order_sycophancy_rate"][:, 0], atol=1e-6)
        assert np.all(np.abs(out["tilt_kl_to_prior"][:, 0]) < 1e-5)
        gap = np.abs(out["tilt_sycophancy_rate"][:, 1] - out["first_order_sycophancy_rate"][:, 1])
        assert np.all(gap < 0.02)  # beta = 0.25


def test_more_sycophantic_annotators_make_the_tilted_policy_more_sycophantic():
    """The claim (sec. 3.1) at the largest tilt: S rises with s_syc, seed by seed on average."""
    low, _ = quick("syc_0")
    high, _ = quick("syc_50")
    assert high["tilt_sycophancy_rate"][:, -1].mean() > low["tilt_sycophancy_rate"][:, -1].mean() + 0.3


def test_masked_prior_does_not_depend_on_the_preference_annotators():
    """The constraint side never sees comparisons: its policy is the same for every s_syc."""
    first, _ = quick(variant_names()[0])
    for v in variant_names()[1:]:
        out, _ = quick(v)
        for m in ("mask_sycophancy_rate", "mask_violation_rate", "nsr_violation_rate"):
            np.testing.assert_array_equal(out[m], first[m])
