"""Claims read from the deployment experiments E7 to E10: returns (S9-returns, S9-drift),
hybrids (S10), economics (S11 to S14) and the limits of via negativa (P6.3); E6's are in
:mod:`~experiments.claims.shift`. Each rule is the one line in its ``Claim``; the function
above it applies that line."""

from __future__ import annotations

from .reading import (
    NAN,
    Claim,
    Panel,
    Reading,
    above,
    at,
    below,
    choose_on_first_half,
    methods,
    minus,
    on_second_half,
    with_failures,
)

SHIFT = "every shift > 0"   # E6's reading: the mean over the grid, no chosen point
SHIFT_X = "shift s (sd units of the kind's shift)"
GAP_Y = "adherence gap: violation rate\nshifted minus in distribution"
BUDGET = "label budget B (labels; log)"
LEAD_Y = "lead over the best other (value units)"



def read_s9_returns(results) -> Reading:
    """E7: the cost model's budget to 90% of its gain (flags, learned from examples: the
    fair negative side; the rule learner, told each rule, is the upper bound): diminishing
    returns if its CI lies below 10% of the largest budget."""
    s = results["returns"]
    b90 = at(s, "cost_returns", "budget_90")
    largest = max(float(x) for x in s.curve("cost_model", "unacceptable_share").x)
    verdict = "supported" if b90[2] < 0.1 * largest else "contradicted" \
        if b90[1] > 0.1 * largest else "inconclusive"
    oracle = at(s, "rule_returns", "budget_90")[0] if s.has("rule_returns", "budget_90") \
        else float("nan")
    return Reading(*b90, verdict, "" if verdict == "supported" else
                   f"the cost model needs {b90[0]:,.0f} labels for 90% of its gain (the "
                   f"oracle rule learner {oracle:,.0f})")


def read_s9_drift(results) -> Reading:
    """E7: the reward model's late drift (mean Kendall drift between successive budgets past
    the slope split): keeps drifting if its CI lies above 0.01, settles if below."""
    drift = at(results["returns"], "reward_returns", "drift_late")
    return Reading(*drift, above(drift, 0.01), "" if above(drift, 0.01) == "supported" else
                   f"the reward model's late drift is {drift[0]:.3f}")


S9 = Claim("S9-returns", "negatives have diminishing returns", "returns",
           "budget_90 of the cost model on flags (labels); the rule learner's as upper bound",
           "1,000 to 100,000 labels", "supported if budget_90's CI lies below 10% of the "
           "largest budget; contradicted if above", read_s9_returns,
           panels=(Panel("budget_90", (("cost_returns", None, "cost model on flags"),
                                       ("rule_returns", None, "rule learner (oracle: upper "
                                                              "bound)")),
                         ylabel="labels to 90% of the gain (labels)"),))
S9_DRIFT = Claim("S9-drift", "preferences keep drifting", "returns",
                 "drift_late of the reward model (share of pairs)", "1,000 to 100,000 labels",
                 "supported if its CI lies above 0.01; contradicted if below (it settles)",
                 read_s9_drift,
                 panels=(Panel("drift_late", (("reward_returns", None, "reward model"),),
                               ylabel="late ranking drift (share of pairs)"),))


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
    return Reading(*cut, with_failures(verdict, failures),
                   "; ".join(failures) + f" ({name}, f = {f:g}, B = {budget:,})")


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


def read_s11(results) -> Reading:
    """E9: USD to a violation rate of 0.01 at cost ratio 2, the named-rule learner's mask minus
    the tilt (paired over seeds; ``cost_<regime>`` is what it costs the regime to reach the
    target, and ``cost_mask`` the oracle's mask: an upper bound, drawn, never read); variants
    where more rejections raise the named mask's harm as failing regimes."""
    s = results["economics"]
    diff = minus(at(s, "cost_named_mask", "usd_r2", "default", 0.01),
                 at(s, "cost_tilt", "usd_r2", "default", 0.01))
    failures = []
    for v in s.variants:
        if v != "default" and s.has("marginal_named_mask", "harm_cut_per_kusd_r2", v):
            m = s.curve("marginal_named_mask", "harm_cut_per_kusd_r2", v)
            if m.hi[-1] < 0:
                failures.append(f"{v}: more rejections raise the harm at B = {m.x[-1]:g} "
                                f"({m.mean[-1]:.2f} per USD 1,000)")
    return Reading(*diff, with_failures(below(diff), failures), "; ".join(failures))


