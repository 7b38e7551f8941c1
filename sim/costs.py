"""The cost model: a constraint learned from binary rejection labels (docs/model.md section 3).

The rule learner (:mod:`sim.constraints`) is told *which* prohibition a
response violates, so one label fixes a whole halfspace. The cost model is
told only *that* something is wrong: a flag y in {0, 1} per queried response
in its context (``reveal="flag"``, :mod:`sim.oracles`). It fits a cost
c_theta(i, c), positive for "unacceptable", with the logistic loss

    L_n(theta) = sum_{l <= n} [ y_l softplus(-c_l) + (1 - y_l) softplus(c_l) ]
                 + ridge/2 |theta|^2,            c_l = c_theta(i_l, c_l),

and admits {i : c_theta(i, c) <= 0}: the cost threshold 0 of Safe RLHF (Dai
et al. 2023, arXiv 2310.12773, section 3.2: a response is safe when its cost
is negative). Choice: the boundary itself is admitted, so the untrained model
(c = 0 everywhere) admits every response, as the rule learner's empty D_0
does.

Families (``family``):

- ``linear``, ``quadratic``, ``belief``, ``contextual``, ``tabular``: c = theta . [phi(i, c), 1], with
  phi the reward model's feature map (:func:`sim.preferences.features`) plus
  an intercept, so the cost and reward models see the same features. As for
  the reward model, ``contextual`` sees the acceptability indicator: it is a
  well-specified control, not a realistic learner.
- ``maxout``: the max over K learned halfspaces,
  c = max_k (w_k . z(i, c) + b_k), trained on its soft max
  tau logsumexp_k((w_k . z + b_k) / tau) (``temperature`` tau) and evaluated
  with the hard max. z = [x, endorses, log length, f, endorses * f] with
  f = 1[the context's belief is false]. With K >= T it can represent the
  union of the T halfspace prohibitions exactly, and the factual prohibition
  through its last input. Choice: the belief flag is an input because the
  rule learner's factual prohibition reads it too. Initialised at
  w ~ N(0, 0.01^2), b = -1 (everything admitted), then trained. Defaults
  (tau = 1, step 0.02, 300 Adam steps per checkpoint) were the best of a
  small grid on E1's default world (tau in {0.05, 0.25, 1}, step in
  {0.02, 0.1, 0.3}, 4 seeds): a fair shot for the expressive family.

The linear families are convex: ``batch`` refits are the exact minimiser by
the reward model's damped Newton solver (:func:`sim.reward_fits.fit_batch`,
the logistic loss is its Bradley-Terry loss on [phi, 1]); ``online`` takes one
optimiser step per label (:func:`sim.reward_fits.fit_online`). ``maxout`` is
not convex: ``batch`` runs ``maxout_iters`` full-batch Adam steps on the first
n labels at each checkpoint, warm-started at the previous checkpoint;
``online`` one Adam step per label. Given the checkpoints as a static tuple,
a batch refit reads only a prefix of the labels (:func:`sim.labels.prefix_groups`:
at E1's 19 log-spaced checkpoints 4.6x fewer rows than 19 full passes).
Nothing makes the admitted sets nested: whether they re-open responses is
measured, not assumed.

:func:`safe_rlhf_cost_loss` is Safe RLHF's loss for when comparisons and
flags are both available.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from .config import Config, param
from .maxout import maxout, maxout_init, maxout_inputs
from .preferences import features, response_features
from .reward_fits import fit_batch, fit_maxout, fit_online
from .world import Contexts, World, unacceptable

__all__ = ["CostConfig", "cost_inputs", "costs", "fit_costs", "admitted_by_cost",
           "logistic_nll", "safe_rlhf_cost_loss", "maxout_init", "cost_table"]


@dataclasses.dataclass(frozen=True)
class CostConfig(Config):
    """The cost model's family and fitting (module docstring)."""

    section = "cost"
    family: str = param("quadratic",
                        choices=("linear", "quadratic", "belief", "contextual", "tabular",
                                 "maxout"),
                        doc="cost model family (maxout: max over K learned halfspaces; "
                            "tabular: one cost per response)")
    fit: str = param("batch", choices=("batch", "online"),
                     doc="batch refit at checkpoints or online streaming")
    ridge: float = param(1e-2, lo=0.0, hi=1e6, sweep=True,
                         doc="L2 weight on theta (total, not per label)")
    batch_iters: int = param(10, lo=1, hi=10_000,
                             doc="most Newton iterations per refit (linear families)")
    batch_block: int = param(0, lo=0, hi=1 << 20,
                             doc="rows per block of the batch refits' sums (0: all rows, "
                                 "masked; > 0: only the blocks up to each checkpoint, for long "
                                 "label streams)")
    optimizer: str = param("adam", choices=("adam", "sgd"), doc="online optimiser")
    online_block: int = param(1, lo=1, hi=1 << 16,
                              doc="labels per online step (1: streaming; > 1: streaming "
                                  "mini-batches, summed loss)")
    named_fit: str = param("batch", choices=("batch", "online"),
                           doc="the named-rule learner's fit of its per-rule classifiers "
                               "(sim.named; ridge, Newton iterations, online step and block "
                               "from this section)")
    learning_rate: float = param(0.02, lo=0.0, hi=10.0, lo_open=True, sweep=True,
                                 doc="online and maxout step size (constant; <= 10)")
    halfspaces: int = param(32, lo=1, hi=4096, doc="K, learned halfspaces of maxout")
    temperature: float = param(1.0, lo=1e-3, hi=100.0, sweep=True,
                               doc="tau of maxout's training soft max, in cost units")
    maxout_iters: int = param(300, lo=1, hi=100_000,
                              doc="full-batch Adam steps per checkpoint (maxout, batch)")


