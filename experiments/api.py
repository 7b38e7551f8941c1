"""The Python API: run an experiment from a notebook and get its results as a table.

    import experiments
    df, folder = experiments.run("sycophancy", quick=True,
                                 set={"world.coupling": 0.9},
                                 sweep={"annotator.sycophancy": [0.0, 0.3]})
    summary = experiments.load(folder, "summary")

:func:`run` is the command line's run (the same checks, the same results folder
``OUT/NAME/<config hash>/``, the same persistent compilation cache, so a program the
command line compiled is loaded, not compiled again) and returns the tidy rows of
``results.csv`` as a ``pandas.DataFrame`` with the folder. Bad input raises ``ValueError``
with the command line's one-line message. Ctrl-C raises ``KeyboardInterrupt`` as
usual in a notebook; the results folder is then not written.
"""

from __future__ import annotations

import json
from pathlib import Path

TABLES = ("results", "summary")


def _value_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(_value_text(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value!r}" if isinstance(value, float) else str(value)


def arguments(name: str, *, quick=False, tiny=False, seeds=None, set=None, sweep=None,
              variants=None, out="results", base_seed=0, figures=True) -> list[str]:
    """The command line that :func:`run` runs (also what meta.json records)."""
    argv = [name, *(["--quick"] if quick else []), *(["--tiny"] if tiny else []),
            "--out", str(out), "--base-seed", str(base_seed)]
    if seeds is not None:
        argv += ["--seeds", str(seeds)]
    for field, value in (set or {}).items():
        argv += ["--set", f"{field}={_value_text(value)}"]
    for field, values in (sweep or {}).items():
        values = values if isinstance(values, (list, tuple)) else [values]
        argv += ["--sweep", f"{field}={_value_text(list(values))}"]
    if variants is not None:
        argv += ["--variant", ",".join([variants] if isinstance(variants, str) else variants)]
    return argv + ([] if figures else ["--no-figures"])


def run(name: str, *, quick: bool = False, tiny: bool = False, seeds: int | None = None,
        set: dict | None = None, sweep: dict | None = None, variants=None,
        out: str | Path = "results", base_seed: int = 0, figures: bool = True):
    """Run experiment ``name``; returns ``(results DataFrame, results folder)``.

    ``set`` maps ``section.field`` to a value, ``sweep`` to a list of values (a product
    of grids, one program where the values are swept numbers), ``variants`` names a
    subset of the experiment's variants; ``figures=False`` writes the numbers only (a loop
    over settings; ``python -m experiments plot FOLDER`` draws them later). The other
    arguments are the command line's.
    """
    import shlex

    from sim.config import ConfigError
    from sim.spec import registry

    from .options import PROG, UsageError, parser
    from .runner import run_experiment

    specs = registry()
    if name not in specs:
        raise ValueError(f"unknown experiment {name!r} (known: {', '.join(specs)})")
    argv = arguments(name, quick=quick, tiny=tiny, seeds=seeds, set=set, sweep=sweep,
                     variants=variants, out=out, base_seed=base_seed, figures=figures)
    try:
        args = parser(name).parse_args(argv[1:])
        folder = run_experiment(specs[name], args, f"{PROG} {shlex.join(argv)}")
    except (UsageError, ConfigError) as err:
        raise ValueError(str(err)) from None
    return load(folder), folder


def load(folder: str | Path, table: str = "results"):
    """One table of a results folder as a ``pandas.DataFrame``: ``results`` (one row per
    seed and point) or ``summary`` (mean and 95% band over seeds). ``x`` is a number
    (NaN for a scalar row); each swept field is a column of its own; the fields a run set
    without sweeping are in ``df.attrs["meta"]["config"]`` (its meta.json)."""
    import pandas as pd

    if table not in TABLES:
        raise ValueError(f"table = {table!r} is not a table of a run (allowed: "
                         f"{', '.join(TABLES)})")
    path = Path(folder) / f"{table}.csv"
    if not path.is_file():
        raise ValueError(f"{folder}: not a results folder (no {table}.csv in it)")
    df = pd.read_csv(path)
    meta = Path(folder) / "meta.json"
    if meta.is_file():   # the run's config, seeds, command: df.attrs["meta"]["config"]
        df.attrs["meta"] = json.loads(meta.read_text())
    return df
