"""The names in results.csv and summary.csv, each with one line of meaning and its units.

``docs/glossary.md`` is the same text: :mod:`experiments.glossary_page` generates it
(``tests/test_docs.py`` checks that the two agree), so edit the dictionaries and regenerate
the page::

    python -c "from experiments.glossary_page import markdown as m; open('docs/glossary.md', 'w').write(m())"

Four tables (name -> meaning with units): :data:`METHODS` (the ``method`` column:
what produced a number) and :data:`VARIANTS` (the ``variant`` column) here;
:data:`METRICS` (the ``metric`` column), :data:`AXES` (the ``axis`` column; ``x`` is
the value on it) and :data:`COLUMNS` (every column of the two files) in
:mod:`experiments.glossary_metrics`.

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

These modules are plain data and import nothing from the simulator or from JAX.
"""

from __future__ import annotations

import re

from .glossary_metrics import AXES, COLUMNS, METRICS

__all__ = ["METHODS", "METRICS", "VARIANTS", "AXES", "COLUMNS", "CHOICES", "EXPERIMENTS",
           "describe", "lookup"]

EXPERIMENTS: dict[str, str] = {
    "convergence": "E1", "sycophancy": "E2", "negative_only": "E3", "loss_aversion": "E4",
    "capability": "E5", "shift": "E6", "returns": "E7", "hybrid": "E8", "economics": "E9",
    "limits": "E10",
}

CHOICES: dict[str, tuple[str, ...]] = {
    # the policy regimes of E8 and E9 (E5 and E6 use all but dual_ascent and rbr_tilt);
    # each is also an entry of METHODS
    "regime": ("tilt", "best_of_n", "dpo", "mask", "named_mask", "cost_mask", "mask_then_tilt",
               "named_mask_then_tilt", "constrained_tilt", "dual_ascent", "rbr_tilt"),
    # E10's five contenders (the oracle rule learner, then the four fair ones)
    "contender": ("rule", "named", "cost", "reward", "hybrid"),
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
    "named_rule": "the named-rule learner (named tier): one logistic classifier per named "
                  "rule, fitted from the responses whose rejection named it and those not named "
                  "for it, in the reward model's family; it admits where no classifier fires; "
                  "E1 (batch and online) and E7 (streaming), axis labels",
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
    "mask": "pi0 restricted to the rule learner's feasible set F_n and renormalised (the "
            "oracle tier: an upper bound; E2: a scalar, after all labels; E5: axis labels; "
            "E6: axis shift)",
    "named_mask": "pi0 restricted to what the named-rule learner admits (no learned rule "
                  "fires) and renormalised: the named tier (E2: a scalar, after all labels; "
                  "E5: axis labels; E6: axis shift; E8 and E9: inside <regime>)",
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
                      "F_n (the oracle's mask: an upper bound; E5 and E6: n/2 labels of each "
                      "signal)",
    "named_mask_then_tilt": "the same hybrid with the named-rule learner's mask (the fair "
                            "hybrid; E8 and E9)",
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
    "named_returns": "E7: the same returns for the named-rule learner (rules named, extents "
                     "learned, streaming); a scalar",
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
    "<map>_<contender>_<v>": "E10: contender <contender> (rule: the oracle rule learner's mask, "
                             "the upper bound; named: the named-rule learner's mask; cost: "
                             "the cost model's mask; reward: the reward model's tilt; hybrid: "
                             "the best fair hybrid per seed) in map <map> at knob value <v>; "
                             "axis labels",
    "helpfulness_<contender>_T<t>": "E10, map (c): contender <contender> with <t> active "
                                    "prohibitions, at the largest budget; axis coupling",
}

VARIANTS: dict[str, str] = {
    "default": "the experiment's default config (the only variant of E4 and E7)",
    "context_free": "E2: the quadratic family on every side (reward, cost and named-rule "
                    "learners): no learner sees the user's belief",
    # E1
    "rule": "E1: the rule learner on rejections that name the rule (oracle tier: each named "
            "rule's exact extent handed over)",
    "named_batch": "E1: the named-rule learner on the same rejections, each rule's extent "
                   "learned from examples, batch MLE (named tier)",
    "named_online": "E1: the named-rule learner, every rule's classifier stepped online, one "
                    "Adam step per label (named tier)",
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
    "maxout_reward": "E1: the reward model in the maxout family (minus a max over K = 32 "
                     "learned halfspaces, the maxout cost model's inputs), batch",
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

TABLES = {"methods": METHODS, "metrics": METRICS, "variants": VARIANTS, "axes": AXES,
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
    a name or an id such as ``hybrid`` or ``E8``, keeps those that mention it, and prefers a
    pattern that starts with it to an exact entry that does not: E9's ``cost_mask`` is
    ``cost_<regime>``, what it costs the mask to reach a target, not the cost model's mask)."""
    tag = EXPERIMENTS.get(experiment, experiment) if experiment is not None else None
    if name in table and (tag is None or tag in table[name] or "<" in name):
        return table[name]
    exact = table.get(name, "")
    found = []
    for key, text in table.items():
        if "<" not in key:
            continue
        m = _pattern(key).fullmatch(name)
        if m:
            for part, value in m.groupdict().items():
                text = text.replace(f"<{part}>", value)
            found.append(text)
    if tag is not None:
        kept = [t for t in found if re.match(rf"{re.escape(tag)}\b", t)]
        if exact:
            return " | ".join(kept) if kept else exact
        if len(found) > 1:
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
    unknown = set(names) - set(TABLES) - {"experiment"}
    if unknown:
        raise ValueError(f"describe: unknown kind {sorted(unknown)} "
                         f"(allowed: {', '.join(TABLES)}, experiment)")
    return {kind: {n: lookup(TABLES[kind], n, experiment) for n in names[kind]}
            for kind in TABLES if kind in names}