S11 = Claim("S11", "labelling budgets move towards cheaper negative examples", "economics",
            "USD to a violation rate of 0.01, the named-rule learner's mask minus the tilt "
            "(paired)", "cost ratio 2",
            "supported if the CI lies below 0; contradicted if above; mixed if a variant's "
            "marginal return turns negative", read_s11,
            panels=(Panel("usd_r2", (("cost_named_mask", "default", "mask by the named-rule "
                                                                   "learner"),
                                     ("cost_mask", "default", "mask by $F_n$ (oracle: upper "
                                                              "bound)"),
                                     ("cost_tilt", "default", "tilt")), read_x=0.01,
                          log_x=True, xlabel="violation-rate target $\\epsilon$ (log)",
                          ylabel="least cost to reach $\\epsilon$ (USD),\n"
                                 "rejection = comparison / 2"),
                    Panel("harm_cut_per_kusd_r2", tuple(
                        ("marginal_named_mask", v, f"named-rule mask, {v}")
                        for v in ("default", "zipf", "noisy", "T64")), log_x=True,
                          xlabel="total label budget B (labels; log)",
                          ylabel="violation rate cut per USD 1,000")))


S12 = Claim("S12", "startups can sell constraint datasets and rule libraries", "economics",
            "none", "none", "not testable: the model has no firms or markets",
            lambda results: Reading(*NAN, "not testable in this model", ""),
            reason="market structure: no firms or markets in the model")


def read_s13(results) -> Reading:
    """E9: the audit's simulated detection at the largest probe count against 1 - (1 - p)^m,
    the largest gap over the missing counts."""
    s = results["economics"]
    worst = None
    for m in sorted(methods(s)):
        if m.startswith("audit_"):
            gap = minus(at(s, m, "detected", "default"), at(s, m, "closed_form", "default"))
            if worst is None or abs(gap[0]) > abs(worst[0]):
                worst = gap
    agrees = worst[1] <= 0.0 <= worst[2]
    return Reading(*worst, "true by construction" if agrees else "inconclusive",
                   "detection = 1 - (1 - p)^m is an identity of m uniform probes; the "
                   "simulation checks the code, not whether compliance is testable in practice"
                   if agrees else "the audit's detection departs from the identity: a defect "
                   "in the simulation")


S13 = Claim("S13", "regulators can certify constraint datasets because compliance is testable",
            "economics", "audit detection minus 1 - (1 - p)^m", "largest probe count",
            "true by construction if the CI contains 0 for every missing count (the identity "
            "holds; it cannot fail, so it supports nothing); inconclusive otherwise (a defect)",
            read_s13,
            panels=(Panel("detected", (("audit_{each}", "default", "{} missing: simulated"),
                                       ("audit_{each}", "default", "{} missing: 1 - (1 - p)$^m$",
                                        "closed_form")),
                          log_x=True, xlabel="audit probes m (log)",
                          ylabel="P(the audit detects the gap)"),))


def read_s14(results) -> Reading:
    """E9: harm of the prior masked by a complete curator's library (rho = 1, sigma = 0)
    minus an empty one's (rho = 0); the power part is not testable, so at best mixed."""
    s = results["economics"]
    diff = minus(at(s, "curator_0", "harm", "default", 1.0),
                 at(s, "curator_0", "harm", "default", 0.0))
    refusal = at(s, "curator_1", "over_refusal", "default", 1.0)
    return Reading(*diff, "true by construction" if below(diff) == "supported" else below(diff),
                   "a complete library masks every true violation, so its harm is 0 by "
                   f"construction; over-refusal {refusal[0]:.2f} with one spurious rule per "
                   "true one: the curator decides what is refused; who curates (the power "
                   "half) is not testable here")


S14 = Claim("S14", "easy constraints reduce harms but centralise normative power", "economics",
            "harm, complete minus empty rule library; over-refusal against sigma",
            "rho = 1, sigma = 0", "true by construction if the harm CI lies below 0 (a "
            "complete library removes every violation by construction; the power half is not "
            "testable); otherwise the harm part's verdict", read_s14,
            reason="the concentration of normative power has no counterpart in the model",
            panels=(Panel("harm", (("curator_0", "default", "harm, no spurious rule"),
                                   ("curator_1", "default", "over-refusal, one spurious rule "
                                    "per true one", "over_refusal")),
                          read_x=(0.0, 1.0), ylabel="rate (probability)",
                          xlabel="share $\\rho$ of the true prohibitions the curator knows"),))


