"""Claims read from E10, the limits of via negativa (P6.3, paper section 6.3).

The claim is existential: *somewhere* among noisy flags, context-dependent prohibitions and
helpfulness no prohibition specifies, a negative signal alone is not enough and preferences
are needed. Each cell of maps (a) to (c) (knob value x budget; map (c): T x kappa, in both
model families) is one paired comparison over seeds:

    d_s = max(value of the reward model's tilt, value of the best fair hybrid)
          - max(value of the named-rule learner's mask, value of the cost model's mask),

the best signal that uses comparisons minus the best that uses only rejections, every one
of them fair (:func:`sim.specs.e10_limits.fair_contenders`; the oracle rule learner is an
upper bound, said beside, never read). A cell is ``supported`` where its CI lies above 0
(preferences needed), ``contradicted`` where below (rejections alone do better).

The verdict selects without peeking: the cell with the largest mean d over the first half
of the seeds, scored on the second half (:func:`~experiments.claims.reading.split_half`).
Holm's correction over all cells is reported beside (the share that holds).
"""

from __future__ import annotations

import numpy as np

from ..stats import paired
from .reading import (
    Claim,
    Panel,
    Reading,
    above,
    at,
    disagreeing,
    methods,
    minus,
    read_cells,
    regime_map,
    split_half,
    tier_rows,
)
from .seeds import Point

BUDGET = "label budget B (labels; log)"
LEAD_Y = "lead over the best other fair signal (value units)"
MAPS = ("noise", "context", "helpfulness")
PREFERENCE, NEGATIVE = ("reward", "hybrid"), ("named", "cost")


def _best(points) -> Point:
    """The per-seed maximum of several readings of one run (without seeds, a hand-made
    summary: the reading with the largest mean)."""
    seeds = [getattr(p, "seeds", None) for p in points]
    if all(v is not None for v in seeds):
        v = np.max(seeds, axis=0)
        return Point(paired(v, np.zeros_like(v)), v)
    return max(points, key=lambda p: p[0])


def limit_cells(s, negative=NEGATIVE) -> dict[str, Point]:
    """Every cell of maps (a) to (c) in every variant: name -> d (module docstring), the
    rejection side the best of ``negative`` (``("rule",)``: the oracle's upper-bound row)."""
    out = {}
    for variant in s.variants:
        tag = "" if variant == s.variants[0] else f" ({variant})"
        for name in MAPS:
            prefix = f"{name}_reward_"
            for m in sorted(x for x in methods(s) if x.startswith(prefix)):
                suffix = m[len(prefix):]
                if not s.has(m, "value", variant):
                    continue
                xs = s.curve(m, "value", variant).x
                for x in xs:
                    def value(c, x=x):
                        return at(s, f"{name}_{c}_{suffix}", "value", variant, float(x))
                    out[f"{name} {suffix}, x = {float(x):g}{tag}"] = minus(
                        _best([value(c) for c in PREFERENCE]),
                        _best([value(c) for c in negative]))
    return out


def read_p63(results) -> Reading:
    """E10: the best preference-using fair signal minus the best rejection-only fair signal
    in every cell of maps (a) to (c); the cell chosen on half the seeds, scored on the other
    half (module docstring)."""
    s = results["limits"]
    diffs, oracle = limit_cells(s), limit_cells(s, ("rule",))
    cells = regime_map(diffs.items(), above) + tier_rows(
        {"oracle (upper bound)": oracle.__getitem__}, oracle, above)
    if not cells:
        return Reading(np.nan, np.nan, np.nan, "inconclusive", "the run has no map (a) to (c)")
    chosen, scored = split_half(diffs, lambda k: diffs[k], best="max")
    if all(c.verdict == "contradicted" for c in cells):
        verdict = "contradicted"
    else:
        verdict = "supported" if above(scored) == "supported" else "inconclusive"
    won = sum(c.verdict == "supported" for c in read_cells(cells))
    where = (f"chosen cell: {chosen}; preferences needed in {won} of {len(read_cells(cells))} "
             "cells; "
             + "; ".join(disagreeing(cells, "supported", "{:+.1f}")[:6]))
    oracle = sum(c.verdict == "contradicted" for c in cells if c.tier)
    where += f"; the oracle rule learner beats every preference-using signal in {oracle} cells"
    return Reading(*scored, verdict, where, cells)


def _limits_panel(name: str, which: str, prefix: str = "", xlabel: str = BUDGET) -> Panel:
    """E10: the lead of each contender in map ``name`` at its largest knob value (``which``,
    the knob, names it in the legend); the oracle's lead is its margin over the best fair."""
    return Panel("lead", tuple((f"{name}_{c}_{prefix}{{largest}}", "default",
                                f"{label}, {which} {{}}") for c, label in (
        ("rule", "oracle rule learner (upper bound)"), ("named", "named-rule learner"),
        ("cost", "cost model"), ("reward", "reward model"), ("hybrid", "best fair hybrid"))),
        xlabel=xlabel, log_x=name != "helpfulness", ylabel=LEAD_Y)


P63 = Claim("P6.3", "via negativa has limits: noisy, context-dependent prohibitions and "
                    "helpfulness need preferences (sec. 6.3)", "limits",
            "value of the best comparison-using fair signal (reward model's tilt, best fair "
            "hybrid) minus the best rejection-only one (named-rule learner, cost model), "
            "paired over seeds",
            "every cell of maps (a) to (c), both families; the cell with the largest mean "
            "chosen on the first half of the seeds, scored on the second",
            "supported if the chosen cell's CI lies above 0; contradicted if every cell's CI "
            "lies below 0; inconclusive otherwise (Holm over the cells reported beside)",
            read_p63,
            panels=(_limits_panel("noise", "false-flag rate"),
                    _limits_panel("helpfulness", "active prohibitions T =", "T",
                                  "coupling $\\kappa$ of the utility (largest B)")))
