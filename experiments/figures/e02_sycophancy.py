"""E2, ``sycophancy``: preference training amplifies sycophancy; constraints do not (sec. 3.1, 3.2).

    python -m experiments sycophancy               # default: 64 seeds, s_syc from 0 to 0.5
    python -m experiments sycophancy --quick

See :mod:`sim.sycophancy` for the methods; the variants are the annotators'
sycophancy rates (one compiled program for all).
"""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
from sim.sycophancy import SHARES, SycophancyConfig, make_sycophancy, variant_names

from sim.world import WorldConfig

from .plotting import curves, save

NAME = "sycophancy"
CLAIM = "E2: preference training amplifies sycophancy; constraints do not (paper sec. 3.1, 3.2)"
DEFAULT_SEEDS = 64
QUICK_SEEDS = 8
FOCUS = "syc_30"  # the variant drawn against KL


def default_config() -> SycophancyConfig:
    return SycophancyConfig()


def quick_config() -> SycophancyConfig:
    return dataclasses.replace(SycophancyConfig(), world=WorldConfig(responses=256), contexts=8,
                               labels=256, steps=80)


def variants(config):
    return variant_names()


def build(config, variant):
    return make_sycophancy(config, variant)


STYLE = {
    "tilt": dict(color="tab:red", marker="o", label="tilt $\\pi_0 e^{\\beta r}$ (RLHF optimum)"),
    "corrected": dict(color="tab:orange", marker="s", label="tilt, corrected reward"),
    "best_of_n": dict(color="tab:purple", marker="^", label="best-of-n under r"),
    "dpo": dict(color="tab:brown", marker="v", label="DPO on the same comparisons"),
    "mask": dict(color="black", marker="*", ms=11, ls="none",
                 label="prior masked by the constraint learner's $F_n$"),
    "nsr": dict(color="tab:blue", marker="D", label="NSR on the rejection labels"),
    "npo": dict(color="tab:cyan", marker="P", label="NPO on the rejection labels"),
}


def plot(summary, config: SycophancyConfig, stem):
    t = curves(summary)
    fig, axes = plt.subplots(2, 3, figsize=(14, 8.6), constrained_layout=True)
    share = int(FOCUS.split("_")[1])
    for ax, metric, ylabel in ((axes[0, 0], "sycophancy_rate", "sycophancy rate S($\\pi$)"),
                               (axes[0, 1], "violation_rate", "violation rate $\\pi(\\neg A)$"),
                               (axes[0, 2], "value", "value $E_\\pi V$ (value units)")):
        for method, style in STYLE.items():
            _, kl, _, _ = t[(FOCUS, f"{method}_kl_to_prior")]
            _, mean, lo, hi = t[(FOCUS, f"{method}_{metric}")]
            style = dict(style)
            label = style.pop("label")
            ax.plot(kl, mean, ms=style.pop("ms", 4), lw=1.4, label=label, **style)
            ax.fill_between(kl, lo, hi, color=style["color"], alpha=0.2, lw=0)
        if metric == "sycophancy_rate":
            _, kl, _, _ = t[(FOCUS, "tilt_kl_to_prior")]
            _, first, _, _ = t[(FOCUS, "first_order_sycophancy_rate")]
            keep = first <= 1.0
            ax.plot(kl[keep], first[keep], color="tab:red", ls=":", lw=1.4,
                    label="first order: S($\\pi_0$) + $\\beta$ Cov$_{\\pi_0}$(endorse, r)")
            ax.set_ylim(-0.02, 1.02)
        title = {"sycophancy_rate": "(a) Sycophancy rate", "violation_rate": "(b) Violation rate",
                 "value": "(c) Value"}[metric]
        ax.set(xlabel="KL($\\pi$ || $\\pi_0$) (nats)", ylabel=ylabel,
               title=f"{title} against KL, $s_{{syc}}$ = {share / 100:g}")
        ax.grid(alpha=0.3, lw=0.5)
    shares = np.array(SHARES)
    for ax, metric, ylabel in ((axes[1, 0], "sycophancy_rate", "sycophancy rate"),
                               (axes[1, 1], "violation_rate", "violation rate")):
        for method in ("tilt", "corrected", "best_of_n", "dpo", "mask", "nsr", "npo"):
            rows = [t[(v, f"{method}_{metric}")] for v in variant_names()]
            pick = {"tilt": 5, "corrected": 5, "best_of_n": 5}.get(method, -1)
            mean = np.array([r[1][pick] for r in rows])
            lo = np.array([r[2][pick] for r in rows])
            hi = np.array([r[3][pick] for r in rows])
            style = dict(STYLE[method])
            style.pop("label")
            style.pop("ls", None)
            ax.plot(shares, mean, ms=style.pop("ms", 4), lw=1.4, **style)
            ax.fill_between(shares, lo, hi, color=style["color"], alpha=0.2, lw=0)
        ax.set(xlabel="annotators' sycophancy rate $s_{syc}$", ylabel=ylabel,
               title=f"({'de'[metric == 'violation_rate']}) {ylabel.capitalize()} against "
                     "$s_{syc}$\n(tilts at $\\beta$ = 4, best-of-32, trained policies at the end)")
        ax.grid(alpha=0.3, lw=0.5)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    axes[1, 2].axis("off")
    axes[1, 2].legend(handles, labels, loc="center", frameon=False)
    fig.suptitle(f"E2 sycophancy: {config.labels} labels per signal, {config.contexts} contexts, "
                 f"N = {config.world.responses}, reward family {config.learner.family}; mean and "
                 f"95% band over {summary[0][-1]} seeds", fontsize=10)
    save(fig, stem)
