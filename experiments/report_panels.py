"""One claim panel of ``report.pdf`` (:mod:`experiments.report`), drawn into one matplotlib
axes from a run's ``summary.csv``: each of the claim's curves (a
:class:`~experiments.claims.reading.Panel`) as its mean with its 95% band over seeds, the
reading point marked with a dotted vertical line and a star on each curve labelled "read
here", and "not in this run" for each curve the run lacks (in place of the panel when it lacks
them all). A scalar is drawn as a dashed level and its band beside curves, or as a point and its
CI in a panel of scalars only."""

from __future__ import annotations

import math
import textwrap

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

from .claims.reading import nearest, panel_curves  # noqa: E402
from .ledger import configured  # noqa: E402,F401  (the report reads it from here)

FONT = 8.0                      # pt: the smallest text on a page
LINES = ("-", "--", "-.", ":")  # a curve's style after the 10 colours
SHORT = {"annotator.sycophancy": "$s_{syc}$", "experiment.desirable_share": "desirable share"}
NOTE = "not in this run"
STAR = dict(ls="none", marker="*", mec="black", mew=0.6, zorder=5, label="read here")


def sweep_point(summary, where=None, default=None) -> dict:
    """Every field the run sweeps, named: at the point nearest ``where``'s value (the
    claim's; a function such as ``max`` picks from the run's values), else nearest the run's
    configured value (``default``), else the first."""
    where, default, point = where or {}, default or {}, {}
    for col in summary.sweep_cols:
        values = summary.points(col)
        target = where.get(col, default.get(col))
        try:
            point[col] = (values[0] if target is None else target(values) if callable(target)
                          else nearest(values, target))
        except (TypeError, ValueError):
            point[col] = values[0]
    return point


def _g(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float, np.floating)) else str(x)


def _setting(summary, point: dict, where: dict | None, variants: set) -> str:
    """The panel's setting: its sweep point (and what the claim asked, where the run lacks
    it) and its variant when all curves share one."""
    parts = []
    for col, value in point.items():
        if len(summary.points(col)) < 2 and col not in (where or {}):
            continue
        name = SHORT.get(col, col.rsplit(".", 1)[-1])
        asked = (where or {}).get(col)
        text = f"{name} = {_g(value)}"
        if callable(asked):
            text += {max: " (the run's largest)", min: " (the run's smallest)"}.get(asked, "")
        elif asked is not None and not math.isclose(float(asked), float(value)):
            text += f" (nearest to {_g(asked)} in this run)"
        parts.append(text)
    if len(variants) == 1 and None not in variants:
        parts.append(f"variant {next(iter(variants))}")
    return "; ".join(parts)


def _targets(read_x, summary) -> list:
    """The panel's reading points: floats, or None for the largest x."""
    if callable(read_x):
        try:
            read_x = read_x(summary)
        except (KeyError, ValueError, IndexError, TypeError):
            return []
        if read_x is None:
            return []
    return list(read_x) if isinstance(read_x, (tuple, list)) else [read_x]


def _nearest_index(x: np.ndarray, target) -> int:
    return len(x) - 1 if target is None else int(np.argmin(np.abs(x - float(target))))


def _log_x(ax, xs) -> None:
    """A log x axis with plain numbers: at the data's x values when they are few."""
    ax.set_xscale("log")
    xs = xs[np.isfinite(xs) & (xs > 0)]
    plain = FuncFormatter(lambda v, _: f"{v:,.6g}")
    if 0 < len(xs) <= 6:
        ax.set_xticks(xs, [plain(x) for x in xs])
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(NullFormatter())


