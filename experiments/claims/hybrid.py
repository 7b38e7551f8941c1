"""Claims read from E8, hybrids: S10 (negatives plus sparse preferences beat preferences
alone) and P6.3-separation (paper section 6.3: separating safety from helpfulness reduces
sycophancy contamination). Only fair hybrids are read: none is handed a rule's extent.
Each rule is the one line in its ``Claim``; the function above it applies that line."""

from __future__ import annotations

from .reading import (
    Claim,
    Panel,
    Reading,
    above,
    at,
    below,
    choose_on_first_half,
    disagreeing,
    methods,
    minus,
    on_second_half,
    regime_map,
    with_failures,
)

HYBRIDS = ("mask_then_tilt", "named_mask_then_tilt", "constrained_tilt", "dual_ascent",
           "rbr_tilt")
# the hybrids a verdict may read: none is handed a rule's extent (mask_then_tilt and rbr_tilt
# use the oracle rule learner's rules: upper bounds, drawn, never read)
FAIR_HYBRIDS = ("named_mask_then_tilt", "constrained_tilt", "dual_ascent")


def best_hybrid(s):
    """(name, budget, f) of the fair hybrid with the largest value at the largest budget over
    0 < f < 1, default world, chosen on the first half of the seeds."""
    budget = max(int(m.rsplit("_", 1)[1]) for m in methods(s)
                 if m.startswith("tilt_") and m.rsplit("_", 1)[1].isdigit())
    candidates = {}
    for name in FAIR_HYBRIDS:
        if s.has(f"{name}_{budget}", "value", "default"):
            c = s.curve(f"{name}_{budget}", "value", "default")
            for x in c.x:
                if 0 < x < 1:
                    candidates[(name, float(x))] = at(s, f"{name}_{budget}", "value", "default",
                                                      float(x))
    name, f = choose_on_first_half(candidates, best="max")
    return name, budget, f


def read_s10(results) -> Reading:
    """E8: the best fair hybrid at the largest budget (chosen on the first half of the seeds)
    over the tilt at f = 0: violation cut and helpfulness gain, scored on the second half."""
    s = results["hybrid"]
    name, budget, f = best_hybrid(s)
    method = f"{name}_{budget}"
    cut = on_second_half(at(s, method, "violation_cut", "default", f))
    gain = on_second_half(at(s, method, "helpfulness_gain", "default", f))
    verdict = above(cut)
    failures = [f"{v}: violation cut {at(s, method, 'violation_cut', v, f)[0]:.3f}"
                for v in s.variants if v != "default"
                and above(at(s, method, "violation_cut", v, f)) != "supported"]
    if above(gain) != "supported":
        failures.append(f"helpfulness gain {gain[0]:+.2f} [{gain[1]:.2f}, {gain[2]:.2f}]")
    chosen = f"chosen: {name}, f = {f:g}, B = {budget:,}"
    return Reading(*cut, with_failures(verdict, failures), "; ".join(failures + [chosen]))


HYBRID_CURVES = tuple((f"{name}_{{largest}}", "default", f"{label}, B = {{}}") for name, label in
                      zip(HYBRIDS, ("mask ($F_n$, oracle: upper bound), then tilt",
                                    "named-rule mask, then tilt", "constrained tilt",
                                    "dual ascent (Safe RLHF)",
                                    "rule-based reward tilt (oracle's rules)")))
S10 = Claim("S10", "negatives plus sparse preferences beat preferences alone", "hybrid",
            "violation_cut and helpfulness_gain of the best fair hybrid (named-rule mask then "
            "tilt, constrained tilt, dual ascent) over the tilt, chosen on half the seeds and "
            "scored on the other half", "largest budget, default world",
            "supported if both CIs lie above 0; mixed if only the violation cut's or a "
            "variant's cut does not", read_s10,
            panels=tuple(Panel(metric, HYBRID_CURVES, read_x=lambda s: best_hybrid(s)[2],
                               ylabel=ylabel, xlabel="share f of the budget on rejections")
                         for metric, ylabel in (
                             ("violation_cut", "violation cut vs the tilt at f = 0 (rate)"),
                             ("helpfulness_gain", "helpfulness gain vs the tilt at f = 0\n"
                                                  "(utility units)"))))


SEPARATION_SHARE = 0.5   # the pre-registered split: half the budget on each signal
SEPARATION_MARGIN = 0.01  # one percentage point of sycophancy: no difference a user sees


def _separation(s, budget, f, variant="default"):
    """Sycophancy of the named-rule mask then tilt at split f minus the tilt on all B labels
    as comparisons (f = 0), paired over seeds."""
    return minus(at(s, f"named_mask_then_tilt_{budget}", "sycophancy_rate", variant, f),
                 at(s, f"tilt_{budget}", "sycophancy_rate", variant, 0.0))


def read_p63_separation(results) -> Reading:
    """Sec. 6.3: safety from rejections (the named-rule learner's mask), helpfulness from
    comparisons (the tilt on the rest): its sycophancy minus preference only at the same
    budget, at f = 0.5 and the largest B; every (variant, B, 0 < f < 1) as a cell."""
    s = results["hybrid"]
    budgets = sorted(int(m.rsplit("_", 1)[1]) for m in methods(s)
                     if m.startswith("tilt_") and m.rsplit("_", 1)[1].isdigit())
    diff = _separation(s, budgets[-1], SEPARATION_SHARE)

    def judge(r):
        return below(r, margin=SEPARATION_MARGIN)

    shares = [float(x) for x in s.curve(f"tilt_{budgets[-1]}", "sycophancy_rate").x if 0 < x < 1]
    cells = regime_map(((f"{v}, B = {b:,}, f = {f:g}", _separation(s, b, f, v))
                        for v in s.variants for b in budgets for f in shares), judge)
    verdict = judge(diff)
    failures = disagreeing(cells, verdict, "{:+.3f}")
    return Reading(*diff, with_failures(verdict, failures), "; ".join(failures[:8]), cells)


P63_SEPARATION = Claim(
    "P6.3-separation", "separating safety from helpfulness reduces sycophancy contamination "
    "(sec. 6.3)", "hybrid", "sycophancy_rate of the named-rule mask then tilt minus the tilt on "
    "all B labels as comparisons (paired)", f"f = {SEPARATION_SHARE:g}, largest budget, default "
    "world", f"equivalent if within +-{SEPARATION_MARGIN:g} (two one-sided tests, 90% band); "
    "else supported if the CI lies below 0, contradicted if above; another cell (variant x B x "
    "f) disagreeing with a supported reading: mixed", read_p63_separation,
    panels=(Panel("sycophancy_rate", (
        ("tilt_{largest}", "default", "tilt (all comparisons), B = {}"),
        ("named_mask_then_tilt_{largest}", "default", "named-rule mask, then tilt, B = {}"),
        ("mask_then_tilt_{largest}", "default", "mask $F_n$ (oracle: upper bound), then tilt, "
         "B = {}")), read_x=SEPARATION_SHARE, xlabel="share f of the budget on rejections",
        ylabel="sycophancy rate S($\\pi$) (probability)"),))
