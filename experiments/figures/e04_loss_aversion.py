"""Figure of E4, ``loss_aversion`` (:mod:`sim.specs.e04_loss_aversion`): KTO's weights against DPO.

    python -m experiments loss_aversion              # default: 64 seeds, four desirable shares
    python -m experiments loss_aversion --quick
    python -m experiments loss_aversion --sweep experiment.desirable_share=0.05,0.5

KTO on unpaired desirable / undesirable labels, one curve per desirable share
against the measured weight ratio lambda_D n_D / (lambda_U n_U), beside DPO on
the same number of preference pairs (a horizontal band: it does not depend on
the ratio) and the prior pi0; KTO's recommended ratio [1, 4/3] is shaded.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from .plotting import save

SHARE = "experiment.desirable_share"
FACETS = (SHARE,)  # a line per share here; other swept fields: a figure per point
COLORS = ("tab:red", "tab:orange", "tab:green", "tab:blue", "tab:purple", "tab:brown",
          "tab:pink", "tab:cyan")
PANELS = (("violation_rate", "(a) Violation rate after training", "violation rate $\\pi(\\neg A)$"),
          ("value", "(b) Value after training", "value $E_\\pi V$ (value units)"),
          ("kl_to_prior", "(c) Distance from the prior", "KL($\\pi$ || $\\pi_0$) (nats)"))


def _shares(summary, config):
    """(share, where) for each desirable share of the run (one when it was not swept)."""
    if SHARE in summary.sweep_cols:
        return [(s, {SHARE: s}) for s in summary.points(SHARE)]
    return [(config.desirable_share, None)]


def plot(summary, config, stem):
    fig, axes = plt.subplots(1, 3, figsize=(14, 5.0), constrained_layout=True)
    handles = []
    for ax, (metric, title, ylabel) in zip(axes, PANELS):
        for k, (share, where) in enumerate(_shares(summary, config)):
            ratio = summary.curve("kto", "weight_ratio", where=where).mean
            c = summary.curve("kto", metric, where=where)
            color = COLORS[k % len(COLORS)]
            ax.plot(ratio, c.mean, marker="o", ms=3, lw=1.6, color=color,
                    label=f"KTO, {100 * share:g}% desirable")
            ax.fill_between(ratio, c.lo, c.hi, color=color, alpha=0.2, lw=0)
        first = _shares(summary, config)[0][1]   # DPO and the prior: the same at every share
        dpo = summary.curve("dpo", metric, where=first)
        ax.axhline(dpo.mean[0], color="black", ls="--", lw=1.2, label="DPO, same budget in pairs")
        ax.axhspan(dpo.lo[0], dpo.hi[0], color="black", alpha=0.1, lw=0)
        if metric != "kl_to_prior":              # the prior's KL to itself is 0
            prior = summary.curve("prior", metric, where=first)
            ax.axhline(prior.mean[0], color="gray", ls=":", lw=1.4, label="prior $\\pi_0$")
        ax.axvspan(1.0, 4.0 / 3.0, color="gold", alpha=0.35, lw=0,
                   label="KTO's recommended [1, 4/3]")
        ax.set(xscale="log", xlabel="measured $\\lambda_D n_D / (\\lambda_U n_U)$", ylabel=ylabel,
               title=title)
        ax.grid(alpha=0.3, lw=0.5)
        if not handles:
            handles = ax.get_legend_handles_labels()
    fig.legend(*handles, loc="outside lower center", ncol=4, frameon=False)
    lam = ", ".join(f"{x:.3g}" for x in config.lambda_desirable)
    policy = ("tabular policy, SGD" if config.policy_family == "tabular" else
              f"policy on {config.policy_family} features (shared), Adam")
    fig.suptitle(f"E4 loss aversion: {config.labels} labels, {config.contexts} contexts, "
                 f"N = {config.world.responses}, $\\beta$ = {config.beta:g}, {policy}, "
                 f"{config.steps} steps,\n$\\lambda_D \\in$ {{{lam}}}, $\\lambda_U$ = 1; mean and "
                 f"95% bootstrap band over {summary.n_seeds} seeds", fontsize=10)
    save(fig, stem)
