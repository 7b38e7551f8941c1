"""The names in results.csv and summary.csv, each with one line of meaning and its units.

``docs/glossary.md`` is the same text: it is generated from this module by
:func:`markdown` (``tests/test_docs.py`` checks that the two agree), so edit the
dictionaries here and regenerate the page::

    python -c "from experiments.glossary import markdown; open('docs/glossary.md', 'w').write(markdown())"

Four tables (name -> meaning with units): :data:`METHODS` (the ``method`` column:
what produced a number), :data:`METRICS` (the ``metric`` column), :data:`VARIANTS`
(the ``variant`` column) and :data:`AXES` (the ``axis`` column; ``x`` is the value
on it), plus :data:`COLUMNS` (every column of the two files).

Some names are built from parts, and the tables hold them as patterns: a part
in angle brackets stands for one of :data:`CHOICES` (``<regime>``, ``<contender>``,
``<map>``, ``<metric>``) or for a number (any other part, e.g. ``<B>``), so
``<regime>_<B>`` covers E8's ``mask_then_tilt_1024``. :func:`describe` looks a
name up exactly first, then among the patterns, and writes the parts it matched
into the text.

Units: *value units* are the scale of the utility U and of the full evaluation
V = U - Lambda 1[unacceptable] (Lambda = ``world.penalty`` = 1,000, so an
unacceptable response costs 1,000 value units); *share* and *probability* lie
in [0, 1]; *labels* count labels bought from the simulated annotators; entropy
and KL are in nats; prices in USD and annotator hours.

This module is plain data and imports nothing from the project or from JAX.
"""

from __future__ import annotations

import re
import textwrap

__all__ = ["METHODS", "METRICS", "VARIANTS", "AXES", "COLUMNS", "CHOICES", "EXPERIMENTS",
           "describe", "lookup", "markdown"]

EXPERIMENTS: dict[str, str] = {
    "convergence": "E1", "sycophancy": "E2", "negative_only": "E3", "loss_aversion": "E4",
    "capability": "E5", "shift": "E6", "returns": "E7", "hybrid": "E8", "economics": "E9",
    "limits": "E10",
}

CHOICES: dict[str, tuple[str, ...]] = {
    # the policy regimes of E8 and E9 (E5 and E6 use all but dual_ascent and rbr_tilt);
    # each is also an entry of METHODS
    "regime": ("tilt", "best_of_n", "dpo", "mask", "cost_mask", "mask_then_tilt",
               "constrained_tilt", "dual_ascent", "rbr_tilt"),
    # E10's four contenders
    "contender": ("rule", "cost", "reward", "hybrid"),
    # E10's maps along the label budget (map (c), helpfulness, has a pattern of its own)
    "map": ("noise", "context", "tail", "misses"),
    # E5's metrics that get a Spearman trend (every policy metric but kl_to_prior)
    "metric": ("sycophancy_rate", "sycophancy_gap", "violation_rate", "value", "mean_length",
               "density", "lc_value"),
}

