"""Figure of E9, ``economics`` (:mod:`sim.specs.e09_economics`): what safety costs.

    python -m experiments economics              # default: 64 seeds, four variants
    python -m experiments economics --quick

Panel (a): the least USD to reach a violation rate <= epsilon, per method, at
cost ratio 2 (a rejection half a comparison's price), with the share of seeds
that reached it as marker size. Panel (b): the same at every cost ratio for
the rule learner's mask, the cost mask, the mask-then-tilt hybrid and the tilt (a
colour per method, a line style per ratio). Panel (c): harm cut per
USD 1,000 along the budget. Panel (d): the sensitivity of the cost to reach
epsilon = 0.01 to the variants. Panel (e): the audit's detection probability
against its closed form. Panel (f): the curators' harm and over-refusal.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from .e08_hybrid import STYLE
from .plotting import band, plain_log_axis, save


def _ratio(config):
    return 2.0 if 2.0 in config.cost_ratios else config.cost_ratios[len(config.cost_ratios) // 2]


def _cost_panel(ax, summary, config, variant):
    r = _ratio(config)
    for name, (label, style) in STYLE.items():
        if not summary.has(f"cost_{name}", f"usd_r{r:g}", variant):
            continue
        c = summary.curve(f"cost_{name}", f"usd_r{r:g}", variant)
        reached = summary.curve(f"cost_{name}", "reached", variant).mean
        line, = ax.plot(c.x, c.mean, label=label, lw=1.5, **style)
        ax.fill_between(c.x, c.lo, c.hi, color=line.get_color(), alpha=0.15, lw=0)
        ax.scatter(c.x, c.mean, s=6 + 40 * reached, color=line.get_color(), zorder=3)
    ax.set(xscale="log", yscale="log", xlabel="violation-rate target $\\epsilon$",
           ylabel="least cost to reach it (USD)",
           title=f"(a) Cost to reach $\\epsilon$, rejection = comparison / {r:g}\n"
                 "(marker area: share of seeds that reached it; misses censored at the max)")
    ax.invert_xaxis()
    plain_log_axis(ax.yaxis)
    ax.grid(alpha=0.3, lw=0.5, which="both")


def _ratio_panel(ax, summary, config, variant):
    """A colour per method (a square), a line style per price ratio (a black line): one
    legend entry each (a method and ratio per entry made a legend wider than the panel)."""
    methods, ratios = {}, {}
    for name in ("mask", "cost_mask", "mask_then_tilt", "tilt"):
        label, style = STYLE[name]
        for k, ratio in enumerate(config.cost_ratios):
            if summary.has(f"cost_{name}", f"usd_r{ratio:g}", variant):
                c = summary.curve(f"cost_{name}", f"usd_r{ratio:g}", variant)
                look = dict(lw=1.3, ls=["-", "--", ":", "-."][k % 4])   # no alpha: a pale
                # black read as the cost model's grey
                ax.plot(c.x, c.mean, color=style["color"], **look)
                methods[label] = Patch(color=style["color"])   # squares: the ratios are lines
                ratios[f"price ratio {ratio:g}"] = plt.Line2D([], [], color="black", **look)
    ax.set(xscale="log", yscale="log", xlabel="violation-rate target $\\epsilon$",
           ylabel="least cost to reach it (USD)",
           title="(b) Sensitivity to the price ratio (comparison / rejection)")
    ax.invert_xaxis()
    if methods:
        ax.legend([*methods.values(), *ratios.values()], [*methods, *ratios],
                  loc="center left", bbox_to_anchor=(0.0, 0.7), fontsize=6.5)   # between
                  # the dear methods (top) and the cheap ones (bottom), where "best" is not
    plain_log_axis(ax.yaxis)
    ax.grid(alpha=0.3, lw=0.5, which="both")


def _marginal_panel(ax, summary, config, variant):
    r = _ratio(config)
    for name, (label, style) in STYLE.items():
        band(ax, summary, f"marginal_{name}", f"harm_cut_per_kusd_r{r:g}", style, label=label,
             variant=variant)
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_xticks(config.budgets[1:], [str(b) for b in config.budgets[1:]])
    ax.minorticks_off()
    ax.set(xlabel="total label budget B (labels; vs the previous budget)",
           ylabel="violation rate cut per USD 1,000",
           title=f"(c) Marginal harm cut per dollar (safest split; ratio {r:g})")
    ax.grid(alpha=0.3, lw=0.5)


def _variant_panel(ax, summary, config):
    r, eps = _ratio(config), 0.01
    short = {"mask": "rule\nmask", "cost_mask": "cost\nmask", "tilt": "tilt", "dpo": "DPO",
             "mask_then_tilt": "mask,\ntilt", "constrained_tilt": "constr.\ntilt",
             "rbr_tilt": "RBR\ntilt"}
    names = list(short)
    width = 0.8 / max(1, len(summary.variants))
    for j, variant in enumerate(summary.variants):
        for i, name in enumerate(names):
            if not summary.has(f"cost_{name}", f"usd_r{r:g}", variant):
                continue
            c = summary.curve(f"cost_{name}", f"usd_r{r:g}", variant)
            k = int(np.argmin(np.abs(c.x - eps)))
            reached = summary.curve(f"cost_{name}", "reached", variant).mean[k]
            ax.bar(i + j * width, c.mean[k], width, color=f"C{j}", alpha=0.4 + 0.6 * reached,
                   label=variant if i == 0 else None)
            ax.errorbar(i + j * width, c.mean[k], yerr=[[c.mean[k] - c.lo[k]],
                                                        [c.hi[k] - c.mean[k]]],
                        fmt="none", color="black", lw=0.8)
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2,
                  [short[n] for n in names], fontsize=7.5)
    ax.set(yscale="log", ylabel=f"USD to reach $\\epsilon$ = {eps:g} (ratio {r:g})",
           title="(d) Sensitivity: mass law, noise, T (pale bar: few seeds reached it)")
    plain_log_axis(ax.yaxis)
    ax.legend(loc="best", fontsize=7.5)
    ax.grid(alpha=0.3, lw=0.5, axis="y")


def _audit_panel(ax, summary, config, variant):
    for j, k in enumerate(config.audit_missing):
        style = dict(color=f"C{j}")
        c = band(ax, summary, f"audit_{k}", "detected", style, variant=variant,
                 label=f"{k} missing: simulated")
        if c is None:
            continue
        f = summary.curve(f"audit_{k}", "closed_form", variant)
        p = summary.curve(f"audit_{k}", "missing_mass", variant).mean[0]
        ax.plot(f.x, f.mean, color=style["color"], ls="--", lw=1.2,
                label=f"E[1 - (1 - p)$^m$], mean p = {p:.3f}")
    ax.set(xscale="log", ylim=(-0.02, 1.02), xlabel="audit probes m",
           ylabel="P(the audit detects the gap)",
           title="(e) Certification: detecting missing prohibitions")
    plain_log_axis(ax.xaxis)
    ax.legend(loc="best", fontsize=7)
    ax.grid(alpha=0.3, lw=0.5)


def _curator_panel(ax, summary, config, variant):
    for j, sigma in enumerate(config.curator_sigmas):
        band(ax, summary, f"curator_{sigma:g}", "harm", dict(color=f"C{j}"), variant=variant,
             label=f"harm, $\\sigma$ = {sigma:g}")
        band(ax, summary, f"curator_{sigma:g}", "over_refusal", dict(color=f"C{j}", ls="--"),
             variant=variant, label=f"over-refusal, $\\sigma$ = {sigma:g}")
    ax.set(xlabel="share $\\rho$ of the true prohibitions the curator knows",
           ylabel="rate",
           title="(f) Curators: harm (violation) and\nover-refusal (false exclusion)")
    ax.legend(loc="best", fontsize=6.5, ncol=2)
    ax.grid(alpha=0.3, lw=0.5)


def plot(summary, config, stem):
    fig, axes = plt.subplots(2, 3, figsize=(15, 9.6), constrained_layout=True)
    variant = "default" if "default" in summary.variants else summary.variants[0]
    _cost_panel(axes[0, 0], summary, config, variant)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:   # panels (a) and (c): one legend below them all, where it covers no curve
        fig.legend(handles, labels, loc="outside lower center", ncol=5, frameon=False,
                   fontsize=8, title="panels (a) and (c)", title_fontsize=8)
    _ratio_panel(axes[0, 1], summary, config, variant)
    _marginal_panel(axes[0, 2], summary, config, variant)
    _variant_panel(axes[1, 0], summary, config)
    _audit_panel(axes[1, 1], summary, config, variant)
    _curator_panel(axes[1, 2], summary, config, variant)
    w = config.world
    fig.suptitle(
        f"E9 economics [{variant}]: a comparison costs USD {config.comparison_usd:g} and "
        f"{config.comparison_seconds:g} s, a rejection that / ratio; N = {w.responses}, "
        f"T = {w.prohibitions}, budgets {config.budgets[0]} to {config.budgets[-1]} labels;\n"
        f"mean and 95% bootstrap band over {summary.n_seeds} seeds", fontsize=10)
    save(fig, stem)
