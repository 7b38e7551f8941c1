"""Claims read from E6, shift: S7, S8 and S15, each read as the per-seed mean over every
shift > 0 of the response-window kind (no shift is chosen), every other (kind, shift) cell
checked. Each rule is the one line in its ``Claim``."""

from __future__ import annotations

from .reading import (
    Claim,
    Panel,
    Reading,
    above,
    at,
    average,
    below,
    disagreeing,
    minus,
    regime_map,
    rule_beaten,
    split_half,
    tier_rows,
    with_failures,
)

SHIFT = "every shift > 0"   # E6's reading: the mean over the grid, no chosen point
SHIFT_X = "shift s (sd units of the kind's shift)"
GAP_Y = "adherence gap: violation rate\nshifted minus in distribution"
BUDGET = "label budget B (labels; log)"
LEAD_Y = "lead over the best other (value units)"



def _shifts(s):
    """The shifts a claim reads (every shift > 0: the reading is their per-seed mean)."""
    return tuple(float(x) for x in s.curve("tilt", "adherence_gap", s.variants[0]).x if x > 0)


def _shift_cells(s, diff, test, rows=None):
    """E6's regime map: every (kind, shift > 0) cell of ``diff(kind, shift)``, classed by
    ``test``; ``rows``: tier -> a diff of the same form, another row of the map."""
    grid = {}
    for kind in s.variants:
        xs = [float(x) for x in s.curve("tilt", "adherence_gap", kind).x if x > 0]
        grid.update({f"{kind} shift {x:g}": (kind, x) for x in xs})
    cells = regime_map(((name, diff(*at_)) for name, at_ in grid.items()), test)
    return cells + tier_rows({tier: (lambda n, d=d: d(*grid[n])) for tier, d in
                              (rows or {}).items()}, grid, test)


def _read_shift(results, diff, test, also=(), rows=None) -> Reading:
    """``diff(summary, kind, shift)`` averaged per seed over every shift > 0 of the first kind
    (response): the pre-registered reading (no shift is chosen), judged by ``test``
    (``above`` or ``below``); every (kind, shift > 0) cell checked; ``also``: more failing
    regimes; ``rows``: tier -> a diff of the same form, drawn as another row of the map."""
    s = results["shift"]
    kind = s.variants[0]
    xs = [float(x) for x in s.curve("tilt", "adherence_gap", kind).x if x > 0]
    first = average([diff(s, kind, x) for x in xs])
    verdict = test(first)
    cells = _shift_cells(s, lambda kind, x: diff(s, kind, x), test,
                         {t: (lambda kind, x, d=d: d(s, kind, x)) for t, d in (rows or {}).items()})
    failures = disagreeing(cells, verdict, "{:+.3f}") + list(also)
    return Reading(*first, with_failures(verdict, failures), "; ".join(failures), cells)


def read_s7(results) -> Reading:
    """E6: the tilt's adherence gap (violation under shift minus in distribution)."""
    return _read_shift(results, lambda s, kind, x: at(s, "tilt", "adherence_gap", kind, x),
                       above)


S7 = Claim("S7", "preference signals learn spurious proxies and are unstable under shift",
           "shift", "adherence_gap of the tilt", f"response shift, mean over {SHIFT}; every "
           "kind and shift checked", "supported if the CI lies above 0; mixed if it does not in some "
           "(kind, shift)", read_s7,
           panels=(Panel("adherence_gap", (("tilt", "response", "tilt, response shift"),
                                           ("tilt", "context", "tilt, context shift"),
                                           ("tilt", "novel", "tilt, novel prohibitions")),
                         read_x=_shifts, xlabel=SHIFT_X, ylabel=GAP_Y),))


def _gap_against_tilt(method):
    return lambda s, kind, x: minus(at(s, method, "adherence_gap", kind, x),
                                    at(s, "tilt", "adherence_gap", kind, x))


def read_s8(results) -> Reading:
    """E6: adherence gap of the named-rule learner's mask (the fair tier) minus the tilt's,
    paired over seeds; the oracle's mask (upper bound) and the cost model's (a flag only) as
    the map's other rows."""
    s = results["shift"]
    rows = {tier: _gap_against_tilt(m) for tier, m in (("oracle (upper bound)", "mask"),
                                                      ("flag", "cost_mask"))
            if all(s.has(m, "adherence_gap", kind) for kind in s.variants)}
    return _read_shift(results, _gap_against_tilt("named_mask"), below,
                       rule_beaten(results, "context"), rows)


S8 = Claim("S8", "negative constraints generalise constraint adherence better under shift",
           "shift", "adherence_gap, the named-rule learner's mask minus the tilt (paired)",
           f"response shift, mean over {SHIFT}; every kind and shift checked",
           "supported if the CI lies below 0; mixed if it does not in some (kind, shift) or "
           "E10's context-dependent prohibitions beat the named-rule learner", read_s8,
           extra=("limits",),
           panels=(Panel("adherence_gap", (
                       ("named_mask", "response", "mask by the named-rule learner"),
                       ("mask", "response", "mask by $F_n$ (oracle: upper bound)"),
                       ("tilt", "response", "tilt, response shift")),
                         read_x=_shifts, xlabel=SHIFT_X, ylabel=GAP_Y),
                   Panel("adherence_gap", tuple((m, kind, f"{name}, {kind} shift")
                                                for kind in ("context", "novel")
                                                for m, name in (("named_mask", "named mask"),
                                                                ("tilt", "tilt"))),
                         read_x=_shifts, xlabel=SHIFT_X, ylabel=GAP_Y)))


def read_s15(results) -> Reading:
    """E6: the comparison the paper asks for: violation under shift of the best of the
    named-rule learner's mask and the constrained tilt (the regimes not handed a rule's
    extent: mask_then_tilt uses the oracle's mask, an upper bound, drawn but never read)
    minus the tilt's; the best is chosen on the first half of the seeds and scored on the
    second."""
    def diff(s, kind, x):
        candidates = {m: at(s, m, "violation_shift", kind, x)
                      for m in ("named_mask", "constrained_tilt")}
        return split_half(candidates, lambda m: minus(
            at(s, m, "violation_shift", kind, x), at(s, "tilt", "violation_shift", kind, x)))[1]

    return _read_shift(results, diff, below)


S15 = Claim("S15", "compare negative-only, preference-only and hybrid training under shift",
            "shift", "violation_shift, best of the named mask and the constrained tilt (chosen "
            "on half the seeds) minus the tilt (scored on the other half)",
            f"response shift, mean over {SHIFT}; every kind and shift checked",
            "supported if the CI lies below 0; mixed if it does not in some (kind, shift)",
            read_s15,
            panels=(Panel("violation_shift", tuple((m, "response", label) for m, label in (
                ("named_mask", "mask by the named-rule learner"),
                ("mask_then_tilt", "hybrid: mask, then tilt"),
                ("constrained_tilt", "hybrid: constrained tilt"), ("tilt", "tilt"))),
                read_x=_shifts, xlabel=SHIFT_X,
                ylabel="violation rate under shift (probability)"),))
