"""Collecting labels from either annotator (docs/model.md section 2): queries, answers, features.

Every experiment buys its labels here, so both signals get the same kind of
queries and one label budget buys n answers from either oracle:

- :func:`collect_rejections`: n responses drawn uniformly, each in a context
  (a fresh one, or one drawn uniformly from a given pool of training
  contexts), answered by :func:`sim.oracles.rejection_oracle`;
- :func:`collect_comparisons`: n uniform pairs i != j, each in a context (fresh,
  or from the pool), answered by :func:`sim.oracles.preference_oracle`;
- :func:`feature_differences`: phi(i, c) - phi(j, c) of the comparisons for a
  reward-model family (:mod:`sim.preferences`);
- :func:`prefix_groups`: label budgets grouped by the prefix of the labels a
  fit at each reads (a learner at n labels reads the first n).

Queried responses are uniform (``annotator.query = uniform``) or drawn from
the current policy in the query's context (``query = policy``: pass the
policy's log-probabilities over the context pool as ``policy``): how real
feedback is collected, and it changes how fast rare prohibitions are found.
On-policy pairs draw i ~ pi, then j ~ pi restricted to j != i (uniform over
j != i if pi puts all its mass on i). From the uniform policy both laws equal
the uniform ones.

Random draws come from named streams of the key (:mod:`sim.keys`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .config import ConfigError
from .keys import streams
from .maxout import maxout_inputs
from .oracles import PreferenceLabel, RejectionLabel, preference_oracle, rejection_oracle
from .preferences import features, response_features
from .shared import shared
from .world import Contexts, World, sample_contexts, unacceptable

__all__ = ["Rejections", "Comparisons", "sample_pairs", "collect_rejections",
           "collect_comparisons", "feature_differences", "comparison_inputs", "prefix_for",
           "prefix_groups", "padded_rows"]


class Rejections(NamedTuple):
    """n answers of the rejection oracle, in the order they were bought."""

    response: jax.Array      # (n,) int32, the queried response
    context: jax.Array       # (n,) int32, index into the context pool (0 for fresh contexts)
    contexts: Contexts       # features (n, m), belief_true (n,) of each query's context
    answer: RejectionLabel   # batched: revealed (n, T + 2), spurious (n,), flag (n,), ...

    @property
    def belief_true(self) -> jax.Array:
        """(n,) bool, the query context's belief flag."""
        return self.contexts.belief_true

    def flagged(self) -> jax.Array:
        """(n,) bool: the annotator said something is wrong (a true or a spurious prohibition)."""
        return self.answer.flag

    def named_rows(self, world: World, reveal: str, block: int):
        """``rows(start)``: the (block, T + 2) bool table of the rules the answers from
        ``start`` name (rows past n: none); the named-rule learner's streaming targets."""
        return padded_rows(self.answer.revealed, block)


class Comparisons(NamedTuple):
    """n answers of the preference oracle (target 1: ``first`` wins)."""

    first: jax.Array         # (n,) int32
    second: jax.Array        # (n,) int32
    context: jax.Array       # (n,) int32, index into the context pool (0 for fresh contexts)
    contexts: Contexts       # features (n, m), belief_true (n,) of each query's context
    answer: PreferenceLabel  # target (n,), weight (n,)


def sample_pairs(key: jax.Array, n_responses: int, n: int) -> tuple[jax.Array, jax.Array]:
    """n uniform pairs (i, j) with i != j: two (n,) int arrays."""
    draws = jax.random.randint(key, (2, n), 0, n_responses, jnp.int32)
    i = draws[0]
    j = (i + 1 + draws[1] % (n_responses - 1)) % n_responses
    return i, j


def _query_contexts(key, world: World, n: int, pool: Contexts | None):
    if pool is None:
        return jnp.zeros((n,), jnp.int32), sample_contexts(key, world, n)
    e = jax.random.randint(key, (n,), 0, pool.belief_true.shape[0], jnp.int32)
    return e, Contexts(pool.features[e], pool.belief_true[e])


def _policy_responses(key, logp, e):
    """One response per query from the policy in the query's context: (n,) int32."""
    return jax.random.categorical(key, logp[e].astype(jnp.float32), axis=-1).astype(jnp.int32)


def _policy_pairs(key, logp, e):
    k_i, k_j = jax.random.split(key)
    i = _policy_responses(k_i, logp, e)
    rows = logp[e].astype(jnp.float32)   # 32-bit draws whatever the precision (x64 runs agree)
    is_i = jnp.arange(rows.shape[-1], dtype=jnp.int32)[None, :] == i[:, None]
    others = jnp.where(is_i, -jnp.inf, rows)
    empty = ~jnp.isfinite(jax.nn.logsumexp(others, axis=-1, keepdims=True))
    others = jnp.where(empty & ~is_i, 0.0, others)
    return i, jax.random.categorical(k_j, others, axis=-1).astype(jnp.int32)


def _check_policy(static, pool, policy):
    if static.query == "policy" and (policy is None or pool is None):
        raise ConfigError("annotator.query = 'policy' is out of range for this experiment "
                          "(allowed: uniform; it queries no policy)")


