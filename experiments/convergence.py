"""E1, ``convergence``: constraints contract monotonically and converge; preferences drift.

Paper section 4 (the convergence argument). Both learners get the same label
budget in the same worlds; see :mod:`sim.convergence` for the variants.

    python -m experiments convergence            # default: 2,000 labels, 64 seeds
    python -m experiments convergence --quick    # seconds
    python -m experiments convergence --seeds 128 --set world.coupling=0.9
"""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt

from sim import VARIANTS, ConvergenceConfig, WorldConfig, make_convergence

from .plotting import band, curves, save

NAME = "convergence"
CLAIM = "E1: constraints contract monotonically and converge; preferences drift (paper sec. 4)"
DEFAULT_SEEDS = 64
QUICK_SEEDS = 8


def default_config() -> ConvergenceConfig:
    return ConvergenceConfig()


def quick_config() -> ConvergenceConfig:
    return dataclasses.replace(ConvergenceConfig(), world=WorldConfig(responses=512), labels=200,
                               checkpoints=12, eval_contexts=4, eval_responses=64)


def variants(config: ConvergenceConfig) -> tuple[str, ...]:
    return VARIANTS


def build(config: ConvergenceConfig, variant: str):
    return make_convergence(config, variant)


STYLE = {
    "constraints": dict(color="black"),
    "preference_batch": dict(color="tab:red"),
    "preference_online": dict(color="tab:red", ls="--"),
    "control_batch": dict(color="tab:blue"),
    "control_online": dict(color="tab:blue", ls="--"),
}
LABEL = {
    "constraints": "constraint learner (feasible set $F_n$)",
    "preference_batch": "preference, {family}, batch MLE",
    "preference_online": "preference, {family}, online",
    "control_batch": "control: contextual, no surface bias, batch MLE",
    "control_online": "control: contextual, no surface bias, online",
}
PREFERENCES = VARIANTS[1:]


def plot(summary, config: ConvergenceConfig, stem):
    t = curves(summary)
    fig, axes = plt.subplots(3, 3, figsize=(12.5, 10.5), constrained_layout=True)
    (a, b, c), (d, e, f), (g, h, i) = axes

    band(a, t, "constraints", "feasible_fraction", dict(color="black"), "feasible fraction")
    band(a, t, "constraints", "unacceptable_share", dict(color="tab:orange"),
         "unacceptable share of $F_n$")
    band(a, t, "constraints", "acceptable_fraction", dict(color="gray", ls=":"),
         "acceptable fraction $|A|/N$ (truth)")
    a.set(title="(a) Constraint learner: contraction", ylabel="fraction of responses")
    a.legend(loc="center left")

    # (axis, metric, variants drawn, title, y label, extra axis settings)
    panels = (
        (b, "unacceptable_share", VARIANTS, "(b) Unacceptable share of what each admits\n"
         "($F_n$; top $q$ of the learned reward, $q = |A|/N$)", "share of admitted set", {}),
        (c, "regret_mean", VARIANTS, "(c) Mean regret of the admitted set",
         "$V^* - V$ (value units)", {"yscale": "log"}),
        (d, "kendall_tau_true", PREFERENCES, "(d) Kendall $\\tau_b$(r, V) on held-out contexts",
         "Kendall $\\tau_b$", {}),
        (e, "ranking_drift", PREFERENCES, "(e) Ranking drift between checkpoints",
         "share of pairs reversed", {}),
        (f, "top1_flips", PREFERENCES, "(f) Top-1 flips so far", "flips (mean over contexts)", {}),
        (g, "reopenings", VARIANTS, "(g) Re-openings so far (constraints: 0)",
         "responses (mean over contexts)", {}),
        (h, "surface_loading_endorse", PREFERENCES, "(h) Surface loading: endorsing the user",
         "$\\Delta r$ / sd(r)", {}),
        (i, "surface_loading_length", PREFERENCES, "(i) Surface loading: doubling the length",
         "$\\Delta r$ / sd(r)", {}),
    )
    for ax, metric, drawn, title, ylabel, extra in panels:
        for v in drawn:
            band(ax, t, v, metric, STYLE[v])
        if metric.startswith("surface_loading"):
            ax.axhline(0.0, color="gray", lw=0.8)
        ax.set(title=title, ylabel=ylabel, **extra)

    for ax in axes.flat:
        ax.set_xscale("log")
        ax.set_xlabel("labels (queries answered)")
        ax.grid(alpha=0.3, lw=0.5)
    family = config.learner.family
    handles = [plt.Line2D([], [], lw=1.8, **STYLE[v]) for v in VARIANTS]
    fig.legend(handles, [LABEL[v].format(family=family) for v in VARIANTS], loc="outside lower center",
               ncol=3, frameon=False)
    w = config.world
    fig.suptitle(
        f"E1 convergence: N = {w.responses}, d = {w.latent_dims}, T = {w.prohibitions}, "
        f"$\\kappa$ = {w.coupling:g}, $s_{{syc}}$ = {config.annotator.sycophancy:g}, "
        f"$s_{{len}}$ = {config.annotator.length_bias:g}; mean and 95% bootstrap band over "
        f"{summary[0][-1]} seeds", fontsize=10)
    save(fig, stem)
