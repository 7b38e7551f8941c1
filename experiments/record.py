"""The results folder of one run: ``results.csv``, ``summary.csv``, ``meta.json`` and the figure.

Written by process 0 only, after every process has computed its share (see
:mod:`experiments.devices`), through :func:`experiments.results.write_atomically`: the
folder appears whole or not at all.
"""

from __future__ import annotations

import importlib
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

from . import results
from .provenance import REPO, code_version, git_commit, versions


def write_run(spec, scale, config, variants, sweeps, seeds, blob, digest, programs, blocks,
           timings, out, started, t_start, command) -> Path:
    """Check, summarise, plot and write ``OUT/NAME/<digest>/`` atomically (process 0 only);
    a default run also refreshes ``figures/NAME.{pdf,png}``. Returns the folder."""
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
                scale=scale, code_version=code_version(),
                summary_rows=len(summary_rows),
                versions=versions(), git_commit=commit,
                devices=[str(d) for d in jax.devices()], platform=platform.platform(),
                command=command, rerun=f"git checkout {commit.split('-')[0]} && {command}",
                started=started, programs=timings,
                compile_seconds=round(sum(t["compile_seconds"] for t in timings), 3),
                run_seconds=round(sum(t["run_seconds"] for t in timings), 3))
    figure = importlib.import_module(f"experiments.figures.{spec.module}")
    target = out / spec.name / digest
    with tempfile.TemporaryDirectory() as tmp:
        stem = Path(tmp) / spec.name
        figure.plot(results.Summary.parse(summary_text), config, stem)
        meta["total_seconds"] = round(time.perf_counter() - t_start, 3)
        files = {"results.csv": results.csv_text(
                     results.RESULT_HEAD + sweep_cols + results.RESULT_TAIL,
                     results.long_rows(spec.name, blocks, sweep_cols)),
                 "summary.csv": summary_text,
                 "meta.json": json.dumps(meta, indent=2, sort_keys=True) + "\n",
                 f"{spec.name}.pdf": stem.with_suffix(".pdf"),
                 f"{spec.name}.png": stem.with_suffix(".png")}
        results.write_atomically(target, files)
    is_default = meta["scale"] == "default"
    compiled = sum("xla_seconds" in t for t in timings)   # the others reused a compiled one
    shared = f" ({compiled} compiled)" if compiled < len(programs) else ""
    print(f"{spec.name}: {seeds} seeds, {len(programs)} programs{shared}, compile "
          f"{meta['compile_seconds']:.1f}s, run {meta['run_seconds']:.1f}s, total "
          f"{meta['total_seconds']:.1f}s")
    print(f"wrote {target}/{{results.csv,summary.csv,meta.json,{spec.name}.pdf,{spec.name}.png}}")
    if is_default:
        (REPO / "figures").mkdir(exist_ok=True)
        for ext in ("pdf", "png"):
            shutil.copyfile(target / f"{spec.name}.{ext}", REPO / "figures" / f"{spec.name}.{ext}")
        print(f"updated figures/{spec.name}.pdf and figures/{spec.name}.png")
    return target
