"""Figure of E3, ``negative_only`` (:mod:`sim.specs.e03_negative_only`): PSR, NSR and full RL.

    python -m experiments negative_only              # default: 64 seeds, five variants
    python -m experiments negative_only --quick
    python -m experiments negative_only --variant psr,nsr --set training.estimate=exact

Six panels: pass@k at the end of training, pass@1 and pass@16/256 and the
entropy and KL along training, and where the freed probability goes (the
acceptable responses by decile of their prior probability).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .plotting import band, save

ORDER = ("reinforce", "psr", "nsr", "w_reinforce", "kl_optimum")
STYLE = {"reinforce": dict(color="black"), "psr": dict(color="tab:red"),
         "nsr": dict(color="tab:blue"), "w_reinforce": dict(color="tab:purple"),
         "kl_optimum": dict(color="gray", ls="--")}
LABEL = {"reinforce": "REINFORCE (PSR + NSR)", "psr": "PSR only", "nsr": "NSR only",
         "w_reinforce": "W-REINFORCE (0.1 PSR + NSR)",
         "kl_optimum": "KL-regularised optimum at REINFORCE's KL"}


def _final(summary, variant, metric):
    c = summary.curve("policy", metric, variant)
    return c.mean[-1], c.lo[-1], c.hi[-1]


def _pass_at(summary, config, variants, ax):
    ks = np.array(config.pass_ks)
    for v in variants:
        m = np.array([_final(summary, v, f"pass_at_{k}") for k in ks])
        ax.plot(ks, m[:, 0], lw=1.6, marker="o", ms=2.5, **STYLE.get(v, {}))
        ax.fill_between(ks, m[:, 1], m[:, 2], color=STYLE.get(v, {}).get("color"), alpha=0.2, lw=0)
    prior = [summary.curve("policy", f"pass_at_{k}", variants[0]).mean[0] for k in ks]
    ax.plot(ks, prior, color="tab:green", lw=1.2, ls=":", label="prior $\\pi_0$")
    ax.set(xscale="log" if ks.max() > ks.min() else "linear",
           title="(a) pass@k at the end of training", xlabel="k (samples)", ylabel="pass@k")
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.legend(loc="lower right")


def _mass(summary, config, variants, ax):
    """Mean pi / mean pi0 by decile of the prior, on log axes where the data allow it."""
    drawn = []
    for v in (v for v in variants if v != "kl_optimum"):
        q = range(config.deciles)
        prior = np.array([_final(summary, v, f"prior_mass_q{j}")[0] for j in q])
        change = np.array([_final(summary, v, f"mass_change_q{j}") for j in q])
        ok = prior > 0
        if not ok.any():
            continue
        ratio = 1.0 + change[ok] / prior[ok, None]
        ax.plot(prior[ok], ratio[:, 0], marker="o", ms=3, lw=1.4, **STYLE.get(v, {}))
        floor = ratio[:, 0].min() / 10 if ratio[:, 0].min() > 0 else None  # a log axis: no band <= 0
        low = ratio[:, 1] if floor is None else np.maximum(ratio[:, 1], floor)
        ax.fill_between(prior[ok], low, ratio[:, 2], color=STYLE.get(v, {}).get("color"),
                        alpha=0.2, lw=0)
        drawn.append((prior[ok], ratio))
    ax.axhline(1, color="gray", lw=0.8)
    xs = np.concatenate([d[0] for d in drawn]) if drawn else np.array([])
    ys = np.concatenate([d[1][:, 0] for d in drawn]) if drawn else np.array([])
    if xs.size and xs.min() > 0 and xs.max() > xs.min():
        ax.set_xscale("log")
    if ys.size and ys.min() > 0:
        ax.set_yscale("log")
    if not drawn:
        ax.text(0.5, 0.5, "no acceptable response has prior mass", ha="center",
                transform=ax.transAxes)
    ax.set(title="(f) Where the mass goes: acceptable responses\nby decile of prior probability "
           "(end of training)", xlabel="mean prior probability $\\pi_0(i)$ in the decile",
           ylabel="mean $\\pi(i)$ / mean $\\pi_0(i)$ (1: unchanged)")


def plot(summary, config, stem):
    variants = [v for v in ORDER if v in summary.variants] + [
        v for v in summary.variants if v not in ORDER]
    fig, axes = plt.subplots(2, 3, figsize=(13, 8.2), constrained_layout=True)
    (a, b, c), (d, e, f) = axes
    _pass_at(summary, config, variants, a)
    k_mid, k_top = config.pass_ks[len(config.pass_ks) // 2], config.pass_ks[-1]
    for ax, metric, title, ylabel in (
            (b, f"pass_at_{config.pass_ks[0]}", f"(b) pass@{config.pass_ks[0]} during training",
             f"pass@{config.pass_ks[0]}"),
            (c, f"pass_at_{k_mid}", f"(c) pass@{k_mid} (solid), pass@{k_top} (dotted)", "pass@k"),
            (d, "entropy", "(d) Entropy of the policy", "entropy (nats)"),
            (e, "kl_to_prior", "(e) KL to the prior", "KL($\\pi$ || $\\pi_0$) (nats)")):
        for v in variants:
            band(ax, summary, "policy", metric, STYLE.get(v, {}), variant=v)
        ax.set(title=title, xlabel="training step", ylabel=ylabel)
    for v in variants:
        band(c, summary, "policy", f"pass_at_{k_top}", dict(STYLE.get(v, {}), ls=":"), variant=v)
    _mass(summary, config, variants, f)
    for ax in axes.flat:
        ax.grid(alpha=0.3, lw=0.5)
    handles = [plt.Line2D([], [], lw=1.8, **STYLE.get(v, {})) for v in variants]
    fig.legend(handles, [LABEL.get(v, v) for v in variants], loc="outside lower center", ncol=3,
               frameon=False)
    tr = config.training
    fig.suptitle(f"E3 negative-only: N = {config.world.responses}, {config.contexts} contexts, "
                 f"{tr.policy_family} policy, {tr.estimate} gradients ({tr.samples} samples/step) "
                 f"of the {'log-probability' if tr.form == 'logprob' else 'probability'} form, "
                 f"{tr.optimizer} lr {tr.learning_rate:g}, prompt difficulty D = "
                 f"{config.policy.difficulty:g}; mean and 95% band over "
                 f"{summary.n_seeds} seeds", fontsize=10)
    save(fig, stem)
