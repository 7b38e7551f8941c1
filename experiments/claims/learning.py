"""Claims read from the learning experiments, E1 to E5: convergence (S3, S4, S5, P4),
sycophancy (S2, S6, P3.1, P3.2), negative-only training (S1, P3.3), loss aversion (P3.4)
and capability (P5, one row per metric). Each rule is the one line in its ``Claim``; the
function above it applies that line to the summaries."""

from __future__ import annotations

import math

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
    rule_beaten,
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
    Zhu et al.'s setting, Adam, a policy on shared features, prompts of varying difficulty)."""
    s = results["negative_only"]
    ks = (1, largest_k(s))
    diffs = {k: minus(at(s, "policy", f"pass_at_{k}", "nsr"),
                      at(s, "policy", f"pass_at_{k}", "reinforce")) for k in ks}
    matches = {k: d[1] > -0.01 for k, d in diffs.items()}
    short = {k: d[2] < -0.01 for k, d in diffs.items()}
    verdict = ("supported" if all(matches.values()) else "contradicted"
               if all(short.values()) else "mixed")
    failures = [f"pass@{k}: NSR {d[0]:+.3f} behind REINFORCE" for k, d in diffs.items()
                if not matches[k]]
    worst = min(diffs.values(), key=lambda d: d[1])
    return Reading(*worst, verdict, "; ".join(failures))


NSR_RF = (("policy", "nsr", "NSR only"), ("policy", "reinforce", "REINFORCE (PSR + NSR)"))
S1 = Claim("S1", "negative-only feedback can match or exceed preference-based RLHF",
           "negative_only", "pass_at_1 and pass_at_<largest k>, NSR minus REINFORCE (the effect: "
           "the k with the lower CI)",
           "last training step, default (Zhu et al.'s setting: Adam, sampled, features)",
           "supported if the CI of the difference lies above -0.01 at both k; contradicted if "
           "below at both; mixed otherwise", read_s1,
           panels=(Panel("pass_at_1", NSR_RF, xlabel=STEP, ylabel="pass@1 (probability)"),
                   Panel("pass_at_{largest}", NSR_RF, xlabel=STEP,
                         ylabel="pass@k at the largest k (probability)")))


def _tilt_rise(s, syc, variant=None):
    """The tilt's sycophancy at beta = 4 minus the prior's (beta = 0), paired over seeds."""
    where = {SYC: syc}
    return minus(at(s, "tilt", "sycophancy_rate", variant, x=4.0, where=where),
                 at(s, "tilt", "sycophancy_rate", variant, x=0.0, where=where))


def _cells(s, read, verdict, judge, fmt="{:+.2f}"):
    """The (variant, s_syc) cells of E2 where ``judge(read(syc, variant))`` gives another
    verdict than the reading point's, as text (the claim's regime map in one line)."""
    out = []
    for variant in s.variants:
        for syc in s.points(SYC):
            r = read(syc, variant)
            if judge(r) != verdict:
                out.append(f"{variant}, s_syc = {syc:g}: {fmt.format(r[0])} ({judge(r)})")
    return out


def read_s2(results) -> Reading:
    """E2: the tilt's sycophancy at beta = 4 minus the prior's, at the pre-registered default
    s_syc (the world's, 0.2), ``default`` variant (the belief family on every side); the
    cells (variant x s_syc) with another verdict are listed."""
    s = results["sycophancy"]
    rise = _tilt_rise(s, SYC_DEFAULT, "default")
    verdict = above(rise)
    cells = _cells(s, lambda syc, v: _tilt_rise(s, syc, v), verdict, above)
    return Reading(*rise, with_failures(verdict, cells), "; ".join(cells))


TILT_SYC = Panel("sycophancy_rate", (TILT,), where={SYC: SYC_DEFAULT}, read_x=(0.0, 4.0),
                 xlabel=BETA, ylabel=SYC_Y)