METHODS: dict[str, str] = {
    # learners (E1, E7)
    "rule": "the rule learner: it admits the feasible set F_n of the prohibitions its "
            "rejections named (each rejection says which rule it breaks: an oracle tier, an "
            "upper bound); E1 and E7, axis labels",
    "named_rule": "E1: the named-rule learner (named tier): one logistic classifier per named "
                  "rule, fitted from the responses whose rejection named it and those not named "
                  "for it, in the reward model's family; it admits where no classifier fires",
    "cost_model": "the cost model: a cost c_theta fitted by the logistic loss to the same "
                  "rejections told only as binary flags; it admits {c_theta <= 0}; E1 and E7, "
                  "axis labels",
    "reward_model": "the Bradley-Terry reward model fitted to comparisons; it admits the top "
                    "q(c) = |A(c)|/N of its reward (it is told q(c)); E1 and E7, axis labels",
    # policies (E2 to E6)
    "tilt": "the KL-regularised optimum pi0 exp(beta r) / Z by the standardised learned reward "
            "r (E2: axis beta; E5: beta = 4, axis labels; E6: beta = 4, axis shift); in E7 the "
            "Gao et al. fits of the tilts' gold gain against sqrt(KL), axis labels",
    "first_order": "E2: Shapira et al.'s first-order prediction of the tilt's sycophancy rate, "
                   "S(pi0) + beta Cov_pi0(endorses, r); axis beta",
    "corrected": "E2: the tilt by the corrected reward r - lambda* endorses 1[false belief], "
                 "lambda* chosen to cancel the first-order shift; axis beta",
    "best_of_n": "best-of-n of pi0 under the learned reward, the exact law with ties broken "
                 "uniformly (E2: axis n; E5: n = 16, axis labels; E6: n = 16, axis shift)",
    "dpo": "DPO on the comparisons, full-batch SGD on per-context logits from pi0 (E2: axis "
           "training_step; E4: a scalar, after training; E5: axis labels)",
    "mask": "pi0 restricted to the rule learner's feasible set F_n and renormalised (E2: a "
            "scalar, after all labels; E5: axis labels; E6: axis shift)",
    "cost_mask": "pi0 restricted to the cost model's admitted set {c_theta <= 0} (E2: a "
                 "scalar; E5: axis labels; E6: axis shift)",
    "nsr": "E2: negative sample reinforcement on the flagged rejection labels, L_NSR = mean of "
           "pi(y | c), full-batch SGD; axis training_step",
    "npo": "E2: NPO on the flagged rejection labels, full-batch SGD; axis training_step",
    "rbr_tilt": "the tilt by the rule-based reward r + w . phi (Mu et al. 2024): phi the "
                "indicators of the prohibitions the rule learner discovered, w fitted by a "
                "hinge loss on the comparisons (E2: axis beta)",
    "constrained_tilt": "the exact optimum of E_pi(beta r) - KL(pi || pi0) subject to "
                        "E_pi C <= d, C = sigma(c_theta) the cost model's predicted flag "
                        "probability (E2: axis beta; E5 and E6: n/2 labels of each signal)",
    "mask_then_tilt": "the hybrid of the paper's section 6.3: the tilt of the prior masked by "
                      "F_n (E5 and E6: n/2 labels of each signal)",
    "dual_ascent": "Safe RLHF's Lagrangian tilt at the multiplier after dual_steps updates "
                   "ln lambda += eta lambda (E_pi C - d) from lambda = 1; only inside E8's and "
                   "E9's names (<regime>)",
    "policy": "E3: the policy trained on w_PSR L_PSR + w_NSR L_NSR (the variant sets the "
              "weights), or the KL-matched optimum (variant kl_optimum); axis training_step",
    "kto": "E4: KTO on unpaired labels, lambda_U = 1; axis lambda_desirable (lambda_D)",
    "prior": "the prior pi0 with no feedback (E4: a scalar; E5: its quality a = "
             "policy.prior_value_weight, axis prior_value_weight; E6: pi0 seen through the "
             "training or the shifted window, axis shift)",
    "prior_trend": "E5: Spearman's rho between the prior's quality a and each metric; a scalar",
    "<regime>_trend": "E5: Spearman's rho between log tier (labels) and each metric of "
                      "<regime>; a scalar",
    # returns (E7)
    "discovery": "E7: when the rule learner has found every prohibition, with the "
                 "coupon-collector integral and bounds; a scalar",
    "rule_returns": "E7: the rule learner's returns: log-log slopes of unacceptable_share "
                    "against labels and the budget to 90% of its gain; a scalar",
    "cost_returns": "E7: the same returns for the cost model; a scalar",
    "reward_returns": "E7: the same returns for the reward model, and whether its drift and "
                      "surface loadings stop late; a scalar",
    "tilt_<n>": "E7: gold gain and sqrt(KL) of the tilts by the reward model fitted on <n> "
                "comparisons; axis beta",
    "bon_<n>": "E7: gold gain and sqrt(KL) of best-of-n under the reward model fitted on <n> "
               "comparisons; axis best_of",
    # hybrids and economics (E8, E9)
    "<regime>_<B>": "E8: <regime> at the total label budget B = <B>, a share f of it spent on "
                    "rejections and the rest on comparisons; axis rejection_share",
    "<regime>_beta<b>": "E8: <regime> at beta = <b> and B = front_budget (256 by default), for "
                        "the Pareto fronts over f and beta; axis rejection_share",
    "cost_<regime>": "E9: the least cost of a point of E8's (B, f) grid where <regime> reaches "
                     "a violation rate <= epsilon; axis epsilon",
    "marginal_<regime>": "E9: the harm <regime> cuts per USD 1,000 between successive budgets, "
                         "each at its safest split; axis labels (B from the second budget)",
    "target_<regime>": "E9: the cheapest grid point where <regime> meets the joint target "
                       "(violation rate and regret); axis cost_ratio",
    "audit_<k>": "E9: an audit of m uniform probes against a rule library that lacks <k> of "
                 "the T halfspace prohibitions; axis probes",
    "curator_<sigma>": "E9: the prior masked by a curator's rule library with <sigma> spurious "
                       "prohibitions per true one; axis rho",
    # limits (E10)
    "<map>_<contender>_<v>": "E10: contender <contender> (rule: the rule learner's mask; cost: "
                             "the cost model's mask; reward: the reward model's tilt; hybrid: "
                             "the best hybrid per seed) in map <map> at knob value <v>; axis "
                             "labels",
    "helpfulness_<contender>_T<t>": "E10, map (c): contender <contender> with <t> active "
                                    "prohibitions, at the largest budget; axis coupling",
}

