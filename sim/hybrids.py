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

__all__ = ["known_rule_indicators", "rbr_hinge_loss", "fit_rbr_weights", "rbr_reward"]


def known_rule_indicators(violated: jax.Array, known: jax.Array) -> jax.Array:
    """phi: (..., T + 2) violated prohibitions masked by the known ones (float)."""
    return (violated & known).astype(jnp.result_type(float))


def rbr_hinge_loss(w: jax.Array, r_better: jax.Array, r_worse: jax.Array, phi_better: jax.Array,
                   phi_worse: jax.Array, weight: jax.Array, margin) -> jax.Array:
    """Mean hinge max(0, margin + R(b) - R(a)) over the pairs with weight 1."""
    gap = (r_better + phi_better @ w) - (r_worse + phi_worse @ w)
    hinge = jnp.maximum(0.0, margin - gap)
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
    opt = optax.adam(learning_rate)
    w0 = jnp.zeros(phi_first.shape[-1], r_first.dtype)

    def step(carry, _):
        w, state = carry
        grad = jax.grad(rbr_hinge_loss)(w, r_a, r_b, phi_a, phi_b, use, margin)
        with jax.numpy_dtype_promotion("standard"):  # optax mixes its int step count with floats
            updates, state = opt.update(grad, state, w)
        return (optax.apply_updates(w, updates), state), None

    (w, _), _ = jax.lax.scan(step, (w0, opt.init(w0)), None, length=iters)
    return w


def rbr_reward(r: jax.Array, phi: jax.Array, w: jax.Array) -> jax.Array:
    """R = r + w . phi: (...,) from r (...,) and phi (..., T + 2)."""
    return r + phi @ w
