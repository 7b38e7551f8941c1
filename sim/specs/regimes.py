"""What each feedback regime learns from the same labels at several budgets, and its policies.

Shared by the experiments that compare regimes along a label budget (E5
capability, E6 shift, E8 hybrid). Per seed, in a :class:`PolicySetting`:

- the rejection oracle answers ``n_max`` queries once; the rule learner's
  feasible set F_n (oracle tier), the named-rule learner's admitted set (named) and the
  cost model c_theta (flag, on the same answers told as binary flags) are read off
  the first n of them for each rejection budget n;
- the preference oracle answers ``n_max`` pairs once; the reward model (comparison) is
  fitted to the first n for each comparison budget n, and its reward standardised over
  responses per context.

Every learner is the registry's (:data:`sim.learners.LEARNERS`): fitted by its ``fit`` at
the budgets and read by its ``score``, as in E1, E2 and E7.

A budget below ``n_max`` therefore sees a prefix of the same label stream
(nested label sets: a larger budget adds labels, it never redraws them).

Policies from a prior log pi0 (:mod:`sim.policies`):

- ``mask``            pi0 on F_n (negative only, the oracle rule learner: the upper bound);
- ``named_mask``      pi0 on what the named-rule learner admits (negative only, rules named
                      and their extent learned, in the reward model's family: the fair tier);
- ``cost_mask``       pi0 on {c_theta <= 0} (negative only, learned constraint);
- ``tilt``            pi0 exp(beta r) (preference only);
- ``best_of_n``       best-of-n of pi0 under r (preference only);
- ``mask_then_tilt``  the tilt of the masked prior (hybrid, paper section 6.3; the oracle's
                      mask: an upper bound);
- ``named_mask_then_tilt`` the same with the named-rule learner's mask (the fair hybrid);
- ``constrained_tilt`` the exact optimum of E_pi(beta r) - KL(pi || pi0) s.t.
  E_pi C <= d, C = sigma(c_theta) the predicted flag probability (hybrid,
  Safe RLHF's objective);
- ``dual_ascent``     the same Lagrangian tilt at Safe RLHF's multiplier after
  ``dual_steps`` updates ln lambda += eta lambda (E_pi C - d) from lambda = 1
  (:func:`sim.policies.dual_ascent`): the training-time version, which need
  not have reached the exact multiplier;
- ``dpo``             DPO on the first n comparisons (:func:`dpo_at_budgets`).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..costs import admitted_by_cost
from ..keys import stream
from ..labels import prefix_groups
from ..learners import LEARNERS, collect_labels, unit_weight
from ..policies import best_of_n, constrained_tilt, dual_ascent, lagrangian_tilt, mask, tilt
from ..training import preference_pairs_loss, train_logits
from ..world import Contexts, unacceptable
from .setting import PolicySetting

__all__ = ["Learned", "regime_names", "learn_at_budgets", "regime_policies", "dpo_at_budgets",
           "standardise"]


class Learned(NamedTuple):
    """What the learners know at each budget (leading axis: the budget)."""

    feasible: jax.Array   # (Kr, E, N) bool, the rule learner's F_n(c)
    named: jax.Array      # (Kr, E, N) bool, what the named-rule learner admits
    cost: jax.Array       # (Kr, E, N) the cost model's c_theta(i, c)
    reward: jax.Array     # (Kc, E, N) the reward model's r(i, c), standardised per context
    comparisons: object   # the n_max comparisons (sim.labels.Comparisons)
    discovered_at: jax.Array  # (T + 2,) labels after which the rule learner knows g_j


def standardise(r: jax.Array) -> jax.Array:
    """r standardised over responses (last axis) per context: mean 0, sd 1 (sd floored 1e-6)."""
    return (r - r.mean(-1, keepdims=True)) / jnp.maximum(r.std(-1, keepdims=True), 1e-6)


def learn_at_budgets(key: jax.Array, setting: PolicySetting, params, static,
                     rejection_budgets: tuple, comparison_budgets: tuple,
                     eval_contexts: Contexts | None = None,
                     query_logp: jax.Array | None = None) -> Learned:
    """Buy ``max(budgets)`` labels of each kind on the setting's contexts and learn at every budget.

    Args:
      key: PRNG key (streams ``rejections``, ``comparisons``).
      setting: the world, training contexts and prior (queries come from pi0 when
        ``annotator.query = policy``).
      params, static: a config's halves with ``annotator``, ``learner`` and ``cost`` sections.
      rejection_budgets, comparison_budgets: increasing label counts (static tuples).
      eval_contexts: where F_n, c_theta and r are evaluated (default: the training contexts).
      query_logp: (E, N) the law queried responses are drawn from when
        ``annotator.query = policy`` (default: the prior pi0).
    """
    world, ctx, logp0 = setting.world, setting.contexts, setting.logp0
    queries = logp0 if query_logp is None else query_logp
    where = ctx if eval_contexts is None else eval_contexts
    acceptable = ~jax.vmap(lambda b, c: unacceptable(world, b, None, c))(where.belief_true,
                                                                          where.features)
    k_rej, k_cmp = stream(key, "rejections"), stream(key, "comparisons")
    labels = {signal: collect_labels(signal, k, world, params, static, max(budgets), pool=ctx,
                                     policy=queries)
              for signal, k, budgets in (("rejections", k_rej, rejection_budgets),
                                         ("comparisons", k_cmp, comparison_budgets))}

    def scored(name, steps):   # the learner's fits at the budgets, scored on ``where``
        learner = LEARNERS[name]
        key_fit = k_rej if learner.signal == "rejections" else k_cmp
        data = labels[learner.signal]
        fitted = learner.fit(key_fit, world, data, unit_weight(data, logp0.dtype), steps,
                             params, static)
        return fitted, jax.vmap(lambda f: learner.score(f, world, where, acceptable, params,
                                                        static))(fitted)

    rule, feasible = scored("rule", rejection_budgets)
    named = scored("named_rule", rejection_budgets)[1]   # dropped when no regime reads it
    cost = scored("cost_model", rejection_budgets)[1]
    reward = scored("reward_model", comparison_budgets)[1]
    return Learned(feasible.admitted, named.admitted, -cost.score, standardise(reward.score),
                   labels["comparisons"], rule.discovered_at[0])


def regime_names() -> list[str]:
    """The regimes E6 compares (every one :func:`regime_policies` builds except ``dual_ascent``)."""
    return ["mask", "named_mask", "cost_mask", "tilt", "best_of_n", "mask_then_tilt",
            "constrained_tilt"]


def regime_policies(logp0: jax.Array, feasible: jax.Array, cost: jax.Array, reward: jax.Array,
                    beta, best_of, cost_budget, methods, dual_rate=1.0,
                    dual_steps: int = 20, tilt_iters: int = 200,
                    named: jax.Array | None = None) -> dict[str, jax.Array]:
    """log pi of each regime in ``methods`` (module docstring) from one budget's F_n, c_theta
    and r: (E, N) each.

    ``feasible`` and ``cost`` come from the rejections, ``reward`` from the
    comparisons; the hybrids combine whichever budgets the caller pairs.
    ``dual_rate`` (eta) and ``dual_steps`` serve ``dual_ascent`` only; ``tilt_iters`` is the
    constrained tilt's number of bisection halvings; ``named`` (what the named-rule learner
    admits) serves ``named_mask`` and ``named_mask_then_tilt`` only.
    """
    def ascended():
        flag = jax.nn.sigmoid(cost)
        lam = dual_ascent(logp0, beta * reward, flag, 1.0, cost_budget, dual_rate, dual_steps)[-1]
        return lagrangian_tilt(logp0, beta * reward, flag, 1.0, lam[..., None])

    build = {
        "mask": lambda: mask(logp0, feasible),
        "named_mask": lambda: mask(logp0, named),
        "cost_mask": lambda: mask(logp0, admitted_by_cost(cost)),
        "tilt": lambda: tilt(logp0, reward, beta),
        "best_of_n": lambda: best_of_n(logp0, reward, best_of),
        "mask_then_tilt": lambda: tilt(mask(logp0, feasible), reward, beta),
        "named_mask_then_tilt": lambda: tilt(mask(logp0, named), reward, beta),
        "constrained_tilt": lambda: constrained_tilt(logp0, beta * reward, jax.nn.sigmoid(cost),
                                                     1.0, cost_budget, tilt_iters)[0],
        "dual_ascent": ascended,
    }
    return {name: build[name]() for name in methods}


def dpo_at_budgets(key: jax.Array, setting: PolicySetting, comparisons, budgets, beta,
                   learning_rate, steps: int, evaluate) -> dict:
    """DPO (full-batch SGD on per-context logits) on the first n comparisons, for each n.

    The weighted mean DPO loss over the first n labels (n = 0 leaves pi0
    unchanged). ``budgets``: a tuple of ints, grouped by
    :func:`sim.labels.prefix_groups` (each group vmapped on its prefix of the
    labels, shorter budgets masked: work about 4.6x less than every budget on
    all labels, at a few copies of the training loop; E5's tiers, E8's and E9's
    comparison counts), or a (K,) array (traced budgets): one vmapped run over
    all labels, one copy of the loop.
    Returns ``evaluate(log pi)`` after ``steps`` steps, stacked over the budgets.
    """
    z0, logp0 = setting.z0, setting.logp0
    dtype = z0.dtype
    target, weight = comparisons.answer
    target, weight = target.astype(dtype), weight.astype(dtype)

    def at(prefix, n):
        first = slice(0, prefix)
        used = weight[first] * (jnp.arange(prefix, dtype=jnp.int32) < n).astype(dtype)

        def loss(logits):
            return preference_pairs_loss(logits, logp0, comparisons.context[first],
                                         comparisons.first[first], comparisons.second[first],
                                         target[first], used, beta)

        out = train_logits(key, z0, loss, lambda z: evaluate(jax.nn.log_softmax(z, axis=-1)),
                           steps, 1, learning_rate)
        return jax.tree.map(lambda a: a[-1], out)

    groups = [jax.vmap(functools.partial(at, prefix))(ns)
              for ns, prefix in prefix_groups(budgets, target.shape[0])]
    return jax.tree.map(lambda *a: jnp.concatenate(a), *groups)