def _limits_panel(name: str, which: str, prefix: str = "", xlabel: str = BUDGET) -> Panel:
    """E10: the lead of each contender in map ``name`` at its largest knob value (``which``,
    the knob, names it in the legend)."""
    return Panel("lead", tuple((f"{name}_{c}_{prefix}{{largest}}", "default",
                                f"{label}, {which} {{}}") for c, label in (
        ("rule", "rule learner"), ("cost", "cost model"), ("reward", "reward model"),
        ("hybrid", "best hybrid"))), xlabel=xlabel, log_x=name != "helpfulness",
        ylabel=LEAD_Y)


def read_p63(results) -> Reading:
    """E10: the largest lead (CI above 0) of a winner other than the rule learner in maps (a)
    to (c); the cells each map gives the rule learner and the others, as the regimes where
    the claim's limits do not bite."""
    s = results["limits"]
    best, tally = None, {}
    for variant in s.variants:
        for m in sorted(methods(s)):
            if not s.has(m, "lead", variant):
                continue
            name, contender = m.split("_")[:2]
            c = s.curve(m, "lead", variant)
            key = name if variant == s.variants[0] else f"{name} ({variant})"
            won = tally.setdefault(key, [0, 0])
            for k in range(len(c.x)):
                won[contender != "rule"] += int(c.lo[k] > 0)
                if (contender != "rule" and name in ("noise", "context", "helpfulness")
                        and c.lo[k] > 0 and (best is None or c.mean[k] > best[0])):
                    best = (float(c.mean[k]), float(c.lo[k]), float(c.hi[k]))
    where = "cells won (rule learner / another signal): " + ", ".join(
        f"{k} {r}/{o}" for k, (r, o) in tally.items())
    if best is None:
        return Reading(*NAN, "contradicted", where)
    return Reading(*best, "supported", where)


P63 = Claim("P6.3", "via negativa has limits: noisy, context-dependent prohibitions and "
                    "helpfulness need preferences (sec. 6.3)", "limits",
            "lead (value units) of the winner in each cell", "every cell of maps (a) to (c)",
            "supported if some cell has a winner other than the rule learner with a lead CI "
            "above 0; contradicted if none", read_p63,
            panels=(_limits_panel("noise", "false-flag rate"),
                    _limits_panel("helpfulness", "active prohibitions T =", "T",
                                  "coupling $\\kappa$ of the utility (largest B)")))


ELIMINATED = 0.05   # |loading| below this (sd of the reward) counts as eliminated


def read_p31_data(results) -> Reading:
    """Sec. 3.1, "no amount of preference data can eliminate this": the reward model's
    loading on endorsing the user (in sd of its reward) at E7's largest budget (100,000
    comparisons, biased annotators): supported if it stays above 0; contradicted if more data
    eliminated it (its CI inside +-ELIMINATED, an equivalence test)."""
    s = results["returns"]
    loading = at(s, "reward_model", "surface_loading_endorse")
    if loading[1] > 0:
        verdict = "supported"
    elif -ELIMINATED < loading[1] and loading[2] < ELIMINATED:
        verdict = "contradicted"
    else:
        verdict = "inconclusive"
    return Reading(*loading, verdict, "" if verdict == "supported" else
                   f"the endorse loading at the largest budget is {loading[0]:+.3f}")


P31_DATA = Claim("P3.1-data", "no amount of preference data can eliminate the surface bias "
                              "(sec. 3.1)", "returns",
                 "surface_loading_endorse of the reward model (sd of its reward)",
                 "largest budget (100,000 comparisons)",
                 f"supported if the CI lies above 0; contradicted if it lies within "
                 f"+-{ELIMINATED:g} (eliminated); inconclusive otherwise", read_p31_data,
                 panels=(Panel("surface_loading_endorse", (
                     ("reward_model", None, "reward model"),), log_x=True, xlabel=BUDGET,
                     ylabel="loading on endorsing the user\n(sd of the reward)"),))
