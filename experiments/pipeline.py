"""``python -m experiments all``: every experiment, the claims ledger and the report.

It runs the ten experiments in order at their default (or ``--quick``/``--tiny``)
configuration (in one process, or ``--jobs`` processes at once), then writes the ledger
(:mod:`experiments.ledger`) and the report (:mod:`experiments.report`) into ``--out``, and
ends with one screen: each claim, its verdict and the folder it was read from.

- **Resumable.** An experiment whose folder ``OUT/NAME/<config hash>`` exists, whole, with
  the same code version (:func:`experiments.provenance.numbers_version`) is reused, not rerun
  (its figures redrawn if only the figure code changed);
  ``--force`` reruns it.
- **Kill-safe.** Each folder appears whole or not at all (written under a dot-name and
  renamed into place), so a run killed at any moment, even by SIGKILL, leaves no partial
  folder; the next ``all`` removes the dot-named leftovers and runs what did not finish.
  Do not run two ``all`` on one ``--out`` at once.
- **Visible.** A progress line (the experiments running, how many are done, the time), and
  each experiment's own summary and headline (:mod:`experiments.headline`) as it finishes:
  a few hundred lines for the ten, before the ledger's screen.
- **Parallel.** ``--jobs N`` runs N experiments at once, each in its own process
  (:mod:`experiments.parallel`); the default is one per core, at most 8 (on two cores
  ``all --tiny`` took 188 s two at a time against 252 s one at a time, the same numbers).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from pathlib import Path

from . import cache, devices, ledger, memory, parallel, plot, report, traces
from .options import PROG, UsageError, _Parser, integer, parser
from .provenance import dirty_note, figure_version, numbers_version
from .results import ResultError
from .runner import Progress, _check_out, identity, run_experiment


def _parser() -> _Parser:
    p = _Parser(prog=f"{PROG} all", add_help=False)
    p.add_argument("--quick", action="store_true", help="every experiment's quick config")
    p.add_argument("--tiny", action="store_true", help="every experiment's tiny config")
    p.add_argument("--seeds", type=integer("seeds", "1 <= seeds <= 1000000"), default=None,
                   help="seeds for every experiment")
    p.add_argument("--out", default="results",
                   help="results folder, made with its parents if missing (default: results)")
    p.add_argument("--force", action="store_true", help="rerun experiments already done")
    p.add_argument("--only", default=None, metavar="A,B", help="only these experiments")
    p.add_argument("--jobs", type=integer("jobs", "1 <= jobs <= 64"), default=None, metavar="N",
                   help="experiments run at once, each in its own process (default: one per "
                        f"core, at most {parallel.MOST_JOBS})")
    p.add_argument("-h", "--help", action="store_true")
    return p


def clean_stale(out: Path) -> list[Path]:
    """Remove the dot-named leftovers of writes that were killed: ``OUT/NAME/.<hash>.*``."""
    stale = [d for exp in out.iterdir() if exp.is_dir() and exp.name[0] != "."
             for d in exp.iterdir() if d.name.startswith(".")]
    stale += [f for f in out.glob(".*.tmp")]
    for d in stale:
        shutil.rmtree(d, ignore_errors=True) if d.is_dir() else d.unlink(missing_ok=True)
    return stale


def reusable(folder: Path, spec) -> bool:
    """A whole results folder whose numbers this code computes; its figures are redrawn
    when only the figure code changed since."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
        ledger.load_summary(folder)
    except (OSError, ValueError, ResultError):
        return False
    if meta.get("code_version") != numbers_version(spec.module) or \
            not (folder / "results.csv").is_file():
        return False
    if meta.get("figure_version") != figure_version(spec.module) or \
            not (folder / f"{spec.name}.png").is_file():
        plot.redraw(folder)
    return True


def _in_this_process(to_run, flags, jobs, progress, failed):
    """Run the experiments one after the other in this process; yields (name, folder,
    seconds) for each that finished and appends a line to ``failed`` for each that did not."""
    for k, (spec, run_args, target) in enumerate(to_run):
        step = f"{k}/{len(to_run)} run, {spec.name}:"
        start = time.perf_counter()
        try:
            run_experiment(spec, run_args, f"{PROG} {spec.name} {' '.join(flags)}",
                           lambda what, milestone=False: progress(f"{step} {what}", milestone))
        except Exception as err:  # noqa: BLE001 - one line; the others still run
            failed.append(f"{spec.name}: {str(err).splitlines()[0][:160]}")
            continue
        yield spec.name, target, round(time.perf_counter() - start, 1)


