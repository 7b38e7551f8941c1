"""Fitting Bradley-Terry reward models to comparisons (docs/model.md section 3).

The reward model r_theta = theta . phi and its feature maps are in
:mod:`sim.preferences`; this module fits theta to the labels.

Fitting minimises the Bradley-Terry negative log-likelihood of the labels
(target y in {0, 1/2, 1}, weight w in {0, 1}),

    L_n(theta) = sum_{l <= n} w_l [ y_l softplus(-s_l) + (1 - y_l) softplus(s_l) ]
                 + ridge/2 |theta|^2,          s_l = theta . (phi(i_l, c_l) - phi(j_l, c_l)),

(Bradley & Terry 1952; Christiano et al. 2017, arXiv 1706.03741), in one of
two modes (``fit``):

- ``batch``: at each checkpoint n the minimiser of L_n / max(n, 1) (the
  ridge-regularised MLE on the first n comparisons), by damped Newton steps (or
  optax.lbfgs, ``batch_solver``), warm-started at the previous checkpoint (L_n is strictly convex, so the
  start changes the path, not the answer);
- ``online``: one optimiser step per label on that label's loss plus
  ridge / (2 n_labels) |theta|^2, with a constant step size (:func:`stream_fit`; with a
  block B > 1, one step per B labels on their summed loss: streaming mini-batches).

The two modes separate drift that comes from the optimiser (a constant step
size keeps moving) from drift that comes from the signal (the MLE moves).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax

from .labels import padded_rows, prefix_groups
from .maxout import maxout_init

__all__ = ["bradley_terry_nll", "fit_batch", "fit_online", "stream_fit", "fit_maxout"]


def bradley_terry_nll(theta: jax.Array, dphi: jax.Array, target: jax.Array,
                      weight: jax.Array) -> jax.Array:
    """Per-label Bradley-Terry negative log-likelihood (no reduction): (n,).

    -w [y log sigma(s) + (1 - y) log sigma(-s)],  s = theta . dphi.
    """
    s = dphi @ theta
    return weight * (target * jax.nn.softplus(-s) + (1.0 - target) * jax.nn.softplus(s))


def fit_batch(dphi: jax.Array, target: jax.Array, weight: jax.Array, steps: jax.Array,
              ridge: jax.Array, iters: int, solver: str = "newton", block: int = 0) -> jax.Array:
    """Ridge-regularised Bradley-Terry MLE on the first n labels, for each n in steps.

    Minimises L_n(theta) / max(n, 1) (module docstring) at each checkpoint,
    warm-started at the previous one.

    Args:
      dphi: (n_labels, p) feature differences phi(i) - phi(j).
      target, weight: (n_labels,).
      steps: (K,) increasing label counts (checkpoints).
      ridge: L2 weight lambda (> 0 makes the minimiser unique).
      iters: most solver iterations per checkpoint (static); Newton stops
        earlier once the Newton decrement is at rounding level.
      solver: ``"newton"``: Newton steps with the exact Hessian
        sum_l w_l sigma(s_l)(1 - sigma(s_l)) dphi_l dphi_l^T + lambda I, halved
        while the objective would rise (backtracking; a step that cannot
        lower it is not taken, so the objective never rises); ``"lbfgs"``: ``optax.lbfgs`` with its zoom
        line search (slower per checkpoint under vmap, kept as a cross-check).
      block: 0: every sum runs over all n_labels rows, those past n weighted 0
        (K n_labels rows per iteration sweep); > 0: the sums run over blocks of
        ``block`` rows up to the one holding row n only (a loop with a traced
        trip count), so a log grid of checkpoints costs about 2 n_labels rows,
        not K n_labels (E7's 100,000 labels: 10x faster). Same minimiser up to
        rounding. ``lbfgs`` needs block = 0 (it differentiates through the sums).

    Returns:
      (K, p) the fitted parameters at each checkpoint.
    """
    p = dphi.shape[1]
    total = _label_sums(dphi, target, weight, block)

    def refit(theta, n_used):
        scale = 1.0 / jnp.maximum(n_used, 1).astype(dphi.dtype)

        def objective(th):
            nll = total(lambda x, y, w: jnp.sum(bradley_terry_nll(th, x, y, w)), n_used)
            return scale * (nll + 0.5 * ridge * jnp.sum(th * th))

        def grad_hess(th):
            def parts(x, y, w):
                prob = jax.nn.sigmoid(x @ th)
                curvature = w * prob * (1.0 - prob)
                return x.T @ (w * (prob - y)), (x * curvature[:, None]).T @ x
            g, h = total(parts, n_used)
            return g + ridge * th, h + ridge * jnp.eye(p, dtype=dphi.dtype)

        if solver == "newton":
            theta = _newton(theta, objective, grad_hess, scale, iters)
        else:
            theta = _lbfgs(theta, objective, iters)
        return theta, theta

    _, thetas = jax.lax.scan(refit, jnp.zeros((p,), dphi.dtype), jnp.asarray(steps, jnp.int32))
    return thetas


def _label_sums(dphi, target, weight, block: int):
    """``total(fn, n_used)``: sum_l fn over the labels l < n_used, where ``fn(dphi, target, w)``
    of a set of rows returns a pytree. ``block`` 0: one pass over every row, those past n_used
    weighted 0; > 0: a loop over blocks of ``block`` rows up to the one holding row n_used."""
    n = dphi.shape[0]
    position = jnp.arange(n, dtype=jnp.int32)
    if not block:
        return lambda fn, n_used: fn(dphi, target, jnp.where(position < n_used, weight, 0.0))
    blocks = -(-n // block)

    def tile(a):
        a = jnp.pad(a, [(0, blocks * block - n)] + [(0, 0)] * (a.ndim - 1))
        return a.reshape((blocks, block) + a.shape[1:])

    tiles = (tile(dphi), tile(target), tile(weight), tile(position))

    def total(fn, n_used):
        def add(b, acc):
            x, y, w, pos = (a[b] for a in tiles)
            return jax.tree.map(jnp.add, acc, fn(x, y, jnp.where(pos < n_used, w, 0.0)))

        zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype),
                             jax.eval_shape(fn, dphi[:1], target[:1], weight[:1]))
        return jax.lax.fori_loop(0, (n_used + block - 1) // block, add, zeros)

    return total


def _newton(theta, objective, grad_hess, scale, iters: int):
    """Damped Newton from ``theta`` (fit_batch's docstring): at most ``iters`` steps, each
    halved while the objective would rise, stopping when the decrement is at rounding level."""
    dtype = theta.dtype
    tol = 10 * jnp.finfo(dtype).eps

    def unfinished(carry):
        _, _, k, done = carry
        return (k < iters) & ~done

    def iteration(carry):
        th, value, k, _ = carry
        grad, hess = grad_hess(th)
        direction = jax.scipy.linalg.cho_solve(jax.scipy.linalg.cho_factor(hess), grad)
        decrement = 0.5 * scale * (grad @ direction)  # ~ objective - minimum

        def worse(state):  # backtrack while the objective would rise
            length, new_value, halvings = state
            return (new_value > value) & (halvings < 30)

        def halve(state):
            length, _, halvings = state
            return length / 2, objective(th - length / 2 * direction), halvings + 1

        one = jnp.ones((), dtype)
        length, new_value, _ = jax.lax.while_loop(worse, halve,
                                                  (one, objective(th - direction), 0))
        better = new_value <= value
        done = ~better | (decrement <= tol * jnp.maximum(1.0, jnp.abs(value)))
        return (jnp.where(better, th - length * direction, th),
                jnp.where(better, new_value, value), k + 1, done)

    return jax.lax.while_loop(unfinished, iteration,
                              (theta, objective(theta), 0, jnp.asarray(False)))[0]


def _lbfgs(theta, objective, iters: int):
    """``iters`` steps of optax.lbfgs with its zoom line search from ``theta``."""
    opt = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(objective)

    def iteration(carry, _):
        th, state = carry
        with jax.numpy_dtype_promotion("standard"):  # optax's line search mixes dtypes
            value, grad = value_and_grad(th, state=state)
            updates, state = opt.update(grad, state, th, value=value, grad=grad,
                                        value_fn=objective)
        return (optax.apply_updates(th, updates), state), None

    with jax.numpy_dtype_promotion("standard"):
        init = opt.init(theta)
    (theta, _), _ = jax.lax.scan(iteration, (theta, init), None, length=iters)
    return theta


def stream_fit(theta0: jax.Array, n: int, minibatch_nll, steps: jax.Array, ridge: jax.Array,
               learning_rate: jax.Array, optimizer: str = "adam", block: int = 1) -> jax.Array:
    """Streaming fit: one optimiser step per ``block`` labels; parameters at each checkpoint.

    Step t takes labels l in [t B, (t + 1) B) (B = ``block``; a checkpoint ends a step early,
    so every checkpoint sees exactly its first n labels) and minimises

        sum_l nll_l(theta) + (b_t / 2) (ridge / n_labels) |theta|^2,    b_t = labels in the step,

    with a constant step size. ``minibatch_nll(theta, start, used)`` is the summed loss of the
    B labels from ``start`` ((B,) ``used`` masks those past the checkpoint; reads past the
    last label must be padded). B = 1 is one step per label (streaming SGD / Adam); B > 1
    streams mini-batches, for learners that fit many classifiers over long streams (E7's
    named-rule learner). Returns the parameters after the first n labels for each n in
    ``steps`` (n = 0: ``theta0``), stacked: the loop runs segment by segment between
    checkpoints, so memory is O(K |theta|), not O(n_labels |theta|).
    """
    opt = (optax.adam if optimizer == "adam" else optax.sgd)(learning_rate)
    offsets = jnp.arange(block, dtype=jnp.int32)

    def minibatch(start, end, carry):
        theta, state = carry
        used = (start + offsets < end).astype(theta0.dtype)

        def loss(th):
            return (minibatch_nll(th, start, used)
                    + 0.5 * ridge / n * jnp.sum(used) * jnp.sum(th * th))

        with jax.numpy_dtype_promotion("standard"):  # optax mixes its int step count with floats
            updates, state = opt.update(jax.grad(loss)(theta), state, theta)
        return optax.apply_updates(theta, updates), state

    def segment(carry, bounds):
        lo, hi = bounds
        carry = jax.lax.fori_loop(0, (hi - lo + block - 1) // block,
                                  lambda t, c: minibatch(lo + t * block, hi, c), carry)
        return carry, carry[0]

    steps = jnp.asarray(steps, jnp.int32)
    bounds = (jnp.concatenate([steps[:1] * 0, steps[:-1]]), steps)
    _, thetas = jax.lax.scan(segment, (theta0, opt.init(theta0)), bounds)
    return thetas


def fit_online(dphi: jax.Array, target: jax.Array, weight: jax.Array, steps: jax.Array,
               ridge: jax.Array, learning_rate: jax.Array, optimizer: str = "adam",
               block: int = 1) -> jax.Array:
    """Streaming Bradley-Terry (:func:`stream_fit`): one optimiser step per ``block`` labels
    on their summed nll plus their share of ridge / (2 n_labels) |theta|^2. Returns (K, p),
    the parameters after the first n labels for each n in ``steps`` (n = 0: zeros)."""
    n, p = dphi.shape
    rows, ys, ws = (padded_rows(a, block) for a in (dphi, target, weight))

    def nll(theta, start, used):
        return jnp.sum(bradley_terry_nll(theta, rows(start), ys(start), ws(start) * used))

    return stream_fit(jnp.zeros((p,), dphi.dtype), n, nll, steps, ridge, learning_rate,
                      optimizer, block)


def fit_maxout(key, inputs, target, weight, steps, nll, params, static):
    """The union-of-halfspaces family (:mod:`sim.maxout`) fitted by Adam: (K, halfspaces, q + 1).

    ``nll(theta, rows, target, tau)``: the per-label loss of a set of labels on the soft max
    (the cost model's logistic loss on h, or the reward model's Bradley-Terry loss on
    -h(i) + h(j)); ``inputs`` (n, q) or (n, 2, q) for comparisons. The penalty
    ridge / 2 |w|^2 (not the offsets). ``static.fit``: ``online``, one Adam step per label;
    ``batch``, ``maxout_iters`` full-batch Adam steps on the first n labels at each
    checkpoint, warm-started at the previous one (each group of checkpoints reads only its
    prefix of the labels, :func:`sim.labels.prefix_groups`). ``params``, ``static``: a section
    with ``learning_rate``, ``ridge``, ``temperature``, ``halfspaces``, ``maxout_iters``, ``fit``.
    """
    n = inputs.shape[0]
    opt = optax.adam(params.learning_rate)
    theta0 = maxout_init(key, static.halfspaces, inputs.shape[-1], inputs.dtype)
    tau = params.temperature

    def penalty(theta):
        return 0.5 * params.ridge * jnp.sum(theta[:, :-1] ** 2)

    def step(carry, loss):
        theta, state = carry
        with jax.numpy_dtype_promotion("standard"):  # optax mixes its int step count with floats
            updates, state = opt.update(jax.grad(loss)(theta), state, theta)
        return (optax.apply_updates(theta, updates), state)

    if static.fit == "online":
        def label(carry, rows):
            row, y, w = rows
            carry = step(carry, lambda th: w * nll(th, row, y, tau) + penalty(th) / n)
            return carry, carry[0]

        _, history = jax.lax.scan(label, (theta0, opt.init(theta0)), (inputs, target, weight))
        return jnp.concatenate([theta0[None], history])[jnp.asarray(steps, jnp.int32)]

    def refit(z_read, y_read, w_read, carry, n_used):
        used = w_read * (jnp.arange(z_read.shape[0], dtype=jnp.int32) < n_used).astype(
            inputs.dtype)
        scale = 1.0 / jnp.maximum(n_used, 1).astype(inputs.dtype)

        def loss(th):
            return scale * (jnp.sum(used * nll(th, z_read, y_read, tau)) + penalty(th))

        def iteration(c, _):
            return step(c, loss), None

        carry, _ = jax.lax.scan(iteration, carry, None, length=static.maxout_iters)
        return carry, carry[0]

    # warm-started across groups: the same refits as one scan over every checkpoint
    carry, thetas = (theta0, opt.init(theta0)), []
    for at, prefix in prefix_groups(steps, n):
        carry, fitted = jax.lax.scan(functools.partial(refit, inputs[:prefix], target[:prefix],
                                                       weight[:prefix]),
                                     carry, at)
        thetas.append(fitted)
    return jnp.concatenate(thetas)