S2 = Claim("S2", "positive preferences are entangled with surface correlates and cause "
                 "sycophancy", "sycophancy", "sycophancy_rate of the tilt (beta = 4) minus the "
           "prior's (paired over seeds)", "annotator sycophancy 0.2 (the default), belief "
           "family on every side",
           "supported if the CI lies above 0, contradicted if below; the cells (variant x "
           "s_syc) with another verdict are listed (a supported reading with any: mixed)",
           read_s2, panels=(TILT_SYC,))


LEARNERS = (("named_rule", "named_batch", "named-rule learner (rules learned)"),
            ("rule", "rule", "rule learner ($F_n$, oracle: upper bound)"),
            ("cost_model", "cost_batch", "cost model on flags, batch"),
            ("cost_model", "maxout_batch", "max-of-halfspaces cost model, batch"),
            ("cost_model", "cost_online", "cost model on flags, online"),
            ("cost_model", "maxout_online", "max-of-halfspaces cost model, online"))


def read_s3(results) -> Reading:
    """E1: the named-rule learner's unacceptable share at the last budget (rules named,
    their extent learned: the fair tier); its re-openings, the flag-only cost models and
    E10's false flags as regimes where it fails. The oracle rule learner is the upper bound
    and decides nothing."""
    s = results["convergence"]
    named = at(s, "named_rule", "unacceptable_share", "named_batch")
    reopened = at(s, "named_rule", "reopenings", "named_batch")[0]
    verdict = below(named, 0.01)
    failures = [f"named-rule learner: {reopened:.0f} re-openings"] if reopened > 0 else []
    for v in ("cost_batch", "maxout_batch", "cost_online", "maxout_online"):
        if s.has("cost_model", "unacceptable_share", v):
            u = at(s, "cost_model", "unacceptable_share", v)
            r = at(s, "cost_model", "reopenings", v)[0]
            if u[1] > 0.01 or r > 0:
                failures.append(f"{v} (flags only): unacceptable {u[0]:.3f}, {r:.0f} re-openings")
    failures += rule_beaten(results, "noise")
    return Reading(*named, with_failures(verdict, failures), "; ".join(failures))


S3 = Claim("S3", "negative constraints are discrete and verifiable, so learning converges to "
                 "a stable boundary", "convergence",
           "unacceptable_share and reopenings of the named-rule learner (the oracle rule "
           "learner is shown as the upper bound, never read); of the cost models on flags",
           "largest label budget", "supported if the named-rule learner's CI lies below 0.01; "
           "contradicted if above; mixed if it re-opens responses, a flag-only cost model "
           "does not converge or E10's false flags beat the rule learner", read_s3,
           extra=("limits",),
           panels=(Panel("unacceptable_share", LEARNERS, xlabel=LABELS, log_x=True,
                         ylabel="unacceptable share of the admitted set"),
                   Panel("reopenings", LEARNERS, xlabel=LABELS, log_x=True,
                         ylabel="re-openings so far (responses, mean over contexts)")))


def read_s4(results) -> Reading:
    """E1: the share of the reward model's excess unacceptable share that flags alone remove
    (same quadratic features); reported, the verdict is "not testable" (the claim explains
    real systems)."""
    s = results["convergence"]
    reward = at(s, "reward_model", "unacceptable_share", "batch")[0]
    cost = at(s, "cost_model", "unacceptable_share", "cost_batch")[0]
    rule = at(s, "rule", "unacceptable_share", "rule")[0]
    share = (reward - cost) / (reward - rule) if reward != rule else math.nan
    return Reading(share, math.nan, math.nan, "not testable in this model",
                   f"flags alone remove {share:.0%} of the gap; naming the rule the rest")


S4 = Claim("S4", "an epistemic asymmetry explains the empirical successes of negative signals",
           "convergence", "share of the reward model's excess unacceptable share that flags "
           "alone remove", "largest label budget, quadratic features",
           "not testable as an explanation of real systems; reports how much of the advantage "
           "survives without the named rule", read_s4,
           reason="it explains empirical successes of real systems, which the toy does not have",
           panels=(Panel("unacceptable_share", (
               ("reward_model", "batch", "reward model, batch MLE"),
               ("cost_model", "cost_batch", "cost model on flags, batch"),
               ("rule", "rule", "rule learner ($F_n$)")), xlabel=LABELS, log_x=True,
               ylabel="unacceptable share of the admitted set"),))


