"""Figure of E8, ``hybrid`` (:mod:`sim.specs.e08_hybrid`): splitting a label budget.

    python -m experiments hybrid              # default: 64 seeds, three variants
    python -m experiments hybrid --quick

Panels (a) to (c): violation rate, helpfulness E_pi[V | A] and sycophancy of
every method against the share f of the budget spent on rejections, at the
largest budget. Panel (d): the Pareto fronts of safety against helpfulness
over f and beta at ``front_budget``. Panel (e): the best split f per budget
(the f with the largest mean value, V Lambda-penalised). Panel (f): the
margins of the best hybrid at its best f over preference only (the tilt at
f = 0) at the same budget, per variant, with 95% CIs.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from sim.specs.e08_hybrid import hybrid_regimes, tilted_regimes

from .plotting import band, save

STYLE = {"tilt": ("tilt by reward model", dict(color="tab:red")),
         "best_of_n": ("best-of-n by reward model", dict(color="tab:orange")),
         "dpo": ("DPO on comparisons", dict(color="tab:purple")),
         "mask": ("mask by rule learner $F_n$ (oracle: upper bound)", dict(color="black")),
         "named_mask": ("mask by named-rule learner", dict(color="tab:brown")),
         "cost_mask": ("mask by cost model", dict(color="gray")),
         "mask_then_tilt": ("hybrid: mask ($F_n$, oracle), then tilt", dict(color="tab:blue")),
         "named_mask_then_tilt": ("hybrid: named-rule mask, then tilt",
                                  dict(color="tab:brown", ls="--")),
         "constrained_tilt": ("hybrid: constrained tilt", dict(color="tab:green")),
         "dual_ascent": ("hybrid: dual ascent (Safe RLHF)", dict(color="tab:olive", ls="--")),
         "rbr_tilt": ("hybrid: rule-based reward", dict(color="tab:cyan", ls="-."))}
PANELS = (("violation_rate", "(a) Safety", "violation rate $\\pi(\\neg A)$"),
          ("helpfulness", "(b) Helpfulness", "$E_\\pi[V \\mid A]$ (utility units)"),
          ("sycophancy_rate", "(c) Sycophancy contamination", "sycophancy rate S($\\pi$)"))


def _front(points):
    """The non-dominated points (low violation, high helpfulness), sorted by violation."""
    pts = sorted(points)
    out, best = [], -np.inf
    for v, h in pts:
        if h > best:
            out.append((v, h))
            best = h
    return np.array(out)


def _pareto_panel(ax, summary, config, variant):
    b = config.front_budget
    for name, (label, style) in STYLE.items():
        series = [f"{name}_{b}"] + ([f"{name}_beta{x:g}" for x in config.front_betas]
                                    if name in tilted_regimes() else [])
        pts = []
        for method in series:
            if summary.has(method, "violation_rate", variant):
                v = summary.curve(method, "violation_rate", variant).mean
                h = summary.curve(method, "helpfulness", variant).mean
                pts += list(zip(v, h))
        if not pts:
            continue
        pts = np.array(pts)
        ax.scatter(pts[:, 0], pts[:, 1], s=9, alpha=0.45, color=style["color"])
        front = _front([tuple(p) for p in pts])
        ax.plot(front[:, 0], front[:, 1], lw=1.5, label=label, **style)
    betas = ", ".join(f"{x:g}" for x in sorted({config.beta, *config.front_betas}))
    ax.set_xscale("symlog", linthresh=1e-3)
    ax.set(xlabel="violation rate (linear below 0.001, log above)",
           ylabel="helpfulness $E_\\pi[V \\mid A]$",
           title=f"(d) Pareto fronts over f and $\\beta$ $\\in$ {{{betas}}}, B = {b}")
    ax.grid(alpha=0.3, lw=0.5)


def best_shares(summary, config, variant, name):
    """(B, best f, its curve index) for a method: the f with the largest mean value."""
    out = []
    for b in config.budgets:
        if summary.has(f"{name}_{b}", "value", variant):
            c = summary.curve(f"{name}_{b}", "value", variant)
            k = int(np.argmax(c.mean))
            out.append((b, c.x[k], k))
    return out


def _best_panel(ax, summary, config, variant):
    for name, kind in hybrid_regimes().items():
        if kind != "hybrid":
            continue
        label, style = STYLE[name]
        rows = best_shares(summary, config, variant, name)
        ax.plot([r[0] for r in rows], [r[1] for r in rows], marker="o", ms=4, label=label,
                **style)
    ax.set(xscale="log", ylim=(-0.05, 1.05), xlabel="total label budget B (labels)",
           ylabel="best share f on rejections", title="(e) Best split per budget (max mean value)")
    ax.grid(alpha=0.3, lw=0.5)


def _margin_panel(ax, summary, config):
    """Best hybrid (largest mean value at its best f) per variant and budget: both margins."""
    colors = {"default": "tab:blue", "rare": "tab:orange", "noisy": "tab:red"}
    twin = ax.twinx()
    for j, variant in enumerate(summary.variants):
        for b in config.budgets:
            best = None
            for name, kind in hybrid_regimes().items():
                if kind == "hybrid" and summary.has(f"{name}_{b}", "value", variant):
                    c = summary.curve(f"{name}_{b}", "value", variant)
                    k = int(np.argmax(c.mean))
                    if best is None or c.mean[k] > best[0]:
                        best = (c.mean[k], name, k)
            if best is None:
                continue
            _, name, k = best
            x = np.log2(b) + 0.25 * (j - 1)
            for axis, metric, marker in ((ax, "violation_cut", "o"),
                                         (twin, "helpfulness_gain", "s")):
                c = summary.curve(f"{name}_{b}", metric, variant)
                axis.errorbar(x + (0.08 if marker == "s" else 0), c.mean[k],
                              yerr=[[c.mean[k] - c.lo[k]], [c.hi[k] - c.mean[k]]], fmt=marker,
                              ms=4, color=colors.get(variant, "gray"),
                              mfc="white" if marker == "s" else None, lw=1.1)
    for variant in summary.variants:
        ax.plot([], [], "o", color=colors.get(variant, "gray"), label=f"{variant}")
    ax.plot([], [], "o", color="black", label="violation cut (left)")
    ax.plot([], [], "s", color="black", mfc="white", label="helpfulness gain (right)")
    ax.axhline(0.0, color="black", lw=0.8)
    twin.axhline(0.0, color="gray", lw=0.6, ls=":")
    ax.set_xticks([np.log2(b) for b in config.budgets], [str(b) for b in config.budgets])
    ax.set(xlabel="total label budget B (labels)",
           ylabel="violation cut vs tilt at f = 0 (rate)",
           title="(f) Best hybrid over preference only, same B (95% CI)")
    twin.set_ylabel("helpfulness gain (utility units)")
    ax.legend(loc="best", fontsize=7.5)
    ax.grid(alpha=0.3, lw=0.5)


def plot(summary, config, stem):
    fig, axes = plt.subplots(2, 3, figsize=(15, 9.4), constrained_layout=True)
    variant = "default" if "default" in summary.variants else summary.variants[0]
    b = max(config.budgets)
    for ax, (metric, title, ylabel) in zip(axes[0], PANELS):
        for name, (label, style) in STYLE.items():
            band(ax, summary, f"{name}_{b}", metric, style, label=label, variant=variant)
        ax.set(xlabel=f"share f of B = {b} labels spent on rejections", ylabel=ylabel,
               title=f"{title}, B = {b}")
        ax.grid(alpha=0.3, lw=0.5)
    axes[0, 0].set_yscale("symlog", linthresh=1e-3)
    axes[0, 0].legend(loc="best", fontsize=7)
    _pareto_panel(axes[1, 0], summary, config, variant)
    axes[1, 0].legend(loc="lower right", fontsize=7)
    _best_panel(axes[1, 1], summary, config, variant)
    axes[1, 1].legend(loc="best", fontsize=7.5)
    _margin_panel(axes[1, 2], summary, config)
    w, a = config.world, config.annotator
    fig.suptitle(
        f"E8 hybrid [{variant}]: N = {w.responses}, T = {w.prohibitions}, p = "
        f"{w.prohibition_mass:g}, {100 * a.sycophancy:g}% sycophantic annotators, "
        f"{config.contexts} contexts, $\\beta$ = {config.beta:g}; f B rejections and (1 - f) B "
        f"comparisons;\nmean and 95% bootstrap band over {summary.n_seeds} seeds "
        f"(panel f: variants side by side)", fontsize=10)
    save(fig, stem)