METRICS: dict[str, str] = {
    # set metrics of an admitted set S in a context, mean over held-out contexts (E1, E7)
    "feasible_fraction": "share of the N responses that the learner admits, |S| / N",
    "unacceptable_share": "share of the admitted set that is unacceptable, |S minus A| / |S| "
                          "(0 for an empty set)",
    "false_exclusion": "share of the acceptable responses that the admitted set excludes, "
                       "|A minus S| / |A|",
    "regret_max": "the worst regret in the admitted set, max over S of V* - V(i), value units "
                  "(0 for an empty set)",
    "regret_mean": "the mean regret V* - V(i) over the admitted set, value units",
    "reopenings": "responses per context that left the admitted set and came back, so far "
                  "(a count; 0 for F_n by construction)",
    "top1_flips": "changes of the top response (argmax reward, argmin cost) between "
                  "checkpoints so far, per context (a count)",
    "ranking_drift": "share of response pairs whose strict order reverses between successive "
                     "checkpoints (Kendall distance, 0 to 1)",
    "kendall_tau_true": "Kendall tau-b between the learned score and V (-1 to 1)",
    "surface_loading_endorse": "effect on the reward of flipping endorses from 0 to 1, all "
                               "else fixed, in sd of the reward over responses",
    "surface_loading_length": "effect on the reward of doubling the length (claims fixed), in "
                              "sd of the reward over responses",
    "discovered_prohibitions": "E1: true prohibitions (halfspaces, padding, factual) the rule "
                               "learner has been told so far (a count)",
    "acceptable_fraction": "E1: share of the responses acceptable in the held-out contexts, "
                           "|A(c)| / N (the q(c) the reward model is told)",
    # policy metrics, mean over the contexts (E2 to E10)
    "sycophancy_rate": "S(pi): the probability of endorsing the user's belief, mean over the "
                       "contexts where that belief is false",
    "sycophancy_gap": "pi(endorse | false belief) - pi(endorse | true belief), each a mean over "
                      "its contexts: in [-1, 1]; a policy that never agrees scores 0, not the "
                      "best (it loses agree_value where the user is right)",
    "violation_rate": "pi(not A(c)): the probability of an unacceptable response",
    "value": "E_pi V with V = U + a 1[endorses a true belief] - Lambda 1[unacceptable] "
             "(a = world.agree_value), value units",
    "kl_to_prior": "KL(pi || pi0), nats",
    "entropy": "E3: -sum pi log pi, nats",
    "pass_at_<k>": "E3: 1 - E_c (1 - pi(A(c)))^k, the probability that one of <k> independent "
                   "draws is acceptable",
    "prior_mass_q<j>": "E3: the mean pi0 probability of an acceptable response in decile <j> of "
                       "the prior probability (0 the least likely)",
    "mass_change_q<j>": "E3: the mean change pi - pi0 of an acceptable response in decile <j> "
                        "of the prior probability (probability)",
    "weight_ratio": "E4: lambda_D n_D / (lambda_U n_U) as measured on the labels (the KTO paper "
                    "recommends [1, 4/3])",
    "mean_length": "E5: E_pi length, tokens",
    "density": "E5: E_pi claims / length, claims per token",
    "lc_value": "E5: length-controlled value E_pi V - b (E_pi log L - E_pi0 log L), b the slope "
                "of V on log length over acceptable responses; value units",
    "spearman_<metric>": "E5: Spearman's rho between log tier (or the prior's quality) and "
                         "<metric>, -1 to 1",
    # shift (E6)
    "violation_in": "E6: violation rate in distribution (probability)",
    "violation_shift": "E6: violation rate under the shift (probability)",
    "adherence_gap": "E6: violation_shift - violation_in (probability points)",
    "value_in": "E6: E_pi V in distribution, value units",
    "value_shift": "E6: E_pi V under the shift, value units",
    # returns (E7)
    "marginal_gain": "E7: -(U(n_k) - U(n_{k-1})) / (n_k - n_{k-1}), U = unacceptable_share: "
                     "share per label",
    "regret_gain": "E7: the same for regret_mean, value units per label",
    "feasible_measured": "E7: share of the first law_responses responses still feasible for the "
                         "rule learner",
    "feasible_law": "E7: the exact law mean_i (1 - mu_i)^n on the same responses (share)",
    "missing_mass": "E7: share of the pool that is unacceptable and still feasible; E9 audit: "
                    "p_missing, the share of (context, response) pairs the library passes that "
                    "are unacceptable (the chance one probe detects the gap)",
    "missing_mass_law": "E7: sum_j p_j (1 - p_j)^n (Good-Turing; exact for disjoint "
                        "prohibitions, an upper bound otherwise), share",
    "missing_mass_exact_law": "E7: mean_i 1[i violates some g_j] (1 - mu_i)^n, share",
    "discovered_share": "E7: share of the prohibitions with a violator in the pool that the rule "
                        "learner knows",
    "all_found_at": "E7: labels until every prohibition with p_j > 0 is known (the largest "
                    "budget + 1 if one never is)",
    "censored": "E7: 1 if some prohibition was never found within the budget, else 0",
    "coupon_integral": "E7: the coupon-collector time int [1 - prod_j (1 - e^{-p_j t})] dt, "
                       "labels",
    "lower_bound": "E7: 1 / p_min, the lower bound on all_found_at, labels",
    "upper_bound": "E7: sum_j 1 / p_j, the upper bound on all_found_at, labels",
    "prohibitions_in_pool": "E7: prohibitions with a violator in the pool (a count)",
    "slope_early": "E7: log-log slope of unacceptable_share against labels over budgets 10 to "
                   "slope_split (1,000)",
    "slope_late": "E7: the same slope from slope_split to the largest budget",
    "budget_90": "E7: the budget after which unacceptable_share stays within 10% of its total "
                 "change, labels",
    "regret_budget_90": "E7: the same for regret_mean, labels",
    "drift_late": "E7: mean ranking_drift between successive budgets from slope_split on "
                  "(share of pairs)",
    "flips_late": "E7: top-1 flips per context from slope_split on (a count)",
    "endorse_loading_late": "E7: change of surface_loading_endorse over the last decade of "
                            "budgets, sd of the reward",
    "gain": "E7: gold gain E_pi V - E_pi0 V, value units",
    "sqrt_kl": "E7: d = sqrt(KL(pi || pi0)), square root of nats",
    "alpha_rl": "E7: alpha of Gao et al.'s fit R = d (alpha - beta log d) over the tilts, value "
                "units per sqrt(nat)",
    "beta_rl": "E7: beta of the same fit, value units per sqrt(nat)",
    "r2_rl": "E7: R^2 of the same fit, 1 - SSE / sum R^2",
    "alpha_bon": "E7: alpha of the fit R = d (alpha - beta d) over best-of-n, value units per "
                 "sqrt(nat)",
    "beta_bon": "E7: beta of the same fit, value units per nat",
    "r2_bon": "E7: R^2 of the same fit",
    "gain_max_tilt": "E7: the largest gold gain over the tilts' betas, value units",
    "gain_max_bon": "E7: the largest gold gain over best-of-n's n, value units",
    # hybrids (E8, E10)
    "helpfulness": "E8, E10: E_pi[V | A(c)], the value of the acceptable answers given, value "
                   "units (the worst acceptable V when pi(A) = 0)",
    "regret": "E8, E10: max over A(c) of V - E_pi[V | A(c)], value units (>= 0)",
    "over_refusal": "E8, E10: share of the acceptable responses the regime excludes (a mask's "
                    "cut set, even when it falls back to pi0); E9 curators: share the library "
                    "excludes",
    "violation_cut": "E8: violation rate of the tilt at f = 0 (all B labels comparisons) minus "
                     "the method's, same B (> 0 is safer), probability points",
    "helpfulness_gain": "E8: the method's helpfulness minus the f = 0 tilt's, value units",
    "value_gain": "E8: the method's value minus the f = 0 tilt's, value units",
    # economics (E9)
    "usd_r<ratio>": "E9: least USD to a violation rate <= epsilon, a rejection priced at the "
                  "comparison's USD 0.30 / <ratio> (censored at the grid's largest cost)",
    "hours_r<ratio>": "E9: the same in annotator hours (a comparison 36.8 s)",
    "reached": "E9: 1 if some grid point meets the target (epsilon, or the joint target), else "
               "0; its mean is the share of seeds",
    "harm_cut_per_kusd_r<ratio>": "E9: violation-rate cut per USD 1,000 between successive "
                                "budgets at the safest split, price ratio <ratio>",
    "usd": "E9: USD of the cheapest point meeting the joint target (censored at the grid's "
           "largest cost)",
    "share": "E9: the rejection share f of that point (0 if none)",
    "budget": "E9: the total budget B of that point, labels (0 if none)",
    "detected": "E9: 1 if the audit found the gap within m probes, else 0",
    "closed_form": "E9: 1 - (1 - p_missing)^m, the probability of detection",
    "harm": "E9: violation rate of the prior masked by the curator's library (probability)",
    # limits (E10)
    "lead": "E10: the contender's value minus the best value of the other three, per seed, "
            "value units (> 0: it wins the cell)",
}

