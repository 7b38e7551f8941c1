"""A config's fields addressed by ``section.field``: find, parse, replace, list, rebuild.

What the command line's ``--set``, ``--sweep`` and ``--help`` and a results folder's
``meta.json`` need of a :class:`sim.config.Config`: :func:`field_at` finds the field at a path
(an unknown one is one line, with the likely field suggested), :func:`replace_path` sets it
from a value or a string (parsed and range-checked as at construction), :func:`leaf_fields` and
:func:`field_rows` list every field, and :func:`from_dict` rebuilds a config from
:func:`sim.config.to_dict`'s nested dict.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any

from .config import Config, ConfigError, _is_config_field, range_text

__all__ = ["field_at", "replace_path", "leaf_fields", "field_rows", "from_dict"]


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


def _parse(text: str, m: dict, where: str, whole: dict | None = None):
    """A field's command-line text as its value; ``whole``: the metadata of the list an element
    belongs to (for the error's allowed range)."""
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
        return tuple(_parse(t, dict(m, kind=m["element"]), where, m) for t in items if t)
    if kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            noun = "an integer" if kind is int else "a number"
            allowed = range_text(where.rsplit(".", 1)[-1], whole or m)
            raise ConfigError(f"{where} = {text!r} is not {noun} (allowed: {allowed})") from None
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
