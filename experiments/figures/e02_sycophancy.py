"""Figure of E2, ``sycophancy`` (:mod:`sim.specs.e02_sycophancy`): preference training amplifies
sycophancy; constraints do not.

    python -m experiments sycophancy               # default: 64 seeds, s_syc from 0 to 0.5
    python -m experiments sycophancy --quick
    python -m experiments sycophancy --sweep annotator.sycophancy=0,0.5

Top row: sycophancy, violations and value against KL(pi || pi0) at one
annotator sycophancy rate (0.3 when it was run, else the nearest): the tilts
and best-of-n move along their grids, DPO, NSR and NPO along training, and the
rule learner's mask is one point. Bottom row: sycophancy and violations
against s_syc, the tilts at beta = 4, best-of-32, trained policies at the end.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .plotting import save

SYC = "annotator.sycophancy"
FACETS = (SYC,)    # drawn here (the bottom row's x axis); other swept fields: a figure per point
FOCUS = 0.3        # the s_syc of the top row
BETA, BEST_OF = 4.0, 32   # the points of the grids in the bottom row
STYLE = {
    "tilt": dict(color="tab:red", marker="o", label="tilt $\\pi_0 e^{\\beta r}$ (RLHF optimum)"),
    "corrected": dict(color="tab:orange", marker="s", label="tilt, corrected reward"),
    "best_of_n": dict(color="tab:purple", marker="^", label="best-of-n under r"),
    "dpo": dict(color="tab:brown", marker="v", label="DPO on the same comparisons"),
    "mask": dict(color="black", marker="*", ms=11, ls="none",
                 label="prior masked by the rule learner's $F_n$"),
    "nsr": dict(color="tab:blue", marker="D", label="NSR on the rejection labels"),
    "npo": dict(color="tab:cyan", marker="P", label="NPO on the rejection labels"),
    "cost_mask": dict(color="tab:green", marker="X", ms=10, ls="none",
                      label="prior masked by the cost model (flags only)"),
    "rbr_tilt": dict(color="tab:pink", marker="p",
                     label="tilt, rule-based-reward hybrid $r + w \\cdot \\phi$ (Mu et al.)"),
    "constrained_tilt": dict(color="tab:olive", marker="h",
                             label="tilt under a cost budget $E_\\pi C \\leq d$ (Safe RLHF)"),
}
TOP = (("sycophancy_rate", "(a) Sycophancy rate", "sycophancy rate S($\\pi$) (probability)"),
       ("violation_rate", "(b) Violation rate", "violation rate $\\pi(\\neg A)$ (probability)"),
       ("value", "(c) Value", "value $E_\\pi V$ (value units)"))
BOTTOM = (("sycophancy_rate", "(d) Sycophancy rate", "sycophancy rate S($\\pi$) (probability)"),
          ("violation_rate", "(e) Violation rate", "violation rate $\\pi(\\neg A)$ (probability)"))


def _points(summary, config):
    """(s_syc, where) for each annotator sycophancy rate of the run (one when not swept)."""
    if SYC in summary.sweep_cols:
        return [(s, {SYC: s}) for s in summary.points(SYC)]
    return [(config.annotator.sycophancy, None)]


def _style(method):
    style = dict(STYLE[method])
    return style.pop("label"), style.pop("ms", 4), style


def _nearest(xs, target):
    return int(np.argmin(np.abs(np.asarray(xs, float) - target)))


def plot(summary, config, stem):
    fig, axes = plt.subplots(2, 3, figsize=(14, 8.6), constrained_layout=True)
    points = _points(summary, config)
    focus, where = points[_nearest([s for s, _ in points], FOCUS)]
    for ax, (metric, title, ylabel) in zip(axes[0], TOP):
        for method in (m for m in STYLE if summary.has(m, metric, where=where)):
            label, ms, style = _style(method)
            kl = summary.curve(method, "kl_to_prior", where=where)
            c = summary.curve(method, metric, where=where)
            ax.plot(kl.mean, c.mean, ms=ms, lw=1.4, label=label, **style)
            ax.fill_between(kl.mean, c.lo, c.hi, color=style["color"], alpha=0.2, lw=0)
        if metric == "sycophancy_rate":
            kl = summary.curve("tilt", "kl_to_prior", where=where).mean
            first = summary.curve("first_order", metric, where=where).mean
            keep = (first <= 1.0) & (first >= 0.0)
            ax.plot(kl[keep], first[keep], color="tab:red", ls=":", lw=1.4,
                    label="first order: S($\\pi_0$) + $\\beta$ Cov$_{\\pi_0}$(endorse, r)")
            ax.set_ylim(-0.02, 1.02)
        ax.set(xlabel="KL($\\pi$ || $\\pi_0$) (nats)", ylabel=ylabel,
               title=f"{title} against KL, $s_{{syc}}$ = {focus:g}")
        ax.grid(alpha=0.3, lw=0.5)

    shares = np.array([s for s, _ in points], float)
    beta_at = _nearest(config.betas, BETA)
    n_at = _nearest(config.best_of, BEST_OF)
    pick = {"tilt": beta_at, "corrected": beta_at, "constrained_tilt": beta_at, "rbr_tilt": beta_at,
            "best_of_n": n_at}   # else: the last point
    for ax, (metric, title, ylabel) in zip(axes[1], BOTTOM):
        for method in (m for m in STYLE if summary.has(m, metric, where=points[0][1])):
            _, ms, style = _style(method)
            style.pop("ls", None)
            rows = [summary.curve(method, metric, where=w) for _, w in points]
            k = pick.get(method, -1)
            mean, lo, hi = (np.array([getattr(r, f)[k] for r in rows]) for f in ("mean", "lo", "hi"))
            if len(shares) > 1:
                ax.plot(shares, mean, ms=ms, lw=1.4, **style)
                ax.fill_between(shares, lo, hi, color=style["color"], alpha=0.2, lw=0)
            else:   # one rate: its point and CI, not a curve shrunk to a dot
                ax.errorbar(shares, mean, yerr=[mean - lo, hi - mean], ms=ms + 2, capsize=4,
                            lw=1.4, **style)
        if len(shares) == 1:
            ax.text(0.5, 0.97, f"only $s_{{syc}}$ = {shares[0]:g} was run: sweep\n"
                    f"annotator.sycophancy to draw this curve", transform=ax.transAxes,
                    ha="center", va="top", fontsize=9, color="dimgray")
        ax.set(xlabel="annotators' sycophancy rate $s_{syc}$ (share of annotators)", ylabel=ylabel,
               title=f"{title} against $s_{{syc}}$\n(tilts at $\\beta$ = "
                     f"{config.betas[beta_at]:g}, best-of-{config.best_of[n_at]}, trained "
                     "policies at the last step)")
        ax.grid(alpha=0.3, lw=0.5)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    axes[1, 2].axis("off")
    axes[1, 2].legend(handles, labels, loc="center", frameon=False)
    fig.suptitle(f"E2 sycophancy: {config.labels} labels per signal, {config.contexts} contexts, "
                 f"N = {config.world.responses}, reward family {config.learner.family}, "
                 f"{config.steps} SGD steps; mean and 95% bootstrap band over "
                 f"{summary.n_seeds} seeds", fontsize=10)
    save(fig, stem)