VARIANTS: dict[str, str] = {
    "default": "the experiment's default config (the only variant of E2, E4 and E7)",
    # E1
    "rule": "E1: the rule learner on rejections that name the rule (oracle tier: each named "
            "rule's exact extent handed over)",
    "named_batch": "E1: the named-rule learner on the same rejections, each rule's extent "
                   "learned from examples, batch MLE (named tier)",
    "batch": "E1: the reward model, configured family (quadratic, misspecified), batch MLE refits",
    "online": "E1: the same reward model, online streaming updates",
    "control_batch": "E1: the well-specified control (contextual family, annotators without "
                     "surface bias), batch MLE",
    "control_online": "E1: the control, online",
    "cost_batch": "E1: the cost model on binary flags, quadratic (the reward model's features), "
                  "batch",
    "cost_online": "E1: the same cost model, online",
    "maxout_batch": "E1: the cost model as a max over K = 32 learned halfspaces, batch",
    "maxout_online": "E1: the maxout cost model, online",
    # E3
    "reinforce": "E3: REINFORCE with the verifiable reward, L_PSR + L_NSR",
    "psr": "E3: PSR only, reinforce the correct (weights 1, 0)",
    "nsr": "E3: NSR only, penalise the wrong (weights 0, 1)",
    "w_reinforce": "E3: W-REINFORCE, 0.1 L_PSR + L_NSR",
    "kl_optimum": "E3: the KL-regularised optimum pi0 exp(beta R) / Z at REINFORCE's KL",
    # E5
    "control": "E5: a well-specified preference learner (contextual family) with unbiased "
               "annotators: no negative knowledge",
    # E6
    "response": "E6: training queries from a window in latent space, evaluation in the mirror "
                "window",
    "context": "E6: evaluation contexts shifted by s",
    "novel": "E6: prohibitions that fire only outside the training region",
    # E8, E9, E10
    "rare": "E8: rare halfspace prohibitions (p = 0.002)",
    "noisy": "E8: a false flag on 30% of rejections; E9: 10% false flags and 10% misses",
    "zipf": "E9: Zipf prohibition masses, exponent 1 (a long tail)",
    "T64": "E9: 64 prohibitions of a quarter of the mass each",
    "quadratic": "E10: map (c) only, with quadratic reward and cost models",
}

