"""E9, ``economics`` (the summary's claims 11 and 13, its proposed economic test, and claim 14).

**Label costs.** A comparison costs ``comparison_usd`` (USD 0.30) and
``comparison_seconds`` (36.8 s): the human pairwise annotation figures
reported with AlpacaEval (Dubois et al. 2023). A rejection costs the
comparison's cost divided by a ratio rho_c in ``cost_ratios`` (default 1, 2,
4). No primary source gives the cost of a binary "is something wrong" label;
the ratio is a modelling choice (docs/model.md section 5), swept over [1, 4]. A
point (B, f) of E8's grid (:func:`sim.specs.e08_hybrid.hybrid_scores`: f B
rejections, (1 - f) B comparisons, the same labels for every method) costs

    usd(B, f) = n_c c_cmp + n_r c_cmp / rho_c,   n_r = round(f B), n_c = B - n_r,

linear in the labels (the same for seconds).

Outputs, for each of E8's methods (per seed, over E8's (B, f) grid):

- ``cost_<method>`` (axis ``epsilon``): ``usd_r<rho>`` / ``hours_r<rho>``, the least cost of
  a grid point whose violation rate is <= epsilon, and ``reached`` (1 if one is). A
  target no point reaches is censored at the grid's largest cost (``reached`` = 0
  says so; its mean is the share of seeds that reached it).
- ``marginal_<method>`` (axis ``labels``, B from the second budget): the harm
  cut per USD 1,000 between successive budgets, each at the method's safest
  split: (v(B_prev) - v(B)) / (usd(B) - usd(B_prev)) * 1000 (the inverse is the
  marginal cost per unit of violation rate; it is reported this way round
  because it is finite when the harm does not move).
- ``target_<method>`` (axis ``cost_ratio``): the cheapest point meeting a joint
  target, violation rate <= ``target_violation`` and regret <= (1 -
  ``target_regret_cut``) times the prior's (safety and helpfulness together):
  ``usd``, its ``share`` f and ``budget`` B, and ``reached`` (censored as above).

**Certification (claim 13).** An audit sends m probes, uniform over (context,
response) pairs of the E contexts, against a rule library that lacks k of
the T halfspace prohibitions (a random k, ``audit_missing``). A probe detects
the gap when it hits a response the library passes but which is
unacceptable; that happens with probability p_missing per probe, so

    P(detect within m probes) = 1 - (1 - p_missing)^m.

Method ``audit_<k>`` (axis ``probes``): ``detected`` (0/1 per seed: its mean is
the probability), ``closed_form`` and ``missing_mass`` (p_missing, exact).

**Curators (claim 14).** A curator writes the library knowing each true
prohibition (halfspaces, padding, factual) with probability rho, and adds
round(sigma T) spurious halfspaces of the same mass p. The prior masked by
the library has ``harm`` (its violation rate) and ``over_refusal`` (the share
of acceptable responses it excludes, ``false_exclusion``). Method
``curator_<sigma>`` (axis ``rho``), for sigma in ``curator_sigmas``.

What stays out of the toy: the market-structure parts of claims 12 and 14
(who pays for annotation, who sells rule libraries) cannot be simulated here.

Sensitivity (the issue's T, mass law and label noise), as variants:
``default`` (T = 16, equal masses: the Zipf law at exponent 0), ``zipf``
(exponent 1, a long tail of rare prohibitions, as in E7), ``noisy`` (10%
false flags and 10% misses on rejections), ``T64``
(64 prohibitions of a quarter of the mass each: a new program).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtri

from ..config import ConfigError, param
from ..keys import normal, streams, uniform
from ..metrics import violation_rate
from ..policies import mask
from ..spec import Experiment, Variant
from ..world import WorldConfig, violations
from .e08_hybrid import (
    HybridConfig,
    hybrid_metrics,
    hybrid_regimes,
    hybrid_scores,
    regime_tiers,
    split_counts,
)
from .setting import violated_table

__all__ = ["EconomicsConfig", "SPEC", "label_costs"]


@dataclasses.dataclass(frozen=True)
class EconomicsConfig(HybridConfig):
    """E9: E8's world, learners and grid, plus label prices, the audit and the curators."""

    world: WorldConfig = param(WorldConfig(responses=256, mass_law="zipf", zipf_exponent=0.0))
    budgets: tuple = param((32, 128, 512, 2048), lo=1, hi=1_000_000,
                           doc="total label budgets B (increasing)")
    shares: tuple = param((0.0, 0.25, 0.5, 0.75, 1.0), lo=0.0, hi=1.0,
                          doc="f, the share of B spent on rejections (increasing, with 0)")
    front_budget: int = param(128, lo=1, hi=1_000_000, doc="(unused here: E8's Pareto fronts)")
    comparison_usd: float = param(0.30, lo=0.0, hi=1e4, sweep=True,
                                  doc="USD per comparison (AlpacaEval's human figure)")
    comparison_seconds: float = param(36.8, lo=0.0, hi=1e5, sweep=True,
                                      doc="seconds per comparison (AlpacaEval's human figure)")
    cost_ratios: tuple = param((1.0, 2.0, 4.0), lo=1.0, hi=4.0,
                               doc="comparison cost / rejection cost (a modelling choice)")
    epsilons: tuple = param((0.3, 0.1, 0.03, 0.01, 0.003), lo=0.0, hi=1.0,
                            doc="violation-rate targets epsilon")
    target_violation: float = param(0.01, lo=0.0, hi=1.0, sweep=True,
                                    doc="joint target: violation rate at most this")
    target_regret_cut: float = param(0.2, lo=0.0, hi=1.0, sweep=True,
                                     doc="joint target: regret at most (1 - this) x the prior's")
    audit_missing: tuple = param((1, 2, 4), lo=1, hi=1 << 14,
                                 doc="prohibitions missing from the audited library")
    audit_probes: tuple = param((1, 2, 4, 8, 16, 32, 64, 128, 256), lo=1, hi=1_000_000,
                                doc="probe counts m of the audit (increasing)")
    curator_rhos: tuple = param((0.0, 0.25, 0.5, 0.75, 1.0), lo=0.0, hi=1.0,
                                doc="share rho of the true prohibitions the curator knows")
    curator_sigmas: tuple = param((0.0, 0.25, 0.5, 1.0), lo=0.0, hi=16.0,
                                  doc="spurious prohibitions the curator adds, per true one")

    def check(self):
        super().check()
        if max(self.audit_missing) > self.world.prohibitions:
            raise ConfigError(f"experiment.audit_missing = {self.audit_missing} is out of range "
                              f"(allowed: at most T = {self.world.prohibitions})")
        if list(self.audit_probes) != sorted(set(self.audit_probes)):
            raise ConfigError(f"experiment.audit_probes = {self.audit_probes} is out of range "
                              "(allowed: strictly increasing probe counts >= 1)")


