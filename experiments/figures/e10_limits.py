"""Figure of E10, ``limits`` (:mod:`sim.specs.e10_limits`): where via negativa fails.

    python -m experiments limits              # default: 64 seeds
    python -m experiments limits --quick

Panels (a) to (e): one map per failure mode. Each cell is coloured by the
fair contender with the largest mean value (named-rule learner, cost model, reward
model, best fair hybrid) and says by how much it leads the best of the other three
(mean and 95% CI, value units); a pale, hatched cell is one whose lead CI
reaches 0 (no clear winner). The oracle rule learner, told each rule's boundary, is an
upper bound and colours no cell. Panel (f): over-refusal (acceptable responses given
probability 0) of the oracle's and the named-rule learner's masks against the knobs of
(a) and (b), at the largest budget. Panel (g): map (c) with quadratic reward and cost
models (variant ``quadratic``); panel (h): the regret left inside the
acceptable set by the mask, the reward model's tilt and the best hybrid, for both
families.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.patches import Rectangle

from sim.specs.e10_limits import fair_contenders, maps

from .plotting import band, plain, save

COLOURS = {"rule": "black", "named": "tab:green", "cost": "tab:orange", "reward": "tab:red",
           "hybrid": "tab:blue"}
NAMES = {"rule": "oracle rule learner (mask; upper bound)", "named": "named-rule learner (mask)",
         "cost": "cost model (mask)", "reward": "reward model (tilt)",
         "hybrid": "best fair hybrid"}
TITLES = {"noise": ("(a) Noisy flags", "false-flag rate of rejections"),
          "context": ("(b) Context-dependent prohibitions", "context weight $|u_j|$"),
          "helpfulness": ("(c) Unspecified helpfulness, largest B", "coupling $\\kappa$"),
          "tail": ("(d) Long tail of prohibition masses", "Zipf exponent of the masses"),
          "misses": ("(e) Rejections that say nothing", "miss rate of rejections")}


def _cell(summary, variant, name, suffix, k):
    """(winner, lead mean, lo, hi) at index k of the cell's curves, or None."""
    best = None
    for c in fair_contenders():
        method = f"{name}_{c}_{suffix}"
        if summary.has(method, "value", variant):
            v = summary.curve(method, "value", variant).mean[k]
            if best is None or v > best[1]:
                best = (c, v)
    if best is None:
        return None
    lead = summary.curve(f"{name}_{best[0]}_{suffix}", "lead", variant)
    return best[0], lead.mean[k], lead.lo[k], lead.hi[k]


def _map_panel(ax, summary, config, variant, name):
    _, values = maps(config)[name]
    if name == "helpfulness":
        rows, cols = [f"T{t}" for t in config.active], list(values)
        row_labels, col_labels = [f"T = {t}" for t in config.active], [f"{v:g}" for v in values]
        ylabel = "active prohibitions T"
    else:
        rows, cols = [f"{v:g}" for v in values], list(config.budgets)
        row_labels, col_labels = rows, [str(b) for b in config.budgets]
        ylabel = TITLES[name][1]
    image = np.ones((len(rows), len(cols), 4))
    for i, suffix in enumerate(rows):
        for k in range(len(cols)):
            cell = _cell(summary, variant, name, suffix, k)
            if cell is None:
                continue
            winner, mean, lo, hi = cell
            clear = lo > 0
            image[i, k] = to_rgba(COLOURS[winner], 0.85 if clear else 0.35)
            if not clear:
                ax.add_patch(Rectangle((k - 0.5, i - 0.5), 1, 1, fill=False, hatch="///",
                                       edgecolor="white", lw=0))
            ax.text(k, i, f"{winner}\n{plain(mean, True)}\n[{plain(lo)}, {plain(hi)}]",
                    ha="center",
                    va="center", fontsize=6.3, color="white" if clear else "black",
                    bbox=None if clear else dict(fc="white", ec="none", alpha=0.7, pad=1))
    ax.imshow(image, aspect="auto", origin="lower")
    ax.set_xticks(range(len(cols)), col_labels)
    ax.set_yticks(range(len(rows)), row_labels)
    xlabel = (TITLES["helpfulness"][1] if name == "helpfulness"
              else "label budget B (labels, all of one kind)")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=TITLES[name][0])


