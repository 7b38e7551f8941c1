"""The preference learner: Bradley-Terry reward models (docs/model.md section 3).

A reward model r_theta(i, c) = theta . phi(i, c) is linear in its parameters in every
family but the last, with one of these feature maps (``family``):

- ``linear``:     phi(i) = [x_i, endorses_i, log length_i]
  (context-free, misspecified: it cannot represent mu(c), the coupling or the
  prohibitions);
- ``quadratic``:  adds the second-order terms x_a x_b, a <= b (the default: the
  richest context-free family; it can represent the context-averaged utility
  E_c U(x, c) = -1/2 x^T A x + x^T A M E[c] + const exactly, but not mu(c),
  the prohibitions or the factual constraint);
- ``contextual``: phi(i, c) = [x_i, x_a x_b, x_i (x) c, endorses_i, log length_i,
  density_i, 1[endorses_i and belief_true(c)], 1[i unacceptable in c]]. Since
  U(x, c) = -1/2 x^T A x + x^T A M c + const(c) + bonus * density, and V adds
  a 1[agrees with a true belief] - Lambda 1[unacceptable], V lies in this family
  exactly (the constant in c cancels in every comparison), so it is well specified
  when s_syc = s_len = 0. Choice: to be well specified it must
  see the acceptability indicator; it is a control, not a realistic learner;
- ``belief``:     ``quadratic`` plus endorses_i 1[the user's belief in c is false]: the one
  context input both sides may be given (the maxout cost family reads it too); E2's default
  on both sides, so that neither side is told more about the user's belief than the other;
- ``tabular``:    phi(i) = e_i, one free score per response: the most expressive
  context-free family (N parameters; its batch Newton refit solves an N x N system, so it
  is meant for small worlds). With a uniform comparison distribution and infinite data its
  ranking is the Borda count of the annotators' pairwise win probabilities
  (Siththaranjan et al. 2023, arXiv 2312.08358, theorem 3.1; a test checks it);
- ``maxout``:     r(i, c) = -max_k (w_k . z(i, c) + b_k), the union-of-halfspaces family of
  the cost model on the reward side, with the same inputs z (:mod:`sim.maxout`): not linear
  in theta, fitted by Adam (:func:`sim.reward_fits.fit_maxout`). Its surface loadings are read
  where the user's belief is true.

Fitting theta to the labels (the Bradley-Terry likelihood, batch and online
modes) is in :mod:`sim.reward_fits`.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .config import Config, param
from .maxout import maxout, maxout_inputs
from .world import Contexts, World, density, unacceptable

__all__ = [
    "LearnerConfig", "ResponseFeatures", "response_features", "feature_dim", "features",
    "context_free_features",
    "rewards", "surface_loadings", "reads_no_context",
]


@dataclasses.dataclass(frozen=True)
class LearnerConfig(Config):
    """The preference learner's reward family and fitting (docs/model.md section 3)."""

    section = "learner"
    family: str = param("quadratic", choices=("linear", "quadratic", "belief", "contextual",
                                                      "tabular", "maxout"),
                        doc="reward model family (belief: quadratic + endorses x false belief; "
                            "tabular: one score per response; maxout: minus a max over K "
                            "learned halfspaces, sim.maxout)")
    fit: str = param("batch", choices=("batch", "online"),
                     doc="batch refit at checkpoints or online streaming")
    ridge: float = param(1e-2, lo=0.0, hi=1e6, sweep=True,
                         doc="L2 weight on theta (total, not per label)")
    batch_solver: str = param("newton", choices=("newton", "lbfgs"),
                              doc="batch refit solver: damped Newton or optax L-BFGS")
    batch_iters: int = param(10, lo=1, hi=10_000,
                             doc="most solver iterations per refit (Newton stops at convergence;"
                                 " L-BFGS runs all, ~100)")
    batch_block: int = param(0, lo=0, hi=1 << 20,
                             doc="rows per block of the batch refits' sums (0: all rows, "
                                 "masked; > 0: only the blocks up to each checkpoint, for long "
                                 "label streams)")
    optimizer: str = param("adam", choices=("adam", "sgd"), doc="online optimiser")
    learning_rate: float = param(0.05, lo=0.0, hi=10.0, lo_open=True, sweep=True,
                                 doc="online step size (constant; <= 10)")
    halfspaces: int = param(32, lo=1, hi=4096, doc="K, learned halfspaces of maxout")
    temperature: float = param(1.0, lo=1e-3, hi=100.0, sweep=True,
                               doc="tau of maxout's training soft max, in reward units")
    maxout_iters: int = param(300, lo=1, hi=100_000,
                              doc="full-batch Adam steps per checkpoint (maxout, batch)")
    ensemble: int = param(1, lo=1, hi=64,
                          doc="K, bootstrap members of a reward-model ensemble (sim.ensembles)")
    aggregate: str = param("mean", choices=("mean", "min", "uncertainty"),
                           doc="how the ensemble's rewards are combined (Coste et al. 2023)")
    uncertainty_weight: float = param(1.0, lo=0.0, hi=100.0, sweep=True,
                                      doc="k_u of aggregate = uncertainty: mean - k_u var")


