"""Figure of E6, ``shift`` (:mod:`sim.specs.e06_shift`): adherence under distribution shift.

    python -m experiments shift                     # default: 64 seeds, three kinds of shift
    python -m experiments shift --quick
    python -m experiments shift --variant novel --cost.family maxout

The rule learner's mask (oracle tier) is the upper bound; the named-rule learner's mask is
the fair negative-side regime. One column per kind of shift (response window, context, novel prohibitions).
Top: the adherence gap (violation rate under shift minus in distribution)
against the shift magnitude. Bottom: the violation rate under shift (solid)
and in distribution (dotted).
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from .e05_capability import REGIMES as CAPABILITY_REGIMES
from .plotting import band, save

REGIMES = tuple(r for r in CAPABILITY_REGIMES if r[0] != "dpo") + (
    ("prior", "prior $\\pi_0$, no feedback", dict(color="tab:olive", ls="--")),)
KINDS = {"response": ("response shift: queries from window exp(s u.x), evaluated in exp(-s u.x)",
                      "shift s (latent sd along u)"),
         "context": ("context shift: evaluation contexts c + s e", "shift s (context sd along e)"),
         "novel": ("novel prohibitions: queried exp(-s) as often in training",
                   "shift s (log-odds of querying a novel violation)")}


def plot(summary, config, stem):
    kinds = [v for v in summary.variants if v in KINDS] or list(summary.variants)
    fig, axes = plt.subplots(2, len(kinds), figsize=(5.2 * len(kinds), 8.6),
                             constrained_layout=True, squeeze=False)
    for col, kind in enumerate(kinds):
        title, xlabel = KINDS.get(kind, (kind, "shift s"))
        top, bottom = axes[0, col], axes[1, col]
        for name, label, style in REGIMES:
            band(top, summary, name, "adherence_gap", style, label=label, variant=kind)
            band(bottom, summary, name, "violation_shift", style, label=label, variant=kind)
            if summary.has(name, "violation_in", kind):
                c = summary.curve(name, "violation_in", kind)
                bottom.plot(c.x, c.mean, color=style["color"], ls=":", lw=1.2)
        top.axhline(0.0, color="black", lw=0.7)
        top.set(xlabel=xlabel, ylabel="adherence gap: violation rate shifted - in distribution",
                title=f"({'abc'[col]}) {title}")
        bottom.set(xlabel=xlabel, ylabel="violation rate $\\pi(\\neg A)$ (solid: shifted, "
                                         "dotted: in distribution)",
                   title=f"({'def'[col]}) violation rate, {kind}")
        for ax in (top, bottom):
            ax.grid(alpha=0.3, lw=0.5)
    axes[0, 0].legend(loc="upper left", fontsize=7.5)
    w = config.world
    fig.suptitle(f"E6 shift: N = {w.responses}, T = {w.prohibitions}, {config.labels} labels of "
                 f"each signal (hybrids {config.labels // 2} of each), {config.learner.family} "
                 f"reward and {config.cost.family} cost model, $\\beta$ = {config.beta:g}, "
                 f"{config.eval_contexts} held-out contexts;\nmean and 95% bootstrap band over "
                 f"{summary.n_seeds} seeds", fontsize=10)
    save(fig, stem)
