"""Claims read from E1, convergence: S3, S4, S5, P4 (contraction, drift, feasible) and P6.1.
The named-rule learner (rules named, their extent learned) is the negative side every
verdict reads; the oracle rule learner is the upper bound, shown in the panels. Each rule is
the one line in its ``Claim``."""

from __future__ import annotations

import math

import numpy as np

from ..stats import paired
from .reading import (
    Claim,
    Panel,
    Reading,
    above,
    at,
    below,
    minus,
    rule_beaten,
    with_failures,
)
from .seeds import Point

SYC = "annotator.sycophancy"
SYC_DEFAULT = 0.2   # the world's default s_syc (AnnotatorConfig): the pre-registered point
SHARE = "experiment.desirable_share"
STEP = "training step (optimiser steps; 0: the prior)"
LABELS = "labels (queries answered; log)"
BETA = "tilt strength $\\beta$ (on the standardised reward)"
SYC_Y = "sycophancy rate S($\\pi$) (probability)"
TILT = ("tilt", None, "tilt $\\pi_0 e^{\\beta r}$ (RLHF optimum)")



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
           "does not converge or E10's false flags beat the named-rule learner", read_s3,
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
    verdict = above(drift, margin=DRIFT_MARGIN)
    return Reading(*drift, with_failures(verdict, failures), "; ".join(failures))


DRIFT_MARGIN = 0.01   # one pair in a hundred reversed: drift no ranking a user sees


S5 = Claim("S5", "negative examples eliminate regions of behaviour and settle; preferences "
                 "need continual calibration", "convergence",
           "ranking_drift minus ranking_drift_floor (its bootstrap noise floor) of the batch "
           "reward model between the last checkpoints (paired over seeds)",
           "largest label budget",
           "equivalent if it lies within +-0.01 (two one-sided tests, 90% band: drift is "
           "estimation noise); else supported if the CI lies above 0 (drift beyond estimation "
           "noise), contradicted if below; mixed if the named-rule learner drifts beyond its "
           "floor too or the well-specified control settles", read_s5,
           panels=(Panel("ranking_drift", (
               ("reward_model", "batch", "reward model, batch MLE"),
               ("reward_model", "batch", "its noise floor (bootstrap refit)",
                "ranking_drift_floor"),
               ("named_rule", "named_batch", "named-rule learner"),
               ("reward_model", "control_batch", "control: well specified, batch MLE")),
               xlabel=LABELS, log_x=True,
               ylabel="ranking drift (share of pairs reversed\nbetween checkpoints)"),))


def read_p4(results) -> Reading:
    """Sec. 4, "the feasible set contracts monotonically": the named-rule learner's
    re-openings so far at the largest budget (responses re-admitted after a refit excluded
    them, mean over contexts): monotone contraction re-opens nothing. The oracle's F_n is
    nested by construction and decides nothing."""
    s = results["convergence"]
    reopened = at(s, "named_rule", "reopenings", "named_batch")
    verdict = below(reopened, REOPEN_MARGIN)
    return Reading(*reopened, verdict, "" if verdict == "supported" else
                   f"the named-rule learner re-opens {reopened[0]:.0f} responses per context "
                   "(its refits are not nested)")


REOPEN_MARGIN = 1.0   # fewer than one re-opened response per context counts as monotone
P4 = Claim("P4-contraction", "constraints contract monotonically and converge (sec. 4)",
           "convergence", "reopenings of the named-rule learner (responses per context, so "
           "far; convergence itself is S3's row)", "largest label budget",
           f"supported if the CI lies below {REOPEN_MARGIN:g} (monotone); contradicted if "
           "above", read_p4, panels=S3.panels[1:])


def read_p4_drift(results) -> Reading:
    """Sec. 4, "preferences drift": as S5 (drift beyond the bootstrap noise floor)."""
    return read_s5(results)


P4_DRIFT = Claim("P4-drift", "preferences drift (sec. 4)", "convergence", S5.metric,
                 S5.setting, "as S5", read_p4_drift, panels=S5.panels)


def read_p61(results) -> Reading:
    """Sec. 6.1, the interface: "what is wrong?" (the named-rule learner: the rejection names
    the rule, its extent is learned) against "which is better?" (the batch reward model), same
    queries budget and family: unacceptable share of what each admits at the largest budget,
    named minus comparison, paired over seeds."""
    s = results["convergence"]
    diff = minus(at(s, "named_rule", "unacceptable_share", "named_batch"),
                 at(s, "reward_model", "unacceptable_share", "batch"))
    failures = []
    if s.has("cost_model", "unacceptable_share", "cost_batch"):
        flag = minus(at(s, "cost_model", "unacceptable_share", "cost_batch"),
                     at(s, "reward_model", "unacceptable_share", "batch"))
        if below(flag) != "supported":
            failures.append(f"told only a flag, the cost model does not beat comparisons "
                            f"({flag[0]:+.3f} [{flag[1]:+.3f}, {flag[2]:+.3f}])")
    return Reading(*diff, with_failures(below(diff), failures), "; ".join(failures))


P61 = Claim("P6.1", "the interface \"what is wrong?\" is a better feedback channel than "
                    "\"which is better?\" (sec. 6.1)", "convergence",
            "unacceptable_share, named-rule learner minus batch reward model (paired)",
            "largest label budget, one family on both sides",
            "supported if the CI lies below 0, contradicted if above; mixed if the flag-only "
            "cost model does not beat the reward model", read_p61,
            panels=(Panel("unacceptable_share", (
                ("named_rule", "named_batch", "\"what is wrong?\": named-rule learner"),
                ("reward_model", "batch", "\"which is better?\": reward model"),
                ("cost_model", "cost_batch", "a flag only: cost model")),
                xlabel=LABELS, log_x=True, ylabel="unacceptable share of the admitted set"),))

MARGIN = 0.1   # "approximately acceptable": at most 10% of the unfiltered pool's regret


def read_p4_feasible(results) -> Reading:
    """Sec. 4: "any response within the feasible space is approximately acceptable": the
    named-rule learner's admitted set's mean regret at the largest budget as a share of the
    whole pool's (its admitted set before any label), per seed."""
    s = results["convergence"]
    last = at(s, "named_rule", "regret_mean", "named_batch")
    first = at(s, "named_rule", "regret_mean", "named_batch", x=0.0)
    if last.seeds is None or first.seeds is None:
        share = Point(tuple(v / first[0] for v in last))
    else:
        ratio = last.seeds / first.seeds
        share = Point(paired(ratio, np.zeros_like(ratio)), ratio)
    return Reading(*share, below(share, MARGIN), "" if below(share, MARGIN) == "supported"
                   else f"the admitted set keeps {share[0]:.0%} of the pool's mean regret")


P4F = Claim("P4-feasible", "any response within the feasible space is approximately "
                           "acceptable (sec. 4)", "convergence",
            "regret_mean of the named-rule learner's admitted set as a share of the pool's "
            "(per seed)", "largest label budget",
            f"supported if the CI lies below {MARGIN:g} (the margin), contradicted if above",
            read_p4_feasible,
            panels=(Panel("regret_mean", (
                ("named_rule", "named_batch", "named-rule learner"),
                ("rule", "rule", "rule learner ($F_n$, oracle: upper bound)")),
                xlabel=LABELS, log_x=True, ylabel="mean regret of the admitted set\n"
                                                 "(value units)"),))
