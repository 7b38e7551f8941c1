"""Experiment E4 as a library call: shapes, the weight ratio, one program for all KTO shares."""

import jax
import numpy as np

from experiments import loss_aversion as e4
from experiments.runner import seed_keys
from sim.loss_aversion import RATIOS, make_loss_aversion, variant_names

QUICK = e4.quick_config()


def test_kto_shares_share_one_compiled_program_and_report_finite_metrics():
    runs = set()
    for v in variant_names():
        run, params, steps = make_loss_aversion(QUICK, v)
        out = jax.device_get(run(seed_keys(0, 3), params))
        runs.add(run)
        assert steps == tuple(range(len(RATIOS)))
        for name, values in out.items():
            assert values.shape == (3, len(RATIOS)) and np.all(np.isfinite(values)), (v, name)
        if v.startswith("kto"):
            # weight_ratio = lambda_D n_D / (lambda_U n_U) grows linearly in lambda_D
            ratio = out["weight_ratio"] / np.asarray(RATIOS)[None]
            np.testing.assert_allclose(ratio, np.repeat(ratio[:, :1], len(RATIOS), 1), rtol=1e-5)
            share = int(v.rsplit("_", 1)[1]) / 100
            assert abs(np.mean(ratio) - share / (1 - share)) < 0.35 * share / (1 - share) + 0.05
    assert len(runs) == 2  # dpo, and one program for every KTO share
    assert make_loss_aversion(QUICK, "kto_desirable_10")[0]._cache_size() == 1