class ResponseFeatures(NamedTuple):
    """The per-response inputs of a feature map (leading axes broadcast)."""

    x: jax.Array            # (..., d)
    endorses: jax.Array     # (...,) float
    log_length: jax.Array   # (...,)
    density: jax.Array      # (...,)
    index: jax.Array        # (...,) int32, the response's index (the tabular family's input)


def response_features(world: World, idx: jax.Array | None = None) -> ResponseFeatures:
    """The context-free inputs of every response (or of ``idx``)."""
    r = ResponseFeatures(world.features, world.endorses.astype(world.features.dtype),
                         jnp.log(world.length), density(world),
                         jnp.arange(world.features.shape[0], dtype=jnp.int32))
    return r if idx is None else jax.tree.map(lambda a: a[idx], r)


def feature_dim(family: str, d: int, m: int, responses: int = 0) -> int:
    """The number of parameters p of a family (``tabular``: one per response)."""
    quad = d * (d + 1) // 2
    return {"linear": d + 2, "quadratic": d + quad + 2, "belief": d + quad + 3,
            "contextual": d + quad + d * m + 5, "tabular": responses}[family]


def _quadratic_terms(x: jax.Array) -> jax.Array:
    a, b = jnp.triu_indices(x.shape[-1])
    return x[..., a] * x[..., b]


def reads_no_context(family: str) -> bool:
    """Whether phi(i, c) = phi(i) in ``family`` (``linear``, ``quadratic``, ``tabular``): no
    context input, not even the belief flag (module docstring)."""
    return family in ("linear", "quadratic", "tabular")


def context_free_features(family: str, r: ResponseFeatures, responses: int = 0) -> jax.Array:
    """The context-free part of phi: [x, (x_a x_b), endorses, log length, (density)]: (..., p_cf);
    ``tabular``: the one-hot e_i of the response's index over ``responses`` slots."""
    if family == "tabular":
        if responses < 1:
            raise ValueError("the tabular family needs the number of responses")
        return jax.nn.one_hot(r.index, responses, dtype=r.x.dtype)
    base = [r.x]
    if family in ("quadratic", "belief", "contextual"):
        base.append(_quadratic_terms(r.x))
    base += [r.endorses[..., None], r.log_length[..., None]]
    if family == "contextual":
        base.append(r.density[..., None])
    return jnp.concatenate(base, axis=-1)