def _curves(ax, panel, summary, default, title):
    """The panel's curves at its sweep point, and its title (the metrics it draws and its
    setting) set on ``ax``. Returns (drawn: [(label, curve)], missing labels, keys:
    [(method, variant)] of the drawn curves)."""
    drawn, missing, variants, names, keys = [], [], set(), {}, []
    point = sweep_point(summary, panel.where, default) if summary is not None else {}
    for method, variant, label, metric in (panel_curves(panel, summary) if summary else []):
        try:
            c = summary.curve(method, metric, variant, point)
        except (KeyError, ValueError):
            missing.append(label)
            continue
        drawn.append((label, c))
        keys.append((method, variant))
        variants.add(variant)
        names[metric] = None
    names = " and ".join(names) or panel.metric.replace("{largest}", "k").replace("{each}", "*")
    setting = _setting(summary, point, panel.where, variants) if summary is not None else ""
    ax.set_title(f"{title}{names}" + (f"\n{setting}" if setting else ""), fontsize=9, loc="left")
    return drawn, missing, keys


def _styles(keys) -> list[dict]:
    """Each curve's colour and line style: one colour per (method, variant), a method's
    second metric dashed in its colour."""
    colour = list(dict.fromkeys(keys))
    return [dict(color=f"C{colour.index(key) % 10}",
                 ls=LINES[(keys[:k].count(key) + colour.index(key) // 10) % 4])
            for k, key in enumerate(keys)]


def _curve(ax, c, s, log_x, targets, read_at, asked):
    """One curve: its mean, its 95% band (an error bar when it has one x) and a star at each
    reading point, whose x are added to ``read_at`` (those asked for to ``asked``). Returns
    its line, or None when it has no x to draw."""
    keep = np.isfinite(c.x) & ((c.x > 0) if log_x else True)
    x, mean, lo, hi = c.x[keep], c.mean[keep], c.lo[keep], c.hi[keep]
    if not len(x):
        return None
    h, = ax.plot(x, mean, lw=1.6, marker="o", ms=2.5, **s)
    ax.fill_between(x, lo, hi, color=s["color"], alpha=0.2, lw=0)
    if len(x) == 1:   # a band needs two x: the CI as an error bar
        ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], fmt="none", lw=1.4,
                    capsize=4, ecolor=s["color"])
    for t in targets:
        k = _nearest_index(x, t)
        read_at.add(float(x[k]))
        asked.add(float(x[k]) if t is None else float(t))
        ax.plot([x[k]], [mean[k]], ms=12, color=s["color"], **STAR)
    return h


def _level(ax, c, s, read_at):
    """A scalar beside curves: a dashed level, its band, a star at each reading point."""
    h = ax.axhline(c.mean[0], color=s["color"], ls="--", lw=1.4)
    ax.axhspan(c.lo[0], c.hi[0], color=s["color"], alpha=0.12, lw=0)
    for x in read_at:
        ax.plot([x], [c.mean[0]], ms=12, color=s["color"], **STAR)
    return h


def _read_here(panel, read_at, asked) -> tuple[list, list]:
    """The legend's entry for the reading point (where the claim's point is missing, the
    one read instead)."""
    if read_at:
        star = plt.Line2D([], [], ls=":", color="black", marker="*", ms=10, mfc="white",
                          mec="black")
        text = ", ".join(f"{x:g}" for x in sorted(read_at))
        if asked != read_at:   # a small run may lack the claim's point: the nearest
            text += "; the claim reads " + ", ".join(f"{x:g}" for x in sorted(asked))
        return [star], [f"read here (x = {text})"]
    if panel.read_x is not None:
        return [plt.Line2D([], [], ls="none")], ["no reading point in this run"]
    return [], []


def _draw_lines(ax, panel, summary, lines, levels) -> tuple[list, list]:
    """Curves along x (and scalars as levels beside them), read at ``panel.read_x``: a
    dotted vertical line at each reading point. Returns the legend's (handles, labels)."""
    targets, read_at, asked = _targets(panel.read_x, summary), set(), set()
    handles, labels = [], []
    for label, c, s in lines:
        h = _curve(ax, c, s, panel.log_x, targets, read_at, asked)
        if h is not None:
            handles.append(h), labels.append(label)
    for label, c, s in levels:
        handles.append(_level(ax, c, s, read_at))
        labels.append(label + " (one value, no x axis)")
    for x in sorted(read_at):
        ax.axvline(x, color="black", ls=":", lw=1.2, gid="read_x")
    if panel.log_x:
        _log_x(ax, np.unique(np.concatenate([c.x for _, c, _ in lines])))
    more_handles, more_labels = _read_here(panel, read_at, asked)
    return handles + more_handles, labels + more_labels


def _draw_scalars(ax, levels) -> tuple[list, list]:
    """Only scalars: one point and its CI per curve, every one read."""
    for k, (_, c, s) in enumerate(levels):
        m, lo, hi = c.mean[0], c.lo[0], c.hi[0]
        ax.errorbar([k], [m], yerr=[[m - lo], [hi - m]], fmt="none", ecolor=s["color"],
                    lw=1.6, capsize=4)
        ax.plot([k], [m], ms=13, color=s["color"], **STAR)
    ax.set_xticks(range(len(levels)), [lab for lab, _, _ in levels], fontsize=FONT,
                  rotation=30, ha="right", rotation_mode="anchor")
    ax.set_xlim(-0.6, len(levels) - 0.4)
    star = plt.Line2D([], [], ls="none", marker="*", ms=10, mfc="white", mec="black")
    return [star], ["read here: mean and 95% CI over seeds"]


def _note(ax, missing) -> None:
    """The curves the run lacks, noted in the panel's lower left corner."""
    ax.text(0.02, 0.02, textwrap.fill(f"{NOTE}: " + "; ".join(missing), 60),
            transform=ax.transAxes, fontsize=FONT, color="dimgray", va="bottom",
            bbox=dict(fc="white", ec="none", alpha=0.8, pad=1))


def _empty(ax) -> None:
    """A panel the run has no curve of: the note in place of the axes' data."""
    ax.text(0.5, 0.5, NOTE, transform=ax.transAxes, ha="center", va="center", fontsize=11,
            color="dimgray", style="italic")
    ax.set_xticks([])
    ax.set_yticks([])


def _finish(ax) -> None:
    """A zero line where the y range spans 0, and a light grid."""
    lo, hi = ax.get_ylim()
    if lo < 0 < hi:
        ax.axhline(0.0, color="gray", lw=0.7, zorder=0)
    ax.grid(alpha=0.3, lw=0.5)


def draw_panel(ax, panel, summary, default=None, title="") -> tuple[list, list]:
    """Draw one panel into ``ax``: each curve's mean and 95% band (a scalar: a dashed level
    and its band beside curves, or a point with its CI in a panel of scalars), the reading
    point as a dotted vertical line with a star on each curve ("read here"), and a note
    "not in this run" for each curve the run lacks (in place of the panel when it lacks
    all). ``default`` (the run's configured sweep values) picks the points the claim does not
    name; ``title`` prefixes the axes' title. Returns the legend's (handles, labels)."""
    ax.tick_params(labelsize=FONT)
    ax.set_xlabel(panel.xlabel, fontsize=FONT)
    ax.set_ylabel(panel.ylabel, fontsize=FONT)
    drawn, missing, keys = _curves(ax, panel, summary, default, title)
    if not drawn:
        _empty(ax)
        return [], []
    if missing:
        _note(ax, missing)
    styled = [(lab, c, s) for (lab, c), s in zip(drawn, _styles(keys))]
    lines = [(lab, c, s) for lab, c, s in styled if np.isfinite(c.x).any()]
    levels = [(lab, c, s) for lab, c, s in styled if not np.isfinite(c.x).any()]
    if lines:
        handles, labels = _draw_lines(ax, panel, summary, lines, levels)
    else:
        handles, labels = _draw_scalars(ax, levels)
    _finish(ax)
    return handles, labels