def _refusal_panel(ax, summary, config, variant):
    b = len(config.budgets) - 1
    for learner, ls in (("rule", "--"), ("named", "-")):
        for name, colour in (("noise", "tab:purple"), ("context", "tab:olive")):
            _, values = maps(config)[name]
            means, los, his = [], [], []
            for v in values:
                method = f"{name}_{learner}_{v:g}"
                if not summary.has(method, "over_refusal", variant):
                    return
                c = summary.curve(method, "over_refusal", variant)
                means.append(c.mean[b]), los.append(c.lo[b]), his.append(c.hi[b])
            who = "oracle" if learner == "rule" else "named-rule"
            ax.plot(values, means, marker="o", ms=4, color=colour, ls=ls,
                    label=f"{who}, {TITLES[name][1]}")
            ax.fill_between(values, los, his, color=colour, alpha=0.22, lw=0)
    ax.set(xlabel="knob value (false-flag rate, or context weight $|u_j|$)",
           ylabel="over-refusal: share of acceptable responses excluded",
           title=f"(f) Masks' over-refusal, B = {config.budgets[b]}", ylim=(-0.02, 1.02))
    ax.legend(loc="best", fontsize=7.5)
    ax.grid(alpha=0.3, lw=0.5)


def _boundary_panel(ax, summary, config):
    """Regret inside the acceptable set: the rule learner's mask against the best hybrid,
    per reward family, at the middle T (how much helpfulness the mask leaves unspecified)."""
    t = config.active[len(config.active) // 2]
    band(ax, summary, f"helpfulness_rule_T{t}", "regret", dict(color=COLOURS["rule"]),
         label=f"{NAMES['rule']} (needs no model)", variant="default")
    for variant, ls in (("default", "-"), ("quadratic", "--")):
        family = "linear" if variant == "default" else "quadratic"
        for c in ("named", "reward", "hybrid"):
            band(ax, summary, f"helpfulness_{c}_T{t}", "regret", dict(color=COLOURS[c], ls=ls),
                 label=f"{NAMES[c]}, {family} models", variant=variant)
    ax.set(xlabel="coupling $\\kappa$", ylabel="regret: best acceptable V minus $E_\\pi[V | A]$",
           title=f"(h) Helpfulness no prohibition specifies, T = {t}, B = {config.budgets[-1]}")
    ax.legend(loc="best", fontsize=7)
    ax.grid(alpha=0.3, lw=0.5)


def plot(summary, config, stem):
    fig, axes = plt.subplots(2, 4, figsize=(21, 10), constrained_layout=True)
    variant = "default" if "default" in summary.variants else summary.variants[0]
    panels = iter(axes.flat)
    for name in maps(config):
        _map_panel(next(panels), summary, config, variant, name)
    refusal = next(panels)
    _refusal_panel(refusal, summary, config, variant)
    for c in fair_contenders():
        refusal.plot([], [], "s", color=COLOURS[c], ms=8, label=f"map colour: {NAMES[c]}")
    refusal.legend(loc="best", fontsize=7.5)
    if "quadratic" in summary.variants:
        ax = next(panels)
        _map_panel(ax, summary, config, "quadratic", "helpfulness")
        ax.set_title("(g) Unspecified helpfulness, quadratic reward and cost models")
        _boundary_panel(next(panels), summary, config)
    for ax in panels:
        ax.axis("off")
    w = config.world
    fig.suptitle(
        f"E10 limits: which fair signal wins (largest mean value, V $\\Lambda$-penalised) and its "
        f"lead over the best other fair one (value units, mean [95% CI]; pale, hatched: CI "
        f"reaches 0; the oracle rule learner is an upper bound, not a contender).\nN = "
        f"{w.responses}, T = {w.prohibitions}, p = {w.prohibition_mass:g}, {config.contexts} "
        f"contexts, $\\beta$ = {config.beta:g}, {summary.n_seeds} seeds; named and cost: B "
        f"rejections; reward: B comparisons; hybrid: B split f in {config.shares[1:-1]}",
        fontsize=10)
    save(fig, stem)
