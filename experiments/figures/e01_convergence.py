"""Figure of E1, ``convergence`` (:mod:`sim.specs.e01_convergence`): contraction against drift.

    python -m experiments convergence            # default: 2,000 labels, 64 seeds
    python -m experiments convergence --quick    # seconds
    python -m experiments convergence --seeds 128 --set world.coupling=0.9
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from .plotting import band, save

STYLE = {
    "rule": dict(color="black"),
    "named_batch": dict(color="tab:brown"),
    "named_online": dict(color="tab:brown", ls="--"),
    "batch": dict(color="tab:red"),
    "online": dict(color="tab:red", ls="--"),
    "control_batch": dict(color="tab:blue"),
    "control_online": dict(color="tab:blue", ls="--"),
    "cost_batch": dict(color="tab:green"),
    "cost_online": dict(color="tab:green", ls="--"),
    "maxout_batch": dict(color="tab:purple"),
    "maxout_online": dict(color="tab:purple", ls="--"),
    "maxout_reward": dict(color="tab:pink"),
}
LABEL = {
    "rule": "rule learner (feasible set $F_n$), oracle tier: each rule's extent handed over",
    "named_batch": "named-rule learner, {family}, batch: each named rule's extent learned",
    "named_online": "named-rule learner, {family}, online",
    "batch": "reward model, {family}, batch MLE",
    "online": "reward model, {family}, online",
    "control_batch": "control: contextual, no surface bias, batch MLE",
    "control_online": "control: contextual, no surface bias, online",
    "cost_batch": "cost model on flags, {cost}, batch MLE",
    "cost_online": "cost model on flags, {cost}, online",
    "maxout_batch": "cost model on flags, max of {k} halfspaces, batch",
    "maxout_online": "cost model on flags, max of {k} halfspaces, online",
    "maxout_reward": "reward model, minus a max of {kr} halfspaces, batch",
}
COSTS = ("cost_batch", "cost_online", "maxout_batch", "maxout_online")
FLOORS = ("rule", "named_batch", "batch", "cost_batch")   # drift's floor drawn for these
SCORED = ("named_batch", "named_online", *COSTS)   # learned scores without surface loadings
METHOD = {"rule": "rule", "named_batch": "named_rule", "named_online": "named_rule",
          **{v: "cost_model" for v in COSTS}}  # the others: reward model


def _draw(ax, summary, variant, metric, style, label=None):
    return band(ax, summary, METHOD.get(variant, "reward_model"), metric, style, label,
                variant=variant, min_x=1)


def _finish(fig, axes, summary, config, variants):
    """Log-scaled label axes, the legend panel and the title naming the world."""
    for ax in axes.flat[:-1]:
        ax.set_xscale("log")
        ax.set_xlabel("labels (queries answered)")
        ax.grid(alpha=0.3, lw=0.5)
    legend = axes.flat[-1]
    names = dict(family=config.learner.family, cost=config.cost.family, k=config.cost.halfspaces,
                 kr=config.learner.halfspaces)
    handles = [plt.Line2D([], [], lw=1.8, **STYLE[v]) for v in variants]
    legend.axis("off")
    legend.legend(handles, [LABEL[v].format(**names) for v in variants], loc="center",
                  frameon=False, fontsize=9)
    w = config.world
    fig.suptitle(
        f"E1 convergence: N = {w.responses}, d = {w.latent_dims}, T = {w.prohibitions}, "
        f"$\\kappa$ = {w.coupling:g}, $s_{{syc}}$ = {config.annotator.sycophancy:g}, "
        f"$s_{{len}}$ = {config.annotator.length_bias:g} (rejecters: "
        f"{config.annotator.rejecter_sycophancy:g}, {config.annotator.rejecter_length_bias:g}); "
        f"one family on every side: {config.learner.family}\nmean and 95% bootstrap band over "
        f"{summary.n_seeds} seeds", fontsize=10)


def plot(summary, config, stem):
    variants = [v for v in STYLE if v in summary.variants]
    learned = [v for v in variants if v != "rule"]
    rewards = [v for v in learned if v not in SCORED]
    fig, axes = plt.subplots(4, 3, figsize=(12.5, 13.5), constrained_layout=True)
    (a, b, c), (d, e, f), (g, h, i), (j, k, _) = axes   # the last panel: the legend (_finish)

    _draw(a, summary, "rule", "feasible_fraction", dict(color="black"), "feasible fraction")
    _draw(a, summary, "rule", "unacceptable_share", dict(color="tab:orange"),
          "unacceptable share of $F_n$")
    _draw(a, summary, "rule", "acceptable_fraction", dict(color="gray", ls=":"),
          "acceptable fraction $|A|/N$ (truth)")
    a.set(title="(a) Rule learner: contraction", ylabel="fraction of responses")
    if a.get_legend_handles_labels()[0]:   # a run without the rule learner leaves (a) empty
        a.set(ylim=(-0.05, 1.4), yticks=[0, 0.2, 0.4, 0.6, 0.8, 1])   # room for the legend
        a.legend(loc="upper right")

    # (axis, metric, variants drawn, title, y label, extra axis settings)
    panels = (
        (b, "unacceptable_share", variants, "(b) Unacceptable share of what each admits\n"
         "($F_n$; cost $\\leq 0$; top $q$ of the reward, $q = |A|/N$)",
         "share of admitted set", {}),
        (c, "regret_mean", variants, "(c) Mean regret of the admitted set",
         "$V^* - V$ (value units)", {"yscale": "log"}),
        (d, "kendall_tau_true", learned, "(d) Kendall $\\tau_b$(r or $-c$, V), held-out contexts",
         "Kendall $\\tau_b$", {}),
        (e, "ranking_drift", variants, "(e) Ranking drift between checkpoints (score)\n"
         "dotted: its noise floor, a refit on a bootstrap resample", "share of pairs reversed",
         {}),
        (f, "top1_flips", learned, "(f) Top-1 flips so far (argmax r, argmin c)",
         "flips (mean over contexts)", {}),
        (g, "reopenings", variants, "(g) Re-openings so far (rule learner: 0)",
         "responses (mean over contexts)", {}),
        (h, "surface_loading_endorse", rewards, "(h) Surface loading: endorsing the user\n"
         "(reward models only)",
         "$\\Delta r$ / sd(r)", {}),
        (i, "surface_loading_length", rewards, "(i) Surface loading: doubling the length\n"
         "(reward models only)",
         "$\\Delta r$ / sd(r)", {}),
        (j, "false_exclusion", variants, "(j) Acceptable responses excluded",
         "share of $A(c)$", {}),
        (k, "feasible_fraction", variants, "(k) Size of the admitted set\n"
         "(reward models: the top $q = |A|/N$, fixed)",
         "fraction of responses", {}),
    )
    for ax, metric, drawn, title, ylabel, extra in panels:
        for v in drawn:
            _draw(ax, summary, v, metric, STYLE[v])
            if metric == "ranking_drift" and v in FLOORS:
                _draw(ax, summary, v, "ranking_drift_floor", {**STYLE[v], "ls": ":"})
        if metric.startswith("surface_loading"):
            ax.axhline(0.0, color="gray", lw=0.8)
        ax.set(title=title, ylabel=ylabel, **extra)

    _finish(fig, axes, summary, config, variants)
    save(fig, stem)
