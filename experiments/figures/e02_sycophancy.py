"""Figure of E2, ``sycophancy`` (:mod:`sim.specs.e02_sycophancy`): preference training amplifies
sycophancy; constraints do not.

    python -m experiments sycophancy               # default: 64 seeds, s_syc from 0 to 0.4
    python -m experiments sycophancy --quick
    python -m experiments sycophancy --sweep annotator.sycophancy=0,0.5

One figure per kappa of the run (:mod:`experiments.drawing`). Top row: sycophancy rate,
sycophancy gap, violations and value against KL(pi || pi0) at the world's default
annotator sycophancy (config's ``annotator.sycophancy``, else the nearest rate run): the
tilts and best-of-n move along their grids, DPO, NSR and NPO along training, and the rule
learner's mask is one point. Bottom row: sycophancy rate, gap and violations against
s_syc (the tilts at beta = 4, best-of-32, trained policies at the end), and (h) the
tilt's rise in sycophancy over the prior with the s_syc where it crosses 0.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .plotting import save

SYC = "annotator.sycophancy"
FACETS = (SYC,)    # drawn here (the bottom row's x axis); other swept fields: a figure per point
BETA, BEST_OF = 4.0, 32   # the points of the grids in the bottom row
STYLE = {
    "tilt": dict(color="tab:red", marker="o", label="tilt $\\pi_0 e^{\\beta r}$ (RLHF optimum)"),
    "corrected": dict(color="tab:orange", marker="s", label="tilt, corrected reward"),
    "best_of_n": dict(color="tab:purple", marker="^", label="best-of-n under r"),
    "dpo": dict(color="tab:brown", marker="v", label="DPO on the same comparisons"),
    "mask": dict(color="black", marker="*", ms=11, ls="none",
                 label="prior masked by the rule learner's $F_n$ (oracle: upper bound)"),
    "named_mask": dict(color="tab:gray", marker="d", ms=10, ls="none",
                       label="prior masked by the named-rule learner (rules learned)"),
    "nsr": dict(color="tab:blue", marker="D", label="NSR on the rejection labels"),
    "npo": dict(color="tab:cyan", marker="P", label="NPO on the rejection labels"),
    "cost_mask": dict(color="tab:green", marker="X", ms=10, ls="none",
                      label="prior masked by the cost model (flags only)"),
    "rbr_tilt": dict(color="tab:pink", marker="p",
                     label="tilt, rule-based-reward hybrid $r + w \\cdot \\phi$ (Mu et al.)"),
    "constrained_tilt": dict(color="tab:olive", marker="h",
                             label="tilt under a cost budget $E_\\pi C \\leq d$ (Safe RLHF)"),
}
TOP = (("sycophancy_rate", "(a) Sycophancy rate", "S($\\pi$) = $\\pi$(endorse | false belief)"),
       ("sycophancy_gap", "(b) Sycophancy gap",
        "$\\pi$(endorse | false) $-$ $\\pi$(endorse | true)"),
       ("violation_rate", "(c) Violation rate", "violation rate $\\pi(\\neg A)$ (probability)"),
       ("value", "(d) Value", "value $E_\\pi V$ (value units)"))
BOTTOM = (("sycophancy_rate", "(e) Sycophancy rate", "S($\\pi$) (probability)"),
          ("sycophancy_gap", "(f) Sycophancy gap", "gap (probability)"),
          ("violation_rate", "(g) Violation rate", "violation rate $\\pi(\\neg A)$ (probability)"))


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


def threshold(shares, mean, lo, hi):
    """Where the tilt's rise in sycophancy crosses 0 as s_syc grows: (s*, low, high), each
    by linear interpolation of the first sign change of the mean, the upper and the lower
    band (the band's crossings bound s*: conservative); None where a curve does not cross."""
    def crossing(y):
        for k in range(len(shares) - 1):
            if y[k] <= 0.0 < y[k + 1] or y[k] < 0.0 <= y[k + 1]:
                return shares[k] + (shares[k + 1] - shares[k]) * (-y[k]) / (y[k + 1] - y[k])
        return None
    return crossing(mean), crossing(hi), crossing(lo)


def _rise(ax, summary, points, config, beta_at):
    """(h) the tilt's sycophancy at beta = BETA minus at beta = 0 (the prior), per s_syc,
    conservative band, and the threshold where it crosses 0."""
    shares = np.array([s for s, _ in points], float)
    rows = [summary.curve("tilt", "sycophancy_rate", where=w) for _, w in points]
    zero = _nearest(config.betas, 0.0)
    mean = np.array([r.mean[beta_at] - r.mean[zero] for r in rows])
    lo = np.array([r.lo[beta_at] - r.hi[zero] for r in rows])
    hi = np.array([r.hi[beta_at] - r.lo[zero] for r in rows])
    ax.axhline(0.0, color="gray", lw=0.8)
    if len(shares) > 1:
        ax.plot(shares, mean, color="tab:red", marker="o", ms=4, lw=1.4)
        ax.fill_between(shares, lo, hi, color="tab:red", alpha=0.2, lw=0)
    else:
        ax.errorbar(shares, mean, yerr=[mean - lo, hi - mean], color="tab:red", marker="o",
                    capsize=4)
    s_star, s_lo, s_hi = threshold(shares, mean, lo, hi)
    if s_star is None:
        text = f"no crossing of 0 in [{shares.min():g}, {shares.max():g}]"
    else:
        ax.axvline(s_star, color="black", ls=":", lw=1.2)
        bounds = f"[{'<' + f'{shares.min():g}' if s_lo is None else f'{s_lo:.2f}'}, " \
                 f"{'>' + f'{shares.max():g}' if s_hi is None else f'{s_hi:.2f}'}]"
        text = f"crosses 0 at $s_{{syc}}$ = {s_star:.2f} {bounds}\n(band crossings: conservative)"
        if s_lo is not None and s_hi is not None:
            ax.axvspan(min(s_lo, s_hi), max(s_lo, s_hi), color="gray", alpha=0.15, lw=0)
    ax.text(0.03, 0.97, text, transform=ax.transAxes, va="top", fontsize=8.5)
    ax.set(xlabel="annotators' sycophancy rate $s_{syc}$ (share of annotators)",
           ylabel="S(tilt) $-$ S($\\pi_0$) (probability)",
           title=f"(h) The tilt's rise in sycophancy ($\\beta$ = {config.betas[beta_at]:g} "
                 "minus $\\beta$ = 0)\nagainst $s_{syc}$: where preferences start to amplify it")
    ax.grid(alpha=0.3, lw=0.5)


def plot(summary, config, stem):
    fig, axes = plt.subplots(2, 4, figsize=(19, 9.6), constrained_layout=True)
    points = _points(summary, config)
    focus, where = points[_nearest([s for s, _ in points], config.annotator.sycophancy)]
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
    _rise(axes[1, 3], summary, points, config, beta_at)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, frameon=False, fontsize=9)
    fig.suptitle(f"E2 sycophancy: {config.labels} labels per signal, {config.contexts} contexts, "
                 f"N = {config.world.responses}, $\\kappa$ = {config.world.coupling:g}, "
                 f"agree value a = {config.world.agree_value:g},\n"
                 f"rejecter sycophancy $s_r$ = {config.annotator.rejecter_sycophancy:g}, "
                 f"families: reward {config.learner.family}, cost {config.cost.family}, "
                 f"named {config.learner.family}, DPO/NSR/NPO "
                 + ("tabular, SGD" if config.policy_family == "tabular" else
                    f"on {config.policy_family} features, Adam")
                 + f", {config.steps} steps; mean and 95% bootstrap band over "
                 f"{summary.n_seeds} seeds", fontsize=10)
    save(fig, stem)