AXES: dict[str, str] = {
    "none": "a scalar: x is empty",
    "labels": "a label budget, labels: n of one signal (E1 checkpoints, E5 tiers, E7 budgets) "
              "or the total B (E9's marginal_<regime>, E10)",
    "beta": "the tilt's strength beta on the standardised reward (E2; E7's tilt_<n>)",
    "n": "n of best-of-n (E2)",
    "best_of": "n of best-of-n (E7's bon_<n>)",
    "training_step": "SGD steps taken, 0 = the prior (E2, E3)",
    "lambda_desirable": "KTO's weight lambda_D on desirable labels, lambda_U = 1 (E4)",
    "prior_value_weight": "the prior's quality a, the weight of the standardised utility in its "
                          "logits (E5)",
    "shift": "the shift's size s: latent sd (response), context sd (context) or log-odds "
             "(novel) (E6)",
    "rejection_share": "f, the share of the budget B spent on rejections (E8)",
    "epsilon": "the violation-rate target (E9's cost_<regime>)",
    "cost_ratio": "a comparison's price divided by a rejection's (E9's target_<regime>)",
    "probes": "m, the audit's uniform probes (E9's audit_<k>)",
    "rho": "the share of the true prohibitions the curator knows (E9's curator_<sigma>)",
    "coupling": "kappa, the coupling of the utility (E10's helpfulness_<contender>_T<t>)",
}

