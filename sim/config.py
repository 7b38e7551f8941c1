"""Validated, frozen, hashable configs and their split into a static half and typed params.

Every config in ``sim`` is a frozen dataclass built from :func:`param` fields.
A field either sets a *shape or a branch* (an ``int``, ``str``, ``bool`` or a
tuple of numbers such as a grid of betas: changing it means a new program, so
it is static under ``jax.jit``), or it is a *number that can be swept*
(``sweep=True``): those travel into jitted code as arrays, so a sweep over
them compiles once.

:func:`split` separates the two::

    static, params = split(WorldConfig(coupling=0.9))
    static.responses          # 2048: a static field
    static.coupling           # AttributeError: swept, read it from params
    params.coupling           # Array(0.9): a typed pytree (a generated NamedTuple)

``params`` is an instance of :func:`params_type` of the config class: a
``NamedTuple`` with one field per swept number and one per nested config, so
a missing field fails at construction and attribute access replaces string
keys. ``static`` is a :class:`Static`: hashable, equal for all values of the
swept fields, and it holds only what it really has.

Construction validates every field against the range stored in its metadata
and raises :class:`ConfigError` with one line that names the field, the value
and the allowed range. Addressing fields by ``section.field`` (the command line's
``--set``, ``--sweep`` and ``--help``) is :mod:`sim.fields`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, ClassVar, NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["ConfigError", "Config", "Static", "param", "split", "params_type", "to_dict",
           "stack_params", "static_items", "range_text"]


class ConfigError(ValueError):
    """A config field has a value outside its allowed range (one-line message)."""


def param(default: Any, *, lo: float | None = None, hi: float | None = None,
          lo_open: bool = False, hi_open: bool = False, choices: tuple[str, ...] | None = None,
          sweep: bool = False, doc: str = ""):
    """A config field with its allowed range.

    Args:
      default: default value; its type (int, float, str, bool, a tuple of
        numbers, or a nested config) is the field's type.
      lo, hi: inclusive bounds (exclusive with ``lo_open`` / ``hi_open``); for a
        tuple they bound every element.
      choices: allowed strings, for a string field.
      sweep: the field is a number that jitted code receives as an array.
      doc: one line saying what the field is, in the model's words, with the
        reason for its bounds where they are not obvious.
    """
    element = None
    if isinstance(default, tuple):
        element = float if any(isinstance(v, float) for v in default) else int
    meta = dict(lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open, choices=choices,
                sweep=sweep, doc=doc, kind=type(default), element=element)
    if isinstance(default, Config):
        return dataclasses.field(default_factory=lambda: default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _number(x: float) -> str:
    """``1000000`` for an integral bound, ``0.05`` or ``1e-06`` otherwise."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def range_text(name: str, m: dict) -> str:
    """``lo <= name <= hi`` (or the choices) for a field's metadata."""
    if m["kind"] is str:
        return ", ".join(m["choices"])
    if m["kind"] is bool:
        return "true, false"
    lo, hi = m["lo"], m["hi"]
    left = "" if lo is None else f"{_number(lo)} {'<' if m['lo_open'] else '<='} "
    right = "" if hi is None else f" {'<' if m['hi_open'] else '<='} {_number(hi)}"
    text = f"{left}{name}{right}"
    return f"each of {text}" if m["kind"] is tuple else text


def _check_number(value, m, where, name, kind):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            kind is int and not isinstance(value, int)):
        noun = "an integer" if kind is int else "a number"
        raise ConfigError(f"{where} = {value!r} is not {noun} (allowed: {range_text(name, m)})")
    bad = not math.isfinite(value)
    if m["lo"] is not None:
        bad |= value <= m["lo"] if m["lo_open"] else value < m["lo"]
    if m["hi"] is not None:
        bad |= value >= m["hi"] if m["hi_open"] else value > m["hi"]
    if bad:
        raise ConfigError(f"{where} = {value!r} is out of range (allowed: {range_text(name, m)})")
    return float(value) if kind is float else value