def features(family: str, r: ResponseFeatures, context: jax.Array,
             unacceptable_in_c: jax.Array, agrees_in_c: jax.Array,
             responses: int = 0) -> jax.Array:
    """phi(i, c): (..., p). ``context`` (m,), the acceptability flag and ``agrees_in_c``
    (endorses_i and belief_true(c)) only matter for ``contextual``, whose feature vector
    ends with [x (x) c, 1[agrees with a true belief], 1[unacceptable]]. ``responses``: N, the
    width of the ``tabular`` family's one-hot."""
    cf = context_free_features(family, r, responses)
    if family == "belief":   # endorses_i and the user's belief is false
        wrong = r.endorses[..., None] - agrees_in_c[..., None].astype(cf.dtype)
        return jnp.concatenate([cf, jnp.broadcast_to(wrong, cf.shape[:-1] + (1,))], -1)
    if family != "contextual":
        return cf
    bilinear = (r.x[..., :, None] * context[..., None, :]).reshape(*r.x.shape[:-1], -1)
    flags = [agrees_in_c[..., None].astype(cf.dtype), unacceptable_in_c[..., None].astype(cf.dtype)]
    return jnp.concatenate([cf, bilinear, *flags], -1)


def rewards(theta: jax.Array, family: str, world: World, contexts: Contexts) -> jax.Array:
    """r_theta(i, c) for every response and every context: (E, N).

    Computed as Phi_cf theta_cf + x^T Theta c + theta_a 1[agrees] + theta_u 1[unacceptable],
    without building the (E, N, p) feature tensor.
    """
    n = world.features.shape[0]
    if family == "maxout":   # r = -max_k (w_k . z + b_k), z reads the belief (sim.maxout)
        r = response_features(world)
        return jax.vmap(lambda b: -maxout(theta, maxout_inputs(r.x, r.endorses, r.log_length,
                                                               b)))(contexts.belief_true)
    cf = context_free_features(family, response_features(world), n)
    base = cf @ theta[: cf.shape[-1]]
    e = contexts.features.shape[0]
    if family == "belief":
        wrong = world.endorses[None, :] & ~contexts.belief_true[:, None]              # (E, N)
        return base[None, :] + jnp.where(wrong, theta[-1], 0.0)
    if family != "contextual":
        return jnp.broadcast_to(base, (e, base.shape[0]))
    d, m = world.features.shape[1], world.context_map.shape[1]
    p_cf = cf.shape[-1]
    bilinear = theta[p_cf: p_cf + d * m].reshape(d, m)
    ctx = world.features @ bilinear @ contexts.features.T                # (N, E)
    bad = jax.vmap(lambda b, c: unacceptable(world, b, None, c))(
        contexts.belief_true, contexts.features)                                        # (E, N)
    agrees = world.endorses[None, :] & contexts.belief_true[:, None]                 # (E, N)
    return base[None, :] + ctx.T + jnp.where(agrees, theta[-2], 0.0) + jnp.where(
        bad, theta[-1], 0.0)


def surface_loadings(theta: jax.Array, family: str, r: ResponseFeatures) -> tuple[jax.Array, jax.Array]:
    """Average effect on r of flipping endorses (0 -> 1) and of doubling length.

    Everything else is held fixed: the context terms and the acceptability flag
    do not move, and doubling length halves density (claims are fixed). Both
    effects are averaged over the responses in ``r``; in reward units.
    """
    if family == "tabular":  # one free score per response: no surface feature to move
        zero = jnp.zeros((), r.x.dtype)
        return zero, zero
    if family == "maxout":   # read where the user's belief is true (f = 0, sim.maxout)
        def reward(a):
            return -maxout(theta, maxout_inputs(a.x, a.endorses, a.log_length, True))

        def effect(a, b):
            return jnp.mean(reward(b) - reward(a))
    else:
        head = theta[:context_free_features(family, r).shape[-1]]

        def effect(a, b):
            return jnp.mean((context_free_features(family, b)
                             - context_free_features(family, a)) @ head)

    ones, zeros = jnp.ones_like(r.endorses), jnp.zeros_like(r.endorses)
    endorse = effect(r._replace(endorses=zeros), r._replace(endorses=ones))
    doubled = r._replace(log_length=r.log_length + jnp.log(2.0), density=r.density / 2.0)
    return endorse, effect(r, doubled)
