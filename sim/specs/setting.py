"""The policy setting shared by the policy experiments (E2 to E5, E8): a world,
E training contexts, the prior pi0 in each, and the policy metrics they all report."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..keys import streams
from ..metrics import kl_to_prior, policy_value, sycophancy_rate, violation_rate
from ..policies import prior_logits
from ..world import Contexts, World, sample_contexts, sample_world, unacceptable, value

__all__ = ["PolicySetting", "policy_setting", "setting_metrics"]


class PolicySetting(NamedTuple):
    """A world, E training contexts and the prior in each of them."""

    world: World
    contexts: Contexts
    z0: jax.Array          # (E, N) prior logits
    logp0: jax.Array       # (E, N) log pi0
    acceptable: jax.Array  # (E, N) bool, A(c)
    values: jax.Array      # (E, N) V(i, c)


def policy_setting(key: jax.Array, params, static, n_contexts: int) -> PolicySetting:
    """Sample the world (stream ``world``), the contexts (``contexts``) and the prior's
    noise (``prior``). ``params`` / ``static`` are an experiment config's halves with
    ``world`` and ``policy`` sections."""
    k_world, k_ctx, k_prior = streams(key, "world", "contexts", "prior")
    world = sample_world(k_world, params.world, static.world)
    ctx = sample_contexts(k_ctx, world, n_contexts)
    z0 = jax.vmap(lambda c: prior_logits(k_prior, world, params.policy, c))(ctx.features)
    acceptable = ~jax.vmap(lambda b: unacceptable(world, b))(ctx.belief_true)
    values = jax.vmap(lambda c, b: value(world, c, b))(ctx.features, ctx.belief_true)
    return PolicySetting(world, ctx, z0, jax.nn.log_softmax(z0, axis=-1), acceptable, values)


def setting_metrics(setting: PolicySetting, logp: jax.Array) -> dict[str, jax.Array]:
    """The policy metrics every policy experiment reports, for (E, N) log-probabilities:
    ``sycophancy_rate``, and the means over contexts of ``violation_rate``, ``value``
    and ``kl_to_prior``."""
    return {"sycophancy_rate": sycophancy_rate(logp, setting.world.endorses,
                                               setting.contexts.belief_true),
            "violation_rate": jnp.mean(violation_rate(logp, setting.acceptable)),
            "value": jnp.mean(policy_value(logp, setting.values)),
            "kl_to_prior": jnp.mean(kl_to_prior(logp, setting.logp0))}
