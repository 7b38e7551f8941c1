"""The few numbers a run prints when it ends, so a ``--set`` can be judged without a figure.

For each experiment, :data:`METRICS` names its main metrics (those its docs page quotes).
The headline is a table: one row per variant and method that has them, one column per
metric, each cell the mean and 95% bootstrap band over seeds at the method's last x (the
largest label budget, the last training step, ...; the scalar when there is no axis). A
swept run gets one table per sweep point, each titled with its point; past
:data:`MAX_POINTS` points, the points of the fields the command line swept (``--sweep``) with
every other swept field at the config's own value, if there are at most that many, else only
the point at the config's own values (the defaults); and a line saying where the others are.
"""

from __future__ import annotations

import numpy as np

METRICS = {
    "convergence": ("unacceptable_share", "reopenings", "ranking_drift"),
    "sycophancy": ("sycophancy_rate", "sycophancy_gap", "violation_rate", "value"),
    "negative_only": ("pass_at_1", "entropy", "violation_rate"),
    "loss_aversion": ("violation_rate", "value"),
    "capability": ("mean_length", "density", "sycophancy_rate"),
    "shift": ("adherence_gap", "violation_shift", "value_shift"),
    "returns": ("budget_90", "drift_late", "regret_mean"),
    "hybrid": ("violation_rate", "value", "helpfulness_gain"),
    "economics": ("usd", "harm", "detected"),
    "limits": ("lead", "value", "violation_rate"),
}
MAX_POINTS = 4     # a sweep with more points prints the default point and says so
SKIP = {"sycophancy": ("first_order",)}   # predictions, not policies: in summary.csv only


def _num(x: float) -> str:
    """Three significant digits in plain decimals (1400, not 1.4e+03)."""
    a = abs(x)
    if a == 0 or 1e-3 <= a < 1e6:
        digits = max(0, 2 - int(np.floor(np.log10(a)))) if a else 0
        return f"{x:.{digits}f}"
    return f"{x:.3g}"


def _cell(curve) -> str:
    k = -1 if np.all(np.isnan(curve.x)) or len(curve.x) == 1 else int(np.nanargmax(curve.x))
    return f"{_num(curve.mean[k])} [{_num(curve.lo[k])}, {_num(curve.hi[k])}]"


def _point_text(point: dict) -> str:
    return ", ".join(f"{c} = {v:g}" if isinstance(v, float) else f"{c} = {v}"
                     for c, v in point.items())


def changes(spec, config) -> str:
    """``annotator.sycophancy = 0.8 (quick: 0.2)``: the fields where ``config`` differs from
    the nearest of the spec's own configs (default, quick, tiny): what a --set changed."""
    from sim.fields import leaf_fields
    here = {p: v for p, _, v in leaf_fields(config)}
    bases = [("default", spec.default()), ("quick", spec.quick()), ("tiny", spec.tiny_config())]
    diffs = []
    for name, base in bases:
        theirs = {p: v for p, _, v in leaf_fields(base)}
        diffs.append((name, [(p, v, theirs[p]) for p, v in here.items() if theirs.get(p) != v]))
    name, diff = min(diffs, key=lambda d: len(d[1]))
    return "; ".join(f"{p} = {_value(v)} ({name}: {_value(b)})" for p, v, b in diff)


def _value(v) -> str:
    if isinstance(v, tuple):
        return ",".join(_value(x) for x in v)
    return f"{v:g}" if isinstance(v, float) else str(v)


def table(summary, metrics, skip=()) -> list[str]:
    """The rows of one sweep point's table (``summary`` has no swept field left)."""
    keys = [k for k in dict.fromkeys((r["variant"], r["method"]) for r in summary.rows)
            if k[1] not in skip]
    rows = []
    for variant, method in keys:
        cells = [_cell(summary.curve(method, m, variant)) if summary.has(method, m, variant)
                 else "-" for m in metrics]
        if any(c != "-" for c in cells):
            name = method if variant in ("default", method) else f"{variant}/{method}"
            rows.append((name, *cells))
    if not rows:
        return []
    widths = [max(len(str(r[i])) for r in [("", *metrics), *rows]) for i in range(len(rows[0]))]
    return ["  " + "  ".join(f"{c:<{w}}" for c, w in zip(r, widths)).rstrip()
            for r in [("", *metrics), *rows]]


def text(name: str, summary, config=None, spec=None, focus=()) -> str:
    """The headline of experiment ``name`` from its summary; empty when it has none.
    ``config`` (the run's) picks the points shown when the sweep is long, along the swept
    fields ``focus`` (the user's ``--sweep``s); with ``spec`` too, the first line names the
    settings that differ from the spec's own configs."""
    metrics = METRICS.get(name, ())
    if not metrics:
        return ""
    grid = summary.grid()
    shown = grid
    if len(grid) > MAX_POINTS:
        def at_config(point, free=()):
            return config is not None and all(_config_value(config, c) == v
                                              for c, v in point.items() if c not in free)
        along = [p for p in grid if at_config(p, focus)] if focus else []
        shown = along if 0 < len(along) <= MAX_POINTS else (
            [p for p in grid if at_config(p)] or grid[:1])
    lines = [f"headline: mean [95% CI] over {summary.n_seeds} seeds at each method's last x"]
    changed = changes(spec, config) if spec is not None and config is not None else ""
    if changed:
        lines.append(f" settings changed: {changed}")
    for point in shown:
        rows = table(summary.at(point) if point else summary, metrics, SKIP.get(name, ()))
        if point and rows:
            lines.append(f" at {_point_text(point)}:")
        lines += rows
    if len(shown) < len(grid):
        lines.append(f" ({len(grid) - len(shown)} more sweep points in summary.csv; the "
                     "figures show them all)")
    return "\n".join(lines) if any(line.startswith("  ") for line in lines) else ""


def _config_value(config, path: str):
    from sim.fields import field_at
    owner, f = field_at(config, path)
    return getattr(owner, f.name)
