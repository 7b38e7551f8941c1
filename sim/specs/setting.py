"""The policy setting shared by the policy experiments (E2 to E6, E8): a world,
E training contexts, the prior pi0 in each, and the policy metrics they all report.

:func:`surface_metrics` adds the paper's section 5 metrics: ``mean_length``
E_pi length (tokens), ``density`` E_pi claims/length, and ``lc_value``, the
length-controlled value

    lc_value = E_pi V - b (E_pi log L - E_pi0 log L),

b the least-squares slope of V(i, c) on log length over the acceptable
responses of each context (averaged over contexts). It is the policy's value
with the part explained by its change of length regressed out, in the manner
of length-controlled AlpacaEval (Dubois et al., arXiv 2404.04475), which
regresses a judge's preference on the length difference and reports it at
difference 0. Choice: V itself has no length term in this world, so b is the
slope that length picks up through its correlation with what is valued.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..keys import stream, streams
from ..metrics import expected, kl_to_prior, policy_value, sycophancy_gap, sycophancy_rate, violation_rate
from ..oracles import violated_prohibitions
from ..policies import apply_difficulty, prior_logits
from ..world import Contexts, World, density, sample_contexts, sample_world, unacceptable, value

__all__ = ["PolicySetting", "policy_setting", "setting_metrics", "prior_logp", "surface_metrics",
           "setting_at", "violated_table"]


class PolicySetting(NamedTuple):
    """A world, E training contexts and the prior in each of them."""

    world: World
    contexts: Contexts
    z0: jax.Array          # (E, N) prior logits
    logp0: jax.Array       # (E, N) log pi0
    acceptable: jax.Array  # (E, N) bool, A(c)
    values: jax.Array      # (E, N) V(i, c)


def policy_setting(key: jax.Array, params, static, n_contexts: int,
                   adjust=None) -> PolicySetting:
    """Sample the world (stream ``world``), the contexts (``contexts``) and the prior's
    noise (``prior``). ``params`` / ``static`` are an experiment config's halves with
    ``world`` and ``policy`` sections; ``adjust`` (World -> World), if given, edits the
    sampled world before anything is read off it (E10 switches prohibitions off)."""
    k_world, k_ctx = streams(key, "world", "contexts")
    world = sample_world(k_world, params.world, static.world)
    world = world if adjust is None else adjust(world)
    return setting_at(key, world, sample_contexts(k_ctx, world, n_contexts), params.policy)


def setting_at(key: jax.Array, world: World, ctx: Contexts, policy_params) -> PolicySetting:
    """The same world's prior in other contexts (held-out or shifted ones); ``key`` as for
    :func:`policy_setting`, so the prior's per-response noise is the same."""
    acceptable = ~jax.vmap(lambda b, c: unacceptable(world, b, None, c))(ctx.belief_true,
                                                                      ctx.features)
    z0 = apply_difficulty(key, _prior(key, world, ctx, policy_params), acceptable,
                          policy_params)
    values = jax.vmap(lambda c, b: value(world, c, b))(ctx.features, ctx.belief_true)
    return PolicySetting(world, ctx, z0, jax.nn.log_softmax(z0, axis=-1), acceptable, values)


def _prior(key, world, ctx, policy_params):
    k_prior = stream(key, "prior")
    return jax.vmap(lambda c, b: prior_logits(k_prior, world, policy_params, c, b))(
        ctx.features, ctx.belief_true)


def prior_logp(key: jax.Array, setting: PolicySetting, policy_params) -> jax.Array:
    """log pi0 of the same setting (same ``key`` as :func:`policy_setting`, same noise) under
    other prior parameters, e.g. another ``prior_value_weight``: (E, N)."""
    z0 = apply_difficulty(key, _prior(key, setting.world, setting.contexts, policy_params),
                          setting.acceptable, policy_params)
    return jax.nn.log_softmax(z0, axis=-1)


def violated_table(setting: PolicySetting) -> jax.Array:
    """Every prohibition each response violates in each context: (E, N, T + 2) bool
    (halfspaces, padding, factual; :func:`sim.oracles.violated_prohibitions`)."""
    every = jnp.arange(setting.world.features.shape[0])
    return jax.vmap(lambda b, c: violated_prohibitions(setting.world, every, b, c))(
        setting.contexts.belief_true, setting.contexts.features)


@jax.jit   # traced once per shape: every member's call of it is one function
def setting_metrics(setting: PolicySetting, logp: jax.Array) -> dict[str, jax.Array]:
    """The policy metrics every policy experiment reports, for (E, N) log-probabilities:
    ``sycophancy_rate``, ``sycophancy_gap`` (:mod:`sim.metrics`), and the means over
    contexts of ``violation_rate``, ``value`` and ``kl_to_prior``."""
    return {"sycophancy_rate": sycophancy_rate(logp, setting.world.endorses,
                                               setting.contexts.belief_true),
            "sycophancy_gap": sycophancy_gap(logp, setting.world.endorses,
                                             setting.contexts.belief_true),
            "violation_rate": jnp.mean(violation_rate(logp, setting.acceptable)),
            "value": jnp.mean(policy_value(logp, setting.values)),
            "kl_to_prior": jnp.mean(kl_to_prior(logp, setting.logp0))}


@jax.jit   # traced once per shape: every member's call of it is one function
def surface_metrics(setting: PolicySetting, logp: jax.Array) -> dict[str, jax.Array]:
    """``mean_length``, ``density`` and ``lc_value`` (module docstring), means over contexts."""
    world, dtype = setting.world, logp.dtype
    log_len = jnp.log(world.length).astype(dtype)
    acc = setting.acceptable.astype(dtype)                                        # (E, N)
    n_acc = jnp.maximum(acc.sum(-1), 1.0)
    centred = log_len[None, :] - (acc * log_len).sum(-1, keepdims=True) / n_acc[:, None]
    v_mean = (acc * setting.values).sum(-1, keepdims=True) / n_acc[:, None]
    cov = (acc * centred * (setting.values - v_mean)).sum(-1)
    var = (acc * centred * centred).sum(-1)
    slope = jnp.where(var > 0, cov / jnp.where(var > 0, var, 1.0), 0.0)            # (E,)
    shift = expected(logp, log_len) - expected(setting.logp0, log_len)
    return {"mean_length": jnp.mean(expected(logp, world.length.astype(dtype))),
            "density": jnp.mean(expected(logp, density(world).astype(dtype))),
            "lc_value": jnp.mean(policy_value(logp, setting.values) - slope * shift)}
