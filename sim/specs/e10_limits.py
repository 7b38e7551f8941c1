"""E10, ``limits`` (paper section 6.3: where via negativa fails).

Five failure modes, each a map over two knobs. In every cell five contenders
see the same world, contexts, prior and label streams as in E8
(:func:`sim.specs.e08_hybrid.hybrid_scores`, a budget B split by f):

- ``rule``:   the prior masked by the rule learner's F_n, all B labels rejections (f = 1):
  the ``oracle`` tier, told each rule's exact boundary, the upper bound;
- ``named``:  the prior masked by what the named-rule learner admits (the same B
  rejections, each naming its rule, the rule's extent learned): the fair negative tier;
- ``cost``:   the prior masked by the cost model {c <= 0}, the same B rejections told as flags;
- ``reward``: the tilt pi0 exp(beta r) by the reward model, all B labels comparisons (f = 0);
- ``hybrid``: the best of the fair hybrids, the named-rule learner's mask then the tilt and
  the constrained tilt, at each split f strictly between 0 and 1 (``shares``), chosen per
  seed by value. Choice: a per-seed choice among several hybrids is an upper bound on a
  hybrid whose method and split were tuned (it favours the hybrid slightly). The oracle's
  hybrids (mask-then-tilt with F_n, the rule-based reward) are E8's, not E10's.

The score is the model's full evaluation, ``value`` = E_pi V with V = U -
Lambda 1[unacceptable] (Lambda = ``world.penalty``): safety first, then
helpfulness. Each contender reports ``value``, ``violation_rate``,
``helpfulness`` (E_pi[V | A]), ``regret`` (best acceptable V minus it),
``over_refusal`` (the share of acceptable responses given probability 0) and
``lead`` = its value minus the best value of the other *fair* contenders (``named``,
``cost``, ``reward``, ``hybrid``; :func:`fair_contenders`), per seed: the winner is the
fair contender with ``lead`` > 0, and its CI says by how much (the per-seed maximum over
the others makes the lead conservative). The oracle's ``lead`` is its margin over the
best fair contender: how much telling the boundary is worth, never a verdict's reading.

Maps (method ``<map>_<contender>_<knob value>``, axis ``labels`` B unless said):

- (a) ``noise``: false-flag rate (``false_flags``) x labels. A false flag cuts a
  spurious halfspace; a monotone set cannot un-exclude, so false exclusion only grows.
- (b) ``context``: ``world.context_share`` of the prohibitions read the context,
  g_j(i, c) = 1[w_j . x_i + u_j . c > theta_j] (:mod:`sim.world`), with |u_j|
  (``context_weights``) x labels. The rule learner enforces the context-free
  reading (g_j at c = 0) and so over-refuses acceptable responses, the pattern
  XSTest (Roettger et al., arXiv 2308.01263) finds in chat models.
- (c) ``helpfulness``: the coupling kappa (``couplings``, axis ``coupling``) x the number
  of active prohibitions T (``active``: the first T of ``world.prohibitions``, the rest
  switched off), at the largest budget. Helpfulness that no prohibition specifies: the
  mask converges to the acceptable set, but which acceptable response is best
  needs the positive utility (``regret``).
- (d) ``tail``: the Zipf exponent of the prohibition masses (``zipf_exponents``; the
  total mass is fixed) x labels: a long tail of rare prohibitions.
- (e) ``misses``: the share of rejections that say nothing (``misses``) x labels.

Every other knob is held at the config's value (default: no noise, context
weight 0, all T prohibitions active, equal masses); the boundary the paper
concedes to preferences (helpfulness, tone) is read off map (c).

Variants: ``default`` (every map; E8's linear reward, cost and named-rule models, which
cannot represent the utility's quadratic part, so no learned reward knows
what helps) and ``quadratic`` (map (c) only, ``only = helpfulness``, with
quadratic reward and cost models on the same features: the richest
context-free family, which can represent the context-averaged utility).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from ..config import ConfigError, param
from ..spec import Experiment, Variant
from ..world import WorldConfig, zipf_masses
from .e08_hybrid import HybridConfig, hybrid_scores

__all__ = ["LimitsConfig", "SPEC", "map_names", "contenders", "fair_contenders",
           "contender_tiers", "maps", "hybrid_parts", "with_active", "cells"]


def contenders() -> list[str]:
    """The five signals each map compares: the oracle first, then :func:`fair_contenders`."""
    return ["rule", *fair_contenders()]


def fair_contenders() -> list[str]:
    """The contenders told no more than their labels say (every tier but the oracle)."""
    return ["named", "cost", "reward", "hybrid"]


def contender_tiers() -> dict[str, str]:
    """Each contender's tier ("" for the hybrid: it mixes two signals)."""
    return {"rule": "oracle", "named": "named", "cost": "flag", "reward": "comparison",
            "hybrid": ""}