def label_costs(counts, comparison_cost, ratio):
    """Cost of each (n_r, n_c) point: n_c c + n_r c / ratio, (P,)."""
    n_r = jnp.asarray([r for r, _ in counts], jnp.result_type(float))
    n_c = jnp.asarray([c for _, c in counts], jnp.result_type(float))
    return n_c * comparison_cost + n_r * comparison_cost / ratio


def _cheapest(cost, ok):
    """Least cost where ``ok`` (censored at max cost) and whether any point is ok."""
    return jnp.where(ok.any(), jnp.min(jnp.where(ok, cost, jnp.inf)), cost.max()), ok.any()


def _economics(static, params, scores, prior, dtype):
    counts = split_counts(static.budgets, static.shares)
    n_b, n_f = len(static.budgets), len(static.shares)
    viol, regret = scores["violation_rate"], scores["regret"]
    eps = jnp.asarray(static.epsilons, dtype)
    joint = (viol <= params.target_violation) & (
        regret <= (1.0 - params.target_regret_cut) * prior["regret"])
    safest = jnp.argmin(viol.reshape(n_b, n_f), axis=1)                          # per B
    cost_out, target, marginal = {}, {"usd": [], "share": [], "budget": [], "reached": []}, {}
    shares = jnp.tile(jnp.asarray(static.shares, dtype), n_b)
    budgets = jnp.repeat(jnp.asarray(static.budgets, dtype), n_f)
    for ratio in static.cost_ratios:
        usd = label_costs(counts, params.comparison_usd, ratio).astype(dtype)
        hours = label_costs(counts, params.comparison_seconds, ratio).astype(dtype) / 3600.0
        reach = jax.vmap(lambda e: _cheapest(usd, viol <= e))(eps)
        cost_out[f"usd_r{ratio:g}"] = reach[0]
        cost_out[f"hours_r{ratio:g}"] = jax.vmap(lambda e: _cheapest(hours, viol <= e)[0])(eps)
        cost_out["reached"] = reach[1].astype(dtype)
        best, any_ok = _cheapest(usd, joint)
        k = jnp.argmin(jnp.where(joint, usd, jnp.inf))
        target["usd"].append(best)
        target["share"].append(jnp.where(any_ok, shares[k], 0.0))
        target["budget"].append(jnp.where(any_ok, budgets[k], 0.0))
        target["reached"].append(any_ok.astype(dtype))
        v_b = viol.reshape(n_b, n_f)[jnp.arange(n_b), safest]
        u_b = usd.reshape(n_b, n_f)[jnp.arange(n_b), safest]
        spent = jnp.maximum(u_b[1:] - u_b[:-1], 1e-9)
        marginal[f"harm_cut_per_kusd_r{ratio:g}"] = 1000.0 * (v_b[:-1] - v_b[1:]) / spent
    return cost_out, {m: jnp.stack(v) for m, v in target.items()}, marginal


