"""Figure of E7, ``returns`` (:mod:`sim.specs.e07_returns`): returns of each label to 100,000.

    python -m experiments returns                   # default: 64 seeds, Zipf masses, T = 1,024
    python -m experiments returns --quick
    python -m experiments returns --sweep world.zipf_exponent=0,1,2

Top row: what each learner admits (unacceptable share of its admitted set),
its marginal gain per label (log-log, with the fitted slopes), and the rule
learner against its exact laws. Middle: the reward model's drift, its
surface loadings, and the time to discover every prohibition. Bottom: gold
gain against d = sqrt(KL) (Gao et al.) at several budgets, and the fitted
alpha and beta against the budget.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .plotting import band, save

LEARNERS = (("rule", "rule learner (oracle: each named rule's extent handed over)",
             dict(color="tab:blue")),
            ("named_rule", "named-rule learner (rules named, extent learned; linear, online)",
             dict(color="tab:brown")),
            ("cost_model", "cost model (binary flags, linear)", dict(color="tab:green")),
            ("reward_model", "reward model (comparisons, linear)", dict(color="tab:red")))


def _scalar(summary, method, metric, where=None):
    if not summary.has(method, metric, where=where):
        return None
    c = summary.curve(method, metric, where=where)
    return float(c.mean[0]), float(c.lo[0]), float(c.hi[0])


def _fmt(t):
    return "n/a" if t is None else f"{t[0]:+.2f} [{t[1]:+.2f}, {t[2]:+.2f}]"


def _top(axes, summary):
    a, b, c = axes
    for name, label, style in LEARNERS:
        band(a, summary, name, "unacceptable_share", style, label=label, min_x=1)
        slopes = (_scalar(summary, f"{name.split('_')[0]}_returns", "slope_early"),
                  _scalar(summary, f"{name.split('_')[0]}_returns", "slope_late"))
        if summary.has(name, "marginal_gain"):
            g = summary.curve(name, "marginal_gain")
            keep = (g.x >= 1) & (g.mean > 0)
            b.plot(g.x[keep], g.mean[keep], marker="o", ms=3, lw=1.4, **style,
                   label=f"{label.split(' (')[0]}: slope of U early {_fmt(slopes[0])}, "
                         f"late {_fmt(slopes[1])}")
    a.set(xscale="log", xlabel="labels n (log)", ylabel="unacceptable share U of the admitted set",
          title="(a) what each learner admits (held-out contexts)")
    b.set(xscale="log", yscale="log", xlabel="labels n (log)",
          ylabel="marginal gain -dU/dn per label (mean; log)",
          title="(b) diminishing returns: gain per added label")
    styles = (("missing_mass", "missing mass (measured)", dict(color="tab:blue")),
              ("missing_mass_law", "$\\sum_j p_j (1-p_j)^n$ (disjoint law)",
               dict(color="black", ls="--")),
              ("missing_mass_exact_law", "mean$_i$ 1[i unacceptable] $(1-\\mu_i)^n$ (exact law)",
               dict(color="tab:orange", ls=":")))
    for metric, label, style in styles:
        band(c, summary, "rule", metric, style, label=label, min_x=1)
    c.set(xscale="log", yscale="log", xlabel="labels n (log)", ylabel="share of the response pool",
          title="(c) rule learner's missing mass against its laws")
    c.set_ylim(bottom=1e-5)


def _middle(axes, summary):
    a, b, c = axes
    right = a.twinx()
    handles, names = [], []   # a colour per learner, a line style per metric: below the panel
    for name, label, style in LEARNERS[1:]:
        drift = band(a, summary, name, "ranking_drift", style, min_x=1)
        flips = band(right, summary, name, "top1_flips", dict(style, ls="--"), min_x=1)
        if drift is not None or flips is not None:
            handles.append(plt.Line2D([], [], lw=1.6, **style))
            names.append(label.split(" (")[0])
    a.set(xscale="log", xlabel="labels n (log)",
          ylabel="Kendall distance between successive budgets",
          title="(d) ranking drift of the learned scorers")
    right.set(ylabel="top-1 changes so far (mean over contexts)")
    if handles:
        handles += [plt.Line2D([], [], color="black", lw=1.6, ls=ls) for ls in ("-", "--")]
        names += ["Kendall drift (left axis)", "top-1 flips so far (right axis)"]
        a.legend(handles, names, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13),
                 ncol=2)
    for metric, label, style in (("surface_loading_endorse", "endorses the user", dict(color="tab:red")),
                                 ("surface_loading_length", "log length", dict(color="tab:brown"))):
        band(b, summary, "reward_model", metric, style, label=label, min_x=1)
    b.axhline(0.0, color="black", lw=0.7)
    b.set(xscale="log", xlabel="labels n (log)",
          ylabel="reward per unit feature / reward sd",
          title="(e) reward model's surface loadings")
    band(c, summary, "rule", "discovered_share", dict(color="tab:blue"),
         label="prohibitions with a violator in the pool, discovered", min_x=1)
    band(c, summary, "rule", "feasible_measured", dict(color="tab:purple"),
         label="feasible fraction of the pool (measured)", min_x=1)
    band(c, summary, "rule", "feasible_law", dict(color="tab:orange", ls=":"),
         label="mean$_i (1-\\mu_i)^n$ (exact law)", min_x=1)
    marks = (("all_found_at", "measured $N_{all}$", "tab:blue", "-"),
             ("coupon_integral", "$\\int [1-\\prod_j(1-e^{-p_j t})]dt$", "black", "--"),
             ("lower_bound", "$1/p_{min}$", "grey", ":"),
             ("upper_bound", "$\\sum_j 1/p_j$", "grey", "-."))
    for metric, label, color, ls in marks:
        t = _scalar(summary, "discovery", metric)
        if t is not None and t[0] > 0:
            c.axvline(t[0], color=color, ls=ls, lw=1.2, label=f"{label} = {t[0]:,.0f}")
    c.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)   # inside,
    # it hid the discovery curve or the marks
    c.set(xscale="log", xlabel="labels n (log)", ylabel="share",
          title="(f) discovery (coupon collector) and the feasible fraction's exact law")


def _bottom(axes, summary, config):
    a, b, c = axes
    colors = plt.cm.viridis(np.linspace(0.1, 0.9, len(config.curve_budgets)))
    for color, n in zip(colors, config.curve_budgets):
        for method, ax in ((f"tilt_{n}", a), (f"bon_{n}", b)):
            if summary.has(method, "gain") and summary.has(method, "sqrt_kl"):
                g, d = summary.curve(method, "gain"), summary.curve(method, "sqrt_kl")
                ax.plot(d.mean, g.mean, marker="o", ms=3, color=color, label=f"n = {n:,}")
                ax.fill_between(d.mean, g.lo, g.hi, color=color, alpha=0.2, lw=0)
    a.set(xlabel="d = sqrt(KL($\\pi_\\beta$ || $\\pi_0$)) (nats$^{1/2}$)",
          ylabel="gold gain E$_\\pi$V - E$_{\\pi_0}$V", title="(g) tilt $\\pi_0 e^{\\beta r}$ "
          "by the learned reward, $\\beta$ in " + ", ".join(f"{x:g}" for x in config.betas))
    b.set(xlabel="d = sqrt(KL(best-of-n || $\\pi_0$)) (nats$^{1/2}$)",
          ylabel="gold gain E$_\\pi$V - E$_{\\pi_0}$V",
          title=f"(h) best-of-n, n = {config.best_of[0]}..{config.best_of[-1]}")
    for ax in (a, b):
        ax.axhline(0.0, color="black", lw=0.7)
        ax.legend(title="label budget", fontsize=7.5)
    for metric, label, style in (("alpha_rl", "$\\alpha_{RL}$", dict(color="tab:red")),
                                 ("beta_rl", "$\\beta_{RL}$", dict(color="tab:red", ls="--")),
                                 ("alpha_bon", "$\\alpha_{bon}$", dict(color="tab:purple")),
                                 ("beta_bon", "$\\beta_{bon}$", dict(color="tab:purple", ls="--"))):
        band(c, summary, "tilt", metric, style, label=label)
    c.set(xscale="log", xlabel="labels n (log)", ylabel="fitted coefficient (gold-value units)",
          title="(i) Gao fits: R$_{RL}$ = d($\\alpha$ - $\\beta$ log d), R$_{bon}$ = "
                "d($\\alpha$ - $\\beta$ d)")
    c.axhline(0.0, color="black", lw=0.7)


def plot(summary, config, stem):
    fig, axes = plt.subplots(3, 3, figsize=(17, 14), constrained_layout=True)
    _top(axes[0], summary)
    _middle(axes[1], summary)
    _bottom(axes[2], summary, config)
    for ax in axes.flat:
        ax.grid(alpha=0.3, lw=0.5)
        if ax.get_legend() is None and ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7.5)
    w = config.world
    fig.suptitle(f"E7 returns: N = {w.responses}, T = {w.prohibitions} prohibitions, {w.mass_law} "
                 f"masses (exponent {w.zipf_exponent:g}, total {w.prohibitions * w.prohibition_mass:g}),"
                 f" budgets to {config.budgets[-1]:,} labels of each signal, "
                 f"{config.eval_contexts} held-out contexts;\nmean and 95% bootstrap band over "
                 f"{summary.n_seeds} seeds", fontsize=10)
    save(fig, stem)
