"""Regime maps: a claim's cells at the other settings of the fields swept only to map
regimes (E1's and E2's coupling kappa, E2's rejecters' sycophancy s_r).

A claim is read at its pre-registered point (:func:`experiments.ledger.reading_point`: the
run's configured kappa and s_r, the world's defaults). The same rule, applied to the same run
viewed at each other value of one of those fields (the others at the reading point), gives one
more cell of its map each, ``kappa = 0.9`` or ``s_r = 0``: the claim's own rule, unchanged,
so "mixed" means the same here as in the rule's own cells (a supported reading with a cell
against it).
"""

from __future__ import annotations

import math
from pathlib import Path

from . import stats
from .claims import TIER_READ
from .claims.reading import Cell, disagreeing, with_failures

__all__ = ["REGIME_NAMES", "regime_points", "regime_label", "regime_views", "with_regimes",
           "cell_row", "markdown_maps"]

REGIME_NAMES = {"world.coupling": "kappa", "annotator.rejecter_sycophancy": "s_r"}


def regime_points(summary, defaults: dict) -> list[dict]:
    """The reading point with one regime-only field moved to each of its other values."""
    from .ledger import reading_point
    point = reading_point(summary, defaults)
    return [{**point, c: other} for c, v in point.items() for other in summary.points(c)
            if other != v]


def regime_label(point: dict, reading: dict) -> str:
    """The cell name of a regime point: the field that moved and its value (``kappa = 0.9``)."""
    return ", ".join(f"{REGIME_NAMES.get(c, c)} = {float(v):g}" for c, v in point.items()
                     if v != reading.get(c))


def regime_views(runs: dict[str, Path]) -> dict[str, list]:
    """Per experiment, (cell name, the run's view at that regime point) for every regime
    point (:func:`regime_points`); none for a run that sweeps no regime-only field."""
    from .ledger import claim_view, configured, load_summary, read_meta, reading_point
    out = {}
    for name, folder in runs.items():
        summary = load_summary(folder)
        defaults = configured(read_meta(folder))
        reading = reading_point(summary, defaults)
        out[name] = [(regime_label(p, reading), claim_view(folder, p))
                     for p in regime_points(summary, defaults)]
    return out


def with_regimes(claim, summaries, views, verdict: str, fails: str, cells: tuple):
    """The claim's verdict, failures and cells with its regime-point cells added (the module
    docstring): a supported reading with a regime cell against it becomes mixed, and the
    cell is named where it fails."""
    from .ledger import read_claim
    extra = []
    for label, view in views.get(claim.experiment, ()):
        r = read_claim(claim, {**summaries, claim.experiment: view})
        extra.append(Cell(label, float(r[0]), float(r[1]), float(r[2]), r[3]))
    if not extra:
        return verdict, fails, cells
    against = disagreeing(extra, "supported" if verdict == "mixed" else verdict, "{:+.3g}")
    fails = "; ".join(x for x in (fails, *against) if x)
    return with_failures(verdict, against), fails, cells + tuple(extra)


def cell_row(claim_id: str, cells, k: int) -> list:
    """claims_cells.csv's row of cell k of a claim's map: its tier (the claim's tier read when
    the cell names none), effect, CI, class, p-value and whether Holm's correction over the
    claim's cells rejects effect = 0 ("" without a p-value)."""
    from .ledger import _num
    cell = cells[k]
    tested = [c for c in cells if not math.isnan(c.p) and not c.tier]
    holm = ""
    if not math.isnan(cell.p) and not cell.tier:
        reject = stats.holm([c.p for c in tested])
        holm = "reject" if reject[tested.index(cell)] else "keep"
    return [claim_id, cell.tier or TIER_READ[claim_id], cell.name, _num(cell.effect),
            _num(cell.ci_low), _num(cell.ci_high), cell.verdict,
            "" if math.isnan(cell.p) else f"{cell.p:.3g}", holm]


def markdown_maps(rows: list[dict]) -> str:
    """CLAIMS.md's regime maps: per claim with cells, one compact table, a row per cell and a
    column per tier (the one the verdict reads first), each entry "effect (class)"."""
    out = ["## Regime maps", "",
           "Each claim's rule applied to each cell alone (`claims_cells.csv` has the CIs, "
           "p-values and Holm's correction; `report.pdf` draws each map as a grid). Columns: "
           "the tier the verdict reads, then the tiers drawn beside it (never counted).", ""]
    for r in rows:
        cells = r.get("map") or ()
        if not cells:
            continue
        tiers = [""] + sorted({c.tier for c in cells if c.tier})
        names = list(dict.fromkeys(c.name for c in cells))
        entry = {(c.name, c.tier): f"{c.effect:+.3g} ({c.verdict})" for c in cells}
        head = [f"{r['tier']} (read)"] + tiers[1:]
        out += [f"**{r['claim_id']}** ({r['verdict']}; {r['cells']})", "",
                "| cell | " + " | ".join(head) + " |",
                "| --- |" + " --- |" * len(head)]
        out += ["| " + " | ".join([n] + [entry.get((n, t), "") for t in tiers]).replace(
            "\n", " ") + " |" for n in names]
        out.append("")
    return "\n".join(out)
