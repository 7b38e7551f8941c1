"""The rule-based-reward hybrid (Mu et al. 2024, "Rule Based Rewards for Language Model
Safety", arXiv 2411.01111): a learned reward plus weighted indicators of known rules.

    R(i, c) = r(i, c) + w . phi(i, c),

phi_j(i, c) = g_j(i, c) for every prohibition j the rule learner has
discovered (its D_n), 0 for the others. Mu et al. fit w (their section 4.3)
with a hinge loss over ordered pairs of completions (a better, b worse):

    L(w) = mean over pairs  max(0, margin + R(b) - R(a)),

here over the preference comparisons already bought (winner a, loser b; ties
and skipped answers left out), so the hybrid uses no label the two learners
did not get. Minimised by full-batch Adam (``iters`` steps from w = 0; the
loss is convex and piecewise linear in w). Choice: r is taken as given (Mu et
al. fix the reward model and fit only w).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from .labels import prefix_for

__all__ = ["known_rule_indicators", "rbr_hinge_loss", "fit_rbr_weights", "rbr_reward",
           "rbr_rewards_at_splits"]


def known_rule_indicators(violated: jax.Array, known: jax.Array) -> jax.Array:
    """phi: (..., T + 2) violated prohibitions masked by the known ones (float)."""
    return (violated & known).astype(jnp.result_type(float))


def rbr_hinge_loss(w: jax.Array, r_better: jax.Array, r_worse: jax.Array, phi_better: jax.Array,
                   phi_worse: jax.Array, weight: jax.Array, margin) -> jax.Array:
    """Mean hinge max(0, margin + R(b) - R(a)) over the pairs with weight 1."""
    return _hinge_on_differences(w, r_better - r_worse, phi_better - phi_worse, weight, margin)


def _hinge_on_differences(w, d_r, d_phi, weight, margin):
    """The same loss from d_r = r_a - r_b and d_phi = phi_a - phi_b, since R(a) - R(b) =
    d_r + d_phi . w: one product with w per evaluation (two with phi_a and phi_b)."""
    hinge = jnp.maximum(0.0, margin - (d_r + d_phi @ w))
    return jnp.sum(weight * hinge) / jnp.maximum(jnp.sum(weight), 1.0)


def fit_rbr_weights(r_first, r_second, phi_first, phi_second, target, weight, margin=1.0,
                    learning_rate=0.05, iters: int = 500) -> jax.Array:
    """Fit w on comparisons (target 1: first wins, 0: second wins, 1/2: tie, left out): (T + 2,).

    Args:
      r_first, r_second: (n,) the learned reward of each side.
      phi_first, phi_second: (n, T + 2) known-rule indicators of each side.
      target, weight: (n,) the preference answers.
      margin, learning_rate: the hinge margin (reward units) and Adam's step size.
      iters: Adam steps (static).
    """
    first_wins = target > 0.5
    use = weight * (target != 0.5).astype(weight.dtype)

    def pick(a, b):
        mask = first_wins.reshape(first_wins.shape + (1,) * (a.ndim - 1))
        return jnp.where(mask, a, b), jnp.where(mask, b, a)

    r_a, r_b = pick(r_first, r_second)
    phi_a, phi_b = pick(phi_first, phi_second)
    d_r, d_phi = r_a - r_b, phi_a - phi_b                    # formed once, not at every step
    opt = optax.adam(learning_rate)
    w0 = jnp.zeros(phi_first.shape[-1], r_first.dtype)

    def step(carry, _):
        w, state = carry
        grad = jax.grad(_hinge_on_differences)(w, d_r, d_phi, use, margin)
        with jax.numpy_dtype_promotion("standard"):  # optax mixes its int step count with floats
            updates, state = opt.update(grad, state, w)
        return (optax.apply_updates(w, updates), state), None

    (w, _), _ = jax.lax.scan(step, (w0, opt.init(w0)), None, length=iters)
    return w


def rbr_reward(r: jax.Array, phi: jax.Array, w: jax.Array) -> jax.Array:
    """R = r + w . phi: (...,) from r (...,) and phi (..., T + 2)."""
    return r + phi @ w


def rbr_rewards_at_splits(rewards, violated, discovered_at, comparisons, counts, margin,
                          iters: int) -> jax.Array:
    """R = r + w . phi at every split (n_r, n_c) of ``counts``: (P, E, N).

    At a split, phi knows the prohibitions discovered within n_r rejections and w
    is fitted on the first n_c comparisons. Where n_r = 0 (phi = 0) or n_c = 0 (no
    pair) the hinge's gradient is 0, Adam stays at w = 0, and R = r: no fit is run.
    The other splits are grouped by the comparisons they read, by the rule of
    :func:`sim.labels.prefix_for` (the power of 4 at or above n_c; a static loop over
    the groups), and each group's fits are vmapped on that prefix of the comparisons,
    the shorter n_c masked by weight, not on all of them.

    Args:
      rewards: (P, E, N) r at each split (the reward model of its n_c comparisons).
      violated: (E, N, T + 2) every prohibition's indicator (bool).
      discovered_at: (T + 2,) int32, the rejections after which each is known.
      comparisons: the bought comparisons (``context``, ``first``, ``second``, ``answer``).
      counts: ((n_r, n_c), ...) static, one per split.
      margin, iters: the hinge margin and Adam's steps (:func:`fit_rbr_weights`).
    """
    dtype = rewards.dtype
    target, weight = comparisons.answer
    out = rewards
    n = target.shape[0]
    groups: dict[int, list[int]] = {}
    for p, (r, c) in enumerate(counts):
        if r > 0 and c > 0:
            groups.setdefault(prefix_for(c, n), []).append(p)
    for prefix, at in sorted(groups.items()):
        e, i, j = (a[:prefix] for a in (comparisons.context, comparisons.first,
                                        comparisons.second))
        tgt, wgt = target[:prefix].astype(dtype), weight[:prefix].astype(dtype)
        position = jnp.arange(prefix, dtype=jnp.int32)

        def fit(r, n_r, n_c):
            phi = known_rule_indicators(violated, discovered_at <= n_r).astype(dtype)
            used = wgt * (position < n_c).astype(dtype)
            w = fit_rbr_weights(r[e, i], r[e, j], phi[e, i], phi[e, j], tgt, used, margin,
                                iters=iters)
            return rbr_reward(r, phi, w)

        rows = jnp.asarray(at)
        fitted = jax.vmap(fit)(rewards[rows], jnp.asarray([counts[p][0] for p in at], jnp.int32),
                               jnp.asarray([counts[p][1] for p in at], jnp.int32))
        out = out.at[rows].set(fitted)
    return out
