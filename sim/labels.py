"""Collecting labels from either annotator (MODEL.md section 2): queries, answers, features.

Every experiment buys its labels here, so both signals get the same kind of
queries and one label budget buys n answers from either oracle:

- :func:`collect_rejections`: n responses drawn uniformly, each in a context
  (a fresh one, or one drawn uniformly from a given pool of training
  contexts), answered by :func:`sim.oracles.rejection_oracle`;
- :func:`collect_comparisons`: n uniform pairs i != j, each in a context (fresh,
  or from the pool), answered by :func:`sim.oracles.preference_oracle`;
- :func:`feature_differences`: phi(i, c) - phi(j, c) of the comparisons for a
  reward-model family (:mod:`sim.preferences`).

Random draws come from named streams of the key (:mod:`sim.keys`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .keys import streams
from .oracles import PreferenceLabel, RejectionLabel, preference_oracle, rejection_oracle
from .preferences import features, response_features
from .world import Contexts, World, sample_contexts, unacceptable

__all__ = ["Rejections", "Comparisons", "sample_pairs", "collect_rejections",
           "collect_comparisons", "feature_differences"]


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


def collect_rejections(key: jax.Array, world: World, params, static, n: int,
                       pool: Contexts | None = None) -> Rejections:
    """n rejection labels on uniform responses (in fresh contexts, or uniform over ``pool``).

    Args:
      key: PRNG key.
      world: the world.
      params, static: the annotator's typed params and static config.
      n: the label budget (static).
      pool: optional training contexts; each query's context is drawn uniformly from them.
    """
    k_resp, k_ctx, k_answer = streams(key, "responses", "contexts", "answers")
    i = jax.random.randint(k_resp, (n,), 0, world.features.shape[0], jnp.int32)
    e, ctx = _query_contexts(k_ctx, world, n, pool)
    answer = jax.vmap(lambda k, a, b: rejection_oracle(k, world, params, static, a, b))(
        jax.random.split(k_answer, n), i, ctx.belief_true)
    return Rejections(i, e, ctx, answer)


def collect_comparisons(key: jax.Array, world: World, params, static, n: int,
                        pool: Contexts | None = None) -> Comparisons:
    """n comparisons of uniform pairs i != j (in fresh contexts, or uniform over ``pool``)."""
    k_pairs, k_ctx, k_answer = streams(key, "pairs", "contexts", "answers")
    i, j = sample_pairs(k_pairs, world.features.shape[0], n)
    e, ctx = _query_contexts(k_ctx, world, n, pool)
    answer = jax.vmap(lambda k, a, b, c, t: preference_oracle(
        k, world, params, static, a, b, Contexts(c, t)))(
        jax.random.split(k_answer, n), i, j, ctx.features, ctx.belief_true)
    return Comparisons(i, j, e, ctx, answer)


def feature_differences(family: str, world: World, comparisons: Comparisons) -> jax.Array:
    """phi(i, c) - phi(j, c) for every comparison: (n, p)."""
    resp = response_features(world)

    def phi(idx, c, belief):
        return features(family, jax.tree.map(lambda a: a[idx], resp), c,
                        unacceptable(world, belief, idx))

    ctx = comparisons.contexts
    return (jax.vmap(phi)(comparisons.first, ctx.features, ctx.belief_true)
            - jax.vmap(phi)(comparisons.second, ctx.features, ctx.belief_true))
