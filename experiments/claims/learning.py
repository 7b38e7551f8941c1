"""Claims read from the learning experiments E3 to E5: negative-only training (S1, P3.3), loss
aversion (P3.4) and capability (P5, one row per metric). E1's claims are in
:mod:`~experiments.claims.convergence`, E2's in :mod:`~experiments.claims.sycophancy`. Each rule
is the one line in its ``Claim``; the function above it applies that line to the summaries."""

from __future__ import annotations

from .reading import (
    NAN,
    Claim,
    Panel,
    Reading,
    above,
    at,
    below,
    largest_k,
    methods,
    minus,
    nearest,
    with_failures,
)

SYC = "annotator.sycophancy"
SYC_DEFAULT = 0.2   # the world's default s_syc (AnnotatorConfig): the pre-registered point
SHARE = "experiment.desirable_share"
STEP = "training step (optimiser steps; 0: the prior)"
LABELS = "labels (queries answered; log)"
BETA = "tilt strength $\\beta$ (on the standardised reward)"
SYC_Y = "sycophancy rate S($\\pi$) (probability)"
TILT = ("tilt", None, "tilt $\\pi_0 e^{\\beta r}$ (RLHF optimum)")



def read_s1(results) -> Reading:
    """E3: pass@1 and pass@(largest k) of NSR minus REINFORCE at the last step (the default:
    Zhu et al.'s setting, Adam, a policy on shared features, prompts of varying difficulty),
    paired over seeds. Each k is classed: exceeds (CI above 0), matches (within +-MATCH by two
    one-sided tests) or falls behind (CI below 0)."""
    s = results["negative_only"]
    ks = (1, largest_k(s))
    diffs = {k: minus(at(s, "policy", f"pass_at_{k}", "nsr"),
                      at(s, "policy", f"pass_at_{k}", "reinforce")) for k in ks}
    classes = {k: above(d, margin=MATCH) for k, d in diffs.items()}
    found = set(classes.values())
    if found <= {"supported", "equivalent"}:
        verdict = "equivalent" if found == {"equivalent"} else "supported"
    elif found == {"contradicted"}:
        verdict = "contradicted"
    elif "contradicted" in found and found & {"supported", "equivalent"}:
        verdict = "mixed"
    else:
        verdict = "inconclusive"
    failures = [f"pass@{k}: NSR {diffs[k][0]:+.3f} against REINFORCE ({c})"
                for k, c in classes.items() if c not in ("supported", "equivalent")]
    worst = min(diffs.values(), key=lambda d: d[1])
    return Reading(*worst, verdict, "; ".join(failures))


MATCH = 0.01   # "match": pass@k within one percentage point (two one-sided tests)
NSR_RF = (("policy", "nsr", "NSR only"), ("policy", "reinforce", "REINFORCE (PSR + NSR)"))
S1 = Claim("S1", "negative-only feedback can match or exceed preference-based RLHF",
           "negative_only", "pass_at_1 and pass_at_<largest k>, NSR minus REINFORCE (the effect: "
           "the k with the lower CI)",
           "last training step, default (Zhu et al.'s setting: Adam, sampled, features)",
           "per k: equivalent (matches) if within +-0.01 by two one-sided tests (90% band), "
           "else supported (exceeds) if the CI lies above 0, contradicted if below; the "
           "verdict: supported if every k exceeds or matches (equivalent if all match), "
           "contradicted if every k falls behind, mixed if some do, inconclusive otherwise",
           read_s1,
           panels=(Panel("pass_at_1", NSR_RF, xlabel=STEP, ylabel="pass@1 (probability)"),
                   Panel("pass_at_{largest}", NSR_RF, xlabel=STEP,
                         ylabel="pass@k at the largest k (probability)")))


def read_p33(results) -> Reading:
    """E3: NSR's pass@(largest k) at the last step minus at step 0 (the prior), paired over
    seeds: kept if it rises (CI above 0) or stays within +-MATCH (two one-sided tests); PSR's
    own change as the contrast the paper draws (PSR narrows)."""
    s = results["negative_only"]
    k = largest_k(s)

    def change(variant):
        x = s.curve("policy", f"pass_at_{k}", variant).x
        return minus(at(s, "policy", f"pass_at_{k}", variant, x=float(x[-1])),
                     at(s, "policy", f"pass_at_{k}", variant, x=float(x[0])))

    nsr, psr = change("nsr"), change("psr")
    failures = [] if below(psr) == "supported" else [
        f"PSR keeps pass@{k} too ({psr[0]:+.3f} [{psr[1]:.3f}, {psr[2]:.3f}]): the contrast "
        "the paper draws is absent in this setting"]
    verdict = above(nsr, margin=MATCH)
    return Reading(*nsr, with_failures("supported" if verdict == "equivalent" else verdict,
                                       failures), "; ".join(failures))


P33 = Claim("P3.3", "negative-only training matches full RL and keeps pass@k (sec. 3.3)",
            "negative_only", "pass_at_<largest k> of NSR, last step minus step 0",
            "default (Zhu et al.'s setting: Adam, sampled, features)",
            "supported (kept) if the CI lies above 0 or within +-0.01 (two one-sided tests, "
            "90% band); contradicted if below 0 beyond that; mixed if PSR keeps pass@k too "
            "(no contrast)", read_p33,
            panels=(Panel("pass_at_{largest}", (("policy", "nsr", "NSR only"),
                                                ("policy", "psr", "PSR only")),
                          read_x=(0.0, None), xlabel=STEP,
                          ylabel="pass@k at the largest k (probability)"),))


