"""Shared plotting: mean curves with 95% bootstrap bands from summary rows."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

plt.rcParams.update({"font.size": 9, "axes.titlesize": 9.5, "axes.labelsize": 9,
                     "legend.fontsize": 9, "pdf.fonttype": 42, "svg.fonttype": "none"})


def curves(summary) -> dict:
    """{(variant, metric): (steps, mean, low, high)} from summary rows."""
    table = defaultdict(list)
    for _, variant, step, metric, mean, lo, hi, _ in summary:
        table[(variant, metric)].append((step, mean, lo, hi))
    return {k: tuple(np.array(c) for c in zip(*sorted(v))) for k, v in table.items()}


def band(ax, table, variant, metric, style, label=None, min_step=1):
    """Plot one mean curve and its band; steps below ``min_step`` are left out (log axes)."""
    if (variant, metric) not in table:
        return
    steps, mean, lo, hi = table[(variant, metric)]
    keep = steps >= min_step
    line, = ax.plot(steps[keep], mean[keep], label=label, lw=1.6, **style)
    ax.fill_between(steps[keep], lo[keep], hi[keep], color=line.get_color(), alpha=0.22, lw=0)


def save(fig, stem: Path):
    fig.savefig(Path(stem).with_suffix(".pdf"), metadata={"CreationDate": None})
    fig.savefig(Path(stem).with_suffix(".png"), dpi=150)
    plt.close(fig)
