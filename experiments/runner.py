"""The command line: ``python -m experiments NAME [options]``, ``list``, ``bench``, ``all``,
``claims``, ``plot``, ``compare``, ``publish``.

Every experiment is a spec (:mod:`sim.spec`) found by :func:`sim.spec.registry`
and a figure module ``experiments/figures/<spec module>.py``; the runner serves
all of them unchanged. It parses the options, plans the programs
(:mod:`experiments.engine`), runs them, and writes, atomically,
``OUT/NAME/<config hash>/``: ``results.csv``, ``summary.csv`` (see
:mod:`experiments.results`), ``meta.json`` and, unless ``--no-figures``, the figures as PDF
and PNG (one per sweep point: :mod:`experiments.drawing`), then points ``OUT/NAME/latest``
at it and prints the headline (:mod:`experiments.headline`). It writes nothing else: only
``publish`` rewrites tracked files.

Exit status: 0 done, 2 bad input (one line naming the field, the value and the
allowed range), 1 a failure during the run (one line), 130 interrupted (Ctrl-C at any
moment: :mod:`experiments.interrupt`).
"""

from __future__ import annotations

import importlib
import shlex
import sys
import tempfile
import time
from pathlib import Path

from sim.config import ConfigError, to_dict
from sim.fields import field_at, replace_path

from . import cache, engine, interrupt, memory, record, traces
from .options import PROG, UsageError, help_text, list_text, parser
from .provenance import config_hash
from .results import ResultError
from .sweeps import parse_sweep


def _check_out(out: str) -> Path:
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {out}: is a file, not a folder")
    try:
        interrupt.make_folder(path)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test."):
            pass
    except OSError as err:
        raise UsageError(f"--out {out}: cannot write there ({err.strerror or err})") from None
    return path


def resolve(spec, args):
    """(config, variants, sweeps, seeds) from parsed arguments; raises one-line errors."""
    if args.quick and args.tiny:
        raise UsageError("--quick and --tiny exclude each other")
    config = spec.tiny_config() if args.tiny else spec.quick() if args.quick else spec.default()
    set_paths = set()
    for item in args.set:
        if "=" not in item:
            raise UsageError(f"--set {item}: expected section.field=value")
        path, text = (t.strip() for t in item.split("=", 1))
        owner, f = field_at(config, path)
        if f"{owner.section}.{f.name}" in set_paths:
            raise UsageError(f"--set {owner.section}.{f.name} is given twice (allowed: once)")
        set_paths.add(f"{owner.section}.{f.name}")
        config = replace_path(config, path, text)
    sweeps = {p: v for p, v in spec.sweep if p not in set_paths}   # --set fixes a default sweep
    swept = set()
    for item in args.sweep:
        path, values = parse_sweep(config, item)
        if path in set_paths:
            raise UsageError(f"--sweep {path} and --set {path} name the same field "
                             "(allowed: one of them)")
        if path in swept:
            raise UsageError(f"--sweep {path} is given twice (allowed: once; list every "
                             "value in one --sweep)")
        swept.add(path)
        sweeps[path] = values
    names = [v.name for v in spec.variants]
    chosen = names if args.variant is None else [v.strip() for v in args.variant.split(",")]
    for v in chosen:
        if v not in names:
            raise UsageError(f"--variant {v!r} is not a variant of {spec.name} "
                             f"(allowed: {', '.join(names)})")
    seeds = args.seeds if args.seeds is not None else (
        2 if args.tiny else spec.quick_seeds if args.quick else spec.seeds)
    if not 1 <= seeds <= 1_000_000:
        raise UsageError(f"--seeds = {seeds} is out of range (allowed: 1 <= seeds <= 1000000)")
    try:
        engine.devices.settings(getattr(args, "coordinator", None),
                                getattr(args, "num_processes", None),
                                getattr(args, "process_id", None))
    except ValueError as err:
        raise UsageError(str(err)) from None
    if not 0 <= args.base_seed < 2**31:
        raise UsageError(f"--base-seed = {args.base_seed} is out of range "
                         "(allowed: 0 <= base-seed < 2147483648)")
    return config, [spec.variant(v) for v in chosen], list(sweeps.items()), seeds


class Progress:
    """Progress on stderr: one line rewritten in a terminal, a line per milestone otherwise."""

    def __init__(self, label: str):
        self.label, self.start, self.tty = label, time.perf_counter(), sys.stderr.isatty()

    def __call__(self, what: str, milestone: bool = False):
        line = f"[{self.label}] {time.perf_counter() - self.start:6.1f}s {what}"
        if self.tty:
            sys.stderr.write(f"\r{line:<78.78}")
            sys.stderr.flush()
        elif milestone:
            print(line, file=sys.stderr, flush=True)

    def close(self):
        if self.tty:
            sys.stderr.write("\n")


def scale(spec, args, seeds: int) -> str:
    """``default``, ``quick`` or ``tiny`` for that config unchanged (its seeds, variants,
    sweep and base seed 0); ``custom`` otherwise."""
    name = "tiny" if args.tiny else "quick" if args.quick else "default"
    usual = {"tiny": 2, "quick": spec.quick_seeds, "default": spec.seeds}[name]
    if args.set or args.sweep or args.variant is not None or args.base_seed != 0 \
            or seeds != usual:
        return "custom"
    return name


