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
and the allowed range.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
from typing import Any, ClassVar, NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["ConfigError", "Config", "Static", "param", "split", "params_type", "to_dict",
           "replace_path", "field_at", "field_rows", "stack_params", "static_items",
           "leaf_fields"]


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


def from_dict(config: Config, values: dict) -> Config:
    """``config`` with every field taken from ``values`` (the nested dict of :func:`to_dict`,
    as meta.json stores it: lists for tuples); each value is checked as a ``--set`` is."""
    changes = {}
    for f in dataclasses.fields(config):
        current = getattr(config, f.name)
        if isinstance(current, Config):
            changes[f.name] = from_dict(current, values[f.name])
        else:
            value = values[f.name]
            changes[f.name] = tuple(value) if isinstance(current, tuple) else value
    return dataclasses.replace(config, **changes)


def _parse(text: str, m: dict, where: str):
    kind = m["kind"]
    if kind is bool:
        low = text.strip().lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        raise ConfigError(f"{where} = {text!r} is not a boolean (allowed: true, false)")
    if kind is tuple:
        items = [t.strip() for t in text.split(",")]
        if "" in items and any(items):
            raise ConfigError(f"{where} = {text!r}: value {items.index('') + 1} is empty "
                              "(allowed: a comma-separated list, a,b,c)")
        return tuple(_parse(t, dict(m, kind=m["element"]), where) for t in items if t)
    if kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            noun = "an integer" if kind is int else "a number"
            raise ConfigError(f"{where} = {text!r} is not {noun}") from None
    return text.strip()


def field_at(config: Config, path: str) -> tuple[Config, dataclasses.Field]:
    """The config that owns the field at ``section.field`` (or ``field``), and the field.

    ``section`` is the top config's own section or the name of a nested config.
    Raises :class:`ConfigError` (one line) for an unknown section or field.
    """
    parts = path.split(".")
    if len(parts) == 2 and parts[0] == config.section:
        parts = parts[1:]
    if len(parts) == 2:
        sub = getattr(config, parts[0], None)
        if not isinstance(sub, Config):
            sections = [config.section] + [f.name for f in dataclasses.fields(config)
                                           if _is_config_field(f)]
            raise ConfigError(f"{path}: unknown section {parts[0]!r} (known: {', '.join(sections)})")
        return field_at(sub, parts[1])
    if len(parts) != 1:
        raise ConfigError(f"{path}: expected section.field")
    fields = {f.name: f for f in dataclasses.fields(config) if not _is_config_field(f)}
    if parts[0] not in fields:
        raise ConfigError(f"{config.section}.{parts[0]}: unknown field {parts[0]!r} in section "
                          f"{config.section!r}{_suggestion(config, parts[0], fields)} "
                          f"(known: {', '.join(fields)})")
    return config, fields[parts[0]]


def _suggestion(config: Config, name: str, fields: dict) -> str:
    """``; did you mean world.coupling?``: the field of that name in a nested section, else
    the closest name in this one; "" when nothing is close."""
    nested = [f"{getattr(config, f.name).section}.{name}" for f in dataclasses.fields(config)
              if _is_config_field(f) and name in {g.name for g in
                                                  dataclasses.fields(getattr(config, f.name))}]
    close = difflib.get_close_matches(name, list(fields), n=1)
    guess = nested[0] if nested else f"{config.section}.{close[0]}" if close else ""
    return f"; did you mean {guess}?" if guess else ""


def replace_path(config: Config, path: str, value: Any) -> Config:
    """``config`` with the field at ``section.field`` set to ``value`` (a string is parsed).

    Raises :class:`ConfigError` (one line) for an unknown field or a bad value.
    """
    owner, f = field_at(config, path)
    if isinstance(value, str):
        value = _parse(value, f.metadata, f"{owner.section}.{f.name}")
    parts = path.split(".")
    if len(parts) == 2 and parts[0] != config.section:
        sub = getattr(config, parts[0])
        return dataclasses.replace(config, **{parts[0]: replace_path(sub, parts[1], value)})
    return dataclasses.replace(config, **{parts[-1]: value})


def leaf_fields(config: Config) -> list[tuple[str, dataclasses.Field, Any]]:
    """``(section.field, field, value)`` for every field, nested configs' fields after the
    top config's own (the order of ``--help``)."""
    rows, nested = [], []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, Config):
            nested.append(value)
        else:
            rows.append((f"{config.section}.{f.name}", f, value))
    for sub in nested:
        rows += leaf_fields(sub)
    return rows


def field_rows(config: Config) -> list[tuple[str, str, str, str]]:
    """(``section.field``, default, allowed range, doc) for every field, nested ones included."""
    rows = []
    for path, f, value in leaf_fields(config):
        shown = ",".join(f"{v:g}" for v in value) if isinstance(value, tuple) else (
            str(value).lower() if isinstance(value, bool) else f"{value:g}"
            if isinstance(value, float) else str(value))
        doc = f.metadata.get("doc", "") + (" [swept]" if f.metadata.get("sweep") else "")
        rows.append((path, shown, range_text(f.name, f.metadata), doc))
    return rows
