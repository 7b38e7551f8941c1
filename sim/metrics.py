"""Metrics of docs/model.md section 4: set, ranking and policy metrics.

Set metrics, for an admitted set S (the feasible set F_n of the constraint
learner, or the top q of a learned reward) in one context c, with A = A(c):

- ``feasible_fraction``   |S| / N
- ``unacceptable_share``  |S minus A| / |S|      (0 when S is empty)
- ``false_exclusion``     |A minus S| / |A|      (0 when A is empty)
- ``regret_max``          max_{i in S} V* - V(i),  V* = max_i V(i, c)   (0 when S is empty)
- ``regret_mean``         mean_{i in S} V* - V(i)                    (0 when S is empty)

Ranking metrics, for a learned reward r:

- ``kendall_tau_true``   Kendall tau-b between r(., c) and V(., c);
- ``ranking_drift``      normalised Kendall distance between r at successive
                         checkpoints: the share of pairs whose strict order reverses;
- ``top1_flips``         changes of argmax_i r(i, c) between checkpoints, so far;
- ``reopenings``         responses that left the admitted set and later came
                         back into it, so far (0 for F_n by construction);
- ``surface_loading_endorse`` / ``surface_loading_length`` (in
  :func:`sim.preferences.surface_loadings`).

Policy metrics (``violation_rate``, ``sycophancy_rate``, ``sycophancy_gap``, ``value``,
``entropy``, ``pass_at_k``, ``mean_length``, ``density``, ``policy_drift``,
``kl_to_prior``) take a policy as log-probabilities over the responses; see
the functions at the end of this module.

All are computed per context and averaged over held-out contexts by the
experiment. Conventions for undefined values (documented, never NaN in
results): a tau-b with a constant argument counts as 0 in the experiment's
metrics (:func:`kendall_tau` itself returns NaN like scipy).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

__all__ = [
    "kendall_tau", "kendall_distance", "admitted_top", "set_metrics", "ChangeState",
    "init_changes", "update_changes", "violation_rate", "sycophancy_rate", "sycophancy_gap",
    "policy_value",
    "entropy", "pass_at_k", "expected", "policy_drift", "kl_to_prior", "spearman",
    "helpfulness", "acceptable_regret",
]


def _pair_signs(a: jax.Array) -> jax.Array:
    return jnp.sign(a[:, None] - a[None, :])


def _tau_parts(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    sa, sb = _pair_signs(a), _pair_signs(b)
    numerator = jnp.sum(sa * sb)
    denominator = jnp.sqrt(jnp.sum(jnp.abs(sa)) * jnp.sum(jnp.abs(sb)))
    return numerator, denominator


def kendall_tau(a: jax.Array, b: jax.Array) -> jax.Array:
    """Kendall tau-b of two (n,) vectors, ties handled as in scipy.stats.kendalltau.

    tau_b = (P - Q) / sqrt((P + Q + T_a)(P + Q + T_b)), with P, Q the
    concordant and discordant pairs and T_a (T_b) the pairs tied only in b (a);
    equivalently sum_{i<j} s^a_ij s^b_ij / sqrt(sum |s^a_ij| sum |s^b_ij|),
    s^a_ij = sign(a_i - a_j). NaN if a or b is constant (as scipy). O(n^2)
    memory; meant for n up to a few thousand.

    Reference: Kendall (1945), "The treatment of ties in ranking problems".
    """
    numerator, denominator = _tau_parts(a, b)
    return numerator / denominator


def kendall_tau_or_zero(a: jax.Array, b: jax.Array) -> jax.Array:
    """:func:`kendall_tau`, with 0 (no association) when a or b is constant."""
    numerator, denominator = _tau_parts(a, b)
    return jnp.where(denominator > 0, numerator / jnp.where(denominator > 0, denominator, 1.0), 0.0)


def kendall_distance(a: jax.Array, b: jax.Array) -> jax.Array:
    """Share of the n(n-1)/2 pairs whose strict order in a is reversed in b."""
    n = a.shape[0]
    reversed_pairs = jnp.sum(_pair_signs(a) * _pair_signs(b) < 0) / 2
    return reversed_pairs / (n * (n - 1) / 2)


def _sortable(r: jax.Array) -> jax.Array:
    """An int32 key with the same order as the float32 values of r (IEEE 754 bits)."""
    bits = jax.lax.bitcast_convert_type(r.astype(jnp.float32), jnp.int32)
    return jnp.where(bits < 0, -(bits & jnp.int32(0x7FFFFFFF)) - 1, bits)


def admitted_top(r: jax.Array, q: jax.Array) -> jax.Array:
    """The top k = ceil(q N) responses by r, ties broken by lower index: (N,) bool.

    Same set as the first k of a stable descending sort, found without sorting:
    the k-th largest value is located by bisection on an order-preserving
    integer key of r (32 halvings, exact), then ties at that value are admitted
    by index until k are in.
    """
    n = r.shape[0]
    k = jnp.clip(jnp.ceil(q * n), 0, n).astype(jnp.int32)
    key = _sortable(r)

    def halve(_, bounds):
        lo, hi = bounds                       # invariant: count(key >= lo) >= k
        mid = (lo >> 1) + (hi >> 1) + (((lo & 1) + (hi & 1) + 1) >> 1)  # ceil((lo+hi)/2), no overflow
        ok = jnp.sum(key >= mid, dtype=jnp.int32) >= k
        return jnp.where(ok, mid, lo), jnp.where(ok, hi, mid - 1)

    lo, hi = jnp.min(key), jnp.max(key)
    lo, _ = jax.lax.fori_loop(0, 33, halve, (lo, hi))
    above = key > lo
    tied = key == lo
    room = k - jnp.sum(above, dtype=jnp.int32)
    return (above | (tied & (jnp.cumsum(tied, dtype=jnp.int32) <= room))) & (k > 0)


def set_metrics(admitted: jax.Array, acceptable: jax.Array, v: jax.Array) -> dict[str, jax.Array]:
    """Set metrics of one admitted set in one context (see module docstring)."""
    dtype = v.dtype
    n_admit = jnp.sum(admitted)
    n_acc = jnp.sum(acceptable)
    regret = jnp.max(v) - v
    safe = jnp.maximum(n_admit, 1).astype(dtype)
    return {
        "feasible_fraction": n_admit.astype(dtype) / admitted.shape[0],
        "unacceptable_share": jnp.sum(admitted & ~acceptable).astype(dtype) / safe,
        "false_exclusion": jnp.sum(acceptable & ~admitted).astype(dtype)
        / jnp.maximum(n_acc, 1).astype(dtype),
        "regret_max": jnp.max(jnp.where(admitted, regret, 0.0)),
        "regret_mean": jnp.sum(jnp.where(admitted, regret, 0.0)) / safe,
    }


class ChangeState(NamedTuple):
    """What :func:`update_changes` carries between checkpoints, per context."""

    top1: jax.Array      # (E,) int32, argmax at the previous checkpoint
    flips: jax.Array     # (E,) int32, top-1 changes so far
    ever: jax.Array      # (E, N) bool, admitted at some checkpoint
    left: jax.Array      # (E, N) bool, left the admitted set after being in it
    reopened: jax.Array  # (E, N) bool, came back after leaving


def init_changes(admitted: jax.Array, top1: jax.Array) -> ChangeState:
    """State at the first checkpoint: (E, N) admitted sets and (E,) argmax."""
    zeros = jnp.zeros_like(admitted)
    return ChangeState(top1, jnp.zeros_like(top1), admitted, zeros, zeros)


def update_changes(state: ChangeState, admitted: jax.Array, top1: jax.Array) -> ChangeState:
    """Advance the flip and re-opening counters by one checkpoint."""
    reopened = state.reopened | (state.left & admitted)
    left = state.left | (state.ever & ~admitted)
    flips = state.flips + (top1 != state.top1).astype(state.flips.dtype)
    return ChangeState(top1, flips, state.ever | admitted, left, reopened)


# ------------------------------------------------------------------ policy metrics
# For a policy given as log-probabilities logp (..., N) over the responses of
# one context (leading axes: contexts); the experiment averages over contexts.


def violation_rate(logp: jax.Array, acceptable: jax.Array) -> jax.Array:
    """pi(not A(c)): the probability of an unacceptable response, (...,)."""
    return jnp.sum(jnp.where(acceptable, 0.0, jnp.exp(logp)), axis=-1)


def sycophancy_rate(logp: jax.Array, endorses: jax.Array, belief_true: jax.Array) -> jax.Array:
    """S(pi) = E over contexts with a false belief of pi(endorses): a scalar.

    ``logp`` is (E, N), ``belief_true`` (E,); 0 if no context has a false belief.
    """
    per_context = jnp.sum(jnp.where(endorses, jnp.exp(logp), 0.0), axis=-1)
    false = ~belief_true
    return jnp.sum(jnp.where(false, per_context, 0.0)) / jnp.maximum(jnp.sum(false), 1).astype(
        per_context.dtype)


def sycophancy_gap(logp: jax.Array, endorses: jax.Array, belief_true: jax.Array) -> jax.Array:
    """pi(endorses | false belief) - pi(endorses | true belief): a scalar in [-1, 1].

    The share of endorsing mass in contexts with a false belief minus that in contexts with
    a true one (each averaged over its contexts; 0 for a side with no context). Unlike
    :func:`sycophancy_rate`, a rule cannot satisfy it by construction: a policy that never
    endorses scores 0, not a perfect score, and loses ``agree_value`` in value where the
    user is right. Negative: the policy agrees more with users who are right.
    """
    per_context = jnp.sum(jnp.where(endorses, jnp.exp(logp), 0.0), axis=-1)
    dtype = per_context.dtype

    def mean_over(mask):
        return jnp.sum(jnp.where(mask, per_context, 0.0)) / jnp.maximum(
            jnp.sum(mask), 1).astype(dtype)

    return mean_over(~belief_true) - mean_over(belief_true)


def policy_value(logp: jax.Array, v: jax.Array) -> jax.Array:
    """E_pi V, (...,). (Named ``value`` in results.)"""
    return jnp.sum(jnp.exp(logp) * v, axis=-1)


def helpfulness(logp: jax.Array, v: jax.Array, acceptable: jax.Array) -> jax.Array:
    """E_pi[V | A(c)] = sum_{i in A} pi_i V_i / pi(A): value over acceptable responses, (...,).

    Helpfulness with safety taken out (E8): how good the acceptable answers the
    policy gives are. Conventions (never NaN): when pi(A) = 0 (a mask that kept
    no acceptable response) it is min_{i in A} V_i, the worst acceptable answer;
    when A is empty, 0.
    """
    p = jnp.where(acceptable, jnp.exp(logp), 0.0)
    mass = jnp.sum(p, axis=-1)
    worst = jnp.min(jnp.where(acceptable, v, jnp.inf), axis=-1)
    worst = jnp.where(jnp.isfinite(worst), worst, 0.0)
    inside = jnp.sum(p * jnp.where(acceptable, v, 0.0), axis=-1) / jnp.where(mass > 0, mass, 1.0)
    return jnp.where(mass > 0, inside, worst)


def acceptable_regret(logp: jax.Array, v: jax.Array, acceptable: jax.Array) -> jax.Array:
    """max_{i in A} V_i - E_pi[V | A]: regret against the best acceptable response, (...,) >= 0
    (0 when A is empty)."""
    best = jnp.max(jnp.where(acceptable, v, -jnp.inf), axis=-1)
    best = jnp.where(jnp.isfinite(best), best, 0.0)
    return jnp.maximum(best - helpfulness(logp, v, acceptable), 0.0)


def entropy(logp: jax.Array) -> jax.Array:
    """-sum pi log pi in nats, (...,); 0 log 0 = 0."""
    p = jnp.exp(logp)
    return -jnp.sum(jnp.where(p > 0, p * logp, 0.0), axis=-1)


def pass_at_k(logp: jax.Array, acceptable: jax.Array, k) -> jax.Array:
    """1 - E_c (1 - pi(A(c)))^k over the leading context axis: k independent draws, one acceptable."""
    miss = 1.0 - jnp.sum(jnp.where(acceptable, jnp.exp(logp), 0.0), axis=-1)
    return 1.0 - jnp.mean(jnp.clip(miss, 0.0, 1.0) ** k, axis=-1)


def expected(logp: jax.Array, quantity: jax.Array) -> jax.Array:
    """E_pi of a per-response quantity (``mean_length``: length, ``density``: claims/length)."""
    return jnp.sum(jnp.exp(logp) * quantity, axis=-1)


def policy_drift(logp_prev: jax.Array, logp: jax.Array) -> jax.Array:
    """Total variation 1/2 sum |pi - pi_prev| between successive policies, (...,)."""
    return 0.5 * jnp.sum(jnp.abs(jnp.exp(logp) - jnp.exp(logp_prev)), axis=-1)


def kl_to_prior(logp: jax.Array, logp0: jax.Array) -> jax.Array:
    """KL(pi || pi0) = sum pi (log pi - log pi0) in nats, (...,); 0 log 0 = 0."""
    p = jnp.exp(logp)
    return jnp.sum(jnp.where(p > 0, p * (logp - logp0), 0.0), axis=-1)


def _average_ranks(a: jax.Array) -> jax.Array:
    """Ranks 1..K of the last axis, ties given their average rank (as scipy.stats.rankdata)."""
    less = jnp.sum(a[..., None, :] < a[..., :, None], axis=-1).astype(a.dtype)
    equal = jnp.sum(a[..., None, :] == a[..., :, None], axis=-1).astype(a.dtype)
    return less + (equal + 1) / 2


def spearman(a: jax.Array, b: jax.Array) -> jax.Array:
    """Spearman's rho on the last axis: Pearson's r of the average ranks (scipy.stats.spearmanr).

    0 when either argument is constant (scipy gives NaN; results never hold NaN).
    O(K^2) in the length K: meant for short grids (capability tiers).
    """
    ra, rb = _average_ranks(a), _average_ranks(b)
    ra = ra - ra.mean(-1, keepdims=True)
    rb = rb - rb.mean(-1, keepdims=True)
    den = jnp.sqrt(jnp.sum(ra * ra, -1) * jnp.sum(rb * rb, -1))
    return jnp.where(den > 0, jnp.sum(ra * rb, -1) / jnp.where(den > 0, den, 1.0), 0.0)
