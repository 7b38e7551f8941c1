"""One shape for every experiment: the spec, its variants and axes, and the batched program.

An experiment (docs/model.md section 6) is one module ``sim/specs/eNN_name.py`` that
defines ``SPEC = Experiment(...)``:

- ``name``, ``claims`` (docs/model.md ids, e.g. ``("E1",)``) and ``title`` (the claim in a line);
- ``config_type``, ``default`` and ``quick`` (functions returning configs),
  ``seeds`` and ``quick_seeds``;
- ``variants``: named *config transforms* (``Variant(name, transform, doc)``),
  never names parsed back;
- ``sweep``: the default sweep, ``(("section.field", (a, b, ...)), ...)``,
  applied on top of every variant (``--sweep`` replaces it);
- ``axes(config) -> {method: (axis, xs)}``: the named x-axis of each method's
  outputs (``labels``, ``beta``, ``n``, ``training_step``, ...) and its values;
  a method not listed is a scalar (axis ``none``);
- ``run(key, params, static) -> {method: {metric: array}}``: one seed, a pure
  function; each array has the shape ``(len(xs),)`` of its method's axis, or ``()``;
- ``tiny`` (optional): the smallest config that runs every branch, for the tests;
- ``backend_level`` (optional): XLA's backend optimisation level for its programs.

:func:`batched` turns ``run`` into ``jit(vmap over sweep points(vmap over seeds))``
and caches it per static config, so sweep points and seeds never recompile
(``TRACES`` counts the traces, for the tests). :func:`registry` finds every
spec module, so a new experiment is one spec module, one figure module
(``experiments/figures/eNN_name.py``) and one test module.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import importlib
import pkgutil
import re
from collections.abc import Callable

import jax

from .config import Config, Static, split, stack_params

__all__ = ["Experiment", "Variant", "batched", "run_configs", "registry", "TRACES", "identity"]

TRACES: collections.Counter = collections.Counter()   # experiment name -> traces of its run


def identity(config: Config) -> Config:
    return config


@dataclasses.dataclass(frozen=True)
class Variant:
    """A named config transform: ``transform(config) -> config``."""

    name: str
    transform: Callable[[Config], Config] = identity
    doc: str = ""


@dataclasses.dataclass(frozen=True)
class Experiment:
    """The spec of one experiment (module docstring)."""

    name: str
    claims: tuple[str, ...]
    title: str
    config_type: type
    default: Callable[[], Config]
    quick: Callable[[], Config]
    run: Callable
    axes: Callable[[Config], dict]
    variants: tuple[Variant, ...] = (Variant("default"),)
    sweep: tuple[tuple[str, tuple], ...] = ()
    seeds: int = 64
    quick_seeds: int = 8
    tiny: Callable[[], Config] | None = None
    module: str = ""
    backend_level: int | None = None
    # ``tiers``: method -> the information its labels carry (``oracle``: told the truth, the
    # named upper bound; ``named``: the rule named, its extent learned; ``flag``: told only
    # that something is wrong; ``comparison``: told which of two is better), as (method,
    # tier) pairs; a method is a regular expression that matches whole names (E8's
    # ``mask_(\d+)``), the first match wins. Rows of a method matched by none (policies
    # mixing signals, laws) carry an empty tier.
    tiers: tuple[tuple[str, str], ...] = ()

    # ``backend_level``: XLA's backend (LLVM) optimisation level for this experiment's
    # programs; None is XLA's default, 3. Level 2 compiles 10-30% faster; it runs most
    # programs as fast, but E2's to E4's and E6's tabular training loops 10-40% slower, so
    # it is set only where whole runs, measured back to back, were faster (docs/performance.md).

    def tiny_config(self) -> Config:
        """The smallest config that runs every branch (for tests); the quick one by default."""
        return (self.tiny or self.quick)()

    def tier(self, method: str) -> str:
        """The tier of a method's rows: that of the first pattern of ``tiers`` matching the
        whole name ("" when none does)."""
        return next((tier for pattern, tier in self.tiers if re.fullmatch(pattern, method)), "")

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)


@functools.lru_cache(maxsize=128)
def batched(experiment: Experiment, static: Static) -> Callable:
    """``f(keys (S,), params with a leading sweep-point axis (P,))`` -> outputs (P, S, ...).

    One compiled program per (experiment, static config): new seeds, sweep
    points and values of swept numbers reuse it.
    """

    def one(key, params):
        return experiment.run(key, params, static)

    def traced(keys, params):
        TRACES[experiment.name] += 1
        over_seeds = jax.vmap(one, in_axes=(0, None))
        return jax.vmap(over_seeds, in_axes=(None, 0))(keys, params)

    return jax.jit(traced)


def run_configs(experiment: Experiment, configs: list, keys: jax.Array) -> dict:
    """Run configs that share a static half as one program: outputs with leading (P, S) axes.

    The library form of what the command line does (tests and notebooks use it)::

        spec = registry()["convergence"]
        out = run_configs(spec, [spec.quick()], seed_keys(0, 4))
        out["rule"]["feasible_fraction"].shape   # (1, 4, K)
    """
    halves = [split(c) for c in configs]
    statics = {s for s, _ in halves}
    if len(statics) != 1:
        raise ValueError("run_configs: the configs differ in static fields (sizes, families); "
                         "run them separately")
    return batched(experiment, statics.pop())(keys, stack_params([p for _, p in halves]))


_MODULE = re.compile(r"e\d\d_[a-z_]+$")


@functools.cache
def registry() -> dict[str, Experiment]:
    """Every experiment: the ``SPEC`` of each ``sim/specs/eNN_*.py``, by name, in id order."""
    from . import specs

    found = {}
    for info in sorted(pkgutil.iter_modules(specs.__path__), key=lambda i: i.name):
        if _MODULE.match(info.name):
            module = importlib.import_module(f"{specs.__name__}.{info.name}")
            spec = dataclasses.replace(module.SPEC, module=info.name)
            found[spec.name] = spec
    return found