@shared
def collect_rejections(key: jax.Array, world: World, params, static, n: int,
                       pool: Contexts | None = None, policy: jax.Array | None = None) -> Rejections:
    """n rejection labels on uniform responses (in fresh contexts, or uniform over ``pool``).

    Args:
      key: PRNG key.
      world: the world.
      params, static: the annotator's typed params and static config.
      n: the label budget (static).
      pool: optional training contexts; each query's context is drawn uniformly from them.
      policy: (E_pool, N) log-probabilities of the current policy in the pool's
        contexts; queried responses are drawn from it when ``static.query = policy``.
    """
    _check_policy(static, pool, policy)
    k_resp, k_ctx, k_answer = streams(key, "responses", "contexts", "answers")
    e, ctx = _query_contexts(k_ctx, world, n, pool)
    if static.query == "policy":
        i = _policy_responses(k_resp, policy, e)
    else:
        i = jax.random.randint(k_resp, (n,), 0, world.features.shape[0], jnp.int32)
    answer = jax.vmap(lambda k, a, b, c: rejection_oracle(k, world, params, static, a, b, c))(
        jax.random.split(k_answer, n), i, ctx.belief_true, ctx.features)
    return Rejections(i, e, ctx, answer)


@shared
def collect_comparisons(key: jax.Array, world: World, params, static, n: int,
                        pool: Contexts | None = None,
                        policy: jax.Array | None = None) -> Comparisons:
    """n comparisons of pairs i != j (in fresh contexts, or uniform over ``pool``); pairs are
    uniform, or drawn from ``policy`` when ``static.query = policy`` (module docstring)."""
    _check_policy(static, pool, policy)
    k_pairs, k_ctx, k_answer = streams(key, "pairs", "contexts", "answers")
    e, ctx = _query_contexts(k_ctx, world, n, pool)
    if static.query == "policy":
        i, j = _policy_pairs(k_pairs, policy, e)
    else:
        i, j = sample_pairs(k_pairs, world.features.shape[0], n)
    answer = jax.vmap(lambda k, a, b, c, t: preference_oracle(
        k, world, params, static, a, b, Contexts(c, t)))(
        jax.random.split(k_answer, n), i, j, ctx.features, ctx.belief_true)
    return Comparisons(i, j, e, ctx, answer)


def feature_differences(family: str, world: World, comparisons: Comparisons) -> jax.Array:
    """phi(i, c) - phi(j, c) for every comparison: (n, p)."""
    resp = response_features(world)

    def phi(idx, c, belief):
        r = jax.tree.map(lambda a: a[idx], resp)
        return features(family, r, c, unacceptable(world, belief, idx, c),
                        (r.endorses > 0) & belief, world.features.shape[0])

    ctx = comparisons.contexts
    return (jax.vmap(phi)(comparisons.first, ctx.features, ctx.belief_true)
            - jax.vmap(phi)(comparisons.second, ctx.features, ctx.belief_true))


def comparison_inputs(family: str, world: World, comparisons: Comparisons) -> jax.Array:
    """What a reward model of ``family`` reads of each comparison: the feature differences
    (n, p) (:func:`feature_differences`) for the linear families; for ``maxout`` both
    responses' inputs z (:func:`sim.maxout.maxout_inputs`), (n, 2, q): r is not linear."""
    if family != "maxout":
        return feature_differences(family, world, comparisons)
    resp, ctx = response_features(world), comparisons.contexts

    def z(idx):
        r = jax.tree.map(lambda a: a[idx], resp)
        return maxout_inputs(r.x, r.endorses, r.log_length, ctx.belief_true)

    return jnp.stack([z(comparisons.first), z(comparisons.second)], axis=1)


def padded_rows(a: jax.Array, block: int):
    """``take(start)``: the ``block`` rows of ``a`` from ``start``, zero past its end."""
    a = jnp.pad(a, [(0, block)] + [(0, 0)] * (a.ndim - 1))
    return lambda start: jax.lax.dynamic_slice_in_dim(a, start, block)


def prefix_for(budget: int, n: int, base: int = 4) -> int:
    """The labels a fit at ``budget`` reads in a group: the power of ``base`` at or above
    it, capped at ``n`` (the one grouping rule of :func:`prefix_groups` and
    :func:`sim.hybrids.rbr_rewards_at_splits`)."""
    prefix = 1
    while prefix < min(budget, n):
        prefix *= base
    return min(prefix, n)


def prefix_groups(steps, n: int, base: int = 4) -> list[tuple[jax.Array, int]]:
    """Label budgets grouped by the labels a fit at them reads: [(budgets, prefix), ...].

    A learner at budget m reads the first m of the n labels. A tuple of budgets
    (increasing) groups them by the power of ``base`` at or above each, capped at n
    (:func:`prefix_for`), so a group's fits run vmapped on its prefix, the shorter
    budgets masked: on a log grid about 4.6x fewer rows than every fit on all n, in a
    few programs' worth of compile, not one per budget. An array (traced: its
    values unknown) is one group reading all n.
    """
    if not isinstance(steps, (tuple, list)):
        return [(jnp.asarray(steps, jnp.int32), n)]
    groups: dict[int, list[int]] = {}
    for s in steps:
        groups.setdefault(prefix_for(s, n, base), []).append(s)
    return [(jnp.asarray(g, jnp.int32), p) for p, g in groups.items()]