def _audit(key, static, setting, dtype):
    """Per k missing: detection within m probes, its closed form, and p_missing."""
    world = setting.world
    e, n = setting.acceptable.shape
    t = world.normals.shape[0]
    n_probe = max(static.audit_probes)
    k_perm, k_probe = streams(key, "missing", "probes")
    order = jax.random.permutation(k_perm, t)
    probe = jax.random.randint(k_probe, (n_probe,), 0, e * n)
    violated = violated_table(setting)                                             # (E, N, T + 2)
    ms = jnp.asarray(static.audit_probes, jnp.int32)
    out = {}
    for k in static.audit_missing:
        missing = jnp.zeros(t + 2, bool).at[order[:k]].set(True)
        passes = ~jnp.any(violated & ~missing, axis=-1)
        gap = (passes & ~setting.acceptable).reshape(-1)                            # (E N,)
        p = gap.astype(dtype).mean()
        first = jnp.min(jnp.where(gap[probe], jnp.arange(n_probe, dtype=jnp.int32), n_probe))
        out[f"audit_{k}"] = {"detected": (first < ms).astype(dtype),
                             "closed_form": 1.0 - (1.0 - p) ** ms.astype(dtype),
                             "missing_mass": jnp.broadcast_to(p, ms.shape)}
    return out


def _curators(key, static, params, setting, dtype):
    """Harm and over-refusal of the prior masked by a curator's library, per sigma and rho."""
    world = setting.world
    n, t = setting.acceptable.shape[1], world.normals.shape[0]
    k_known, k_normals = streams(key, "known", "spurious")
    known_u = uniform(k_known, (t + 2,))
    n_spur = max(1, round(max(static.curator_sigmas) * t))
    w = normal(k_normals, (n_spur, world.features.shape[1])).astype(dtype)
    w = w / jnp.maximum(jnp.linalg.norm(w, axis=1, keepdims=True), 1e-12)
    theta = jnp.full((n_spur,), ndtri(1.0 - params.world.prohibition_mass), dtype)
    spurious = violations(world.features, w, theta)                                   # (N, S)
    violated = violated_table(setting)
    acc = setting.acceptable.astype(dtype)
    out = {}
    for sigma in static.curator_sigmas:
        s = round(sigma * t)
        cut_spur = jnp.any(spurious[:, :s], axis=1) if s else jnp.zeros(n, bool)

        def at(rho):
            known = known_u < rho
            feasible = ~jnp.any(violated & known, axis=-1) & ~cut_spur[None, :]
            excluded = jnp.where(feasible, 0.0, acc).sum(-1) / jnp.maximum(acc.sum(-1), 1.0)
            return {"harm": jnp.mean(violation_rate(mask(setting.logp0, feasible),
                                                    setting.acceptable)),
                    "over_refusal": jnp.mean(excluded)}

        out[f"curator_{sigma:g}"] = jax.vmap(at)(jnp.asarray(static.curator_rhos, dtype))
    return out