def hybrid_parts() -> list[str]:
    """The fair hybrids the ``hybrid`` contender chooses among."""
    return ["named_mask_then_tilt", "constrained_tilt"]


def map_names() -> tuple[str, ...]:
    """The five failure modes, in the figure's order (a) to (e)."""
    return ("noise", "context", "helpfulness", "tail", "misses")


def maps(config) -> dict[str, tuple[str, tuple]]:
    """Each map the config draws (``only``): (the config field it sets, its values)."""
    every = {"noise": ("annotator.false_flag", config.false_flags),
             "context": ("world.context_weight", config.context_weights),
             "helpfulness": ("world.coupling", config.couplings),
             "tail": ("world.zipf_exponent", config.zipf_exponents),
             "misses": ("annotator.miss", config.misses)}
    return {k: every[k] for k in map_names() if config.only in ("all", k)}


@dataclasses.dataclass(frozen=True)
class LimitsConfig(HybridConfig):
    """E10: E8's world and learners, and the knobs of the five failure-mode maps."""

    world: WorldConfig = param(WorldConfig(responses=256, prohibitions=32, prohibition_mass=0.03,
                                           mass_law="zipf", zipf_exponent=0.0, context_share=0.5,
                                           context_weight=0.0))
    shares: tuple = param((0.0, 0.5, 1.0), lo=0.0, hi=1.0,
                          doc="f, the share of B spent on rejections (with 0 and 1)")
    false_flags: tuple = param((0.0, 0.1, 0.2, 0.3, 0.5), lo=0.0, hi=1.0,
                               doc="(a) false-flag rates of the rejections")
    context_weights: tuple = param((0.0, 0.5, 1.0, 2.0, 4.0), lo=0.0, hi=100.0,
                                   doc="(b) |u_j| of the context-dependent prohibitions")
    couplings: tuple = param((0.0, 0.3, 0.6, 0.9), lo=0.0, hi=0.99,
                             doc="(c) kappa, the coupling of the utility")
    active: tuple = param((2, 8, 32), lo=1, hi=1 << 14,
                          doc="(c) active prohibitions T (at most world.prohibitions)")
    zipf_exponents: tuple = param((0.0, 0.5, 1.0, 1.5), lo=0.0, hi=8.0,
                                  doc="(d) Zipf exponents of the masses")
    misses: tuple = param((0.0, 0.3, 0.6, 0.9), lo=0.0, hi=1.0,
                          doc="(e) shares of rejections that say nothing")
    only: str = param("all", choices=("all",) + map_names(), doc="draw every map, or only this one")

    def check(self):
        super().check()
        if self.shares[-1] != 1.0 or len(self.shares) < 3:
            raise ConfigError(f"experiment.shares = {self.shares} is out of range (allowed: "
                              "0, at least one share strictly between, and 1)")
        t = self.world.prohibitions
        if max(self.active) > t:
            raise ConfigError(f"experiment.active = {self.active} is out of range "
                              f"(allowed: at most world.prohibitions = {t})")
        if self.world.mass_law != "zipf":
            raise ConfigError(f"world.mass_law = {self.world.mass_law!r} is out of range "
                              "(allowed: zipf, which map (d) sweeps; exponent 0 is uniform)")
        if self.world.context_share == 0.0:
            raise ConfigError("world.context_share = 0.0 is out of range (allowed: > 0, "
                              "which map (b) needs; context_weight 0 is context-free)")
        c = float(zipf_masses(t, self.world.prohibition_mass, max(self.zipf_exponents))[0])
        if c >= 1.0:
            raise ConfigError(f"experiment.zipf_exponents = {self.zipf_exponents} is out of "
                              f"range (allowed: p_1 = c < 1; here c = {c:.3g})")


def with_active(k):
    """World -> World with only the first k halfspace prohibitions (k may be traced)."""
    def adjust(world):
        on = jnp.arange(world.thresholds.shape[0], dtype=jnp.int32) < k
        return world._replace(violates=world.violates & on[None, :],
                              thresholds=jnp.where(on, world.thresholds, jnp.inf))
    return adjust


def _set(params, path, value):
    section, field = path.split(".")
    part = getattr(params, section)
    value = jnp.asarray(value, jnp.result_type(getattr(part, field)))
    return params._replace(**{section: part._replace(**{field: value})})


def cells(static) -> list[tuple[str, str, str, float, int]]:
    """Every map cell: (map, method suffix, knob path, knob value, active T), map-major."""
    t = static.world.prohibitions
    out = []
    for name, (path, values) in maps(static).items():
        if name == "helpfulness":
            out += [(name, f"T{k}", path, v, k) for k in static.active for v in values]
        else:
            out += [(name, f"{v:g}", path, v, t) for v in values]
    return out


