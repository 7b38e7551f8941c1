"""Figure of E1, ``convergence`` (:mod:`sim.specs.e01_convergence`): contraction against drift.

    python -m experiments convergence            # default: 2,000 labels, 64 seeds
    python -m experiments convergence --quick    # seconds
    python -m experiments convergence --seeds 128 --set world.coupling=0.9
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from .plotting import band, save

STYLE = {
    "rule": dict(color="black"),
    "batch": dict(color="tab:red"),
    "online": dict(color="tab:red", ls="--"),
    "control_batch": dict(color="tab:blue"),
    "control_online": dict(color="tab:blue", ls="--"),
}
LABEL = {
    "rule": "rule learner (feasible set $F_n$)",
    "batch": "reward model, {family}, batch MLE",
    "online": "reward model, {family}, online",
    "control_batch": "control: contextual, no surface bias, batch MLE",
    "control_online": "control: contextual, no surface bias, online",
}
METHOD = {"rule": "rule"}  # every other variant runs the reward model


def _draw(ax, summary, variant, metric, style, label=None):
    return band(ax, summary, METHOD.get(variant, "reward_model"), metric, style, label,
                variant=variant, min_x=1)


def plot(summary, config, stem):
    variants = [v for v in STYLE if v in summary.variants]
    rewards = [v for v in variants if v != "rule"]
    fig, axes = plt.subplots(3, 3, figsize=(12.5, 10.5), constrained_layout=True)
    (a, b, c), (d, e, f), (g, h, i) = axes

    _draw(a, summary, "rule", "feasible_fraction", dict(color="black"), "feasible fraction")
    _draw(a, summary, "rule", "unacceptable_share", dict(color="tab:orange"),
          "unacceptable share of $F_n$")
    _draw(a, summary, "rule", "acceptable_fraction", dict(color="gray", ls=":"),
          "acceptable fraction $|A|/N$ (truth)")
    a.set(title="(a) Rule learner: contraction", ylabel="fraction of responses")
    a.legend(loc="center left")

    # (axis, metric, variants drawn, title, y label, extra axis settings)
    panels = (
        (b, "unacceptable_share", variants, "(b) Unacceptable share of what each admits\n"
         "($F_n$; top $q$ of the learned reward, $q = |A|/N$)", "share of admitted set", {}),
        (c, "regret_mean", variants, "(c) Mean regret of the admitted set",
         "$V^* - V$ (value units)", {"yscale": "log"}),
        (d, "kendall_tau_true", rewards, "(d) Kendall $\\tau_b$(r, V) on held-out contexts",
         "Kendall $\\tau_b$", {}),
        (e, "ranking_drift", rewards, "(e) Ranking drift between checkpoints",
         "share of pairs reversed", {}),
        (f, "top1_flips", rewards, "(f) Top-1 flips so far", "flips (mean over contexts)", {}),
        (g, "reopenings", variants, "(g) Re-openings so far (rule learner: 0)",
         "responses (mean over contexts)", {}),
        (h, "surface_loading_endorse", rewards, "(h) Surface loading: endorsing the user",
         "$\\Delta r$ / sd(r)", {}),
        (i, "surface_loading_length", rewards, "(i) Surface loading: doubling the length",
         "$\\Delta r$ / sd(r)", {}),
    )
    for ax, metric, drawn, title, ylabel, extra in panels:
        for v in drawn:
            _draw(ax, summary, v, metric, STYLE[v])
        if metric.startswith("surface_loading"):
            ax.axhline(0.0, color="gray", lw=0.8)
        ax.set(title=title, ylabel=ylabel, **extra)

    for ax in axes.flat:
        ax.set_xscale("log")
        ax.set_xlabel("labels (queries answered)")
        ax.grid(alpha=0.3, lw=0.5)
    family = config.learner.family
    handles = [plt.Line2D([], [], lw=1.8, **STYLE[v]) for v in variants]
    fig.legend(handles, [LABEL[v].format(family=family) for v in variants], loc="outside lower center",
               ncol=3, frameon=False)
    w = config.world
    fig.suptitle(
        f"E1 convergence: N = {w.responses}, d = {w.latent_dims}, T = {w.prohibitions}, "
        f"$\\kappa$ = {w.coupling:g}, $s_{{syc}}$ = {config.annotator.sycophancy:g}, "
        f"$s_{{len}}$ = {config.annotator.length_bias:g}; mean and 95% bootstrap band over "
        f"{summary.n_seeds} seeds", fontsize=10)
    save(fig, stem)