class Config:
    """Mixin: validates the fields of a frozen dataclass on construction.

    Subclasses set ``section`` (the prefix used on the command line, e.g.
    ``world`` in ``--set world.coupling=0.9``) and may override
    :meth:`check` for conditions that involve several fields.
    """

    section: ClassVar[str] = "config"

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value, m = getattr(self, f.name), f.metadata
            if not m:
                continue
            where, kind = f"{self.section}.{f.name}", m["kind"]
            if issubclass(kind, Config):
                if not isinstance(value, kind):
                    raise ConfigError(f"{where} must be a {kind.__name__}, got {value!r}")
            elif kind is bool:
                if not isinstance(value, bool):
                    raise ConfigError(f"{where} = {value!r} is not a boolean (allowed: true, false)")
            elif kind is str:
                if value not in m["choices"]:
                    raise ConfigError(
                        f"{where} = {value!r} is not allowed (allowed: {', '.join(m['choices'])})")
            elif kind is tuple:
                if not isinstance(value, (tuple, list)) or not value:
                    raise ConfigError(f"{where} = {value!r} is not a non-empty list of numbers "
                                      f"(allowed: {range_text(f.name, m)})")
                value = tuple(_check_number(v, m, where, f.name, m["element"]) for v in value)
                object.__setattr__(self, f.name, value)
            else:
                object.__setattr__(self, f.name, _check_number(value, m, where, f.name, kind))
        self.check()

    def check(self) -> None:
        """Cross-field conditions; raise :class:`ConfigError` on failure."""


def _is_config_field(f) -> bool:
    kind = f.metadata.get("kind")
    return isinstance(kind, type) and issubclass(kind, Config)


@functools.cache
def params_type(cls: type) -> type:
    """The typed pytree of a config class's swept numbers: a generated ``NamedTuple``
    named ``<Class>Params`` with one field per swept number and per nested config."""
    names = [f.name for f in dataclasses.fields(cls) if f.metadata.get("sweep") or _is_config_field(f)]
    return NamedTuple(f"{cls.__name__.removesuffix('Config')}Params", [(n, Any) for n in names])


class Static:
    """The static half of a config: only the fields that set a shape or a branch.

    Hashable and comparable, so it can be a static argument of ``jax.jit``.
    Reading a swept field raises ``AttributeError`` naming where to read it.
    """

    __slots__ = ("_cls", "_items", "_lookup")

    def __init__(self, cls: type, items: tuple[tuple[str, Any], ...]):
        object.__setattr__(self, "_cls", cls)
        object.__setattr__(self, "_items", items)
        object.__setattr__(self, "_lookup", dict(items))

    def __getattr__(self, name):
        lookup = object.__getattribute__(self, "_lookup")
        if name in lookup:
            return lookup[name]
        cls = object.__getattribute__(self, "_cls")
        if name in {f.name for f in dataclasses.fields(cls)}:
            raise AttributeError(f"{cls.section}.{name} is a swept number: read it from params, "
                                 "not from the static config")
        raise AttributeError(f"{cls.__name__} has no field {name!r}")

    def __setattr__(self, name, value):
        raise AttributeError("a static config is frozen")

    def __hash__(self):
        return hash((self._cls, self._items))

    def __eq__(self, other):
        return isinstance(other, Static) and (self._cls, self._items) == (other._cls, other._items)

    def __repr__(self):
        inner = ", ".join(f"{k}={v!r}" for k, v in self._items)
        return f"Static[{self._cls.__name__}]({inner})"


def static_items(static: Static) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """``(section, ((field, value), ...))`` of a static config (nested ones as :class:`Static`)."""
    return static._cls.section, static._items


def split(config: Config) -> tuple[Static, Any]:
    """Split a config into its :class:`Static` half and its typed params pytree.

    Swept numbers become 0-d float arrays (float32, or float64 under x64).
    """
    items, params = [], {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, Config):
            sub_static, params[f.name] = split(value)
            items.append((f.name, sub_static))
        elif f.metadata.get("sweep"):
            params[f.name] = jnp.asarray(value, dtype=jnp.result_type(float))
        else:
            items.append((f.name, value))
    return Static(type(config), tuple(items)), params_type(type(config))(**params)


def stack_params(points: list) -> Any:
    """Stack the params of several sweep points along a new leading axis."""
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *points)


def to_dict(config: Config) -> dict:
    """A plain nested dict of the config (for meta.json and hashing)."""
    return dataclasses.asdict(config)