def p34_points(s):
    """E4, desirable share 0.5: (the largest lambda_D with KTO's weight ratio < 1, the
    smallest with ratio >= 1), or None when the grid does not cross ratio 1."""
    ratio = s.curve("kto", "weight_ratio", where={c: nearest(s.points(c), 0.5)
                                                   for c in s.sweep_cols})
    below_one = [x for x, r in zip(ratio.x, ratio.mean) if r < 1]
    above_one = [x for x, r in zip(ratio.x, ratio.mean) if r >= 1]
    return (max(below_one), min(above_one)) if below_one and above_one else None


def read_p34(results) -> Reading:
    """E4, desirable share 0.5: KTO's violation rate at the largest lambda_D with weight
    ratio < 1 (losses weigh more) minus at the smallest with ratio >= 1."""
    s = results["loss_aversion"]
    where = {"experiment.desirable_share": 0.5}
    xs = p34_points(s)
    if xs is None:
        return Reading(*NAN, "inconclusive", "the run's lambda_D grid does not cross ratio 1")
    diff = minus(at(s, "kto", "violation_rate", x=xs[0], where=where),
                 at(s, "kto", "violation_rate", x=xs[1], where=where))
    verdict = below(diff)
    return Reading(*diff, verdict, {
        "contradicted": "loss-heavy weighting leaves the violation rate higher",
        "inconclusive": "the violation rates at the two weightings cannot be told apart"}.get(
            verdict, ""))


P34 = Claim("P3.4", "loss aversion suits unpaired negative labels (sec. 3.4)", "loss_aversion",
            "violation_rate of KTO, weight ratio < 1 minus >= 1", "desirable share 0.5",
            "supported if the CI lies below 0; contradicted if above", read_p34,
            panels=tuple(Panel(metric, (("kto", None, "KTO"),), where={SHARE: 0.5},
                               read_x=p34_points, log_x=True, ylabel=ylabel,
                               xlabel="desirable weight $\\lambda_D$ ($\\lambda_U$ = 1; log)")
                         for metric, ylabel in (
                             ("weight_ratio", "weight ratio $\\lambda_D n_D / (\\lambda_U n_U)$"),
                             ("violation_rate", "violation rate $\\pi(\\neg A)$ (probability)"))))


def read_p5(metric: str, sign: int):
    """Sec. 5: Spearman's rho between capability tier and ``metric`` for the named-rule
    learner's mask (negative knowledge, rules learned: the fair tier; the oracle's mask is the
    upper bound, shown), in the predicted direction ``sign``; mixed when the preference-only
    control (no negative knowledge) shows the same sign, since then the metric does not tell
    the hypotheses apart."""
    same_way, other_way = (above, below) if sign > 0 else (below, above)

    def read(results) -> Reading:
        s = results["capability"]
        rho = at(s, "named_mask_trend", f"spearman_{metric}", "default")
        control = at(s, "tilt_trend", f"spearman_{metric}", "control")
        failures = [f"{m[:-6]}: rho {at(s, m, f'spearman_{metric}', 'default')[0]:+.2f}"
                    for m in sorted(methods(s)) if m.endswith("_trend")
                    and m not in ("prior_trend", "mask_trend", "named_mask_trend")
                    and other_way(at(s, m, f"spearman_{metric}", "default")) == "supported"]
        if same_way(control) == "supported":
            failures.append(f"the control's tilt shows it too (rho {control[0]:+.2f})")
        return Reading(*rho, with_failures(same_way(rho), failures), "; ".join(failures))
    return read


TRENDS = (("named_mask_trend", "default", "mask by the named-rule learner"),
          ("mask_trend", "default", "mask by $F_n$ (oracle: upper bound)"),
          ("cost_mask_trend", "default", "cost mask"),
          ("tilt_trend", "default", "tilt"), ("best_of_n_trend", "default", "best-of-n"),
          ("dpo_trend", "default", "DPO"), ("mask_then_tilt_trend", "default", "mask, then tilt"),
          ("constrained_tilt_trend", "default", "constrained tilt"),
          ("tilt_trend", "control", "control's tilt"))


def _p5(name: str, metric: str, sign: int, word: str) -> Claim:
    return Claim(f"P5-{name}", f"more capable models are {word} "
                 "(sec. 5)", "capability", f"Spearman rho of tier and {metric}, the "
                 "named-rule learner's mask", "tiers 2^4 to 2^12",
                 f"supported if the CI lies {'above' if sign > 0 else 'below'} 0; mixed if "
                 "another regime goes the other way or the preference-only control shows it "
                 "too", read_p5(metric, sign),
                 panels=(Panel(f"spearman_{metric}", TRENDS, ylabel=f"Spearman $\\rho$(tier, {metric})",
                               xlabel="regime (biased annotators; control: well specified)"),))


P5 = (_p5("length", "mean_length", -1, "shorter"), _p5("density", "density", +1, "denser"),
      _p5("sycophancy", "sycophancy_rate", -1, "less sycophantic"))