def _in_processes(to_run, flags, jobs, progress, failed):
    """The same, ``jobs`` experiments at a time, each in its own process
    (:mod:`experiments.parallel`)."""
    targets = {spec.name: target for spec, _, target in to_run}
    seconds, lost = parallel.run_all(list(targets), flags, jobs, progress)
    failed += lost
    for name, target in targets.items():
        if name in seconds:
            yield name, target, seconds[name]


def _checked_names(args, specs) -> list[str]:
    """The experiments to run, once every bad input (flags and environment) has been
    refused with one line."""
    if devices.several_tasks():
        raise UsageError("all runs in one process, on every device of this host; across hosts, "
                         f"run each experiment with {PROG} NAME --coordinator HOST:PORT ... "
                         "(unset VNSIM_COORDINATOR, or use one SLURM task)")
    names = list(specs) if args.only is None else [n.strip() for n in args.only.split(",")]
    for n in names:
        if n not in specs:
            raise UsageError(f"--only {n!r} is not an experiment (allowed: {', '.join(specs)})")
    if args.jobs is not None and not 1 <= args.jobs <= 64:
        raise UsageError(f"--jobs = {args.jobs} is out of range (allowed: 1 <= jobs <= 64)")
    try:
        memory.share()
        cache.size_bound()
        traces.folder()   # VNSIM_STORE_TRACES in range
    except ValueError as err:
        raise UsageError(str(err)) from None
    return names


def _run_plan(plan, flags, force: bool, jobs):
    """Reuse what is finished (unless ``force``), run the rest ``jobs`` at a time (default:
    :func:`experiments.parallel.default_jobs`); returns (done {name: folder}, log, failed
    lines, jobs)."""
    overall = Progress("all")
    done, log, failed, to_run = {}, [], [], []
    try:
        for spec, run_args, target in plan:
            if not force and reusable(target, spec):
                done[spec.name] = target
                log.append({"experiment": spec.name, "folder": str(target), "reused": True})
                overall(f"{len(done)}/{len(plan)} done, {spec.name}: reused", milestone=True)
            else:
                to_run.append((spec, run_args, target))
        jobs = jobs or parallel.default_jobs(len(to_run))
        run = _in_processes if jobs > 1 and len(to_run) > 1 else _in_this_process
        for name, target, seconds in run(to_run, flags, jobs, overall, failed):
            done[name] = target
            log.append({"experiment": name, "folder": str(target), "reused": False,
                        "seconds": seconds})
    finally:
        overall.close()
    return done, log, failed, jobs


def _plain(text: str) -> str:
    """A docstring as terminal text: ``code``, :role:`target` and **bold** lose their marks."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", text)
    return text.replace("``", "").replace("**", "")


def main(argv) -> int:
    from sim.spec import registry

    args = _parser().parse_args(argv)
    if args.help:
        print(f"usage: {PROG} all [--quick | --tiny] [--seeds S] [--out DIR] [--force] "
              "[--only A,B] [--jobs N]\n\n" + _plain(__doc__.split("\n\n", 1)[1]))
        return 0
    specs = registry()
    names = _checked_names(args, specs)
    out = _check_out(args.out)
    flags = ["--quick"] * args.quick + ["--tiny"] * args.tiny + \
        (["--seeds", str(args.seeds)] if args.seeds is not None else []) + ["--out", args.out]
    plan = []
    for n in names:   # every bad input is found before anything runs
        run_args = parser(n).parse_args(flags)
        plan.append((specs[n], run_args, out / n / identity(specs[n], run_args)[-1]))
    stale = clean_stale(out)
    t0 = time.perf_counter()
    done, log, failed, jobs = _run_plan(plan, flags, args.force, args.jobs)
    runs = {**ledger.find_runs(out), **done}
    rows, default = ledger.write(out, runs)
    report.write(out / "report.pdf", rows, runs)
    seconds = round(time.perf_counter() - t0, 1)
    ledger.replace_text(out / "all.json", json.dumps(
        {"seconds": seconds, "flags": flags, "jobs": jobs,
         "code_versions": {s.name: numbers_version(s.module) for s, _, _ in plan},
         "experiments": log,
         "failed": failed, "stale_removed": [str(s) for s in stale]}, indent=2) + "\n")
    print(ledger.screen(rows, out, ledger.scale_note(runs)))
    ran = sum(not e["reused"] for e in log)
    print(f"all: {ran} run, {len(log) - ran} reused, {len(failed)} failed in {seconds:.0f}s "
          f"({jobs} at a time); "
          f"wrote {out}/claims.csv, claims_cells.csv, CLAIMS.md, report.pdf, all.json"
          + (f"; python -m experiments publish {out} copies this default run's figures and "
             "ledger into the repository" if default else ""))
    if note := dirty_note():
        print(note)
    for line in failed:
        print(f"{PROG}: error: {line}", file=sys.stderr)
    return 1 if failed else 0
