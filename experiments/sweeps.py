"""The ``--sweep`` option's text: ``section.field=a,b,c``, a field and the values it takes
(:func:`experiments.engine.plan` turns the sweeps into programs)."""

from __future__ import annotations

from sim.config import ConfigError
from sim.fields import field_at, replace_path


def parse_sweep(config, text: str) -> tuple[str, tuple]:
    """``section.field=a,b,c`` -> (path, parsed values); refuses grids (tuple fields)."""
    if "=" not in text:
        raise ConfigError(f"--sweep {text}: expected section.field=a,b,c")
    path, values = (t.strip() for t in text.split("=", 1))
    owner, f = field_at(config, path)
    if f.metadata["kind"] is tuple:
        raise ConfigError(f"--sweep {path}: a grid field cannot be swept; set it with --set")
    items = [v.strip() for v in values.split(",")]
    if not any(items):
        raise ConfigError(f"--sweep {path}: no values given (allowed: a,b,c)")
    if not all(items):
        raise ConfigError(f"--sweep {path}={values}: value {items.index('') + 1} is empty "
                          "(allowed: a comma-separated list of numbers, a,b,c)")
    parsed = tuple(getattr(replace_path(owner, f.name, v), f.name) for v in items)
    repeated = [v for k, v in enumerate(parsed) if v in parsed[:k]]
    if repeated:
        raise ConfigError(f"--sweep {path}={values}: {repeated[0]} is given twice "
                          "(allowed: distinct values)")
    return f"{owner.section}.{f.name}", parsed
