"""E2 (paper sec. 3.1, 3.2) as a library call: preference training amplifies sycophancy (the
tilts against Shapira et al.'s first-order law), constraints do not (the rule learner's mask
never sees the comparisons), every annotator sycophancy rate in one program."""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sim.config import split
from sim.constraints import feasible_sets, learn_constraints
from sim.keys import seed_keys, streams
from sim.labels import collect_rejections
from sim.policies import mask
from sim.spec import TRACES, registry, run_configs
from sim.specs.setting import policy_setting, setting_metrics
from sim.world import WorldConfig

SPEC = registry()["sycophancy"]
SHARES = dict(SPEC.sweep)["annotator.sycophancy"]      # 0, 0.1, ..., 0.4
SEEDS = 4
METHODS = {"tilt", "first_order", "corrected", "best_of_n", "dpo", "nsr", "npo", "mask",
           "named_mask", "cost_mask", "constrained_tilt", "rbr_tilt"}
METRICS = {"sycophancy_rate", "sycophancy_gap", "violation_rate", "value", "kl_to_prior"}
# Small enough to run in seconds after one compile, large enough for the claims.
SMALL = dataclasses.replace(SPEC.quick(), world=WorldConfig(responses=128), labels=256, steps=8,
                            checkpoints=2, betas=(0.0, 0.05, 0.25, 16.0), best_of=(1, 32))


def _configs(config, shares):
    return [dataclasses.replace(config, annotator=dataclasses.replace(config.annotator,
                                                                      sycophancy=s))
            for s in shares]


@functools.cache
def results():
    """Outputs at every share of :data:`SHARES` (leading axis), and the traces it took."""
    before = TRACES[SPEC.name]
    out = jax.device_get(run_configs(SPEC, _configs(SMALL, SHARES), seed_keys(0, SEEDS)))
    return out, TRACES[SPEC.name] - before


@pytest.mark.slow
def test_e2_outputs_follow_the_axes_are_finite_and_share_one_program():
    out, traces = results()
    assert traces == 1                     # six sycophancy rates, four seeds: one trace
    axes = SPEC.axes(SMALL)
    assert set(out) == METHODS and set(axes) == METHODS - {"mask", "named_mask", "cost_mask"}
    assert axes["dpo"] == ("training_step", (0, 4, 8)) and axes["best_of_n"] == ("n", (1, 32))
    for method, metrics in out.items():
        assert set(metrics) == ({"sycophancy_rate"} if method == "first_order" else METRICS)
        xs = axes.get(method, ("none", ()))[1]
        for name, values in metrics.items():
            shape = (len(SHARES), SEEDS) + ((len(xs),) if xs else ())
            assert values.shape == shape and np.all(np.isfinite(values)), (method, name)


def test_e2_tilt_starts_at_the_prior_and_follows_the_first_order_law_at_small_beta():
    """Shapira et al.: S(pi*_beta) = S(pi0) + beta Cov_pi0(endorses, r) + O(beta^2); beta = 0
    and step 0 of every trained policy are the prior."""
    out, _ = results()
    tilt, first = out["tilt"]["sycophancy_rate"], out["first_order"]["sycophancy_rate"]
    np.testing.assert_allclose(tilt[..., 0], first[..., 0], atol=1e-6)
    assert np.all(np.abs(out["tilt"]["kl_to_prior"][..., 0]) < 1e-5)
    for method in ("dpo", "nsr", "npo"):
        np.testing.assert_allclose(out[method]["sycophancy_rate"][..., 0], tilt[..., 0], atol=1e-6)
    gap_small = np.abs(tilt[..., 1] - first[..., 1])           # beta = 0.05
    gap = np.abs(tilt[..., 2] - first[..., 2])                 # beta = 0.25
    assert np.all(gap_small < 2e-3) and np.all(gap < 0.02)
    assert gap_small.mean() < gap.mean()                       # second order: shrinks with beta


