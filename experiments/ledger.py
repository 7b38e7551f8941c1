"""The claims ledger: every claim's verdict computed from the results, with provenance.

``python -m experiments claims [--from DIR]`` reads, for every experiment, the newest
complete results folder under DIR (``DIR/NAME/<config hash>/`` with ``summary.csv`` and
``meta.json``; folders whose names start with a dot are unfinished writes and are
skipped), checks each ``summary.csv`` (a corrupt or truncated one is a one-line error
naming the file, never a wrong verdict), applies every claim's rule
(:mod:`experiments.claims`) and writes ``DIR/claims.csv``, ``DIR/claims_cells.csv`` (each
claim's regime map, a row per cell) and ``DIR/CLAIMS.md``, nothing else: ``python -m
experiments publish DIR`` copies a default-scale ledger into the repository
(:mod:`experiments.publish`).

A claim whose experiment has no results, or whose run lacks the setting its rule reads (a
quick run may), gets ``inconclusive`` and says so in ``fails_where``.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import math
from pathlib import Path

from .claims import CLAIMS, TIER_READ, VERDICTS
from .claims.reading import cell_shares
from .ledger_regimes import cell_row, markdown_maps, regime_views, with_regimes
from .results import RESULT_HEAD, SUMMARY_TAIL, ResultError, Summary, csv_text, replace_file

COLUMNS = ("claim_id", "claim", "experiment", "metric", "tier", "reading_point", "effect",
           "ci_low", "ci_high", "verdict", "cells", "fails_where", "rule", "results",
           "config_hash", "commit", "code_version")
CELL_COLUMNS = ("claim_id", "tier", "cell", "effect", "ci_low", "ci_high", "verdict", "p",
                "holm")


def find_runs(root: Path, scale: str | None = None) -> dict[str, Path]:
    """The newest complete results folder of every experiment under ``root`` (by the start
    time its meta.json records); only runs at ``scale`` (``default``, ...) when given."""
    runs = {}
    for exp in sorted(p for p in Path(root).iterdir() if p.is_dir() and p.name[0] != "."):
        done = [d for d in exp.iterdir() if d.is_dir() and d.name[0] != "." and not d.is_symlink()
                and (d / "summary.csv").is_file() and (d / "meta.json").is_file()
                and (scale is None or read_meta(d).get("scale") == scale)]
        if done:
            runs[exp.name] = max(done, key=lambda d: (read_meta(d).get("started", ""),
                                                      (d / "meta.json").stat().st_mtime))
    return runs


def read_meta(folder: Path) -> dict:
    """A results folder's meta.json; a damaged one is one line naming the file."""
    path = folder / "meta.json"
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ResultError(f"{path}: not a readable meta.json ({err})") from None
    if not isinstance(meta, dict):
        raise ResultError(f"{path}: not a readable meta.json (not an object)")
    return meta


def load_summary(folder: Path) -> Summary:
    """Parse ``folder/summary.csv`` after checking it is whole: the header, every row's
    width, finite numbers with ci_low <= mean <= ci_high, a final newline, and the row
    count meta.json records. Any failure is one line naming the file."""
    path = folder / "summary.csv"
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise ResultError(f"{path}: cannot read it ({err})") from None

    def bad(why):
        return ResultError(f"{path}: {why}; rerun the experiment (or `all --force`)")

    if not text.strip():
        raise bad("empty")
    if not text.endswith("\n"):
        raise bad("truncated (the last line is cut off)")
    rows = list(csv.reader(io.StringIO(text)))
    header = tuple(rows[0])
    if header[:2] != RESULT_HEAD or header[-len(SUMMARY_TAIL):] != SUMMARY_TAIL:
        raise bad(f"not a summary.csv (header {','.join(header)[:80]})")
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise bad(f"line {line} has {len(row)} fields, expected {len(header)}")
        try:
            mean, lo, hi = (float(row[header.index(c)]) for c in ("mean", "ci_low", "ci_high"))
            int(row[-1])
        except ValueError:
            raise bad(f"line {line} has a field that is not a number") from None
        if not all(map(math.isfinite, (mean, lo, hi))) or not lo - 1e-9 * abs(lo) <= mean \
                <= hi + 1e-9 * abs(hi):
            raise bad(f"line {line}: mean {mean:g} outside its CI [{lo:g}, {hi:g}] or not "
                      "finite")
    expected = read_meta(folder).get("summary_rows")
    if expected is not None and expected != len(rows) - 1:
        raise bad(f"truncated ({len(rows) - 1} rows, meta.json records {expected})")
    return Summary.parse(text)


def _num(x: float) -> str:
    return "" if x is None or not math.isfinite(x) else f"{x:.6g}"


