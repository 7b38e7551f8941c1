"""The results folder of one run: ``results.csv``, ``summary.csv``, ``meta.json`` and the figure.

Written by process 0 only, after every process has computed its share (see
:mod:`experiments.devices`), through :func:`experiments.results.write_atomically`: the
folder appears whole or not at all.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

from . import drawing, glossary, headline, interrupt, results
from .provenance import dirty_note, figure_version, git_commit, machine, numbers_version, versions


def write_run(spec, scale, config, variants, sweeps, seeds, blob, digest, programs, blocks,
           timings, out, started, t_start, command, figures=True) -> Path:
    """Check, summarise, plot (unless ``figures`` is false: ``--no-figures``) and write
    ``OUT/NAME/<digest>/`` atomically (process 0 only); nothing else is written (``python -m
    experiments publish`` refreshes the repository's figures). Returns the folder."""
    import jax

    results.check_finite(blocks)
    sweep_cols = tuple(p for p, _ in sweeps)
    commit = git_commit()
    summary_rows = results.bootstrap_rows(spec.name, blocks, sweep_cols)
    summary_text = results.csv_text(results.RESULT_HEAD + sweep_cols + results.SUMMARY_TAIL,
                                    summary_rows)
    meta = dict(blob, claims=list(spec.claims), title=spec.title, config_hash=digest,
                seeds=list(range(seeds)), n_seeds=seeds,
                seed_rule="key_s = jax.random.fold_in(jax.random.key(base_seed), s)",
                scale=scale, code_version=numbers_version(spec.module),
                figure_version=figure_version(spec.module) if figures else None,
                summary_rows=len(summary_rows),
                versions=versions(), git_commit=commit,
                devices=[str(d) for d in jax.devices()], platform=platform.platform(),
                machine=machine(),
                command=command, rerun=f"git checkout {commit.split('-')[0]} && {command}",
                started=started, programs=timings,
                compile_seconds=round(sum(t["compile_seconds"] for t in timings), 3),
                run_seconds=round(sum(t["run_seconds"] for t in timings), 3))
    meta["glossary"] = glossary.describe({
        "experiment": [spec.name],
        "variants": list(dict.fromkeys(b.variant for b in blocks)),
        "methods": list(dict.fromkeys(b.method for b in blocks)),
        "metrics": list(dict.fromkeys(m for b in blocks for m in b.metrics)),
        "axes": list(dict.fromkeys(b.axis for b in blocks))})
    target = out / spec.name / digest
    with interrupt.temporary_folder(prefix="vnsim-figures-") as tmp:
        figures = drawing.draw(spec, results.Summary.parse(summary_text), config, tmp) \
            if figures else []
        meta["figures"] = figures
        meta["total_seconds"] = round(time.perf_counter() - t_start, 3)
        files = {"results.csv": results.csv_text(
                     results.RESULT_HEAD + sweep_cols + results.RESULT_TAIL,
                     results.long_rows(spec.name, blocks, sweep_cols)),
                 "summary.csv": summary_text,
                 "meta.json": json.dumps(meta, indent=2, sort_keys=True) + "\n",
                 **{name: tmp / name for name in figures}}
        results.write_atomically(target, files, latest=True)
    _announce(spec, config, sweeps, seeds, programs, timings, meta, target, figures,
              results.Summary.parse(summary_text), commit)
    return target


def _announce(spec, config, sweeps, seeds, programs, timings, meta, target, figures, summary,
              commit) -> None:
    """What a finished run prints: its compile and run seconds, what it wrote, its headline
    (the points of the fields the command line swept, :func:`experiments.headline.text`) and
    a line if the working tree was dirty."""
    compiled = sum("xla_seconds" in t for t in timings)   # the others reused a compiled one
    loaded = sum(bool(t.get("trace_loaded")) for t in timings)  # from the store: not traced
    parts = [f"{compiled} compiled"] if compiled < len(programs) else []
    parts += [("trace loaded" if loaded == len(programs) == 1 else
               f"{loaded} trace{'s' if loaded > 1 else ''} loaded")] if loaded else []
    shared = f" ({', '.join(parts)})" if parts else ""
    plural = "program" if len(programs) == 1 else "programs"
    print(f"{spec.name}: {seeds} seeds, {len(programs)} {plural}{shared}, compile "
          f"{meta['compile_seconds']:.1f}s, run {meta['run_seconds']:.1f}s, total "
          f"{meta['total_seconds']:.1f}s")
    shown = sorted(set(figures) - {f"{spec.name}.pdf", f"{spec.name}.png"})
    if not figures:
        print(f"wrote {target}/{{results.csv,summary.csv,meta.json}} (no figures: "
              f"python -m experiments plot {target} draws them)")
    else:
        fields = " x ".join(drawing.point_fields(spec, summary)[1])
        print(f"wrote {target}/{{results.csv,summary.csv,meta.json,{spec.name}.pdf,"
              f"{spec.name}.png}}" + (f" and {len(shown) // 2} figures, one per point of "
                                      f"{fields} ({spec.name}@...)" if shown else ""))
    defaults = {(p, tuple(v)) for p, v in spec.sweep}
    focus = tuple(p for p, v in sweeps if (p, tuple(v)) not in defaults)   # the --sweeps
    line = headline.text(spec.name, summary, config, spec, focus)
    if line:
        print(line)
    if note := dirty_note(commit):
        print(note)


def run_folder(text: str, command: str) -> Path:
    """The run folder a command line names: ``OUT/NAME/<hash>`` or ``OUT/NAME/latest``, or
    ``OUT/NAME`` itself, read as its ``latest``. Anything else is one line (ValueError) that
    says what was found."""
    folder = Path(text)
    if not folder.exists():
        raise ValueError(f"{command} {text}: no such folder (give a run's folder, "
                         "OUT/NAME/<hash> or OUT/NAME/latest)")
    if not (folder / "meta.json").is_file() and (folder / "latest" / "meta.json").is_file():
        folder = folder / "latest"
    if not (folder / "meta.json").is_file():
        raise ValueError(f"{command} {text}: not a results folder (no meta.json in it; give "
                         "OUT/NAME/<hash> or OUT/NAME/latest)")
    return folder
