"""The named-rule learner: told which rule a rejection names, it learns what the rule covers.

The rule learner of :mod:`sim.constraints` is the ``oracle`` tier: the first rejection
that names prohibition j hands it g_j's exact halfspace, so one label fixes the rule
everywhere. The paper's interface ("what is wrong?") names the rule but not its extent;
a real model still has to learn from examples what "do not give medical dosages" covers.
This learner is that middle case, the ``named`` tier (docs/model.md section 3):

- for every rule j (the T halfspaces, padding, the factual rule: the oracle's indices) a
  classifier c_j(i, c) = theta_j . [phi(i, c), 1] is fitted by the cost model's logistic
  loss (:mod:`sim.costs`) in the same feature family as the other learners;
- its positives are the queried responses whose rejection named j; its negatives the
  queried responses not named for j. With ``reveal="all"`` (every violated rule named)
  a response flagged for other rules is a negative for j; with ``reveal="one"`` it says
  nothing about j and gets weight 0; an unflagged response is a negative for every rule.
  A rule never named has no positives, so its classifier admits everything;
- the admitted set is {i : c_j(i, c) <= 0 for every j}: no learned rule fires.

Two fits (``cost.named_fit``), as for the cost model:

- ``batch``: refits at each checkpoint (the ridge MLE of :func:`sim.reward_fits.fit_batch`,
  one per rule, vmapped over rules);
- ``online``: streaming steps on the same loss (:func:`sim.reward_fits.stream_fit`), every
  rule's classifier stepped at once on each label (or mini-batch of ``cost.online_block``
  labels). The loss is a sum over rules, so this is the R independent streaming fits; it reads
  the named table a mini-batch at a time (:func:`fit_named_online`), so it serves streams
  whose n x (T + 2) table would not fit in memory (E7: packed bits,
  :func:`sim.constraints.stream_constraints`).

Nothing makes its sets nested: nestedness, re-openings and convergence are measured (E1),
never assumed.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .costs import cost_inputs
from .labels import Rejections, padded_rows
from .preferences import reads_no_context
from .reward_fits import fit_batch, stream_fit
from .world import Contexts, World

__all__ = ["named_targets", "named_inputs", "fit_named", "fit_named_online", "named_costs"]


def named_targets(rejections: Rejections, reveal: str) -> tuple[jax.Array, jax.Array]:
    """Per label and rule, the target 1[the rejection named the rule] and its weight:
    ((n, R), (n, R)), R = T + 2 rules (module docstring)."""
    named = rejections.answer.revealed                                       # (n, R) bool
    target = named.astype(jnp.result_type(float))
    if reveal == "one":   # flagged for another rule: unknown for this one
        known = named | ~rejections.flagged()[:, None]
    else:
        known = jnp.ones_like(named)
    return target, known.astype(target.dtype)


def _inputs(family: str, world: World, idx, context, belief_true) -> jax.Array:
    """[phi(i, c), 1] (:func:`sim.costs.cost_inputs`); for ``maxout`` [z(i, c), 1]: each
    rule one halfspace on the union-of-halfspaces family's inputs (:mod:`sim.maxout`)."""
    z = cost_inputs(family, world, idx, context, belief_true)
    if family == "maxout":
        z = jnp.concatenate([z, jnp.ones_like(z[..., :1])], axis=-1)
    return z


def named_inputs(family: str, world: World, rejections) -> jax.Array:
    """The classifiers' inputs of every queried response: (n, p + 1)."""
    return jax.vmap(lambda i, c, b: _inputs(family, world, i, c, b))(
        rejections.response, rejections.contexts.features, rejections.belief_true)


def fit_named(world: World, rejections: Rejections, family: str, steps, ridge, iters: int,
              reveal: str, weight: jax.Array | None = None, block: int = 128) -> jax.Array:
    """The per-rule classifiers after the first n labels, for each n in ``steps``:
    (K, R, p + 1), on the inputs :func:`sim.costs.cost_inputs` of ``family`` (a linear family:
    ``linear``, ``quadratic``, ``contextual`` or ``tabular``). ``weight`` (n,): per-label
    weights (a bootstrap's counts); None: every label 1. ``block``: rows per block of the
    refits' sums (:func:`sim.reward_fits.fit_batch`: each refit reads only the blocks up to its
    n, so a log grid of checkpoints costs about 2 n rows, not K n; 0: every row, masked)."""
    z = named_inputs(family, world, rejections)
    target, known = named_targets(rejections, reveal)
    if weight is not None:
        known = known * weight[:, None].astype(known.dtype)
    steps = jnp.asarray(steps, jnp.int32)
    fits = jax.vmap(lambda y, w: fit_batch(z, y, w, steps, ridge, iters, block=block),
                    in_axes=(1, 1))(
        target, known)                                                     # (R, K, p + 1)
    return jnp.swapaxes(fits, 0, 1)


def fit_named_online(z: jax.Array, named_rows, flagged: jax.Array, rules: int, steps, params,
                     static, reveal: str, weight: jax.Array | None = None) -> jax.Array:
    """Every rule's classifier by streaming steps (module docstring): (K, R, p + 1).

    ``z`` (n, p + 1): the inputs (:func:`sim.costs.cost_inputs`); ``named_rows(start)``:
    the (block, R) bool table of the rules named by labels start.. (rows past n: anything,
    they are masked); ``flagged`` (n,); ``params``, ``static``: the cost section (ridge,
    learning rate, optimiser, ``online_block``); ``weight`` (n,) per-label weights or None."""
    n, block = z.shape[0], static.online_block
    weight = jnp.ones((n,), z.dtype) if weight is None else weight.astype(z.dtype)
    rows, flags, ws = (padded_rows(a, block) for a in (z, flagged, weight))

    def nll(theta, start, used):
        named = named_rows(start)
        target = named.astype(z.dtype)
        known = (named | ~flags(start)[:, None]) if reveal == "one" else jnp.ones_like(named)
        w = known.astype(z.dtype) * (ws(start) * used)[:, None]
        s = rows(start) @ theta.T                                            # (B, R)
        return jnp.sum(w * (jax.nn.softplus(s) - target * s))   # = y sp(-s) + (1 - y) sp(s)

    theta0 = jnp.zeros((rules, z.shape[1]), z.dtype)
    return stream_fit(theta0, n, nll, steps, params.ridge, params.learning_rate,
                      static.optimizer, block)


def named_costs(theta: jax.Array, family: str, world: World, contexts: Contexts) -> jax.Array:
    """max_j c_j(i, c) for every context and response: (E, N); admitted where <= 0.

    For a context-free family (``linear``, ``quadratic``, ``tabular``: phi(i, c) = phi(i)) the
    N x R table is computed once and shared by every context: the same numbers, E times less
    work (E7: 8 contexts x 4,096 responses x 1,026 rules per budget)."""
    idx = jnp.arange(world.features.shape[0])

    def one(c, b):
        z = _inputs(family, world, idx, c, b)                                # (N, p + 1)
        return jnp.max(z @ theta.T, axis=-1)

    if reads_no_context(family):
        first = one(contexts.features[0], contexts.belief_true[0])
        return jnp.broadcast_to(first, contexts.belief_true.shape + first.shape)
    return jax.vmap(one)(contexts.features, contexts.belief_true)