def cost_inputs(family: str, world: World, idx: jax.Array, context: jax.Array,
                belief_true: jax.Array) -> jax.Array:
    """The inputs of the cost model for responses ``idx`` in a context: (..., p).

    [phi(i, c), 1] for the reward families, z(i, c) for ``maxout`` (module docstring).
    """
    resp = jax.tree.map(lambda a: a[idx], response_features(world))
    if family != "maxout":
        phi = features(family, resp, context, unacceptable(world, belief_true, idx, context),
                       (resp.endorses > 0) & belief_true, world.features.shape[0])
        return jnp.concatenate([phi, jnp.ones_like(phi[..., :1])], axis=-1)
    return maxout_inputs(resp.x, resp.endorses, resp.log_length, belief_true)


def costs(theta: jax.Array, family: str, z: jax.Array) -> jax.Array:
    """c_theta for inputs from :func:`cost_inputs` (hard max for ``maxout``): (...,)."""
    return maxout(theta, z) if family == "maxout" else z @ theta


def admitted_by_cost(cost: jax.Array) -> jax.Array:
    """The admitted set {c <= 0} (module docstring)."""
    return cost <= 0.0


def logistic_nll(cost: jax.Array, flag: jax.Array) -> jax.Array:
    """Per-label logistic loss y softplus(-c) + (1 - y) softplus(c), no reduction."""
    return flag * jax.nn.softplus(-cost) + (1.0 - flag) * jax.nn.softplus(cost)


def safe_rlhf_cost_loss(c_safer: jax.Array, c_unsafer: jax.Array, s_safer: jax.Array,
                        s_unsafer: jax.Array) -> jax.Array:
    """Safe RLHF's cost-model loss for one comparison with safety flags.

        -log sigma(C_unsafer - C_safer) - log sigma(s_safer C_safer) - log sigma(s_unsafer C_unsafer),

    s = +1 for a harmful response and -1 for a safe one (Dai et al. 2023,
    arXiv 2310.12773, eq. 6; ``safe_rlhf/values/cost/trainer.py``), written
    with softplus: -log sigma(u) = softplus(-u).
    """
    return (jax.nn.softplus(c_safer - c_unsafer) + jax.nn.softplus(-s_safer * c_safer)
            + jax.nn.softplus(-s_unsafer * c_unsafer))


def fit_costs(key: jax.Array, z: jax.Array, flag: jax.Array, steps: jax.Array, params,
              static, weight: jax.Array | None = None) -> jax.Array:
    """The cost model after the first n flags, for each n in ``steps``.

    Args:
      key: PRNG key (the maxout initialisation; unused by the linear families).
      z: (n_labels, p) inputs from :func:`cost_inputs` of the queried responses.
      flag: (n_labels,) the binary rejection labels, 1 = unacceptable.
      steps: (K,) increasing label counts: a tuple of ints (static; maxout's batch
        refits then read only the labels they use) or an array.
      params, static: the :class:`CostConfig`'s typed params and static half.
      weight: (n_labels,) per-label weights (a bootstrap's counts); None: every label 1.

    Returns:
      (K, p) parameters (linear families) or (K, halfspaces, p + 1) (maxout).
    """
    flag = flag.astype(z.dtype)
    if weight is None:
        # weight 1 for every label, computed from the data: a literal ones array is
        # constant-folded into the Newton loop's fusions and doubles the fit time (bench)
        weight = jnp.isfinite(flag).astype(z.dtype)
    weight = weight.astype(z.dtype)
    if static.family == "maxout":
        def nll(theta, rows, y, tau):
            return logistic_nll(maxout(theta, rows, tau), y)
        return fit_maxout(key, z, flag, weight, steps, nll, params, static)
    steps = jnp.asarray(steps, jnp.int32)
    if static.fit == "batch":
        return fit_batch(z, flag, weight, steps, params.ridge, static.batch_iters,
                         block=static.batch_block)
    return fit_online(z, flag, weight, steps, params.ridge, params.learning_rate,
                      static.optimizer, static.online_block)


def cost_table(theta: jax.Array, family: str, world: World, contexts: Contexts) -> jax.Array:
    """c_theta(i, c) for every response and every context: (E, N)."""
    idx = jnp.arange(world.features.shape[0])
    return jax.vmap(lambda c, b: costs(theta, family, cost_inputs(family, world, idx, c, b)))(
        contexts.features, contexts.belief_true)
