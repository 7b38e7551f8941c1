"""Reading numbers off a run's summary and turning them into a verdict.

A claim's reader gets ``results`` (experiment name -> :class:`experiments.results.Summary`)
and returns a :class:`Reading`: the effect, its 95% CI, the verdict and the regimes where
the claim fails. A reading (:func:`at`) carries the per-seed values behind it when the
ledger attached the run's ``results.csv`` (:mod:`experiments.claims.seeds`), so the
difference of two readings of one run (:func:`minus`) is the paired bootstrap over seeds;
without them (a hand-made summary) it is the conservative [lo_a - hi_b, hi_a - lo_b].
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .. import stats
from ..stats import paired
from .seeds import Point

VERDICTS = ("supported", "contradicted", "equivalent", "mixed", "inconclusive",
            "true by construction", "does not test the claim", "not testable in this model")
NAN = (math.nan, math.nan, math.nan)
# the classes a regime map's cells can take that assert a difference (Holm's family)
DECIDED = ("supported", "contradicted")


class Cell(NamedTuple):
    """One cell of a claim's regime map: a setting the claim ranges over, its effect, CI and
    class (the claim's rule applied to that cell alone), the paired t-test's p-value of
    effect = 0 (nan without per-seed values) and its row: ``tier`` "" for the tier the
    verdict reads, else the tier of another learner read the same way (the oracle's upper
    bound, a flag-only contrast), drawn beside and never counted in the verdict, the shares or
    Holm's family."""
    name: str
    effect: float
    ci_low: float
    ci_high: float
    verdict: str
    p: float = math.nan
    tier: str = ""


class Reading(NamedTuple):
    effect: float
    ci_low: float
    ci_high: float
    verdict: str
    fails_where: str = ""
    cells: tuple = ()    # the regime map: every Cell the rule checked, the reading point's too


def _p(point) -> float:
    seeds = getattr(point, "seeds", None)
    return math.nan if seeds is None else stats.p_value(seeds)


def regime_map(items, judge, tier: str = "") -> tuple[Cell, ...]:
    """Cells from ``(name, reading)`` pairs, each classed by ``judge`` (``above``, ``below``),
    with its p-value when the reading carries its seeds."""
    return tuple(Cell(name, *(float(v) for v in r[:3]), judge(r), _p(r), tier)
                 for name, r in items)


def read_cells(cells) -> list[Cell]:
    """The cells of the tier the verdict reads (``tier`` "")."""
    return [c for c in cells if not c.tier]


def tier_rows(rows: dict, names, judge) -> tuple[Cell, ...]:
    """Cells of other tiers, read like the claim's: ``rows`` maps a tier to a function
    ``name -> reading`` evaluated at every cell name of ``names``."""
    return tuple(cell for tier, read in rows.items()
                 for cell in regime_map(((n, read(n)) for n in names), judge, tier))


def holm_holds(cells) -> tuple[int, int]:
    """(how many, of how many) of the read tier's cells classed supported or contradicted
    still reject effect = 0 after Holm's correction over every such cell with a p-value (the
    claim's family)."""
    tested = [c for c in read_cells(cells) if not math.isnan(c.p)]
    if not tested:
        return 0, 0
    reject = stats.holm([c.p for c in tested])
    decided = [(c, r) for c, r in zip(tested, reject) if c.verdict in DECIDED]
    return sum(bool(r) for _, r in decided), len(decided)


def disagreeing(cells, verdict: str, fmt: str = "{:+.2f}") -> list[str]:
    """The read tier's cells whose class is not ``verdict``, as "name: effect (class)"."""
    return [f"{c.name}: {fmt.format(c.effect)} ({c.verdict})" for c in read_cells(cells)
            if c.verdict != verdict]


def cell_shares(cells) -> str:
    """"n cells: a supported, b contradicted, ..." (empty when the claim has no map)."""
    cells = read_cells(cells)
    if not cells:
        return ""
    counts = {v: sum(c.verdict == v for c in cells) for v in VERDICTS}
    text = f"{len(cells)} cells: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    held, decided = holm_holds(cells)
    return text + (f"; Holm: {held} of {decided} decided cells hold" if decided else "")


@dataclasses.dataclass(frozen=True)
class Panel:
    """One panel of a claim's page in the report (:mod:`experiments.report`): ``metric``
    against the run's x axis, one curve per ``(method, variant or None, label)`` (a fourth
    element, a metric, replaces ``metric`` for that curve), at the sweep point ``where``
    (the nearest point the run has; ``max`` or ``min`` for its largest or smallest), with
    the reading point marked at ``read_x``: None for the largest x, a number, a tuple of
    them (None in it: the largest x), or a function of the summary for a point the data
    choose (it returns any of these, or None for none). A method or metric may hold
    ``{largest}``, filled with the largest number that completes it in the run
    (``pass_at_{largest}``), or ``{each}``, a curve per such number (``{}`` in the label is
    the number). A scalar (axis ``none``) is drawn as a horizontal band beside curves, or
    as a point with its CI when the panel holds only scalars."""
    metric: str
    curves: tuple
    where: dict | None = None
    read_x: float | tuple | Callable | None = None
    xlabel: str = ""
    ylabel: str = ""
    log_x: bool = False
    experiment: str | None = None   # default: the claim's


_HOLE = re.compile(r"\{(largest|each)\}")


def _fill(template: str, names) -> list[tuple[str, str]]:
    """(number, name) for each name in ``names`` that ``template`` matches with its hole
    filled by a number, in increasing order; ``[("", template)]`` when it has no hole."""
    hole = _HOLE.search(template)
    if hole is None:
        return [("", template)]
    pattern = re.compile(re.escape(template[:hole.start()]) + r"([0-9][0-9.e+-]*)"
                         + re.escape(template[hole.end():]) + "$")
    found = []
    for name in names:
        m = pattern.match(name)
        if m:
            try:
                found.append((float(m.group(1)), m.group(1), name))
            except ValueError:
                continue
    found.sort()
    if hole.group(1) == "largest":
        found = found[-1:]
    return [(text, name) for _, text, name in found]


def panel_curves(panel: Panel, summary) -> list[tuple[str, str | None, str, str]]:
    """The panel's curves in ``summary`` as (method, variant, label, metric), the holes
    filled; a template the run cannot complete is kept as it is (then "not in this run")."""
    out = []
    for curve in panel.curves:
        method, variant, label = curve[:3]
        metric = curve[3] if len(curve) > 3 else panel.metric
        named = _fill(metric, sorted(metrics(summary)))   # a metric's hole: the largest
        metric = named[-1][1] if named else metric
        filled = _fill(method, sorted(methods(summary))) or [("", method)]
        out += [(name, variant, label.replace("{}", text), metric) for text, name in filled]
    return out


@dataclasses.dataclass(frozen=True)
class Claim:
    id: str
    claim: str          # a short quote
    experiment: str     # the spec name of the experiment that tests it
    metric: str
    setting: str        # where the verdict is read
    rule: str           # the one-line rule, applied in code by ``read``
    read: Callable      # results -> Reading
    reason: str = ""    # why (part of) it is not testable in this model
    extra: tuple = ()   # experiments whose failing regimes it adds when their results exist
    panels: tuple = ()  # the report's panels: the quantities ``read`` reads (:class:`Panel`)


def nearest(values, x):
    """The element of ``values`` nearest to ``x`` (a quick run may lack the default point)."""
    return min(values, key=lambda v: abs(float(v) - float(x)))


def at(summary, method, metric, variant=None, x=None, where=None) -> Point:
    """(mean, lo, hi) of one summary curve at the x nearest ``x`` (the last x when None), at
    the sweep point nearest ``where``; with its per-seed values when the summary has them."""
    where = {c: nearest(summary.points(c), v) for c, v in (where or {}).items()}
    c = summary.curve(method, metric, variant, where)
    k = len(c.x) - 1 if x is None else int(min(range(len(c.x)), key=lambda i: abs(c.x[i] - x)))
    per_seed = getattr(summary, "per_seed", None)
    seeds = None
    if per_seed is not None:
        point = {col: where.get(col, summary.points(col)[0]) for col in summary.sweep_cols}
        seeds = per_seed.values(summary.variants[0] if variant is None else variant, method,
                                metric, point, float(c.x[k]))
    return Point((c.mean[k], c.lo[k], c.hi[k]), seeds)


def minus(a, b) -> Point:
    """a - b: the paired bootstrap over seeds when both readings carry their seeds (the same
    run), else the conservative CI [lo_a - hi_b, hi_a - lo_b] (module docstring)."""
    sa, sb = getattr(a, "seeds", None), getattr(b, "seeds", None)
    if sa is not None and sb is not None and sa.shape == sb.shape:
        return Point(paired(sa, sb), sa - sb)
    return Point((a[0] - b[0], a[1] - b[2], a[2] - b[1]))


def average(points) -> Point:
    """The mean of several readings of one run (a claim read over a whole grid, not at a
    chosen point): per seed when all carry their seeds (the band: bootstrap of the per-seed
    means), else the mean of the bands (wider than the band of the mean: conservative)."""
    seeds = [getattr(p, "seeds", None) for p in points]
    if seeds and all(v is not None and v.shape == seeds[0].shape for v in seeds):
        v = np.mean(seeds, axis=0)
        return Point(paired(v, np.zeros_like(v)), v)
    return Point(tuple(float(np.mean([p[i] for p in points])) for i in range(3)))


def choose_on_first_half(candidates: dict, best: str = "min"):
    """The key of ``candidates`` (key -> Point) with the lowest (``best="min"``) or highest
    mean over the first half of the seeds; over all seeds when some lack them."""
    sign = 1.0 if best == "min" else -1.0
    seeds = {k: getattr(p, "seeds", None) for k, p in candidates.items()}
    if any(v is None for v in seeds.values()):
        return min(candidates, key=lambda k: sign * candidates[k][0])
    half = len(next(iter(seeds.values()))) // 2
    return min(seeds, key=lambda k: sign * float(np.mean(seeds[k][:half])))


def on_second_half(point) -> Point:
    """A reading scored on the second half of its seeds only (unchanged without seeds)."""
    if getattr(point, "seeds", None) is None:
        return point
    d = point.seeds[len(point.seeds) // 2:]
    return Point(paired(d, np.zeros_like(d)), d)


def split_half(candidates: dict, score, best: str = "min") -> tuple:
    """Select the best of ``candidates`` on the first half of the seeds and score
    ``score(key)`` (a Point with seeds) on the second half: a selection is never scored on
    the seeds that chose it. Without seeds: selected and scored on all."""
    key = choose_on_first_half(candidates, best)
    return key, on_second_half(score(key))


def within(point, margin: float) -> bool:
    """Equivalence to 0 within +-``margin`` by two one-sided tests (:func:`stats.equivalent`,
    the 90% band) when the point carries its seeds; else its 95% band inside the margin
    (stricter)."""
    seeds = getattr(point, "seeds", None)
    if seeds is not None:
        return stats.equivalent(seeds, margin)
    return -margin < point[1] and point[2] < margin


def above(ci, threshold=0.0, margin: float | None = None) -> str:
    """equivalent if a ``margin`` is stated and the effect is within it of 0 (TOST, checked
    first: a difference smaller than the margin is no difference the claim means); else
    supported if the CI lies above the threshold, contradicted if below, else inconclusive."""
    _, lo, hi = ci
    if margin is not None and within(ci, margin):
        return "equivalent"
    return "supported" if lo > threshold else "contradicted" if hi < threshold else "inconclusive"


def below(ci, threshold=0.0, margin: float | None = None) -> str:
    """As :func:`above`, the claimed direction down: supported if the CI lies below."""
    _, lo, hi = ci
    if margin is not None and within(ci, margin):
        return "equivalent"
    return "supported" if hi < threshold else "contradicted" if lo > threshold else "inconclusive"


def with_failures(verdict: str, failures: list[str]) -> str:
    """A verdict supported at the default setting but failing elsewhere is ``mixed``."""
    return "mixed" if verdict == "supported" and failures else verdict


def methods(summary) -> set[str]:
    return {r["method"] for r in summary.rows}


def metrics(summary) -> set[str]:
    return {r["metric"] for r in summary.rows}


def rule_beaten(results, name: str) -> list[str]:
    """E10's map ``name`` (``noise``: false flags, ``context``: context weight): the knob
    values where the named-rule learner (the fair negative tier) loses to another fair
    contender (its lead's CI lies below 0), with the budgets, as one failing regime; [] when
    there are no E10 results."""
    s = results.get("limits")
    if s is None:
        return []
    variant, cells = s.variants[0], []
    found = [m for m in methods(s) if m.startswith(f"{name}_named_") and s.has(m, "lead", variant)]
    for m in sorted(found, key=lambda m: float(m.rsplit("_", 1)[1])):
        c = s.curve(m, "lead", variant)
        budgets = [f"{x:,.0f}" for x, hi in zip(c.x, c.hi) if hi < 0]
        if budgets:
            cells.append(f"{m.rsplit('_', 1)[1]} (B = {', '.join(budgets)})")
    return [f"E10 {name} map: the named-rule learner loses at {'; '.join(cells)}"] if cells \
        else []


def largest_k(summary) -> int:
    """The largest k of the ``pass_at_<k>`` metrics."""
    return max(int(m.rsplit("_", 1)[1]) for m in metrics(summary) if m.startswith("pass_at_"))