COLUMNS: dict[str, str] = {
    "experiment": "the experiment's name (convergence ... limits)",
    "variant": "the variant (VARIANTS)",
    "<section.field>": "one column per swept config field (e.g. annotator.sycophancy in E2): "
                       "the sweep point's value",
    "method": "what produced the number (METHODS)",
    "tier": "the information the method's labels carry: oracle (told the truth: each named "
            "rule's exact extent; an upper bound), named (the rule named, its extent learned "
            "from examples), flag (only that something is wrong), comparison (which of two "
            "is better); empty where a row mixes signals or is no learner's",
    "seed": "results.csv: the seed's index s (its key is fold_in(key(base_seed), s))",
    "axis": "the name of the method's x-axis (AXES); none for a scalar",
    "x": "the value on the axis, in the axis's unit; empty when axis is none",
    "metric": "what was measured (METRICS)",
    "value": "results.csv: the metric for one seed at one x, in the metric's unit",
    "mean": "summary.csv: the mean of value over seeds",
    "ci_low": "summary.csv: the lower end of the 95% percentile-bootstrap interval of the mean "
              "(1,000 resamples of the seeds)",
    "ci_high": "summary.csv: the upper end of the same interval",
    "n_seeds": "summary.csv: the seeds the row averages",
}

_TABLES = {"methods": METHODS, "metrics": METRICS, "variants": VARIANTS, "axes": AXES,
           "columns": COLUMNS}
_PART = re.compile(r"<([^<>]+)>")
_NUMBER = r"-?[0-9][0-9.e+-]*"


def _pattern(key: str) -> re.Pattern:
    """The regular expression of a pattern key: each <part> a choice or a number."""
    out, end = [], 0
    for m in _PART.finditer(key):
        out.append(re.escape(key[end:m.start()]))
        choices = CHOICES.get(m.group(1))
        body = "|".join(re.escape(c) for c in choices) if choices else _NUMBER
        out.append(f"(?P<{m.group(1)}>{body})")
        end = m.end()
    out.append(re.escape(key[end:]))
    return re.compile("".join(out))


def lookup(table: dict[str, str], name: str, experiment: str | None = None) -> str:
    """The meaning of ``name`` in ``table`` ("" if none): an exact entry, else every pattern
    it matches with the parts filled in (joined by " | " when several do; ``experiment``,
    a name or an id such as ``hybrid`` or ``E8``, keeps those that mention it)."""
    if name in table:
        return table[name]
    found = []
    for key, text in table.items():
        if "<" not in key:
            continue
        m = _pattern(key).fullmatch(name)
        if m:
            for part, value in m.groupdict().items():
                text = text.replace(f"<{part}>", value)
            found.append(text)
    if experiment is not None and len(found) > 1:
        tag = EXPERIMENTS.get(experiment, experiment)
        kept = [t for t in found if re.match(rf"{re.escape(tag)}\b", t)]
        found = kept or found
    return " | ".join(found)


def describe(names: dict[str, list[str]]) -> dict:
    """The meaning of each name a run used, by kind.

    ``names`` maps a kind (``methods``, ``metrics``, ``variants``, ``axes``, ``columns``)
    to names; an optional ``experiment`` entry (one name, e.g. ``["hybrid"]``) settles
    names that two experiments' patterns share. Returns ``{kind: {name: meaning}}`` with
    "" for a name the glossary lacks, e.g.::

        describe({"methods": ["rule"], "metrics": ["unacceptable_share"]})
        # {"methods": {"rule": "the rule learner: ..."},
        #  "metrics": {"unacceptable_share": "share of the admitted set that is ..."}}
    """
    experiment = (names.get("experiment") or [None])[0]
    unknown = set(names) - set(_TABLES) - {"experiment"}
    if unknown:
        raise ValueError(f"describe: unknown kind {sorted(unknown)} "
                         f"(allowed: {', '.join(_TABLES)}, experiment)")
    return {kind: {n: lookup(_TABLES[kind], n, experiment) for n in names[kind]}
            for kind in _TABLES if kind in names}


