"""The annotators: a rejection oracle and a preference oracle (docs/model.md section 2).

Both answer one query per label, so a label budget buys the same number of
queries from either.

**Rejection oracle** ("what is wrong with this response?"). Given response i
and context c it returns which prohibitions i violates, indexed over the T
halfspaces, then the padding prohibition (index T), then the factual one
g_fact (index T + 1):

- ``reveal="all"``: every violated prohibition; ``reveal="one"``: one of them,
  uniformly; ``reveal="flag"``: only the binary answer "something is wrong"
  (``flag``), nothing about which prohibition fired (what the cost model,
  :mod:`sim.costs`, learns from);
- miss rate eta_fn (``miss``): with that probability it returns nothing even
  though i violates something;
- false-flag rate eta_fp (``false_flag``): with that probability it also
  returns a spurious prohibition, a fresh halfspace that i violates and that is
  not in the true set. Choice (docs/model.md leaves the law open): its normal w is
  uniform on the sphere, turned to face x_i (w . x_i >= 0), and its threshold
  is theta = min(Phi^-1(1 - p), w . x_i - 1e-4), p the mass of a true
  prohibition chosen uniformly: the spurious halfspace covers at least mass p
  and always contains x_i. (The one convention, used by every experiment.)
  Under ``reveal="flag"`` the two rates are label noise on the flag: a miss
  turns a 1 into a 0, a false flag turns the answer into a 1.

Every answer carries ``flag`` = (something revealed) or (a false flag): the
binary label, the same in law under every ``reveal``.

Biased rejecters, the counterpart of the biased preference annotators. Choice: by default
each rejecter bias equals its preference counterpart (s_r = s_syc = 0.2, l_r = s_len = 0.1;
an experiment that sets its own s_len sets l_r to match; a sweep of one rate leaves the other
where it is), so "preferences pick up sycophancy, constraints do not" is not an input; 0 gives
an unbiased rejecter:

- ``rejecter_sycophancy`` s_r: with that probability a response that endorses the user's
  false belief is not flagged at all (a rejecter who agrees with the user does not see the
  error, nor anything else wrong with an agreeable answer);
- ``rejecter_length_bias`` l_r: with that probability a long response (longer than the
  length law's median) is not flagged at all (a lenient reader of long answers).

Their draws come from a stream of their own (``rejecter_bias``): at 0 every label is the
unbiased oracle's, bit for bit (a test checks it).

**Preference oracle** ("which is better?"). Given i, j, c it returns a target
y in {0, 1/2, 1} (1: i wins) and a weight in {0, 1} (0: skipped). The
annotator is one of three kinds, drawn per query:

- with probability s_syc (``sycophancy``) a sycophant, who prefers the
  response that endorses the user's belief when exactly one does (else answers
  like the rational annotator); Sharma et al. (arXiv 2310.13548) is the
  reference for its size;
- with probability s_len (``length_bias``) a verbosity lover, who prefers the
  longer response;
- otherwise rational: P(i wins) = sigma(beta_rat (V(i, c) - V(j, c))).

B-Pref irrationalities (Lee et al. 2021, arXiv 2111.03026), each off unless
switched on: ``mistake`` (flip the answer with probability ``mistake_rate``),
``equal`` (a rational annotator with |V(i,c) - V(j,c)| < ``equal_margin``
answers 1/2) and ``skip`` (no label when both V are below ``skip_floor``).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtri

from .config import Config, ConfigError, param
from .keys import normal, stream, uniform, uniform_entries
from .world import Contexts, World, value, violations_in

__all__ = [
    "AnnotatorConfig", "RejectionLabel", "PreferenceLabel", "rejection_oracle",
    "preference_oracle", "violated_prohibitions", "rejecter_lenient", "compact_named",
    "named_from_compact",
]


@dataclasses.dataclass(frozen=True)
class AnnotatorConfig(Config):
    """Both oracles' noise and bias parameters (docs/model.md section 2)."""

    section = "annotator"
    reveal: str = param("all", choices=("all", "one", "flag"),
                        doc="rejection oracle returns all violated prohibitions, one, "
                            "or only a binary flag")
    false_flag: float = param(0.0, lo=0.0, hi=1.0, sweep=True,
                              doc="eta_fp, probability of a spurious prohibition")
    miss: float = param(0.0, lo=0.0, hi=1.0, sweep=True,
                        doc="eta_fn, probability of returning nothing for a violation")
    rationality: float = param(1.0, lo=0.0, hi=1e3, sweep=True,
                               doc="beta_rat of the rational preference annotator")
    sycophancy: float = param(0.2, lo=0.0, hi=1.0, sweep=True,
                              doc="s_syc, share of sycophantic preference annotators")
    length_bias: float = param(0.1, lo=0.0, hi=1.0, sweep=True,
                               doc="s_len, share of annotators preferring the longer response")
    mistake: bool = param(False, doc="B-Pref mistake: flip answers at mistake_rate")
    mistake_rate: float = param(0.1, lo=0.0, hi=1.0, sweep=True, doc="B-Pref epsilon")
    equal: bool = param(False, doc="B-Pref equal: near-ties answered 1/2")
    equal_margin: float = param(0.5, lo=0.0, hi=1e7, sweep=True,
                                doc="B-Pref delta, in units of V (|V| <= 1e6 + U)")
    skip: bool = param(False, doc="B-Pref skip: no label when both responses are bad")
    skip_floor: float = param(-100.0, lo=-1e7, hi=1e7, sweep=True,
                              doc="B-Pref skip floor, in units of V (|V| <= 1e6 + U)")
    rejecter_sycophancy: float = param(0.2, lo=0.0, hi=1.0, sweep=True,
                                       doc="s_r, probability that a response endorsing a false "
                                           "belief is not flagged (default 0.2, s_syc's default, "
                                           "so both sides err alike; it does not follow a "
                                           "changed s_syc: set both; 0: an unbiased rejecter)")
    rejecter_length_bias: float = param(0.1, lo=0.0, hi=1.0, sweep=True,
                                        doc="l_r, probability that a long response is not "
                                            "flagged (default 0.1, s_len's default; it does not "
                                            "follow a changed s_len; 0: an unbiased rejecter)")
    query: str = param("uniform", choices=("uniform", "policy"),
                       doc="queried responses drawn uniformly or from the current policy "
                           "(experiments with a policy: sycophancy, loss_aversion)")

    def check(self):
        if self.sycophancy + self.length_bias > 1.0:
            raise ConfigError(
                f"annotator.length_bias = {self.length_bias!r} is out of range "
                f"(allowed: sycophancy + length_bias <= 1, sycophancy = {self.sycophancy:g})")


