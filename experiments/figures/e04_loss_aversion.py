"""E4, ``loss_aversion``: loss-averse weighting suits unpaired labels (paper sec. 3.4).

    python -m experiments loss_aversion              # default: 64 seeds
    python -m experiments loss_aversion --quick

KTO on unpaired desirable / undesirable labels against DPO on the same number
of preference pairs, sweeping lambda_D / lambda_U and the share of desirable
labels; see :mod:`sim.loss_aversion`.
"""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt

from sim.loss_aversion import SHARES, LossAversionConfig, make_loss_aversion, variant_names
from sim.world import WorldConfig

from .plotting import curves, save

NAME = "loss_aversion"
CLAIM = "E4: loss-averse weighting suits unpaired labels (paper sec. 3.4)"
DEFAULT_SEEDS = 64
QUICK_SEEDS = 8


def default_config() -> LossAversionConfig:
    return LossAversionConfig()


def quick_config() -> LossAversionConfig:
    return dataclasses.replace(LossAversionConfig(), world=WorldConfig(responses=256), contexts=8,
                               labels=256, steps=100)


def variants(config):
    return variant_names()


def build(config, variant):
    return make_loss_aversion(config, variant)


COLORS = dict(zip([f"kto_desirable_{round(100 * s)}" for s in SHARES],
                  ["tab:red", "tab:orange", "tab:green", "tab:blue"]))


def plot(summary, config: LossAversionConfig, stem):
    t = curves(summary)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.8), constrained_layout=True)
    for ax, metric, ylabel in ((axes[0], "violation_rate", "violation rate $\\pi(\\neg A)$"),
                               (axes[1], "value", "value $E_\\pi V$ (value units)"),
                               (axes[2], "kl_to_prior", "KL($\\pi$ || $\\pi_0$) (nats)")):
        for v, color in COLORS.items():
            _, ratio, _, _ = t[(v, "weight_ratio")]
            _, mean, lo, hi = t[(v, metric)]
            share = int(v.rsplit("_", 1)[1])
            ax.plot(ratio, mean, marker="o", ms=3, color=color, label=f"KTO, {share}% desirable")
            ax.fill_between(ratio, lo, hi, color=color, alpha=0.2, lw=0)
        _, mean, lo, hi = t[("dpo", metric)]
        ax.axhline(mean[0], color="black", ls="--", lw=1.2, label="DPO, same budget in pairs")
        ax.axhspan(lo[0], hi[0], color="black", alpha=0.1, lw=0)
        ax.axvspan(1.0, 4.0 / 3.0, color="gold", alpha=0.35, lw=0,
                   label="KTO's recommended [1, 4/3]")
        ax.set(xscale="log", xlabel="$\\lambda_D n_D / (\\lambda_U n_U)$", ylabel=ylabel)
        ax.grid(alpha=0.3, lw=0.5)
    axes[0].set_title("(a) Violation rate after training")
    axes[1].set_title("(b) Value after training")
    axes[2].set_title("(c) Distance from the prior")
    axes[0].legend(loc="best", fontsize=8)
    fig.suptitle(f"E4 loss aversion: {config.labels} labels, {config.contexts} contexts, "
                 f"N = {config.world.responses}, beta = {config.beta:g}, {config.steps} SGD steps; "
                 f"mean and 95% band over {summary[0][-1]} seeds", fontsize=10)
    save(fig, stem)