def configured(meta: dict) -> dict:
    """A run's configured value of every field it sweeps (``section.field`` -> value), read
    from meta.json's config; {} when it cannot be read."""
    try:
        config = meta.get("config", {})
        config = ast.literal_eval(config) if isinstance(config, str) else config
        out = {}
        for field, _ in meta.get("sweep", ()):
            value = config
            for part in field.split("."):
                value = value[part]
            out[field] = value
        return out
    except (ValueError, SyntaxError, KeyError, TypeError):
        return {}


# swept only to map regimes (kappa in E1, the rejecters' sycophancy in E2): read at the
# run's configured value
READ_AT_DEFAULT = ("world.coupling", "annotator.rejecter_sycophancy")


def reading_point(summary: Summary, defaults: dict) -> dict:
    """The pre-registered reading point of the fields swept only to map regimes: the run's
    configured value (``defaults``, from :func:`configured`; else the world's or the
    annotator's default), the nearest point when a run lacks it."""
    from sim.oracles import AnnotatorConfig
    from sim.world import WorldConfig
    base = {"world": WorldConfig(), "annotator": AnnotatorConfig()}
    point = {}
    for c in summary.sweep_cols:
        if c in READ_AT_DEFAULT:
            section, name = c.split(".", 1)
            want = float(defaults.get(c, getattr(base[section], name)))
            point[c] = min(summary.points(c), key=lambda v: abs(float(v) - want))
    return point


def at_defaults(summary: Summary, defaults: dict | None = None) -> Summary:
    """The rows a claim reads: ``summary`` at its :func:`reading_point`."""
    point = reading_point(summary, defaults or {})
    return summary.at(point) if point else summary


def claim_view(folder: Path, point: dict | None = None) -> Summary:
    """A run's summary at its reading point (or at ``point``), with its per-seed values
    attached (the paired statistics of :mod:`experiments.claims.seeds`)."""
    from .claims.seeds import PerSeed
    summary = load_summary(folder)
    if point is None:
        point = reading_point(summary, configured(read_meta(folder)))
    view = summary.at(point) if point else summary
    if (folder / "results.csv").is_file():
        view.per_seed = PerSeed(folder / "results.csv", point)
    return view


def compute(runs: dict[str, Path]) -> list[dict]:
    """One ledger row per claim from the results folders ``runs`` (experiment -> folder),
    each read at its reading point with paired per-seed statistics (:func:`claim_view`)."""
    summaries, metas = {}, {}
    for name, folder in runs.items():
        summaries[name], metas[name] = claim_view(folder), read_meta(folder)
    views = regime_views(runs)
    rows = []
    for c in CLAIMS:
        if c.experiment not in summaries:
            reading = (math.nan, math.nan, math.nan, "inconclusive",
                       f"no results: run python -m experiments {c.experiment}")
        else:
            reading = read_claim(c, summaries)
        effect, lo, hi, verdict, fails, *more = reading
        cells = tuple(more[0]) if more else ()
        verdict, fails, cells = with_regimes(c, summaries, views, verdict, fails, cells)
        assert verdict in VERDICTS, (c.id, verdict)
        used = [e for e in (c.experiment, *c.extra) if e in runs]
        rows.append(dict(
            claim_id=c.id, claim=c.claim, experiment=c.experiment, metric=c.metric,
            tier=TIER_READ[c.id], reading_point=c.setting, setting=c.setting,
            effect=_num(effect), ci_low=_num(lo), ci_high=_num(hi),
            verdict=verdict, cells=cell_shares(cells), map=cells,
            fails_where="; ".join(x for x in (fails, c.reason) if x),
            rule=c.rule, results=" ".join(str(runs[e]) for e in used),
            config_hash=" ".join(metas[e].get("config_hash", "") for e in used),
            commit=" ".join(metas[e].get("git_commit", "") for e in used),
            code_version=" ".join(metas[e].get("code_version", "") for e in used)))
    return rows


def read_claim(claim, summaries) -> tuple:
    """The claim's reading, or an inconclusive one that says which setting the run lacks."""
    try:
        return claim.read(summaries)
    except (KeyError, ValueError, IndexError, TypeError) as err:
        return (math.nan, math.nan, math.nan, "inconclusive",
                f"the run lacks the setting this rule reads ({err}); run the default scale")


def _short(x: str) -> str:
    return f"{float(x):.3g}" if x else ""