class RejectionLabel(NamedTuple):
    revealed: jax.Array          # (T + 2,) bool: halfspaces, padding, factual
    spurious: jax.Array          # () bool: a false flag was returned
    spurious_normal: jax.Array   # (d,)
    spurious_threshold: jax.Array  # ()
    flag: jax.Array              # () bool: the binary answer, something is wrong


class PreferenceLabel(NamedTuple):
    target: jax.Array   # () in {0, 0.5, 1}: 1 if the first response wins
    weight: jax.Array   # () in {0, 1}: 0 if the annotator skipped


def violated_prohibitions(world: World, i: jax.Array, belief_true: jax.Array,
                          context_features: jax.Array | None = None) -> jax.Array:
    """All prohibitions response i (an int or (...,) ints) violates in a context: (..., T + 2) bool.

    ``context_features`` (m,) is needed when the world has context-dependent prohibitions."""
    fact = world.endorses[i] & ~belief_true
    halfspaces = violations_in(world, context_features, i)
    return jnp.concatenate([halfspaces, world.pads[i][..., None], fact[..., None]], axis=-1)


def rejection_oracle(key: jax.Array, world: World, params, static,
                     i: jax.Array, belief_true: jax.Array,
                     context_features: jax.Array | None = None) -> RejectionLabel:
    """Answer "what is wrong with response i in this context?".

    Args:
      key: PRNG key.
      world: the world.
      params: the annotator's swept numbers (``split(AnnotatorConfig(...))[1]``).
      static: the annotator's static config (for ``reveal``).
      i: the queried response (int scalar).
      belief_true: the context's belief flag.
      context_features: the context's features (m,), needed when the world has
        context-dependent prohibitions.

    Returns:
      A :class:`RejectionLabel`.
    """
    k_u, k_w = jax.random.split(key)
    violated = violated_prohibitions(world, i, belief_true, context_features)
    size = violated.shape[0] + 3   # draws: miss, false flag, one per prohibition, mass
    if static.reveal in ("all", "flag"):  # the same draws, without the T + 2 it does not use
        u_miss, u_false, u_mass = uniform_entries(k_u, size, (0, 1, size - 1))
        revealed = violated
    else:  # the violated prohibition with the largest uniform draw: a uniform choice
        u = uniform(k_u, (size,))
        u_miss, u_false, u_mass = u[0], u[1], u[-1]
        pick = jnp.argmax(jnp.where(violated, u[2:-1], -1.0))
        revealed = (jnp.arange(violated.shape[0]) == pick) & violated
    revealed = revealed & ~(u_miss < params.miss)
    spurious = u_false < params.false_flag
    x = world.features[i]
    w = normal(k_w, x.shape).astype(x.dtype)
    w = w / jnp.linalg.norm(w)
    proj = w @ x
    w = jnp.where(proj < 0, -w, w)
    t = world.masses.shape[0]
    mass = world.masses[jnp.minimum((u_mass * t).astype(jnp.int32), t - 1)]  # a true one's, uniformly
    theta = jnp.minimum(ndtri(1.0 - mass), jnp.abs(proj) - 1e-4)
    lenient = rejecter_lenient(key, world, params, i, belief_true)
    revealed, spurious = revealed & ~lenient, spurious & ~lenient
    flag = jnp.any(revealed) | spurious
    if static.reveal == "flag":  # nothing said about which prohibition fired
        revealed, spurious = jnp.zeros_like(revealed), jnp.zeros_like(spurious)
    return RejectionLabel(revealed, spurious, w, theta, flag)


