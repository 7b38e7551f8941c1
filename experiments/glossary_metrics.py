"""What each ``metric``, ``axis`` and column of results.csv and summary.csv means, with units.

The tables :mod:`experiments.glossary` looks names up in (with its patterns: a part in angle
brackets is one of its ``CHOICES`` or a number); plain data.
"""

from __future__ import annotations

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
    "ranking_drift_floor": "its noise floor: the Kendall distance between the fit at a "
                           "checkpoint and a refit on a Poisson(1) bootstrap resample of the "
                           "same labels (0 to 1); drift above it is more than estimation noise",
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
    "drift_floor_late": "E7: the noise floor of drift_late: the mean over the same budgets of "
                        "the Kendall distance between a learned scorer (named, cost or reward "
                        "model) and its refit on a Poisson(1) bootstrap of the same labels "
                        "(share of pairs)",
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
    "lead": "E10: the contender's value minus the best value of the other fair contenders "
            "(named, cost, reward, hybrid), per seed, value units (> 0: it wins the cell); the "
            "oracle's: its margin over the best fair one",
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
