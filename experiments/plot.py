"""``python -m experiments plot DIR``: redraw a finished run's figures, without rerunning.

It reads ``DIR/summary.csv`` and ``DIR/meta.json`` (the experiment, its config and
sweep), draws the figures with today's figure code (:mod:`experiments.drawing`) and
replaces them in ``DIR`` one file at a time (each whole or not at all). The numbers are
untouched; ``meta.json`` gains the figure code's version and the list of figures.
"""

from __future__ import annotations

import json
from pathlib import Path

from sim.fields import from_dict

from . import drawing, interrupt, ledger
from .provenance import figure_version
from .record import run_folder
from .results import ResultError, replace_file


def spec_of(folder: Path):
    """The spec and config a results folder was run with (from its meta.json)."""
    from sim.spec import registry

    meta = ledger.read_meta(folder)
    specs = registry()
    if meta.get("experiment") not in specs:
        raise ResultError(f"{folder}/meta.json: unknown experiment {meta.get('experiment')!r}")
    spec = specs[meta["experiment"]]
    try:
        config = from_dict(spec.default(), meta["config"])
    except (KeyError, TypeError, ValueError) as err:
        raise ResultError(f"{folder}/meta.json: its config does not fit today's "
                          f"{spec.name} ({err})") from None
    return spec, config, meta


def redraw(folder: Path) -> list[str]:
    """Redraw the figures of the run in ``folder``; returns the file names written."""
    folder = Path(folder)
    spec, config, meta = spec_of(folder)
    summary = ledger.load_summary(folder)
    with interrupt.temporary_folder(prefix="vnsim-figures-") as tmp:
        names = drawing.draw(spec, summary, config, tmp)
        for name in names:
            replace_file(folder / name, (tmp / name).read_bytes())
    meta.update(figures=names, figure_version=figure_version(spec.module))
    replace_file(folder / "meta.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return names


def main(argv) -> int:
    from .options import UsageError, _Parser

    p = _Parser(prog="python -m experiments plot")
    p.add_argument("folder", metavar="DIR", help="a results folder (OUT/NAME/<hash>, "
                   "OUT/NAME/latest, or OUT/NAME for its latest)")
    args = p.parse_args(argv)
    try:
        folder = run_folder(args.folder, "plot")
    except ValueError as err:
        raise UsageError(str(err)) from None
    names = redraw(folder)
    print(f"redrew {folder}/{{{','.join(names)}}}")
    return 0