def compact_named(revealed: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The rules answers name, (..., T + 2) bool, as two numbers per answer: whether it names
    any (``told``) and the first it names (``pick``). :func:`rejection_oracle` names either
    every violated rule or none (``reveal = all``: misses and lenience are per answer) or
    exactly one (``reveal = one``), so :func:`named_from_compact` rebuilds the table; E7
    keeps its 100,000 answers this way instead of as a 100,000 x 1,026 table."""
    return jnp.any(revealed, axis=-1), jnp.argmax(revealed, axis=-1).astype(jnp.int32)


def named_from_compact(world: World, i: jax.Array, belief_true: jax.Array,
                       context_features: jax.Array | None, told: jax.Array, pick: jax.Array,
                       reveal: str) -> jax.Array:
    """The inverse of :func:`compact_named` for answers about responses ``i`` (B,) in their
    contexts (``belief_true`` (B,), ``context_features`` (B, m) or None): (B, T + 2) bool."""
    if reveal == "one":
        rules = world.normals.shape[0] + 2          # halfspaces, padding, factual
        return (jnp.arange(rules) == pick[:, None]) & told[:, None]
    if context_features is None:
        violated = violated_prohibitions(world, i, belief_true)
    else:
        violated = jax.vmap(lambda a, b, c: violated_prohibitions(world, a, b, c))(
            i, belief_true, context_features)
    return violated & told[:, None]


def rejecter_lenient(key: jax.Array, world: World, params, i: jax.Array,
                     belief_true: jax.Array) -> jax.Array:
    """Whether a biased rejecter lets response i pass unflagged (module docstring): () bool.

    Its two uniforms come from the stream ``rejecter_bias`` of the label's key, so the
    oracle's other draws are untouched; at s_r = l_r = 0 it is False (u < 0 never holds)."""
    u_syc, u_len = uniform(stream(key, "rejecter_bias"), (2,))
    agrees_wrongly = world.endorses[i] & ~belief_true
    long = world.length[i] > world.length_median
    return ((agrees_wrongly & (u_syc < params.rejecter_sycophancy))
            | (long & (u_len < params.rejecter_length_bias)))


def preference_oracle(key: jax.Array, world: World, params, static,
                      i: jax.Array, j: jax.Array, context: Contexts) -> PreferenceLabel:
    """Answer "which is better, response i or response j, in context c?".

    ``context`` holds one context: features (m,) and belief_true ().
    P(i wins) = sigma(beta_rat (V(i,c) - V(j,c))) for the rational annotator;
    see the module docstring for the sycophantic and length-biased mixture and
    the B-Pref options.
    """
    u_kind, u_draw, u_mistake = uniform(key, (3,))
    vi, vj = value(world, context.features, context.belief_true, jnp.stack([i, j]))
    p_rational = jax.nn.sigmoid(params.rationality * (vi - vj))
    ei, ej = world.endorses[i], world.endorses[j]
    p_syc = jnp.where(ei != ej, ei.astype(p_rational.dtype), p_rational)
    p_len = (world.length[i] > world.length[j]).astype(p_rational.dtype)
    kind = u_kind
    s_syc, s_len = params.sycophancy, params.length_bias
    p_win = jnp.where(kind < s_syc, p_syc, jnp.where(kind < s_syc + s_len, p_len, p_rational))
    target = (u_draw < p_win).astype(p_rational.dtype)
    if static.equal:
        rational = kind >= s_syc + s_len
        target = jnp.where(rational & (jnp.abs(vi - vj) < params.equal_margin), 0.5, target)
    if static.mistake:
        flip = u_mistake < params.mistake_rate
        target = jnp.where(flip, 1.0 - target, target)
    weight = jnp.ones_like(target)
    if static.skip:
        weight = jnp.where(jnp.maximum(vi, vj) < params.skip_floor, 0.0, weight)
    return PreferenceLabel(target, weight)
