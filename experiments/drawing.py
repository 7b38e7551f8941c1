"""A run's figures, with every sweep point shown and each named where it is drawn.

A figure module draws some swept fields itself: those it names in ``FACETS`` (E2's
annotator sycophancy is the x axis of its bottom row; E4 draws a line per desirable
share). For every other field a run sweeps over more than one value, the run gets one
figure per sweep point, ``NAME@field=value.{pdf,png}``, each drawn from that point's rows
alone, with that point's values in its config (so the title's numbers are the point's)
and a caption as the last line of its title: "sweep point k of P: field = value". ``NAME.{pdf,png}``
is the figure of the point at the config's own values (the defaults, where the claims are
read), else the first point's, caption included. A run without such a sweep gets
``NAME.{pdf,png}`` only, as before.

:func:`draw` serves the run (:mod:`experiments.record`) and ``python -m experiments plot
DIR``, which redraws a finished run from its ``summary.csv`` and ``meta.json``.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

from sim.fields import field_at, replace_path

from .figures import plotting


def _text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def point_label(point: dict) -> str:
    """``world.coupling=0.5,annotator.sycophancy=0.2``: the file-name form of a point."""
    return ",".join(f"{c}={_text(v)}" for c, v in point.items())


def _config_value(config, path: str):
    owner, f = field_at(config, path)
    return getattr(owner, f.name)


def figure_module(spec):
    return importlib.import_module(f"experiments.figures.{spec.module}")


def point_fields(spec, summary) -> tuple[tuple, tuple]:
    """(the swept fields the figures do not draw themselves, those of them with more than one
    value: a figure per point of these)."""
    facets = tuple(c for c in getattr(figure_module(spec), "FACETS", ()) if c in summary.sweep_cols)
    others = tuple(c for c in summary.sweep_cols if c not in facets)
    return others, tuple(c for c in others if len(summary.points(c)) > 1)


def draw(spec, summary, config, folder: Path) -> list[str]:
    """Draw the figures of one run into ``folder``; returns the file names written."""
    figure = figure_module(spec)
    others, several = point_fields(spec, summary)
    grid = summary.grid(others)
    main = next((k for k, point in enumerate(grid) if all(
        _config_value(config, c) == v for c, v in point.items() if c in several)), 0)
    names = []
    for k, point in enumerate(grid):
        view = summary.at(point) if point else summary
        point_config = config
        for column, value in point.items():   # the title's numbers are the point's
            point_config = replace_path(point_config, column, value)
        if not several:
            figure.plot(view, point_config, folder / spec.name)
            names += [f"{spec.name}.pdf", f"{spec.name}.png"]
            continue
        shown = {c: point[c] for c in several}
        stem = f"{spec.name}@{point_label(shown)}"
        note = (f"sweep point {k + 1} of {len(grid)}: "
                + ", ".join(f"{c} = {_text(v)}" for c, v in shown.items())
                + f"; each point has its own figure, {spec.name}@<point>.png")
        with plotting.caption(note):
            figure.plot(view, point_config, folder / stem)
        names += [f"{stem}.pdf", f"{stem}.png"]
        if k == main:
            for ext in ("pdf", "png"):
                shutil.copyfile(folder / f"{stem}.{ext}", folder / f"{spec.name}.{ext}")
            names += [f"{spec.name}.pdf", f"{spec.name}.png"]
    return names
