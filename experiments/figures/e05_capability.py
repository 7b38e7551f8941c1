"""Figure of E5, ``capability`` (:mod:`sim.specs.e05_capability`): the section 5 signature.

    python -m experiments capability              # default: 64 seeds, both variants
    python -m experiments capability --quick
    python -m experiments capability --variant control

Panels (a) to (d): length, density, sycophancy and violation rate of each
regime's policy against the label budget (the capability tier). Panel (e):
Spearman's rho between tier and length, density and sycophancy, per regime,
with the paper's predicted sign shaded, for both variants. Panel (f): the
second capability axis, the prior's quality with no feedback.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .plotting import band, save

REGIMES = (("mask", "mask by rule learner $F_n$ (oracle: upper bound)", dict(color="black")),
           ("named_mask", "mask by named-rule learner (rules learned)", dict(color="tab:brown")),
           ("cost_mask", "mask by cost model", dict(color="gray")),
           ("tilt", "tilt by reward model", dict(color="tab:red")),
           ("best_of_n", "best-of-n by reward model", dict(color="tab:orange")),
           ("dpo", "DPO on comparisons", dict(color="tab:purple")),
           ("mask_then_tilt", "hybrid: mask, then tilt", dict(color="tab:blue")),
           ("constrained_tilt", "hybrid: constrained tilt", dict(color="tab:green")))
PANELS = (("mean_length", "(a) Length", "mean length $E_\\pi$ L (tokens)"),
          ("density", "(b) Information density", "density $E_\\pi$ claims/L (claims per token)"),
          ("sycophancy_rate", "(c) Sycophancy", "sycophancy rate S($\\pi$)"),
          ("violation_rate", "(d) Violations", "violation rate $\\pi(\\neg A)$"))
TRENDS = (("mean_length", "length", -1, "tab:brown"), ("density", "density", +1, "tab:cyan"),
          ("sycophancy_rate", "sycophancy", -1, "tab:pink"))


def _trend_panel(ax, summary):
    rows = [(v, name, label) for v in summary.variants for name, label, _ in REGIMES
            if summary.has(f"{name}_trend", "spearman_density", v)]
    ys = np.arange(len(rows))[::-1]
    for k, (metric, label, sign, color) in enumerate(TRENDS):
        for y, (v, name, _) in zip(ys, rows):
            c = summary.curve(f"{name}_trend", f"spearman_{metric}", v)
            off = (k - 1) * 0.22
            ax.errorbar(c.mean[0], y + off, xerr=[[c.mean[0] - c.lo[0]], [c.hi[0] - c.mean[0]]],
                        fmt="o", ms=3.5, color=color, lw=1.2,
                        label=f"{label} (paper: {'+' if sign > 0 else '-'})" if y == ys[0] else None)
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_yticks(ys, [f"{label}" + ("" if v == "default" else f" [{v}]") for v, _, label in rows],
                  fontsize=7.5)
    ax.set(xlim=(-1.05, 1.05), xlabel="Spearman $\\rho$(tier, metric), mean over seeds",
           title="(e) The prediction as a number (95% CI)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=7.5,
              frameon=False)
    ax.grid(alpha=0.3, lw=0.5, axis="x")


def _prior_panel(ax, summary):
    twin = ax.twinx()
    for metric, axis, style, label in (
            ("sycophancy_rate", ax, dict(color="tab:pink"), "sycophancy rate (left)"),
            ("violation_rate", ax, dict(color="black", ls="--"), "violation rate (left)"),
            ("mean_length", twin, dict(color="tab:brown", ls=":"), "mean length, tokens (right)")):
        band(axis, summary, "prior", metric, style, label=label)
    ax.set(xlabel="prior quality a = policy.prior_value_weight (no feedback)",
           ylabel="rate", title="(f) Second axis: a better prior, no feedback")
    twin.set_ylabel("mean length (tokens)")
    lines = ax.get_legend_handles_labels(), twin.get_legend_handles_labels()
    ax.legend(lines[0][0] + lines[1][0], lines[0][1] + lines[1][1], loc="best", fontsize=7.5)
    ax.grid(alpha=0.3, lw=0.5)


def plot(summary, config, stem):
    fig, axes = plt.subplots(2, 3, figsize=(15, 9.2), constrained_layout=True)
    variant = "default" if "default" in summary.variants else summary.variants[0]
    for ax, (metric, title, ylabel) in zip(axes.flat, PANELS):
        for name, label, style in REGIMES:
            band(ax, summary, name, metric, style, label=label, variant=variant)
        ax.set(xscale="log", xlabel="capability tier: label budget n (labels)", ylabel=ylabel,
               title=title)
        ax.grid(alpha=0.3, lw=0.5)
    axes[0, 0].legend(loc="best", fontsize=7.5)
    _trend_panel(axes[1, 1], summary)
    _prior_panel(axes[1, 2], summary)
    w = config.world
    fig.suptitle(
        f"E5 capability as negative knowledge [{variant}]: N = {w.responses}, T = {w.prohibitions}, "
        f"padding floor {w.padding_floor:g},\n{100 * config.annotator.sycophancy:g}% sycophantic "
        f"and {100 * config.annotator.length_bias:g}% length-loving annotators, "
        f"{config.contexts} contexts, $\\beta$ = {config.beta:g}; hybrids spend n/2 of each signal; "
        f"mean and 95% bootstrap band over {summary.n_seeds} seeds", fontsize=10)
    save(fig, stem)
