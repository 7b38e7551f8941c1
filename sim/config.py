"""Validated, frozen, hashable configs and their split into static and swept parts.

Every config in ``sim`` is a frozen dataclass built from :func:`param` fields.
A field either sets a *shape or a branch* (an ``int``, ``str`` or ``bool``:
changing it means a new program, so it is static under ``jax.jit``), or it is a
*number that can be swept* (``sweep=True``): those travel into jitted code as
arrays, so a sweep over them compiles once.

:func:`split` separates the two::

    static, params = split(WorldConfig(coupling=0.9))
    # static: the same config with every swept field set to None (hashable,
    #         equal for all sweep values, so it can be a static jit argument)
    # params: {"coupling": Array(0.9), ...}   (a pytree of 0-d arrays)

Construction validates every field against the range stored in its metadata and
raises :class:`ConfigError` with one line that names the field, the value and
the allowed range.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import jax.numpy as jnp

__all__ = ["ConfigError", "Config", "param", "split", "to_dict", "replace_path", "field_names"]


class ConfigError(ValueError):
    """A config field has a value outside its allowed range (one-line message)."""


def param(
    default: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
    choices: tuple[str, ...] | None = None,
    sweep: bool = False,
    doc: str = "",
):
    """A config field with its allowed range.

    Args:
      default: default value; its type (int, float, str, bool) is the field's type.
      lo, hi: inclusive bounds (exclusive with ``lo_open`` / ``hi_open``).
      choices: allowed strings, for a string field.
      sweep: the field is a number that jitted code receives as an array.
      doc: one line saying what the field is, in the model's words.
    """
    meta = dict(lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open, choices=choices,
                sweep=sweep, doc=doc, kind=type(default))
    if isinstance(default, Config):
        return dataclasses.field(default_factory=lambda: default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _range_text(name: str, m: dict) -> str:
    lo, hi = m["lo"], m["hi"]
    left = "" if lo is None else f"{lo:g} {'<' if m['lo_open'] else '<='} "
    right = "" if hi is None else f" {'<' if m['hi_open'] else '<='} {hi:g}"
    return f"{left}{name}{right}"


class Config:
    """Mixin: validates the fields of a frozen dataclass on construction.

    Subclasses set ``section`` (the prefix used on the command line, e.g.
    ``world`` in ``--set world.coupling=0.9``) and may override
    :meth:`check` for conditions that involve several fields.
    """

    section: ClassVar[str] = "config"

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            m = f.metadata
            if not m:
                continue
            where = f"{self.section}.{f.name}"
            kind = m["kind"]
            if issubclass(kind, Config):
                if not isinstance(value, kind):
                    raise ConfigError(f"{where} must be a {kind.__name__}, got {value!r}")
                continue
            if kind is bool:
                if not isinstance(value, bool):
                    raise ConfigError(f"{where} = {value!r} is not a boolean (allowed: true, false)")
                continue
            if kind is str:
                if value not in m["choices"]:
                    raise ConfigError(
                        f"{where} = {value!r} is not allowed (allowed: {', '.join(m['choices'])})")
                continue
            if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigError(f"{where} = {value!r} is not an integer "
                                  f"(allowed: {_range_text(f.name, m)})")
            if kind is float:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ConfigError(f"{where} = {value!r} is not a number "
                                      f"(allowed: {_range_text(f.name, m)})")
                value = float(value)
                object.__setattr__(self, f.name, value)
            bad = not math.isfinite(value)
            if m["lo"] is not None:
                bad |= value <= m["lo"] if m["lo_open"] else value < m["lo"]
            if m["hi"] is not None:
                bad |= value >= m["hi"] if m["hi_open"] else value > m["hi"]
            if bad:
                raise ConfigError(f"{where} = {value!r} is out of range "
                                  f"(allowed: {_range_text(f.name, m)})")
        self.check()

    def check(self) -> None:
        """Cross-field conditions; raise :class:`ConfigError` on failure."""


def split(config: Config) -> tuple[Config, dict]:
    """Split a config into its static part and a pytree of swept numbers.

    Returns:
      ``(static, params)``: ``static`` is a copy of ``config`` with every swept
      field set to ``None`` (nested configs are split too), hashable and equal
      for all values of the swept fields; ``params`` is a dict mapping each
      swept field (and each nested config's name) to a 0-d float array (or a
      nested dict).
    """
    params: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, Config):
            values[f.name], params[f.name] = split(value)
        elif f.metadata.get("sweep"):
            params[f.name] = jnp.asarray(value, dtype=jnp.result_type(float))
            values[f.name] = None
        else:
            values[f.name] = value
    static = object.__new__(type(config))
    for k, v in values.items():
        object.__setattr__(static, k, v)
    return static, params


def to_dict(config: Config) -> dict:
    """A plain nested dict of the config (for meta.json and hashing)."""
    return dataclasses.asdict(config)


def field_names(config: Config) -> list[str]:
    return [f.name for f in dataclasses.fields(config)]


def _parse(text: str, kind: type, where: str):
    if kind is bool:
        low = text.strip().lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        raise ConfigError(f"{where} = {text!r} is not a boolean (allowed: true, false)")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{where} = {text!r} is not an integer") from None
    if kind is float:
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{where} = {text!r} is not a number") from None
    return text


def replace_path(config: Config, path: str, text: str) -> Config:
    """Return ``config`` with the field at ``section.field`` set from a string.

    ``path`` is ``field`` or ``section.field`` where ``section`` is the top
    config's own section or the name of a nested config field. Raises
    :class:`ConfigError` (one line) for an unknown section or field or a bad value.
    """
    parts = path.split(".")
    if len(parts) == 2 and parts[0] == config.section:
        parts = parts[1:]
    if len(parts) == 2:
        sub_name, name = parts
        sub = getattr(config, sub_name, None)
        if not isinstance(sub, Config):
            sections = [config.section] + [n for n in field_names(config)
                                           if isinstance(getattr(config, n), Config)]
            raise ConfigError(f"--set {path}: unknown section {sub_name!r} "
                              f"(known: {', '.join(sections)})")
        return dataclasses.replace(config, **{sub_name: replace_path(sub, name, text)})
    if len(parts) != 1:
        raise ConfigError(f"--set {path}: expected section.field=value")
    name = parts[0]
    fields = {f.name: f for f in dataclasses.fields(config)}
    if name not in fields or isinstance(getattr(config, name), Config):
        known = [n for n in fields if not isinstance(getattr(config, n), Config)]
        raise ConfigError(f"--set {config.section}.{name}: unknown field {name!r} in section "
                          f"{config.section!r} (known: {', '.join(known)})")
    kind = fields[name].metadata["kind"]
    value = _parse(text, kind, f"{config.section}.{name}")
    return dataclasses.replace(config, **{name: value})
