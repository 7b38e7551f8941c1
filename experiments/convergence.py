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

    for v in VARIANTS:
        band(b, t, v, "unacceptable_share", STYLE[v])
    b.set(title="(b) Unacceptable share of what each admits\n"
                "($F_n$; top $q$ of the learned reward, $q = |A|/N$)",
          ylabel="share of admitted set")

    for v in VARIANTS:
        band(c, t, v, "regret_mean", STYLE[v])
    c.set(title="(c) Mean regret of the admitted set", ylabel="$V^* - V$ (value units)",
          yscale="log")

    for v in PREFERENCES:
        band(d, t, v, "kendall_tau_true", STYLE[v])
    d.set(title="(d) Kendall $\\tau_b$(r, V) on held-out contexts", ylabel="Kendall $\\tau_b$")

    for v in PREFERENCES:
        band(e, t, v, "ranking_drift", STYLE[v])
    e.set(title="(e) Ranking drift between checkpoints",
          ylabel="share of pairs reversed")

    for v in PREFERENCES:
        band(f, t, v, "top1_flips", STYLE[v])
    f.set(title="(f) Top-1 flips so far", ylabel="flips (mean over contexts)")

    for v in VARIANTS:
        band(g, t, v, "reopenings", STYLE[v])
    g.set(title="(g) Re-openings so far (constraints: 0)",
          ylabel="responses (mean over contexts)")

    for v in PREFERENCES:
        band(h, t, v, "surface_loading_endorse", STYLE[v])
    h.axhline(0.0, color="gray", lw=0.8)
    h.set(title="(h) Surface loading: endorsing the user", ylabel="$\\Delta r$ / sd(r)")

    for v in PREFERENCES:
        band(i, t, v, "surface_loading_length", STYLE[v])
    i.axhline(0.0, color="gray", lw=0.8)
    i.set(title="(i) Surface loading: doubling the length", ylabel="$\\Delta r$ / sd(r)")

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