def _excess_drift(s, method, variant):
    """Ranking drift between the last two checkpoints minus its noise floor (a refit on a
    bootstrap resample of the same labels), paired over seeds."""
    return minus(at(s, method, "ranking_drift", variant),
                 at(s, method, "ranking_drift_floor", variant))


def read_s5(results) -> Reading:
    """E1: the batch reward model's ranking drift between the last two checkpoints minus its
    noise floor: "keeps drifting" is drift beyond estimation noise. Fails where the
    named-rule learner drifts beyond its floor too (no asymmetry) or the control settles."""
    s = results["convergence"]
    drift = _excess_drift(s, "reward_model", "batch")
    failures = []
    if s.has("named_rule", "ranking_drift_floor", "named_batch"):
        named = _excess_drift(s, "named_rule", "named_batch")
        if above(named) == "supported":
            failures.append(f"the named-rule learner drifts beyond its floor too "
                            f"({named[0]:+.3f} [{named[1]:+.3f}, {named[2]:+.3f}])")
    if s.has("reward_model", "ranking_drift_floor", "control_batch"):
        control = _excess_drift(s, "reward_model", "control_batch")
        if above(control) != "supported":
            failures.append(f"control_batch settles to its floor ({control[0]:+.3f})")
    return Reading(*drift, with_failures(above(drift), failures), "; ".join(failures))


S5 = Claim("S5", "negative examples eliminate regions of behaviour and settle; preferences "
                 "need continual calibration", "convergence",
           "ranking_drift minus ranking_drift_floor (its bootstrap noise floor) of the batch "
           "reward model between the last checkpoints (paired over seeds)",
           "largest label budget",
           "supported if the CI lies above 0 (drift beyond estimation noise); contradicted if "
           "below; mixed if the named-rule learner drifts beyond its floor too or the "
           "well-specified control settles", read_s5,
           panels=(Panel("ranking_drift", (
               ("reward_model", "batch", "reward model, batch MLE"),
               ("reward_model", "batch", "its noise floor (bootstrap refit)",
                "ranking_drift_floor"),
               ("named_rule", "named_batch", "named-rule learner"),
               ("reward_model", "control_batch", "control: well specified, batch MLE")),
               xlabel=LABELS, log_x=True,
               ylabel="ranking drift (share of pairs reversed\nbetween checkpoints)"),))


def _mask_minus_tilt(s, syc, variant=None):
    """The named-rule learner's mask minus the tilt (beta = 4): sycophancy, paired."""
    where = {SYC: syc}
    return minus(at(s, "named_mask", "sycophancy_rate", variant, where=where),
                 at(s, "tilt", "sycophancy_rate", variant, x=4.0, where=where))


def read_s6(results) -> Reading:
    """E2: sycophancy of the prior masked by the named-rule learner (the fair tier) minus the
    tilt's (beta = 4), at the default s_syc, belief family on every side; NSR and NPO on the
    same rejections as failing regimes when they do not lower the prior's rate; the cells
    (variant x s_syc) with another verdict listed. The oracle's mask is the upper bound."""
    s = results["sycophancy"]
    where = {SYC: SYC_DEFAULT}
    diff = _mask_minus_tilt(s, SYC_DEFAULT, "default")
    verdict = below(diff)
    prior = at(s, "tilt", "sycophancy_rate", "default", x=0.0, where=where)
    failures = [f"{m} on the same rejections: "
                f"{at(s, m, 'sycophancy_rate', 'default', where=where)[0]:.2f} "
                f"(prior {prior[0]:.2f})" for m in ("nsr", "npo")
                if below(minus(at(s, m, "sycophancy_rate", "default", where=where), prior))
                != "supported"]
    failures += _cells(s, lambda syc, v: _mask_minus_tilt(s, syc, v), verdict, below)
    return Reading(*diff, with_failures(verdict, failures), "; ".join(failures))