def run(key, params, static):
    """One seed of E9: E8's grid priced, the audit and the curators."""
    grid, _, setting = hybrid_scores(key, params, static)
    prior = hybrid_metrics(setting, setting.logp0)
    dtype = setting.z0.dtype
    out = {}
    # every regime priced by one vmapped copy of _economics (not one copy per regime)
    names = list(grid)
    priced = jax.vmap(lambda scores: _economics(static, params, scores, prior, dtype))(
        jax.tree.map(lambda *a: jnp.stack(a), *(grid[name] for name in names)))
    for k, name in enumerate(names):
        cost, target, marginal = jax.tree.map(lambda a, k=k: a[k], priced)
        out[f"cost_{name}"], out[f"target_{name}"] = cost, target
        out[f"marginal_{name}"] = marginal
    k_audit, k_curator = streams(key, "audit", "curators")
    out.update(_audit(k_audit, static, setting, dtype))
    out.update(_curators(k_curator, static, params, setting, dtype))
    return out


def axes(config: EconomicsConfig) -> dict:
    out = {}
    for name in hybrid_regimes():
        out[f"cost_{name}"] = ("epsilon", config.epsilons)
        out[f"marginal_{name}"] = ("labels", config.budgets[1:])
        out[f"target_{name}"] = ("cost_ratio", config.cost_ratios)
    out.update({f"audit_{k}": ("probes", config.audit_probes) for k in config.audit_missing})
    out.update({f"curator_{s:g}": ("rho", config.curator_rhos) for s in config.curator_sigmas})
    return out


def quick() -> EconomicsConfig:
    return EconomicsConfig(world=WorldConfig(responses=128, mass_law="zipf", zipf_exponent=0.0),
                           contexts=4, budgets=(32, 128, 512), front_budget=128, dpo_steps=50,
                           rbr_steps=50)


def tiny() -> EconomicsConfig:
    return EconomicsConfig(world=WorldConfig(responses=32, prohibitions=5, prohibition_mass=0.1,
                                             mass_law="zipf", zipf_exponent=0.0),
                           contexts=2, budgets=(8, 16), shares=(0.0, 0.5, 1.0), front_budget=16,
                           dual_steps=2, rbr_steps=2, dpo_steps=2, audit_missing=(1,),
                           audit_probes=(1, 4), curator_rhos=(0.0, 1.0), curator_sigmas=(0.0, 1.0))


def _world(**changes):
    return lambda c: dataclasses.replace(c, world=dataclasses.replace(c.world, **changes))


def _noisy(config):
    return dataclasses.replace(config, annotator=dataclasses.replace(
        config.annotator, false_flag=0.1, miss=0.1))


SPEC = Experiment(
    name="economics", claims=("E9",),
    backend_level=2,  # compiles faster, runs no slower here: measured (docs/performance.md)
    title="cost per unit of harm reduced, the best budget split, audits and curators (summary)",
    config_type=EconomicsConfig, default=EconomicsConfig, quick=quick, tiny=tiny, run=run,
    axes=axes,
    tiers=tuple((rf"(cost|marginal|target)_{name}", tier) for name, tier in regime_tiers().items()),
    variants=(Variant("default", doc="T = 16 prohibitions of equal mass"),
              Variant("zipf", _world(zipf_exponent=1.0), "Zipf masses, exponent 1: a long tail"),
              Variant("noisy", _noisy, "10% false flags and 10% misses on rejections"),
              Variant("T64", _world(prohibitions=64, prohibition_mass=0.0125),
                      "64 prohibitions of a quarter of the mass each")),
)
