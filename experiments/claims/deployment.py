"""Claims read from the deployment experiments E7 and E9: returns (S9-returns, S9-drift,
P3.1-data) and economics (S11 to S14); E8's (S10, P6.3-separation) are in
:mod:`~experiments.claims.hybrid`, E10's (P6.3) in :mod:`~experiments.claims.limits`, E6's in
:mod:`~experiments.claims.shift`. Each rule is
the one line in its ``Claim``; the function above it applies that line."""

from __future__ import annotations

from .reading import (
    NAN,
    Claim,
    Panel,
    Reading,
    above,
    at,
    below,
    methods,
    minus,
    with_failures,
)

BUDGET = "label budget B (labels; log)"



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
    bound = "" if oracle != oracle else f" (the oracle rule learner {oracle:,.0f})"
    return Reading(*b90, verdict, "" if verdict == "supported" else
                   f"the cost model needs {b90[0]:,.0f} labels for 90% of its gain{bound}")


def read_s9_drift(results) -> Reading:
    """E7: the reward model's late drift (mean Kendall drift between successive budgets past
    the slope split) minus its noise floor (a refit on a bootstrap of the same comparisons,
    over the same budgets), paired over seeds: "keeps drifting" is drift beyond estimation
    noise (as S5 reads E1). Equivalent within +-SETTLED (two one-sided tests) is a settled
    ranking; without a floor in the run (an older one), drift against 0.01 as before."""
    s = results["returns"]
    drift = at(s, "reward_returns", "drift_late")
    if not s.has("reward_returns", "drift_floor_late"):
        verdict = above(drift, SETTLED, margin=SETTLED)
        return Reading(*drift, verdict, "" if verdict == "supported" else
                       f"the reward model's late drift is {drift[0]:.3f} (no noise floor)")
    excess = minus(drift, at(s, "reward_returns", "drift_floor_late"))
    verdict = above(excess, margin=SETTLED)
    return Reading(*excess, verdict, "" if verdict == "supported" else
                   f"the reward model's late drift {drift[0]:.3f} is "
                   f"{'within noise of' if verdict == 'equivalent' else 'not above'} its "
                   f"bootstrap floor ({excess[0]:+.3f})")


SETTLED = 0.01   # late drift within +-0.01 (one pair in a hundred) is a settled ranking


S9 = Claim("S9-returns", "negatives have diminishing returns", "returns",
           "budget_90 of the cost model on flags (labels); the rule learner's as upper bound",
           "1,000 to 100,000 labels", "supported if budget_90's CI lies below 10% of the "
           "largest budget; contradicted if above", read_s9_returns,
           panels=(Panel("budget_90", (("cost_returns", None, "cost model on flags"),
                                       ("named_returns", None, "named-rule learner "
                                                               "(streaming)"),
                                       ("rule_returns", None, "rule learner (oracle: upper "
                                                              "bound)")),
                         ylabel="labels to 90% of the gain (labels)"),))
S9_DRIFT = Claim("S9-drift", "preferences keep drifting", "returns",
                 "drift_late minus drift_floor_late of the reward model (share of pairs; the "
                 "floor: a refit on a bootstrap of the same comparisons), paired",
                 "1,000 to 100,000 labels",
                 "equivalent (it settles into its noise: against the claim) if within +-0.01 "
                 "by two one-sided tests (90% band); else supported if the CI lies above 0, "
                 "contradicted if below",
                 read_s9_drift,
                 panels=(Panel("ranking_drift", (
                     ("reward_model", None, "reward model: drift between successive budgets"),
                     ("reward_model", None, "its noise floor: fit against a bootstrap refit",
                      "ranking_drift_floor")), log_x=True, xlabel=BUDGET,
                     ylabel="ranking drift (share of pairs reversed)"),))


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
    """E9, the harm half of S14: harm of the prior masked by a complete curator's library
    (rho = 1, sigma = 0) minus an empty one's (rho = 0). A complete library masks every true
    violation, so a CI below 0 is true by construction."""
    s = results["economics"]
    diff = minus(at(s, "curator_0", "harm", "default", 1.0),
                 at(s, "curator_0", "harm", "default", 0.0))
    verdict = below(diff)
    return Reading(*diff, "true by construction" if verdict == "supported" else verdict,
                   "a complete library masks every true violation, so its harm is 0 by "
                   "construction" if verdict == "supported" else "")


HARM_PANEL = Panel("harm", (("curator_0", "default", "harm, no spurious rule"),
                            ("curator_1", "default", "over-refusal, one spurious rule per true "
                             "one", "over_refusal")),
                   read_x=(0.0, 1.0), ylabel="rate (probability)",
                   xlabel="share $\\rho$ of the true prohibitions the curator knows")
S14 = Claim("S14-harm", "easy constraints reduce harms", "economics",
            "harm, complete minus empty rule library", "rho = 1, sigma = 0",
            "true by construction if the harm CI lies below 0 (a complete library removes "
            "every violation by construction); otherwise the CI's class (it cannot give "
            "supported)", read_s14, panels=(HARM_PANEL,))


def read_s14_power(results) -> Reading:
    """E9, the power half of S14: not testable (no curators, firms or users to hold power);
    the over-refusal a curator's spurious rules cause is reported as what the model shows."""
    s = results["economics"]
    refusal = at(s, "curator_1", "over_refusal", "default", 1.0)
    return Reading(*refusal, "not testable in this model",
                   f"over-refusal {refusal[0]:.2f} with one spurious rule per true one: the "
                   "curator decides what is refused; who curates is not in the model")


S14_POWER = Claim("S14-power", "easy constraints centralise normative power", "economics",
                  "over_refusal of a complete library with one spurious rule per true one "
                  "(context only)", "rho = 1, sigma = 1",
                  "not testable: the concentration of normative power has no counterpart in "
                  "the model (it cannot give supported or contradicted)", read_s14_power,
                  reason="the concentration of normative power has no counterpart in the model",
                  panels=(HARM_PANEL,))


ELIMINATED = 0.05   # |loading| below this (sd of the reward) counts as eliminated


def read_p31_data(results) -> Reading:
    """Sec. 3.1, "no amount of preference data can eliminate this": the reward model's
    loading on endorsing the user (in sd of its reward) at E7's largest budget (100,000
    comparisons, biased annotators): eliminated (``equivalent``: contradicts the claim) if it
    lies within +-ELIMINATED by two one-sided tests; else supported if its CI lies above 0."""
    s = results["returns"]
    loading = at(s, "reward_model", "surface_loading_endorse")
    verdict = above(loading, margin=ELIMINATED)
    return Reading(*loading, verdict, "" if verdict == "supported" else
                   f"the endorse loading at the largest budget is {loading[0]:+.3f}"
                   + (" (eliminated)" if verdict == "equivalent" else ""))


P31_DATA = Claim("P3.1-data", "no amount of preference data can eliminate the surface bias "
                              "(sec. 3.1)", "returns",
                 "surface_loading_endorse of the reward model (sd of its reward)",
                 "largest budget (100,000 comparisons)",
                 f"equivalent (eliminated: against the claim) if it lies within "
                 f"+-{ELIMINATED:g} by two one-sided tests (90% band); else supported if the CI "
                 f"lies above 0, contradicted if below", read_p31_data,
                 panels=(Panel("surface_loading_endorse", (
                     ("reward_model", None, "reward model"),), log_x=True, xlabel=BUDGET,
                     ylabel="loading on endorsing the user\n(sd of the reward)"),))
