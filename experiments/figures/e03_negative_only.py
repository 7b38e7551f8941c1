"""E3, ``negative_only``: negative-only training matches full RL and keeps pass@k (paper sec. 3.3).

    python -m experiments negative_only             # default: 64 seeds, 400 sampled steps
    python -m experiments negative_only --quick
    python -m experiments negative_only --set training.policy_family=quadratic   # shared parameters
    python -m experiments negative_only --set training.optimizer=adam --set training.learning_rate=0.02

Default: plain SGD on tabular logits with sampled (REINFORCE) gradients, so the
methods differ only through their estimates (their exact gradients coincide up
to scale: see :mod:`sim.training`). With Adam, whose per-coordinate scaling
reacts to the sparsity of sampled gradients, the methods separate much more.
"""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
from sim.negative_only import DECILES, PASS_KS, VARIANTS, NegativeOnlyConfig, make_negative_only

from sim.training import TrainConfig
from sim.world import WorldConfig

from .plotting import band, curves, save

NAME = "negative_only"
CLAIM = "E3: negative-only training matches full RL and keeps pass@k (paper sec. 3.3)"
DEFAULT_SEEDS = 64
QUICK_SEEDS = 8

WORLD = WorldConfig(responses=1024, prohibitions=24, prohibition_mass=0.12)  # acceptable: rare


TRAINING = TrainConfig(optimizer="sgd", learning_rate=20.0)  # plain SGD: the estimates as they are


def default_config() -> NegativeOnlyConfig:
    return NegativeOnlyConfig(world=WORLD, training=TRAINING)


def quick_config() -> NegativeOnlyConfig:
    return NegativeOnlyConfig(world=dataclasses.replace(WORLD, responses=512), contexts=8,
                              training=dataclasses.replace(TRAINING, steps=100, checkpoints=10))


def variants(config):
    return VARIANTS


def build(config, variant):
    return make_negative_only(config, variant)


STYLE = {"reinforce": dict(color="black"), "psr": dict(color="tab:red"),
         "nsr": dict(color="tab:blue"), "w_reinforce": dict(color="tab:purple"),
         "kl_optimum": dict(color="gray", ls="--")}
LABEL = {"reinforce": "REINFORCE (PSR + NSR)", "psr": "PSR only", "nsr": "NSR only",
         "w_reinforce": "W-REINFORCE ($\\lambda$ = {lam:g})",
         "kl_optimum": "KL-regularised optimum at REINFORCE's KL"}


def _final(table, variant, metric):
    steps, mean, lo, hi = table[(variant, metric)]
    return mean[-1], lo[-1], hi[-1]


def plot(summary, config: NegativeOnlyConfig, stem):
    t = curves(summary)
    fig, axes = plt.subplots(2, 3, figsize=(13, 8.2), constrained_layout=True)
    (a, b, c), (d, e, f) = axes
    ks = np.array(PASS_KS)
    for v in VARIANTS:
        m = np.array([_final(t, v, f"pass_at_{k}") for k in ks])
        a.plot(ks, m[:, 0], lw=1.6, **STYLE[v])
        a.fill_between(ks, m[:, 1], m[:, 2], color=STYLE[v]["color"], alpha=0.2, lw=0)
    prior = np.array([t[("reinforce", f"pass_at_{k}")][1][0] for k in ks])
    a.plot(ks, prior, color="tab:green", lw=1.2, ls=":", label="prior $\\pi_0$")
    a.set(xscale="log", title="(a) pass@k at the end of training", xlabel="k (samples)",
          ylabel="pass@k")
    a.set_xticks(ks, [str(k) for k in ks])
    a.legend(loc="lower right")
    for ax, metric, title, ylabel in (
            (b, "pass_at_1", "(b) pass@1 during training", "pass@1"),
            (c, "pass_at_16", "(c) pass@16 (solid), pass@256 (dotted)",
             "pass@k"),
            (d, "entropy", "(d) Entropy of the policy", "entropy (nats)"),
            (e, "kl_to_prior", "(e) KL to the prior", "KL($\\pi$ || $\\pi_0$) (nats)")):
        for v in VARIANTS:
            band(ax, t, v, metric, STYLE[v], min_step=0)
        ax.set(title=title, xlabel="training step", ylabel=ylabel)
    for v in VARIANTS:
        band(c, t, v, "pass_at_256", dict(STYLE[v], ls=":"), min_step=0)
    for v in ("psr", "nsr", "reinforce", "w_reinforce"):
        prior_mass = np.array([_final(t, v, f"prior_mass_q{q}")[0] for q in range(DECILES)])
        change = np.array([_final(t, v, f"mass_change_q{q}") for q in range(DECILES)])
        ratio = 1.0 + change / prior_mass[:, None]
        f.plot(prior_mass, ratio[:, 0], marker="o", ms=3, lw=1.4, **STYLE[v])
        low = np.where(ratio[:, 1] > 0, ratio[:, 1], np.nan)  # a log axis shows no band below 0
        f.fill_between(prior_mass, low, ratio[:, 2], color=STYLE[v]["color"], alpha=0.2, lw=0)
    f.axhline(1, color="gray", lw=0.8)
    f.set(xscale="log", yscale="log", title="(f) Where the mass goes: acceptable responses\n"
          "by decile of prior probability (end of training)",
          xlabel="mean prior probability $\\pi_0(i)$ in the decile",
          ylabel="mean $\\pi(i)$ / mean $\\pi_0(i)$ (1: unchanged)")
    for ax in axes.flat:
        ax.grid(alpha=0.3, lw=0.5)
    handles = [plt.Line2D([], [], lw=1.8, **STYLE[v]) for v in VARIANTS]
    fig.legend(handles, [LABEL[v].format(lam=config.lam) for v in VARIANTS],
               loc="outside lower center", ncol=3, frameon=False)
    tr = config.training
    fig.suptitle(f"E3 negative-only: N = {config.world.responses}, {config.contexts} contexts, "
                 f"{tr.policy_family} policy, {tr.estimate} gradients ({tr.samples} samples/step), "
                 f"{tr.optimizer} lr {tr.learning_rate:g}; mean and 95% band over "
                 f"{summary[0][-1]} seeds", fontsize=10)
    save(fig, stem)