def identity(spec, args):
    """(config, variants, sweeps, seeds, blob, digest): what a run is, and the config hash
    that names its folder ``OUT/NAME/<digest>``; raises one-line errors on bad input."""
    config, variants, sweeps, seeds = resolve(spec, args)
    blob = {"experiment": spec.name, "config": to_dict(config), "seeds": seeds,
            "base_seed": args.base_seed, "variants": [v.name for v in variants],
            "sweep": [[p, list(v)] for p, v in sweeps]}
    return config, variants, sweeps, seeds, blob, config_hash(blob)


def run_experiment(spec, args, command: str, progress=None) -> Path:
    """Run one experiment from parsed arguments; returns the results folder. ``progress``
    (a callable ``(what, milestone)``) replaces the experiment's own progress line."""
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    t_start = time.perf_counter()
    config, variants, sweeps, seeds, blob, digest = identity(spec, args)
    _, _, process_id = engine.devices.settings(getattr(args, "coordinator", None),
                                               getattr(args, "num_processes", None),
                                               getattr(args, "process_id", None))
    out = _check_out(args.out) if not process_id else Path(args.out)   # process 0 writes
    try:
        cache.enable()
        traces.folder()   # VNSIM_STORE_TRACES in range
        memory.share()
    except ValueError as err:
        raise UsageError(str(err)) from None
    engine.devices.initialize(getattr(args, "coordinator", None),
                              getattr(args, "num_processes", None),
                              getattr(args, "process_id", None))
    programs = engine.plan(spec, config, variants, sweeps)
    own = progress is None
    progress = Progress(spec.name) if own else progress
    try:
        blocks, timings = engine.simulate(spec, programs, seeds, args.base_seed, progress)
    finally:
        if own:
            progress.close()
    if not engine.devices.is_writer():   # process 0 writes; the others computed their share
        engine.devices.barrier(f"{spec.name}/written")
        if not engine.devices.all_ok(True):
            raise ResultError(f"{spec.name}: process 0 could not write the results "
                              "(its own error says why)")
        return None
    written = False
    try:
        target = record.write_run(spec, scale(spec, args, seeds), config, variants, sweeps,
                                  seeds, blob, digest, programs, blocks, timings, out, started,
                                  t_start, command, figures=not args.no_figures)
        written = True
        return target
    finally:   # the others wait, learn whether it worked, then shut down
        engine.devices.barrier(f"{spec.name}/written")
        engine.devices.all_ok(written)


def main(argv: list[str]) -> int:
    """The command line; returns the exit status."""
    from sim.spec import registry

    argv = list(argv)
    debug = "--debug" in argv
    try:
        specs = registry()
        commands = ("list", "bench", "all", "claims", "publish", "plot", "compare")
        names = [*specs, *commands]
        if not argv or argv[0] in ("-h", "--help"):
            print(f"usage: {PROG} NAME [options] | {' | '.join(commands)}\n\n"
                  f"{list_text(specs)}\n\n{PROG} NAME --help lists the options and every "
                  f"config field of NAME; {PROG} all --help runs them all and writes the "
                  f"claims ledger and the report; {PROG} plot DIR redraws a run's figure; "
                  f"{PROG} compare DIR_A DIR_B prints what differs; {PROG} publish DIR "
                  "copies a default run's figures and ledger into the repository.")
            return 0
        name = argv[0]
        if name == "list":
            print(list_text(specs))
            return 0
        if name in commands:
            module = importlib.import_module(
                f".{ {'all': 'pipeline', 'claims': 'ledger', 'compare': 'comparison'}.get(name, name)}",
                __package__)
            return module.main(argv[1:])
        if name not in specs:
            raise UsageError(f"unknown experiment {name!r} (known: {', '.join(names)})")
        if "-h" in argv[1:] or "--help" in argv[1:]:
            print(help_text(specs[name]))
            return 0
        args = parser(name).parse_args(argv[1:])
        run_experiment(specs[name], args, f"{PROG} " + shlex.join(argv))
        return 0
    except (UsageError, ConfigError) as err:
        if debug:
            raise
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except ResultError as err:
        if debug:
            raise
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except OSError as err:   # a full disk, a folder removed under us: nothing half-written
        if debug:
            raise
        print(f"{PROG}: error: cannot write the results ({err.strerror or err}"
              f"{': ' + str(err.filename) if err.filename else ''}); nothing was written",
              file=sys.stderr)
        return 1
    except MemoryError:
        if debug:
            raise
        print(f"{PROG}: error: out of host memory; reduce the sizes or --seeds", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - any other failure is one line, never a traceback
        if debug:
            raise
        first = (str(err).strip().splitlines() or [""])[0][:200]
        print(f"{PROG}: error: the run failed ({type(err).__name__}: {first}); "
              "rerun with --debug for the traceback", file=sys.stderr)
        return 1
