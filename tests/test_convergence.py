"""Experiment E1 as a library call: the claims, the contrast, determinism, no recompiles."""

import dataclasses
import functools

import jax
import numpy as np
import pytest

from experiments import convergence as e1
from experiments.runner import seed_keys
from sim import VARIANTS, ConvergenceConfig, WorldConfig, checkpoint_steps, make_convergence, split
from sim.convergence import _compiled, _constraint_run, _preference_run, variant_config

QUICK = e1.quick_config()
SEEDS = e1.QUICK_SEEDS


@functools.cache
def quick_results(variant):
    run, params, steps = make_convergence(QUICK, variant)
    return jax.device_get(run(seed_keys(0, SEEDS), params)), steps


def test_constraint_learner_contracts_monotonically_in_every_seed_and_never_reopens():
    """Claim E1 (paper sec. 4): F_n shrinks monotonically, no response re-opens, and the
    unacceptable share of F_n falls to 0 within the budget."""
    out, steps = quick_results("constraints")
    assert steps[0] == 0 and np.all(out["feasible_fraction"][:, 0] == 1.0)
    assert np.all(np.diff(out["feasible_fraction"], axis=1) <= 0)
    assert np.all(out["reopenings"] == 0)
    assert np.all(out["false_exclusion"] == 0)  # no false flags by default
    assert np.all(out["unacceptable_share"][:, -1] == 0)
    np.testing.assert_allclose(out["feasible_fraction"][:, -1], out["acceptable_fraction"][:, -1])


@pytest.mark.parametrize("variant", VARIANTS[1:])
def test_preference_learners_reopen_and_flip_as_comparisons_arrive(variant):
    """The contrast (paper sec. 4): a preference learner's admitted set is not nested;
    responses leave and come back and its top-1 changes as labels arrive."""
    out, _ = quick_results(variant)
    assert np.all(out["reopenings"][:, -1] > 0)
    assert np.all(out["top1_flips"][:, -1] > 0)
    assert np.all(np.diff(out["reopenings"], axis=1) >= 0)  # counted so far


def test_well_specified_control_learns_the_ranking_and_the_misspecified_one_does_not():
    control, _ = quick_results("control_batch")
    default, _ = quick_results("preference_batch")
    assert control["kendall_tau_true"][:, -1].mean() > default["kendall_tau_true"][:, -1].mean() + 0.2


def test_every_metric_is_finite_and_has_one_value_per_seed_and_checkpoint():
    for v in VARIANTS:
        out, steps = quick_results(v)
        for name, values in out.items():
            assert values.shape == (SEEDS, len(steps)), name
            assert np.all(np.isfinite(values)), (v, name)


def test_same_seed_gives_bitwise_identical_results():
    for v in ("constraints", "preference_online"):
        run, params, _ = make_convergence(QUICK, v)
        a = jax.device_get(run(seed_keys(0, SEEDS), params))
        b = jax.device_get(run(seed_keys(0, SEEDS), params))
        c = jax.device_get(run(seed_keys(1, SEEDS), params))
        for name in a:
            assert np.array_equal(a[name], b[name]), name
        assert any(not np.array_equal(a[n], c[n]) for n in a)


def test_new_seeds_and_new_sweep_values_do_not_recompile():
    """Swept numbers travel as arrays: one compiled program per variant and shape."""
    for v in ("constraints", "preference_batch"):
        run, params, _ = make_convergence(QUICK, v)
        run(seed_keys(0, SEEDS), params)
        size = run._cache_size()
        for cfg in (dataclasses.replace(QUICK, world=dataclasses.replace(QUICK.world, coupling=0.9)),
                    dataclasses.replace(QUICK, annotator=dataclasses.replace(
                        QUICK.annotator, sycophancy=0.45, miss=0.2, false_flag=0.1))):
            run2, params2, _ = make_convergence(cfg, v)
            assert run2 is run
            run2(seed_keys(5, SEEDS), params2)
        assert run._cache_size() == size == 1


TINY = ConvergenceConfig(world=WorldConfig(responses=32, prohibitions=5, prohibition_mass=0.1),
                         labels=6, checkpoints=3, eval_contexts=2, eval_responses=8)


@pytest.mark.parametrize("variant", ["constraints", "control_batch"])
def test_jitted_and_unjitted_runs_agree(variant):
    static, params = split(variant_config(TINY, variant))
    fn = _constraint_run if variant == "constraints" else _preference_run
    keys = seed_keys(3, 2)
    jitted = jax.device_get(_compiled(static, variant)(keys, params))
    with jax.disable_jit():  # op by op, one seed at a time
        plain = jax.device_get(fn(keys[1], params, static))
    for name in jitted:
        np.testing.assert_allclose(jitted[name][1], plain[name], rtol=1e-4, atol=1e-4,
                                   err_msg=name)


def test_checkpoints_start_at_zero_and_end_at_the_budget():
    steps = checkpoint_steps(2000, 20)
    assert steps[0] == 0 and steps[-1] == 2000 and list(steps) == sorted(set(steps))