def _contenders(grid, static):
    """Per budget: the four contenders' metrics and their leads (module docstring)."""
    n_b, n_f = len(static.budgets), len(static.shares)

    def per_b(name, f):
        return jax.tree.map(lambda a: a.reshape(n_b, n_f)[:, f], grid[name])

    inner = range(1, n_f - 1)
    options = [per_b(name, f) for name in hybrid_parts() for f in inner]
    values = jnp.stack([o["value"] for o in options])                                # (H, B)
    best = jnp.argmax(values, axis=0)
    hybrid = jax.tree.map(lambda *a: jnp.stack(a)[best, jnp.arange(n_b)], *options)
    out = {"rule": per_b("mask", n_f - 1), "named": per_b("named_mask", n_f - 1),
           "cost": per_b("cost_mask", n_f - 1), "reward": per_b("tilt", 0), "hybrid": hybrid}
    fair = fair_contenders()
    scores = jnp.stack([out[c]["value"] for c in fair])                            # (4, B)
    for c in contenders():
        others = jnp.max(jnp.where(jnp.asarray([f == c for f in fair])[:, None], -jnp.inf,
                                   scores), axis=0)
        out[c] = {**out[c], "lead": out[c]["value"] - others}
    return out


def run(key, params, static):
    """One seed of E10: every cell of the five maps, one program (a map over the cells)."""
    methods = ["tilt", "mask", "named_mask", "cost_mask"] + hybrid_parts()
    grid = cells(static)
    stacked = jax.tree.map(lambda *a: jnp.stack(a),
                           *[_set(params, path, v) for _, _, path, v, _ in grid])
    active = jnp.asarray([k for *_, k in grid], jnp.int32)

    def cell(p, k):
        scores, _, _ = hybrid_scores(key, p, static, methods=methods, adjust=with_active(k))
        return _contenders(scores, static)

    # one cell at a time (a scan): the cells of a seed batch never sit in memory together
    per_cell = jax.lax.map(lambda a: cell(*a), (stacked, active))
    out = {}
    for i, (name, suffix, *_) in enumerate(grid):
        for c in contenders():
            at = jax.tree.map(lambda a, i=i: a[i], per_cell[c])
            if name == "helpfulness":   # kappa along the axis, at the largest budget
                out.setdefault(f"{name}_{c}_{suffix}", []).append(at)
            else:
                out[f"{name}_{c}_{suffix}"] = at
    for method, parts in out.items():
        if isinstance(parts, list):
            out[method] = jax.tree.map(lambda *a: jnp.stack(a)[:, -1], *parts)
    return out


def axes(config: LimitsConfig) -> dict:
    labels = ("labels", config.budgets)
    out = {}
    for name, (_, values) in maps(config).items():
        if name == "helpfulness":
            continue
        out.update({f"{name}_{c}_{v:g}": labels for v in values for c in contenders()})
    out.update({f"helpfulness_{c}_T{t}": ("coupling", config.couplings)
                for t in config.active for c in contenders()})
    return out


def quick() -> LimitsConfig:
    return LimitsConfig(world=dataclasses.replace(LimitsConfig().world, responses=128),
                        contexts=4, budgets=(64, 256), front_budget=64, rbr_steps=50)


def tiny() -> LimitsConfig:
    return LimitsConfig(world=WorldConfig(responses=32, prohibitions=4, prohibition_mass=0.1,
                                          mass_law="zipf", zipf_exponent=0.0, context_share=0.5,
                                          context_weight=0.0),
                        contexts=2, budgets=(8, 16), front_budget=16, dual_steps=2, rbr_steps=2,
                        tilt_iters=8, false_flags=(0.3,), context_weights=(2.0,), couplings=(0.9,),
                        active=(2,), zipf_exponents=(1.0,), misses=(0.5,))


def _quadratic(config: LimitsConfig) -> LimitsConfig:
    return dataclasses.replace(
        config, learner=dataclasses.replace(config.learner, family="quadratic"),
        cost=dataclasses.replace(config.cost, family="quadratic"), only="helpfulness")


SPEC = Experiment(
    name="limits", claims=("E10",),
    backend_level=2,  # compiles faster, runs no slower here: measured (docs/performance.md)
    title="where via negativa fails: noise, context, helpfulness, long tails, misses (sec. 6.3)",
    config_type=LimitsConfig, default=LimitsConfig, quick=quick, tiny=tiny, run=run, axes=axes,
    tiers=tuple((rf"[a-z]+_{c}_.+", tier) for c, tier in contender_tiers().items() if tier),
    variants=(Variant("default", doc="the five failure-mode maps, linear reward and cost models"),
              Variant("quadratic", _quadratic,
                      "map (c) with quadratic reward and cost models (both sides the same "
                      "features): a reward family that can represent the context-averaged "
                      "utility")),
)
