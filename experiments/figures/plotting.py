"""Shared plotting: mean curves with 95% bootstrap bands read from a :class:`Summary`."""

from __future__ import annotations

import contextlib
import contextvars
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from . import mathtext_cache  # noqa: E402

plt.rcParams.update({"font.size": 9, "axes.titlesize": 9.5, "axes.labelsize": 9,
                     "legend.fontsize": 9, "pdf.fonttype": 42, "svg.fonttype": "none"})
mathtext_cache.share_parses()   # each math string laid out once per process


def band(ax, summary, method, metric, style, label=None, variant=None, where=None, min_x=None):
    """Plot one mean curve and its band; x below ``min_x`` is left out (log axes).

    Returns the curve, or None when the summary has no such rows.
    """
    if not summary.has(method, metric, variant, where):
        return None
    c = summary.curve(method, metric, variant, where)
    keep = np.ones(c.x.shape, bool) if min_x is None else c.x >= min_x
    line, = ax.plot(c.x[keep], c.mean[keep], label=label, lw=1.6, **style)
    ax.fill_between(c.x[keep], c.lo[keep], c.hi[keep], color=line.get_color(), alpha=0.22, lw=0)
    return c


_CAPTION = contextvars.ContextVar("caption", default=None)


@contextlib.contextmanager
def caption(text: str | None):
    """Figures saved inside this block carry ``text`` as the last line of their title (the
    sweep point they show: :mod:`experiments.drawing`)."""
    token = _CAPTION.set(text)
    try:
        yield
    finally:
        _CAPTION.reset(token)


def plain(x: float, signed: bool = False) -> str:
    """A number for a cell's text in plain decimals, never ``1.1e+02``: three significant
    digits down to 0.001, whole numbers from 100 on."""
    a = abs(x)
    digits = 0 if a >= 100 else 1 if a >= 10 else 2 if a >= 1 else 3
    return f"{x:{'+' if signed else ''},.{digits}f}"


def plain_log_axis(axis) -> None:
    """A log axis labelled in plain numbers (5, 20, 1,000, 0.01) at 1, 2 and 5 times each
    decade, its minor ticks unlabelled: never ``2 x 10^1`` at every minor tick."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    def label(v, _):
        text = plain(v)
        return text.rstrip("0").rstrip(".") if "." in text else text

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(label))
    axis.set_minor_formatter(NullFormatter())


def _fit_title(fig) -> None:
    """Wrap the figure's title at spaces where a line is wider than the figure (a long
    setting line was cut off at both ends: E3's)."""
    if not fig.get_suptitle():
        return
    text = fig._suptitle
    room = 0.96 * fig.bbox.width
    lines = []
    for line in fig.get_suptitle().split("\n"):
        text.set_text(line)
        wide = text.get_window_extent(fig.canvas.get_renderer()).width
        width = len(line) if wide <= room else max(20, int(len(line) * room / wide))
        lines += textwrap.wrap(line, width) or [""]
    text.set_text("\n".join(lines))


def save(fig, stem: Path):
    if _CAPTION.get():   # the sweep point: a last line of the title, where no legend goes
        title = fig.get_suptitle()
        size = fig._suptitle.get_fontsize() if title else 10
        fig.suptitle(f"{title}\n{_CAPTION.get()}" if title else _CAPTION.get(), fontsize=size)
    _fit_title(fig)
    fig.savefig(f"{stem}.pdf", metadata={"CreationDate": None})   # a stem may hold dots
    fig.set_layout_engine("none")   # keep the layout the PDF's draw made: a second costs as much
    fig.savefig(f"{stem}.png", dpi=150)
    plt.close(fig)