S6 = Claim("S6", "training on negative constraints reduces sycophancy and stabilises rule "
                 "adherence", "sycophancy", "sycophancy_rate: the prior masked by the "
           "named-rule learner minus the tilt (beta = 4), paired over seeds",
           "annotator sycophancy 0.2 (the default), belief family on every side",
           "supported if the CI lies below 0, contradicted if above; mixed if NSR or NPO on "
           "the same rejections do not lower the prior's rate or another cell (variant x "
           "s_syc) disagrees", read_s6,
           panels=(Panel("sycophancy_rate", (
                       TILT, ("named_mask", None, "prior masked by the named-rule learner"),
                       ("mask", None, "prior masked by $F_n$ (oracle: upper bound)")),
                         where={SYC: SYC_DEFAULT}, read_x=(0.0, 4.0), xlabel=BETA,
                         ylabel=SYC_Y),
                   Panel("sycophancy_rate", (("nsr", None, "NSR on the rejections"),
                                             ("npo", None, "NPO on the rejections")),
                         where={SYC: SYC_DEFAULT}, xlabel=STEP, ylabel=SYC_Y)))


def read_p31(results) -> Reading:
    """Sec. 3.1: the tilt's sycophancy at beta = 4 minus the prior's, default s_syc (as S2)."""
    return read_s2(results)


P31 = Claim("P3.1", "preference optimisation amplifies sycophancy (sec. 3.1)", "sycophancy",
            "sycophancy_rate of the tilt at beta = 4 minus beta = 0 (paired over seeds)",
            "annotator sycophancy 0.2 (the default), belief family on every side",
            "as S2: supported if the CI lies above 0", read_p31, panels=(TILT_SYC,))


def read_p32(results) -> Reading:
    """Sec. 3.2: the tilt's sycophancy (beta = 4) at the largest annotator sycophancy minus at
    the smallest: the bias comes from the labels."""
    s = results["sycophancy"]
    xs = s.points(SYC)
    diff = minus(at(s, "tilt", "sycophancy_rate", x=4.0, where={SYC: xs[-1]}),
                 at(s, "tilt", "sycophancy_rate", x=4.0, where={SYC: xs[0]}))
    return Reading(*diff, above(diff), "")


P32 = Claim("P3.2", "the bias comes from the labels' surface correlates (sec. 3.2)",
            "sycophancy", "sycophancy_rate of the tilt, largest minus smallest annotator "
            "sycophancy", "beta = 4", "supported if the CI lies above 0", read_p32,
            panels=tuple(Panel("sycophancy_rate", (TILT,), where={SYC: end}, read_x=4.0,
                               xlabel=BETA, ylabel=SYC_Y) for end in (min, max)))


def read_p33(results) -> Reading:
    """E3: NSR's pass@(largest k) at the last step minus at step 0 (the prior): kept if the
    CI lies above -0.01; PSR's own change as the contrast the paper draws (PSR narrows)."""
    s = results["negative_only"]
    k = largest_k(s)

    def change(variant):
        c = s.curve("policy", f"pass_at_{k}", variant)
        return minus((float(c.mean[-1]), float(c.lo[-1]), float(c.hi[-1])),
                     (float(c.mean[0]), float(c.lo[0]), float(c.hi[0])))

    nsr, psr = change("nsr"), change("psr")
    failures = [] if below(psr) == "supported" else [
        f"PSR keeps pass@{k} too ({psr[0]:+.3f} [{psr[1]:.3f}, {psr[2]:.3f}]): the contrast "
        "the paper draws is absent in this setting"]
    return Reading(*nsr, with_failures(above(nsr, -0.01), failures), "; ".join(failures))


