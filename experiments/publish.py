"""``python -m experiments publish DIR``: the one command that rewrites tracked files.

From a complete default-scale run in ``DIR`` (every experiment at its default config,
seeds and sweep, as ``python -m experiments all`` writes it) it refreshes:

- ``figures/NAME.{pdf,png}``: each experiment's figure;
- ``CLAIMS.md``: the ledger, with results folders named relative to ``DIR``;
- ``figures/report.pdf``: the report;
- the README's verdict line, between its markers.

Every other command writes only under its ``--out`` folder. Exit status 2 when ``DIR``
lacks an experiment or holds a run at another scale (one line naming it).
"""

from __future__ import annotations

import os
from pathlib import Path

from . import ledger, report
from .claims import VERDICTS
from .provenance import REPO
from .results import replace_file

BEGIN = "<!-- verdicts: begin (python -m experiments publish) -->"
END = "<!-- verdicts: end -->"


def verdict_line(rows: list[dict]) -> str:
    """``Verdicts on 28 claims: 5 supported, ...``: the README's line between the markers."""
    counts = {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}
    return (f"Verdicts on {len(rows)} claims: "
            + ", ".join(f"{n} {v}" for v, n in counts.items() if n)
            + ". Every verdict, its effect and CI, and where it fails: [CLAIMS.md](CLAIMS.md).")


def refresh_readme(rows: list[dict], readme: Path) -> bool:
    """Replace the README's verdict line between its markers; False if they are absent."""
    text = readme.read_text()
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        return False
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    replace_file(readme, f"{head}{BEGIN}\n{verdict_line(rows)}\n{END}{tail}")
    return True


def _relative(rows: list[dict], root: Path) -> list[dict]:
    """Rows whose results folders read ``DIR/NAME/<hash>`` as given, never an absolute path
    of the publisher's machine."""
    def rel(folder: str) -> str:
        path = Path(folder)
        inside = path.resolve().is_relative_to(root.resolve())
        tail = path.resolve().relative_to(root.resolve()) if inside else Path(path.name)
        return (Path(root.name) / tail).as_posix()
    return [dict(r, results=" ".join(rel(f) for f in r["results"].split())) for r in rows]


def publish(root: Path, repo: Path = REPO, scale: str = "default") -> list[str]:
    """Refresh the tracked files from the default run in ``root``; returns what was written.
    Raises ValueError (one line) when ``root`` is not a complete default run. (``scale``
    and ``repo`` are for tests: a tiny run published into a copy.)"""
    from sim.spec import registry

    runs = ledger.find_runs(root, scale=scale)
    missing = [n for n in registry() if n not in runs]
    if missing:
        raise ValueError(f"publish {root}: no complete {scale}-scale run of "
                         f"{', '.join(missing)} (run python -m experiments all --out {root})")
    bare = [str(folder) for name, folder in runs.items()
            if not all((folder / f"{name}.{ext}").is_file() for ext in ("pdf", "png"))]
    if bare:   # checked before anything is written: a --no-figures run has the run's name
        raise ValueError(f"publish {root}: {bare[0]} has no figures (a --no-figures run); "
                         f"python -m experiments plot {bare[0]} draws them")
    rows = ledger.compute(runs)
    written = []
    (repo / "figures").mkdir(exist_ok=True)
    for name, folder in runs.items():
        for ext in ("pdf", "png"):
            target = repo / "figures" / f"{name}.{ext}"
            replace_file(target, (folder / f"{name}.{ext}").read_bytes())
            written.append(os.path.relpath(target, repo))
    replace_file(repo / "CLAIMS.md", ledger.markdown(_relative(rows, Path(root))))
    written.append("CLAIMS.md")
    pdf = report.write(Path(root) / "report.pdf", rows, runs)
    replace_file(repo / "figures" / "report.pdf", pdf.read_bytes())
    written.append("figures/report.pdf")
    if refresh_readme(rows, repo / "README.md"):
        written.append("README.md")
    return written


def main(argv) -> int:
    from .options import UsageError, _Parser

    p = _Parser(prog="python -m experiments publish")
    p.add_argument("root", metavar="DIR", help="a folder holding a complete default run (all)")
    args = p.parse_args(argv)
    root = Path(args.root)
    if not root.is_dir():
        raise UsageError(f"publish {args.root}: no such folder")
    try:
        written = publish(root)
    except ValueError as err:
        raise UsageError(str(err)) from None
    print(f"published {root}: rewrote {', '.join(written)}")
    return 0
