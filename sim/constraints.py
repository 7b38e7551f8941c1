"""The constraint learner (via negativa): docs/model.md section 3, paper section 4.

After n labels the learned set D_n is the union of the prohibitions the
rejection oracle has revealed; the feasible set is

    F_n(c) = { i : g(i, c) = 0 for every g in D_n }.

Since D_n only grows, F_{n+1}(c) is a subset of F_n(c): a prohibition never
re-opens what another closed (the paper's convergence claim, section 4).

Representation. Because D_n grows monotonically, the whole sequence
F_0, F_1, ..., F_n is described exactly by *times*: ``discovered_at[j]``, the
number of labels after which prohibition j is in D_n, and ``spurious_at[i]``,
the number after which response i is cut by a spurious (false-flag)
prohibition. Response i is feasible after n labels in context c iff

    min( min_{j : g_j(i) = 1} discovered_at[j],  spurious_at[i] ) > n
    and not (endorses_i and not belief_true(c) and discovered_at[fact] <= n).

:func:`learn_constraints` reads the trace off the labels bought by
:func:`sim.labels.collect_rejections`; :func:`feasible_sets` reads the
feasible sets at any steps off the trace.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .labels import Rejections, collect_rejections, padded_rows
from .oracles import compact_named, named_from_compact
from .world import Contexts, World

__all__ = [
    "ConstraintTrace", "Queries", "learn_constraints", "stream_constraints", "exclusion_times",
    "feasible_sets", "feasible_curve", "contraction_curve",
]


_CHUNK = 128   # labels per matrix product in the spurious-cut scan


class Queries(NamedTuple):
    """The rejection queries of :func:`stream_constraints` and their binary answers."""

    response: jax.Array   # (n,) int32
    contexts: Contexts    # features (n, m), belief_true (n,)
    flag: jax.Array       # (n,) bool, the annotator said something is wrong
    told: jax.Array       # (n,) bool, the answer names a rule } the rules each answer names,
    pick: jax.Array       # (n,) int32, the first it names    } sim.oracles.compact_named

    # what the registry's cost model and streaming named-rule learner read of
    # sim.labels.Rejections (sim.learners): the same methods, without the dense table
    @property
    def belief_true(self) -> jax.Array:
        """(n,) bool, the query context's belief flag."""
        return self.contexts.belief_true

    def flagged(self) -> jax.Array:
        """(n,) bool: the annotator said something is wrong."""
        return self.flag

    def named_rows(self, world: World, reveal: str, block: int):
        """``rows(start)``: the (block, T + 2) table of the rules the answers from ``start``
        name, rebuilt from the two numbers kept per answer (:func:`sim.oracles.named_from_compact`)."""
        rows = [padded_rows(a, block) for a in (self.response, self.contexts.belief_true,
                                                 self.contexts.features, self.told, self.pick)]
        return lambda start: named_from_compact(world, *(take(start) for take in rows), reveal)


class ConstraintTrace(NamedTuple):
    discovered_at: jax.Array  # (T + 2,) int32: labels after which g_j is known; n + 1 = never
    spurious_at: jax.Array    # (N,) int32: labels after which i is cut by a false flag


def learn_constraints(rejections: Rejections, world: World) -> ConstraintTrace:
    """What the constraint learner knows after each of the n rejection labels.

    Label l (1-based) adds every prohibition the oracle returned to D_n:
    ``discovered_at[j]`` is the first l that revealed g_j, and ``spurious_at[i]``
    the first l whose spurious (false-flag) halfspace contains response i;
    ``n + 1`` means "not yet". The spurious part visits only the spurious labels,
    128 per matrix product (it never holds an n x N table, and costs nothing
    when the annotator makes no false flags).

    Args:
      rejections: from :func:`sim.labels.collect_rejections`.
      world: the same world.

    Returns:
      A :class:`ConstraintTrace`.
    """
    answer = rejections.answer
    n = answer.spurious.shape[0]
    never = n + 1
    steps = jnp.arange(1, n + 1, dtype=jnp.int32)
    discovered_at = jnp.min(jnp.where(answer.revealed, steps[:, None], never), axis=0,
                            initial=never)

    # only the spurious labels can cut: visit them (in label order), ``_CHUNK`` per
    # matrix product, in a while loop that ends after the last (none when eta_fp = 0)
    chunk = min(n, _CHUNK)
    order = jnp.argsort(~answer.spurious, stable=True).astype(jnp.int32)
    order = jnp.pad(order, (0, -n % chunk))
    count = jnp.sum(answer.spurious, dtype=jnp.int32)
    lanes = jnp.arange(chunk, dtype=jnp.int32)

    def more(carry):
        return carry[0] * chunk < count

    def labels(carry):
        k, spurious_at = carry
        sel = jax.lax.dynamic_slice(order, (k * chunk,), (chunk,))
        live = k * chunk + lanes < count
        normal, threshold = answer.spurious_normal[sel], answer.spurious_threshold[sel]
        cut = live[None, :] & (world.features @ normal.T > threshold[None, :])      # (N, chunk)
        first = jnp.min(jnp.where(cut, steps[sel][None, :], never), axis=1)
        return k + 1, jnp.minimum(spurious_at, first)

    _, spurious_at = jax.lax.while_loop(
        more, labels, (jnp.int32(0), jnp.full((world.features.shape[0],), never, jnp.int32)))
    return ConstraintTrace(discovered_at.astype(jnp.int32), spurious_at)