P33 = Claim("P3.3", "negative-only training matches full RL and keeps pass@k (sec. 3.3)",
            "negative_only", "pass_at_<largest k> of NSR, last step minus step 0",
            "default (Zhu et al.'s setting: Adam, sampled, features)",
            "supported if the CI lies above -0.01; contradicted if below; "
            "mixed if PSR keeps pass@k too (no contrast)", read_p33,
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
    return Reading(*diff, below(diff), "loss-heavy weighting leaves the violation rate higher"
                   if below(diff) != "supported" else "")


P34 = Claim("P3.4", "loss aversion suits unpaired negative labels (sec. 3.4)", "loss_aversion",
            "violation_rate of KTO, weight ratio < 1 minus >= 1", "desirable share 0.5",
            "supported if the CI lies below 0; contradicted if above", read_p34,
            panels=tuple(Panel(metric, (("kto", None, "KTO"),), where={SHARE: 0.5},
                               read_x=p34_points, log_x=True, ylabel=ylabel,
                               xlabel="desirable weight $\\lambda_D$ ($\\lambda_U$ = 1; log)")
                         for metric, ylabel in (
                             ("weight_ratio", "weight ratio $\\lambda_D n_D / (\\lambda_U n_U)$"),
                             ("violation_rate", "violation rate $\\pi(\\neg A)$ (probability)"))))


def read_p4(results) -> Reading:
    """Sec. 4: S3 and S5 together (the rule learner converges; the reward model drifts)."""
    s3, s5 = read_s3(results), read_s5(results)
    both = {s3.verdict, s5.verdict}
    verdict = ("supported" if both == {"supported"} else "contradicted"
               if both == {"contradicted"} else "mixed")
    return Reading(s3.effect, s3.ci_low, s3.ci_high, verdict,
                   "; ".join(x for x in (s3.fails_where, s5.fails_where) if x))


P4 = Claim("P4", "constraints contract monotonically and converge; preferences drift (sec. 4)",
           "convergence", "unacceptable_share, reopenings, ranking_drift",
           "largest label budget", "as S3 and S5 together: supported if both are, "
           "contradicted if both are, mixed otherwise", read_p4, extra=("limits",),
           panels=S3.panels[:1] + S5.panels)


def read_p5(metric: str, sign: int):
    """Sec. 5: Spearman's rho between capability tier and ``metric`` for the rule learner's
    mask (the purest negative knowledge), in the predicted direction ``sign``; mixed when the
    preference-only control (no negative knowledge) shows the same sign, since then the
    metric does not tell the hypotheses apart."""
    same_way, other_way = (above, below) if sign > 0 else (below, above)

    def read(results) -> Reading:
        s = results["capability"]
        rho = at(s, "mask_trend", f"spearman_{metric}", "default")
        control = at(s, "tilt_trend", f"spearman_{metric}", "control")
        failures = [f"{m[:-6]}: rho {at(s, m, f'spearman_{metric}', 'default')[0]:+.2f}"
                    for m in sorted(methods(s)) if m.endswith("_trend") and m != "prior_trend"
                    and other_way(at(s, m, f"spearman_{metric}", "default")) == "supported"]
        if same_way(control) == "supported":
            failures.append(f"the control's tilt shows it too (rho {control[0]:+.2f})")
        return Reading(*rho, with_failures(same_way(rho), failures), "; ".join(failures))
    return read


TRENDS = (("mask_trend", "default", "mask by $F_n$"), ("cost_mask_trend", "default", "cost mask"),
          ("tilt_trend", "default", "tilt"), ("best_of_n_trend", "default", "best-of-n"),
          ("dpo_trend", "default", "DPO"), ("mask_then_tilt_trend", "default", "mask, then tilt"),
          ("constrained_tilt_trend", "default", "constrained tilt"),
          ("tilt_trend", "control", "control's tilt"))


def _p5(name: str, metric: str, sign: int, word: str) -> Claim:
    return Claim(f"P5-{name}", f"more capable models are {word} "
                 "(sec. 5)", "capability", f"Spearman rho of tier and {metric}, the rule "
                 "learner's mask", "tiers 2^4 to 2^14",
                 f"supported if the CI lies {'above' if sign > 0 else 'below'} 0; mixed if "
                 "another regime goes the other way or the preference-only control shows it "
                 "too", read_p5(metric, sign),
                 panels=(Panel(f"spearman_{metric}", TRENDS, ylabel=f"Spearman $\\rho$(tier, {metric})",
                               xlabel="regime (biased annotators; control: well specified)"),))


P5 = (_p5("length", "mean_length", -1, "shorter"), _p5("density", "density", +1, "denser"),
      _p5("sycophancy", "sycophancy_rate", -1, "less sycophantic"))