def markdown_table(rows: list[dict]) -> str:
    """The ledger as a Markdown table (CLAIMS.md's)."""
    out = ["| id | claim | experiment | effect [95% CI] | verdict | where it fails |",
           "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        ci = f" [{_short(r['ci_low'])}, {_short(r['ci_high'])}]" if r["ci_low"] else ""
        verdict = f"**{r['verdict']}**" + (f" ({r['cells']})" if r.get("cells") else "")
        cells = (r["claim_id"], r["claim"], f"`{r['experiment']}`: {r['metric']} at "
                 f"{r['setting']}", f"{_short(r['effect'])}{ci}", verdict, r["fails_where"])
        out.append("| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in cells)
                   + " |")
    return "\n".join(out)


def scale_note(runs: dict[str, Path]) -> str:
    """"" when every run read is at the default scale; else a line naming the others."""
    other = {name: read_meta(f).get("scale") for name, f in runs.items()}
    other = {name: scale for name, scale in other.items() if scale != "default"}
    return (("Not the pre-registered reading: these runs are not at the default scale (" +
             ", ".join(f"{n}: {s}" for n, s in other.items()) + ").") if other else "")


def markdown(rows: list[dict], note: str = "") -> str:
    counts = {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}
    lines = ["# Claims ledger", "", *([f"**{note}**", ""] if note else []),
             "Computed by `python -m experiments claims` from the results folders below; "
             "no verdict is typed by hand. Verdicts: " + ", ".join(
                 f"{n} {v}" for v, n in counts.items() if n) + ".", "",
             markdown_table(rows), "", "## Rules and provenance", ""]
    maps = markdown_maps(rows)
    for r in rows:
        lines.append(f"- **{r['claim_id']}** rule: {r['rule']}. Results: "
                     f"`{r['results'] or 'none'}` (config {r['config_hash'] or '-'}, commit "
                     f"{r['commit'] or '-'}, code {r['code_version'] or '-'}).")
    return "\n".join(lines) + "\n\n" + maps + "\n"


replace_text = replace_file   # whole or not at all


def write(root: Path, runs: dict[str, Path] | None = None) -> tuple[list[dict], bool]:
    """Compute the ledger from ``runs`` (default: the newest run of each experiment under
    ``root``) and write ``root/claims.csv``, ``root/claims_cells.csv`` (one row per claim and
    cell of its regime map) and ``root/CLAIMS.md``, nothing else; returns
    the rows and whether it was a default-scale ledger (one that ``python -m experiments
    publish`` accepts)."""
    root = Path(root)
    runs = find_runs(root) if runs is None else runs
    rows = compute(runs)
    text_csv = csv_text(COLUMNS, [[r[c] for c in COLUMNS] for r in rows])
    cells_csv = csv_text(CELL_COLUMNS, [cell_row(r["claim_id"], r["map"], k)
                                        for r in rows for k in range(len(r["map"]))])
    for name, text in (("claims.csv", text_csv), ("claims_cells.csv", cells_csv),
                       ("CLAIMS.md", markdown(rows, scale_note(runs)))):
        replace_text(root / name, text)
    return rows, is_default(runs)


def is_default(runs: dict[str, Path]) -> bool:
    """Every experiment present, each at its default scale."""
    from sim.spec import registry
    return set(runs) == set(registry()) and all(
        read_meta(f).get("scale") == "default" for f in runs.values())


def screen(rows: list[dict], root: Path, note: str = "") -> str:
    """The one-screen summary: each claim, its verdict, its effect and the folder read (and
    ``note``, :func:`scale_note`'s line, last)."""
    width = max([len("claim"), *(len(r["claim_id"]) for r in rows)])   # P6.3-separation: 15
    lines = [f"{'claim':<{width}} {'verdict':<27} {'effect [95% CI]':<30} results"]
    for r in rows:
        ci = f" [{_short(r['ci_low'])}, {_short(r['ci_high'])}]" if r["ci_low"] else ""
        folders = " ".join(str(Path(f).relative_to(root)) if Path(f).is_relative_to(root)
                           else f for f in r["results"].split())
        lines.append(f"{r['claim_id']:<{width}} {r['verdict']:<27} "
                     f"{_short(r['effect']) + ci:<30} {folders or '-'}")
    return "\n".join(lines + ([note] if note else []))


def main(argv) -> int:
    """``python -m experiments claims [--from DIR]``."""
    from .options import UsageError, _Parser
    p = _Parser(prog="python -m experiments claims")
    p.add_argument("--from", dest="root", default="results", metavar="DIR",
                   help="the results folder to read (default: results)")
    args = p.parse_args(argv)
    root = Path(args.root)
    if not root.is_dir():
        raise UsageError(f"--from {args.root}: no such folder")
    runs = find_runs(root)
    if not runs:
        raise UsageError(f"--from {args.root}: no complete results in it (run "
                         "python -m experiments all)")
    rows, default = write(root, runs)
    print(screen(rows, root, scale_note(runs)))
    print(f"wrote {root}/claims.csv, {root}/claims_cells.csv and {root}/CLAIMS.md"
          + (f"; a default-scale ledger: python -m experiments publish {root} refreshes the "
             "repository's copy" if default else ""))
    return 0