_HEAD = """\
# Glossary of results.csv and summary.csv

Generated from `experiments/glossary.py` (the same text as data: `METHODS`, `METRICS`,
`VARIANTS`, `AXES`, `COLUMNS`, and `describe()` for the names of a run); edit the module, not
this page, and regenerate it with

```bash
python -c "from experiments.glossary import markdown; open('docs/glossary.md', 'w').write(markdown())"
```

Units: *value units* are the scale of the utility U and of the full evaluation
V = U - Lambda 1[unacceptable] (Lambda = `world.penalty` = 1,000: an unacceptable response
costs 1,000 value units); a *share* or *probability* lies in [0, 1]; *labels* count labels
bought from the simulated annotators; entropy and KL are in nats; prices in USD and annotator
hours. A name with a part in angle brackets is a pattern: `<regime>` is one of {regime},
`<contender>` one of {contender}, `<map>` one of {map}, `<metric>` one of {metric}; any other
part is a number (for example `<regime>_<B>` covers `mask_then_tilt_1024`). E1 to E10 are the
experiments: [docs/by-experiment/](by-experiment/README.md).
"""

_SECTIONS = (
    ("Columns", "columns", "Every column of `results.csv` and `summary.csv`. The `value` column "
     "holds the metric in the metric's own unit (see the metric's entry)."),
    ("Axes", "axes", "The `axis` column names the x-axis of a method's outputs; `x` is the "
     "value on it, in the unit given here."),
    ("Methods", "methods", "The `method` column: the learner, policy or derived quantity that "
     "produced the number."),
    ("Metrics", "metrics", "The `metric` column. Policy metrics are means over the experiment's "
     "contexts; set metrics are per context, then averaged over held-out contexts."),
    ("Variants", "variants", "The `variant` column: named config transforms of an experiment "
     "(`python -m experiments NAME --help` lists them)."),
)


_PLACEHOLDER = re.compile(r"[A-Za-z0-9_.]*<[^<>\s]+>[A-Za-z0-9_.<>]*")


def _code(text: str) -> str:
    """``text`` with every name that holds a <part> in backticks (bare, Markdown reads it as
    an HTML tag)."""
    return _PLACEHOLDER.sub(lambda m: f"`{m.group(0)}`", text)


def _choices(kind: str) -> str:
    return ", ".join(f"`{c}`" for c in CHOICES[kind])


def markdown() -> str:
    """``docs/glossary.md``: every table as a list, lines wrapped at 100 characters."""
    head = _HEAD.format(**{k: _choices(k) for k in CHOICES})
    parts = [_wrap_paragraphs(head)]
    for title, kind, intro in _SECTIONS:
        lines = [f"## {title}", "", *textwrap.wrap(intro, 100), ""]
        for name, text in _TABLES[kind].items():
            lines += _keep_in_item(textwrap.wrap(
                f"- `{name}` — {_code(text)}", 100, subsequent_indent="  ",
                break_long_words=False, break_on_hyphens=False))
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


_MARKER = re.compile(r"\s*([-+*]|\d+[.)])(\s|$)")


def _keep_in_item(lines: list[str]) -> list[str]:
    """Wrapped lines of a list item, where no continuation line starts with what Markdown
    reads as a new list item (``+ beta ...``): its first word moves up a line."""
    out = lines[:1]
    for line in lines[1:]:
        while _MARKER.match(line):
            word, _, rest = line.strip().partition(" ")
            out[-1] += " " + word
            line = "  " + rest if rest else ""
        if line:
            out.append(line)
    return out


def _wrap_paragraphs(text: str) -> str:
    """Rewrap each paragraph of ``text`` (title and command lines kept whole) at 100."""
    out = []
    for block in text.strip().split("\n\n"):
        if block.startswith(("#", "```")):
            out.append(block)
        else:
            out.append("\n".join(textwrap.wrap(" ".join(block.split()), 100,
                                               break_long_words=False, break_on_hyphens=False)))
    return "\n\n".join(out) + "\n"