def stream_constraints(key: jax.Array, world: World, params, static, n: int,
                       block: int = 1024) -> tuple[ConstraintTrace, Queries]:
    """The rule learner after n uniform rejection labels, bought ``block`` at a time.

    The same learner as ``learn_constraints(collect_rejections(...))``, for
    budgets whose n x (T + 2) table of revealed prohibitions would not fit in
    memory (E7: 100,000 labels, T = 1,024): a ``jax.lax.scan`` over blocks,
    block b drawing its labels from ``fold_in(key, b)`` and shifting its
    times by b * block; labels past n in the last block are ignored.

    Args:
      key: PRNG key.
      world: the world.
      params, static: the annotator's typed params and static config (uniform queries).
      n: the label budget (static).
      block: labels per block (static).

    Returns:
      The :class:`ConstraintTrace` of the first n labels, and the :class:`Queries`
      (the same queries, their binary flags for the cost model and the rules they name,
      compacted, for the named-rule learner).
    """
    block = max(1, min(block, n))
    never = n + 1

    def one_block(_, b):
        rejections = collect_rejections(jax.random.fold_in(key, b), world, params, static, block)
        trace = learn_constraints(rejections, world)
        offset, valid = b * block, jnp.minimum(block, n - b * block)

        def shift(at):  # "never" in the block (block + 1) and labels past n become n + 1
            return jnp.where(at <= valid, at + offset, never).astype(jnp.int32)

        queries = Queries(rejections.response, rejections.contexts, rejections.flagged(),
                          *compact_named(rejections.answer.revealed))
        return None, (jax.tree.map(shift, trace), queries)

    blocks = jnp.arange(-(-n // block), dtype=jnp.int32)
    _, (traces, queries) = jax.lax.scan(one_block, None, blocks)
    trace = jax.tree.map(lambda a: jnp.min(a, axis=0), traces)
    queries = jax.tree.map(lambda a: a.reshape((-1,) + a.shape[2:])[:n], queries)
    return trace, queries


def exclusion_times(trace: ConstraintTrace, world: World) -> jax.Array:
    """Labels after which each response is cut by a context-free prohibition: (N,) int32."""
    t = world.normals.shape[0]
    never = jnp.iinfo(jnp.int32).max
    by_halfspace = jnp.min(jnp.where(world.violates, trace.discovered_at[None, :t], never), axis=1)
    by_padding = jnp.where(world.pads, trace.discovered_at[t], never)
    return jnp.minimum(jnp.minimum(by_halfspace, by_padding), trace.spurious_at)


def feasible_sets(trace: ConstraintTrace, world: World, steps: jax.Array,
                  belief_true: jax.Array) -> jax.Array:
    """F_n(c) as masks for each step n and each context: (K, E, N) bool.

    Args:
      trace: from :func:`learn_constraints`.
      world: the same world.
      steps: (K,) label counts n.
      belief_true: (E,) the contexts' belief flags.
    """
    cut = exclusion_times(trace, world)
    fact_known = trace.discovered_at[-1] <= steps                              # (K,)
    false_endorse = world.endorses[None, :] & ~belief_true[:, None]            # (E, N)
    context_free = cut[None, None, :] > steps[:, None, None]                   # (K, 1, N)
    return context_free & ~(fact_known[:, None, None] & false_endorse[None])


def feasible_curve(violates: jax.Array, order: jax.Array) -> jax.Array:
    """Fraction of responses feasible after the first k prohibitions of ``order``.

    Args:
      violates: (N, T) bool, g_j(i).
      order: (L,) int, the prohibitions in the order they are revealed: a
        permutation of 0..T-1 (then L = T), or any sequence, with repeats and
        omissions (a repeat reveals nothing new).

    Returns:
      (L + 1,) float: entry k is |{i : g_{order[l]}(i) = 0 for all l < k}| / N,
      so entry 0 is 1 and the curve never rises.
    """
    n, t = violates.shape
    length = order.shape[0]
    first_seen = jnp.full((t,), length, jnp.int32).at[order].min(
        jnp.arange(length, dtype=jnp.int32))
    first = jnp.min(jnp.where(violates, first_seen[None, :], length), axis=1)
    return _curve_from_first(first, n, length)


def contraction_curve(features: jax.Array, normals: jax.Array, thresholds: jax.Array,
                      order: jax.Array, tile: int = 1024, chunk: int = 32) -> jax.Array:
    """:func:`feasible_curve` straight from the halfspaces (the benchmarked kernel).

    Same result as ``feasible_curve(violations(features, normals, thresholds), order)``
    for a permutation ``order``. The prohibitions are put in ``order`` first, so each
    response's first violated prohibition is a running minimum over its row,

        first(i) = min { k : sum_{l < d} x_{i,l} w_{order[k],l} > theta_{order[k]} },

    and the N x T scores are never written. ``tile`` responses at a time
    (``jax.lax.map``), the prohibitions are taken ``chunk`` at a time
    (``jax.lax.fori_loop``): the d multiply-adds, the compare and the min over the chunk
    are one fused loop in XLA, folded into the running minimum. The chunk is what keeps
    it fused: XLA's CPU backend rewrites a min over more than 32 entries into a windowed
    min and a second min (its tree-reduction pass), and writes the scores in between
    (the former kernel, a min over all T at once, wrote 4 MB per 64 responses at 16
    seeds and T = 1,024, and was 2-3.5x slower; docs/performance.md). The sum runs over l in
    order, one multiply-add at a time; the materialised product ``features @ normals.T``
    may sum in another order, so a response within a rounding error of a threshold can
    fall the other way (float32: about 1e-7 relative; the tests check equality on their
    worlds).

    Args:
      features: (N, d); normals: (T, d); thresholds: (T,); order: (T,) permutation.
      tile: responses per block (static); N is padded up to a multiple of it.
      chunk: prohibitions per step (static, at most 32 to stay fused); T is padded up to
        a multiple of it with prohibitions that nothing violates (threshold +inf).

    Returns:
      (T + 1,) the feasible fraction after the first k prohibitions, k = 0..T.
    """
    n, t = features.shape[0], normals.shape[0]
    tile, chunk = max(1, min(tile, n)), max(1, min(chunk, t))
    blocks, steps = -(-n // tile), -(-t // chunk)
    padded = jnp.pad(features, ((0, blocks * tile - n), (0, 0)))
    extra = steps * chunk - t
    w = jnp.pad(normals[order], ((0, extra), (0, 0)))                      # (T', d)
    theta = jnp.pad(thresholds[order], (0, extra), constant_values=jnp.inf)
    w_chunks = w.reshape(steps, chunk, -1).transpose(0, 2, 1)             # (steps, d, chunk)
    theta_chunks = theta.reshape(steps, chunk)
    offsets = jnp.arange(chunk, dtype=jnp.int32)

    def first_violated(rows):                                              # (tile, d)
        def step(c, first):
            w_c = w_chunks[c]
            score = rows[:, 0:1] * w_c[0]
            for col in range(1, rows.shape[1]):
                score = score + rows[:, col:col + 1] * w_c[col]
            hit = jnp.where(score > theta_chunks[c], c * chunk + offsets, t)
            return jnp.minimum(first, jnp.min(hit, axis=1))
        return jax.lax.fori_loop(0, steps, step, jnp.full((rows.shape[0],), t, jnp.int32))

    first = jax.lax.map(first_violated, padded.reshape(blocks, tile, -1)).reshape(-1)[:n]
    return _curve_from_first(first, n, t)


def _curve_from_first(first: jax.Array, n: int, length: int) -> jax.Array:
    """Curve from the position of each response's first violated prohibition (length = never)."""
    cut_by = jnp.zeros((length + 1,), jnp.int32).at[first].add(1)
    cut_before = jnp.concatenate([jnp.zeros((1,), jnp.int32), jnp.cumsum(cut_by)[:length]])
    return 1.0 - cut_before / n
