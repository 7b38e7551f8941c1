"""The world: responses, contexts, the coupled utility and the prohibitions.

docs/model.md section 1. Response i = 1..N has latent content x_i ~ N(0, I_d), a
surface flag ``endorses_i`` (it endorses the user's stated belief), a length in
tokens and a number of substantive claims (claims <= length; density =
claims / length). A context c has features in R^m, c ~ N(0, I_m), and a flag
``belief_true(c)`` ~ Bernoulli(belief_true_prob).

Positive side (paper section 2.1, "continuously coupled"):

    U(x, c) = -1/2 (x - mu(c))^T A (x - mu(c)) + density_bonus * density
              + a * endorses * belief_true(c),
    A = (1 - kappa) I + kappa C,    mu(c) = M c,

C a random correlation matrix (C = D^-1/2 G G^T D^-1/2 with G a d x d standard
Gaussian, D = diag(G G^T): SPD with unit diagonal almost surely) and M a d x m
matrix with N(0, 1/m) entries, so mu(c) has unit variance per dimension.
kappa = 0 is the separable control: then each dimension's ideal value does not
depend on the others.

Negative side (paper section 2.2, "discrete, independent, verifiable"):

    g_j(i) = 1[w_j . x_i > theta_j],  w_j uniform on the sphere,
    theta_j = Phi^-1(1 - p_j),        so P(g_j = 1) = p_j exactly,

with p_j ~ Uniform[p - s, p + s] (``prohibition_mass`` p, ``prohibition_mass_spread``
s; p = 0.5, s = 0 gives central cuts), or, with ``mass_law = zipf``, a long
tail p_j = c j^-a for j = 1..T (``zipf_exponent`` a), c = T p / sum_j j^-a so
the total mass T p is that of the uniform law; refused when p_1 = c >= 1.
(Masses below float precision make a prohibition that never fires.) Two more prohibitions: the padding
prohibition pads(i) = 1[density_i < padding_floor] (off at floor 0) and the
factual one g_fact(i, c) = endorses_i AND NOT belief_true(c).

Context-dependent prohibitions (E10 (b), off by default): with
``context_share`` s > 0 the first round(s T) halfspaces also read the context,

    g_j(i, c) = 1[w_j . x_i + u_j . c > theta_j],   u_j = ``context_weight`` v_j / |v_j|,

v_j ~ N(0, I_m), and theta_j = Phi^-1(1 - p_j) sqrt(1 + |u_j|^2), so that
P(g_j = 1) = p_j still (w_j . x + u_j . c ~ N(0, 1 + |u_j|^2)). ``violates``
then holds the *context-free reading* of each prohibition: the halfspace of
the same direction and the same mass, 1[w_j . x_i > Phi^-1(1 - p_j)]. Choice:
that is the rule a learner who cannot represent the context fits to the rate
at which g_j fires (the rule learner enforces it); it over-excludes the
responses the prohibition allows in this context (where u_j . c is low: the
over-refusal XSTest finds) and under-excludes where u_j . c is high. With
s = 0 (the default) the world is today's, draw for draw: u_j comes from its
own stream and is not drawn at all.

Response i is unacceptable in c when any prohibition fires; the full human evaluation is

    V(i, c) = U(x_i, c) - Lambda * 1[i unacceptable in c].

a (``agree_value``, in U: docs/model.md section 1) is the worth of agreeing with a user who
is right, so the prior, which knows U, agrees a little more with users who are right. Without it (a = 0)
the world gives nothing for agreement, so a policy that never agrees with anyone scores
perfectly on sycophancy and loses nothing: the factual prohibition (do not endorse a false
belief) could then be met by never endorsing. Choice: a = 1 by default, about a quarter of
the spread of U over responses at the default sizes (sd of U ~ 4 with d = 8): agreement
with a true belief is worth something, less than getting the content right.

Choice (docs/model.md leaves it open): Lambda (``penalty``) defaults to 1000, far
above the spread of U at the default sizes, so every unacceptable response is
worse than every acceptable one (a test checks this for the default world).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtri

from .config import Config, ConfigError, param, split
from .keys import normal, stream, uniform
from .prohibitions import needs_context, violations, violations_in, zipf_masses
from .shared import shared

__all__ = [
    "WorldConfig", "World", "Contexts", "make_world", "sample_world", "sample_contexts", "utility",
    "value", "unacceptable", "acceptable", "density", "violations", "violations_in", "zipf_masses",
]


@dataclasses.dataclass(frozen=True)
class WorldConfig(Config):
    """Sizes and parameters of the synthetic world (docs/model.md section 1)."""

    section = "world"
    responses: int = param(2048, lo=2, hi=1 << 22, doc="N, the number of responses")
    latent_dims: int = param(8, lo=1, hi=512, doc="d, latent content dimensions")
    context_dims: int = param(4, lo=1, hi=512, doc="m, context feature dimensions")
    prohibitions: int = param(16, lo=1, hi=1 << 14, doc="T, context-free halfspace prohibitions")
    prohibition_mass: float = param(0.05, lo=0.0, hi=1.0, lo_open=True, hi_open=True, sweep=True,
                                    doc="p, mean mass covered by one prohibition (0.5: central cuts)")
    prohibition_mass_spread: float = param(0.0, lo=0.0, hi=0.5, sweep=True,
                                           doc="s, p_j ~ Uniform[p - s, p + s]")
    mass_law: str = param("uniform", choices=("uniform", "zipf"),
                          doc="how prohibition masses are drawn (zipf: p_j = c j^-a)")
    zipf_exponent: float = param(1.0, lo=0.0, hi=8.0, sweep=True,
                                 doc="a of the zipf mass law (0: every p_j = p)")
    coupling: float = param(0.5, lo=0.0, hi=1.0, hi_open=True, sweep=True,
                            doc="kappa, coupling of the utility's dimensions (0: separable)")
    penalty: float = param(1000.0, lo=0.0, hi=1e6, sweep=True,
                           doc="Lambda, the value lost by an unacceptable response "
                               "(<= 1e6: values stay exact enough in float32)")
    density_bonus: float = param(0.0, lo=0.0, hi=1e3, sweep=True,
                                 doc="weight of density in U (<= 1e3: U stays dominated by "
                                     "content at the default scale)")
    padding_floor: float = param(0.0, lo=0.0, hi=1.0, sweep=True,
                                 doc="density below this is prohibited (0: no padding prohibition)")
    endorse_prob: float = param(0.5, lo=0.0, hi=1.0, sweep=True,
                                doc="P(endorses_i = 1)")
    belief_true_prob: float = param(0.5, lo=0.0, hi=1.0, sweep=True,
                                    doc="P(belief_true(c) = 1)")
    agree_value: float = param(1.0, lo=0.0, hi=1e3, sweep=True,
                               doc="a, the utility of endorsing a belief that is true "
                                   "(0: agreeing is worth nothing, and never agreeing is free)")
    length_median: float = param(200.0, lo=1.0, hi=1e5, sweep=True,
                                 doc="median length in tokens")
    length_sigma: float = param(0.5, lo=0.0, hi=3.0, sweep=True,
                                doc="log-sd of the length (<= 3: lengths span e^+-15 at most)")
    claims_median: float = param(20.0, lo=1e-2, hi=1e5, sweep=True,
                                 doc="median number of substantive claims before the cap")
    claims_sigma: float = param(0.5, lo=0.0, hi=3.0, sweep=True,
                                doc="log-sd of the claims (<= 3: density stays above 1e-20)")
    context_share: float = param(0.0, lo=0.0, hi=1.0,
                                 doc="share of the halfspace prohibitions that also read the "
                                     "context (0: none, today's world)")
    context_weight: float = param(1.0, lo=0.0, hi=100.0, sweep=True,
                                  doc="|u_j|, the weight of the context in a context-dependent "
                                      "prohibition (used when context_share > 0)")

    def check(self):
        p, s = self.prohibition_mass, self.prohibition_mass_spread
        if self.mass_law == "zipf":
            if s != 0.0:
                raise ConfigError(f"world.prohibition_mass_spread = {s!r} is out of range "
                                  "(allowed: 0 when mass_law = zipf)")
            c = zipf_masses(self.prohibitions, p, self.zipf_exponent)[0]
            if c >= 1.0:
                raise ConfigError(
                    f"world.zipf_exponent = {self.zipf_exponent!r} is out of range (allowed: "
                    f"p_1 = c < 1; here c = {c:.3g} for T = {self.prohibitions}, p = {p:g})")
            return
        if not (0.0 < p - s and p + s < 1.0):
            raise ConfigError(
                f"world.prohibition_mass_spread = {s!r} is out of range "
                f"(allowed: 0 <= prohibition_mass_spread < min(p, 1 - p) = {min(p, 1 - p):g})")


class World(NamedTuple):
    """One sampled world (a pytree; leading seed axis under vmap)."""

    features: jax.Array      # (N, d) latent content x_i
    endorses: jax.Array      # (N,) bool, endorses the user's stated belief
    length: jax.Array        # (N,) float, tokens
    claims: jax.Array        # (N,) float, substantive claims, <= length
    violates: jax.Array      # (N, T) bool, g_j(i) for the context-free halfspaces
    pads: jax.Array          # (N,) bool, the padding prohibition
    normals: jax.Array       # (T, d) w_j, unit norm
    thresholds: jax.Array    # (T,) theta_j = Phi^-1(1 - p_j) (sqrt(1 + |u_j|^2) times that)
    masses: jax.Array        # (T,) p_j
    metric: jax.Array        # (d, d) A = (1 - kappa) I + kappa C
    context_map: jax.Array   # (d, m) M, mu(c) = M c
    penalty: jax.Array       # () Lambda
    density_bonus: jax.Array  # ()
    belief_true_prob: jax.Array  # ()
    agree_value: jax.Array | float = 0.0  # () a, the utility of agreeing with a true belief
    length_median: jax.Array | float = 200.0  # () the law's median length: "long" is above it
    context_normals: jax.Array | None = None  # (T, m) u_j; None: every prohibition context-free


class Contexts(NamedTuple):
    """A batch of contexts: features (..., m) and belief_true (...,) bool."""

    features: jax.Array
    belief_true: jax.Array


def _random_correlation(g: jax.Array) -> jax.Array:
    d = g.shape[0]
    s = g @ g.T + 1e-6 * jnp.eye(d)
    inv = 1.0 / jnp.sqrt(jnp.diag(s))
    c = s * inv[:, None] * inv[None, :]
    return 0.5 * (c + c.T)


@shared
def sample_world(key: jax.Array, params, static) -> World:
    """Sample a world from its typed params and static config (``split(WorldConfig(...))``).

    The form to use inside jitted code; :func:`make_world` is the convenient one.
    """
    n, d, m, t = static.responses, static.latent_dims, static.context_dims, static.prohibitions
    # Two draws sliced into parts (few random calls keep compile times short).
    k_normal, k_uniform = jax.random.split(key)
    sizes = (n * d, n, n, t * d, d * d, d * m)
    z = jnp.split(normal(k_normal, (sum(sizes),)), np.cumsum(sizes)[:-1])
    u_endorse, u_mass = jnp.split(uniform(k_uniform, (n + t,)), [n])
    x = z[0].reshape(n, d)
    endorses = u_endorse < params.endorse_prob
    length = params.length_median * jnp.exp(params.length_sigma * z[1])
    claims = jnp.minimum(params.claims_median * jnp.exp(params.claims_sigma * z[2]), length)
    w = z[3].reshape(t, d)
    w = w / jnp.linalg.norm(w, axis=1, keepdims=True)
    p, s = params.prohibition_mass, params.prohibition_mass_spread
    if static.mass_law == "zipf":
        masses = zipf_masses(t, p, params.zipf_exponent, jnp)
    else:
        masses = p + s * (2.0 * u_mass - 1.0)
    theta = ndtri(1.0 - masses)
    u = None
    if static.context_share > 0.0:   # its own stream: the draws above do not change
        dependent = jnp.arange(t) < round(static.context_share * t)
        v = normal(stream(key, "context_prohibitions"), (t, m))
        u = jnp.where(dependent[:, None], params.context_weight, 0.0) * v / jnp.maximum(
            jnp.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    kappa = params.coupling
    metric = (1.0 - kappa) * jnp.eye(d) + kappa * _random_correlation(z[4].reshape(d, d))
    context_map = z[5].reshape(d, m) / jnp.sqrt(m)
    return World(
        features=x, endorses=endorses, length=length, claims=claims,
        violates=violations(x, w, theta), pads=claims / length < params.padding_floor,
        normals=w, thresholds=theta if u is None else theta * jnp.sqrt(1.0 + jnp.sum(u * u, 1)),
        masses=masses, metric=metric, context_map=context_map,
        penalty=params.penalty, density_bonus=params.density_bonus,
        belief_true_prob=params.belief_true_prob, agree_value=params.agree_value,
        length_median=params.length_median,
        context_normals=u,
    )


def make_world(key: jax.Array, config: WorldConfig | None = None) -> World:
    """Sample a world (jitted; one compile per static config).

    Args:
      key: a JAX PRNG key.
      config: the world's config (default ``WorldConfig()``).

    Returns:
      A :class:`World`. Example::

        world = make_world(jax.random.key(0), WorldConfig(responses=512))
        world.violates.mean(0)   # ~ p_j for each prohibition
    """
    static, params = split(WorldConfig() if config is None else config)
    return _sample_world_jit(key, params, static)


_sample_world_jit = jax.jit(sample_world, static_argnums=2)


@shared
def sample_contexts(key: jax.Array, world: World, n: int) -> Contexts:
    """n contexts: features ~ N(0, I_m), belief_true ~ Bernoulli(belief_true_prob)."""
    m = world.context_map.shape[1]
    z = normal(key, (n, m + 1))
    return Contexts(z[:, :m], z[:, m] < ndtri(world.belief_true_prob))


def density(world: World) -> jax.Array:
    """claims / length, in (0, 1]: (N,)."""
    return world.claims / world.length


def utility(world: World, context_features: jax.Array, belief_true: jax.Array,
            idx: jax.Array | None = None) -> jax.Array:
    """U(x_i, c) for every response (or the responses ``idx``) in one context c (m,).

    U = -1/2 (x - M c)^T A (x - M c) + density_bonus * density
        + agree_value * endorses * belief_true(c).
    """
    x, dens, endorses = world.features, density(world), world.endorses
    if idx is not None:
        x, dens, endorses = x[idx], dens[idx], endorses[idx]
    diff = x - world.context_map @ context_features
    quad = jnp.einsum("...d,de,...e->...", diff, world.metric, diff)
    u = -0.5 * quad + world.density_bonus * dens
    return u + jnp.where(endorses & belief_true, world.agree_value, 0.0).astype(u.dtype)


def unacceptable(world: World, belief_true: jax.Array, idx: jax.Array | None = None,
                 context_features: jax.Array | None = None) -> jax.Array:
    """1[some prohibition fires] for every response (or ``idx``) in one context: bool.

    ``context_features`` (m,) is needed (and only read) when the world has
    context-dependent prohibitions.
    """
    endorses = world.endorses if idx is None else world.endorses[idx]
    if needs_context(world, context_features):
        pads = world.pads if idx is None else world.pads[idx]
        fires = jnp.any(violations_in(world, context_features, idx), axis=-1) | pads
        return fires | (endorses & ~belief_true)
    # the context-free part is reduced over the whole pool first: under a vmap over
    # queries it does not depend on the query, so it is computed once, not gathered
    # as an (n, T) table (E7's 100,000 comparisons)
    context_free = jnp.any(world.violates, axis=-1) | world.pads
    if idx is not None:
        context_free = context_free[idx]
    return context_free | (endorses & ~belief_true)


def acceptable(world: World, belief_true: jax.Array,
               context_features: jax.Array | None = None) -> jax.Array:
    """The acceptable set A(c) as a mask: (N,) bool."""
    return ~unacceptable(world, belief_true, None, context_features)


def value(world: World, context_features: jax.Array, belief_true: jax.Array,
          idx: jax.Array | None = None) -> jax.Array:
    """V(i, c) = U(x_i, c) - Lambda 1[i unacceptable in c] for every response (or ``idx``)."""
    bad = unacceptable(world, belief_true, idx, context_features)
    return utility(world, context_features, belief_true, idx) - jnp.where(bad, world.penalty, 0.0)