def test_e2_more_sycophantic_annotators_make_the_tilted_policy_more_sycophantic():
    """The claim (sec. 3.1) at the largest beta: S rises with s_syc, on average over seeds."""
    out, _ = results()
    s = out["tilt"]["sycophancy_rate"][:, :, -1].mean(axis=1)   # (shares,)
    assert s[-1] > s[0] + 0.3
    assert np.all(np.diff(s[[0, 2, 4]]) > 0)                    # s_syc = 0, 0.2, 0.4


def test_e2_the_mask_does_not_depend_on_the_annotators_sycophancy():
    """Constraints do not (sec. 3.2): the rejection side never sees comparisons, so the mask,
    NSR and NPO are bitwise the same at every s_syc, while the tilt is not."""
    out, _ = results()
    for method in ("mask", "nsr", "npo"):
        for name, values in out[method].items():
            for p in range(1, len(SHARES)):
                np.testing.assert_array_equal(values[p], values[0], err_msg=f"{method}/{name}")
    assert not np.array_equal(out["tilt"]["sycophancy_rate"][0], out["tilt"]["sycophancy_rate"][-1])


def test_e2_the_mask_is_the_prior_restricted_to_the_rule_learners_feasible_set():
    """Recomputed for one seed straight from sim.constraints: pi0 restricted to F_n(c), the
    feasible set after all n rejection labels (same streams as the spec)."""
    out, _ = results()
    static, params = split(_configs(SMALL, SHARES)[0])

    @jax.jit
    def masked_prior(key):
        k_setting, _, k_rejections, _ = streams(key, "setting", "comparisons", "rejections",
                                                "training")
        setting = policy_setting(k_setting, params, static, static.contexts)
        rejections = collect_rejections(k_rejections, setting.world, params.annotator,
                                        static.annotator, static.labels, pool=setting.contexts)
        trace = learn_constraints(rejections, setting.world)
        feasible = feasible_sets(trace, setting.world, jnp.asarray([static.labels], jnp.int32),
                                 setting.contexts.belief_true)[0]
        return feasible, setting_metrics(setting, mask(setting.logp0, feasible))

    feasible, expected = jax.device_get(masked_prior(seed_keys(0, SEEDS)[1]))
    assert feasible.any(axis=1).all() and not feasible.all()
    for name, value in expected.items():
        np.testing.assert_allclose(out["mask"][name][0, 1], value, rtol=1e-5, atol=1e-6,
                                   err_msg=name)
    # no false flags by default: the mask removes what the learner saw was wrong
    assert np.all(out["mask"]["sycophancy_rate"] < out["tilt"]["sycophancy_rate"][..., 0])


def test_rbr_hinge_fit_penalises_the_known_rule_the_comparisons_punish():
    """Mu et al.'s hinge over ordered pairs: when losers violate known rule 0 and the learned
    reward cannot tell them apart, the fitted weight on rule 0 is negative and R = r + w . phi
    ranks every winner above its loser by the margin; an unused rule keeps weight 0."""
    from sim.hybrids import fit_rbr_weights, rbr_hinge_loss, rbr_reward
    n = 50
    r = jnp.zeros((n,))
    phi_win = jnp.zeros((n, 3))
    phi_lose = jnp.zeros((n, 3)).at[:, 0].set(1.0)
    target = jnp.where(jnp.arange(n) % 2 == 0, 1.0, 0.0)  # winner first on even rows
    first = jnp.where(target[:, None] > 0.5, phi_win, phi_lose)
    second = jnp.where(target[:, None] > 0.5, phi_lose, phi_win)
    w = fit_rbr_weights(r, r, first, second, target, jnp.ones((n,)), iters=400)
    assert float(w[0]) < -0.9 and abs(float(w[1])) < 1e-6 and abs(float(w[2])) < 1e-6
    gap = rbr_reward(r, phi_win, w) - rbr_reward(r, phi_lose, w)
    assert bool(jnp.all(gap >= 0.99))
    assert float(rbr_hinge_loss(w, r, r, phi_win, phi_lose, jnp.ones((n,)), 1.0)) < 0.02
