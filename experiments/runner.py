"""The experiment runner: ``python -m experiments NAME [options]``.

Every experiment module in this package provides

- ``NAME``: its name on the command line;
- ``CLAIM``: the claim it tests (MODEL.md section 6);
- ``default_config()`` and ``quick_config()``: its configs (``--quick``: seconds);
- ``DEFAULT_SEEDS`` and ``QUICK_SEEDS``;
- ``variants(config)``: the variant names;
- ``build(config, variant) -> (run, params, steps)``: ``run(keys, params)``
  maps (S,) PRNG keys to a dict of (S, K) metric arrays at the K ``steps``;
- ``plot(summary, config, stem)``: draws ``stem.pdf`` and ``stem.png`` from
  the summary rows.

The runner does the rest: it parses ``--seeds``, ``--quick``, ``--out``,
``--base-seed`` and repeatable ``--set section.field=value``; runs each
variant as ``jit(vmap)`` over chunks of seeds (one compile per variant); and
writes, atomically, ``OUT/NAME/<config hash>/``:

- ``results.csv``  long form: experiment,variant,seed,step,metric,value
- ``summary.csv``  experiment,variant,step,metric,mean,ci_low,ci_high,n_seeds
  (95% percentile bootstrap over seeds, 1000 resamples)
- ``meta.json``    full config, seeds, versions, git commit, devices, seconds
- ``NAME.pdf``, ``NAME.png``  the figure

The figure is also copied to ``figures/`` when the run is the default one (the
default config, default seeds, base seed 0). Errors in the command line or
config print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sim.config import ConfigError, replace_path, to_dict

CHUNK = 16          # seeds per jitted call (the progress bar's unit)
BOOTSTRAP = 1000    # bootstrap resamples for the 95% bands
REPO = Path(__file__).resolve().parent.parent


class UsageError(Exception):
    """A bad command line: printed as one line, exit status 2."""


class ResultError(Exception):
    """A run whose results would be invalid: printed as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        raise UsageError(message)


def parse_args(argv, experiment_names):
    parser = _Parser(prog="python -m experiments", add_help=True,
                     description="Run one experiment of the via-negativa simulator.")
    parser.add_argument("name", help=f"one of: {', '.join(experiment_names)}")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds")
    parser.add_argument("--quick", action="store_true", help="small config, seconds")
    parser.add_argument("--out", default="results", help="results folder (default: results)")
    parser.add_argument("--base-seed", type=int, default=0, help="master PRNG seed (default 0)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                        help="override a config field (repeatable)")
    args = parser.parse_args(argv)
    if args.name not in experiment_names:
        raise UsageError(f"unknown experiment {args.name!r} (known: {', '.join(experiment_names)})")
    if args.seeds is not None and not 1 <= args.seeds <= 1_000_000:
        raise UsageError(f"--seeds = {args.seeds} is out of range (allowed: 1 <= seeds <= 1000000)")
    if not 0 <= args.base_seed < 2**31:
        raise UsageError(f"--base-seed = {args.base_seed} is out of range "
                         "(allowed: 0 <= base-seed < 2147483648)")
    return args


def apply_overrides(config, assignments):
    for item in assignments:
        if "=" not in item:
            raise UsageError(f"--set {item}: expected section.field=value")
        path, text = item.split("=", 1)
        config = replace_path(config, path.strip(), text.strip())
    return config


def config_hash(name: str, config, seeds: int, base_seed: int) -> str:
    blob = json.dumps({"experiment": name, "config": to_dict(config), "seeds": seeds,
                       "base_seed": base_seed}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


class Progress:
    """A one-line progress bar on stderr (a plain line per step when not a terminal)."""

    def __init__(self, total: int, label: str):
        self.total, self.done, self.label = total, 0, label
        self.start = time.perf_counter()
        self.tty = sys.stderr.isatty()

    def step(self, what: str):
        self.done += 1
        elapsed = time.perf_counter() - self.start
        if self.tty:
            width = 24
            filled = int(width * self.done / self.total)
            bar = "#" * filled + "-" * (width - filled)
            sys.stderr.write(f"\r[{self.label}] {bar} {self.done}/{self.total} {elapsed:6.1f}s "
                             f"{what:<24.24}")
            if self.done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif self.done == self.total or what.endswith("compiled"):
            print(f"[{self.label}] {self.done}/{self.total} {elapsed:.1f}s {what}",
                  file=sys.stderr, flush=True)


def seed_keys(base_seed: int, seeds: int):
    """One key per seed: fold_in(key(base_seed), s), s = 0..seeds-1 (independent of chunking)."""
    import jax
    root = jax.random.key(base_seed)
    return jax.vmap(lambda s: jax.random.fold_in(root, s))(np.arange(seeds, dtype=np.uint32))


def simulate(experiment, config, seeds: int, base_seed: int, label: str):
    """Run every variant over all seeds; returns (results, steps, timings)."""
    import jax
    keys = seed_keys(base_seed, seeds)
    chunk = min(CHUNK, seeds)
    n_chunks = -(-seeds // chunk)
    padded = n_chunks * chunk
    if padded > seeds:  # pad with extra seeds so every call has the same shape
        keys = seed_keys(base_seed, padded)
    variants = experiment.variants(config)
    progress = Progress(len(variants) * (n_chunks + 1), label)
    results, timings, steps = {}, {}, None
    for variant in variants:
        run, params, steps = experiment.build(config, variant)
        t0 = time.perf_counter()
        compiled = run.lower(keys[:chunk], params).compile()
        t_compile = time.perf_counter() - t0
        progress.step(f"{variant} compiled")
        t0 = time.perf_counter()
        parts = []
        for c in range(n_chunks):
            out = compiled(keys[c * chunk:(c + 1) * chunk], params)
            parts.append(jax.device_get(out))
            progress.step(variant)
        results[variant] = {m: np.concatenate([p[m] for p in parts])[:seeds] for m in parts[0]}
        timings[variant] = {"compile_seconds": round(t_compile, 3),
                            "run_seconds": round(time.perf_counter() - t0, 3)}
    return results, list(steps), timings


def check_finite(results):
    for variant, metrics in results.items():
        for metric, values in metrics.items():
            if not np.all(np.isfinite(values)):
                raise ResultError(f"non-finite values in {variant}/{metric}; nothing was written "
                                  "(a bug: please report it with the command line)")


def bootstrap_summary(results, steps, name, n_boot=BOOTSTRAP, seed=0):
    """Mean and 95% percentile-bootstrap band over seeds for every (variant, step, metric)."""
    rows = []
    rng = np.random.default_rng(seed)
    for variant, metrics in results.items():
        n_seeds = next(iter(metrics.values())).shape[0]
        counts = rng.multinomial(n_seeds, np.full(n_seeds, 1.0 / n_seeds), size=n_boot)
        weights = counts.T / n_seeds                                  # (S, B)
        for metric, values in metrics.items():
            v = values.astype(np.float64)                              # (S, K)
            means = v.T @ weights                                      # (K, B)
            lo, hi = np.percentile(means, [2.5, 97.5], axis=1)
            mean = v.mean(axis=0)
            for k, step in enumerate(steps):
                rows.append((name, variant, int(step), metric, float(mean[k]),
                             float(min(lo[k], mean[k])), float(max(hi[k], mean[k])), n_seeds))
    return rows


def _csv_text(header, rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([f"{x:.9g}" if isinstance(x, float) else x for x in row])
    return buf.getvalue()


def long_rows(results, steps, name):
    for variant, metrics in results.items():
        for metric, values in metrics.items():
            for seed in range(values.shape[0]):
                for k, step in enumerate(steps):
                    yield (name, variant, seed, int(step), metric, float(values[seed, k]))


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                             text=True, timeout=10)
        commit = out.stdout.strip() or "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict:
    import jax
    import jaxlib
    import optax

    import sim
    return {"sim": sim.__version__, "jax": jax.__version__, "jaxlib": jaxlib.__version__,
            "numpy": np.__version__, "optax": optax.__version__,
            "python": platform.python_version()}


def write_atomically(target: Path, files: dict[str, str | bytes | Path]):
    """Write all files into a fresh temporary folder, then move it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for fname, content in files.items():
            path = tmp / fname
            if isinstance(content, Path):
                shutil.copyfile(content, path)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        if target.exists():
            old = target.with_name(f".{target.name}.old.{os.getpid()}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def run_experiment(experiment, args) -> Path:
    """Run one experiment from parsed arguments; returns the results folder."""
    import jax

    _enable_compile_cache()
    config = experiment.quick_config() if args.quick else experiment.default_config()
    config = apply_overrides(config, args.set)
    seeds = args.seeds or (experiment.QUICK_SEEDS if args.quick else experiment.DEFAULT_SEEDS)
    name = experiment.NAME
    digest = config_hash(name, config, seeds, args.base_seed)
    target = Path(args.out) / name / digest
    t_start = time.perf_counter()
    results, steps, timings = simulate(experiment, config, seeds, args.base_seed, name)
    check_finite(results)
    summary = bootstrap_summary(results, steps, name)
    meta = {
        "experiment": name, "claim": experiment.CLAIM, "config_hash": digest,
        "config": to_dict(config), "seeds": list(range(seeds)), "base_seed": args.base_seed,
        "seed_rule": "key_s = jax.random.fold_in(jax.random.key(base_seed), s)",
        "versions": versions(), "git_commit": git_commit(),
        "devices": [str(d) for d in jax.devices()], "platform": platform.platform(),
        "command": "python -m experiments " + " ".join(sys.argv[1:]),
        "timings": timings,
        "compile_seconds": round(sum(t["compile_seconds"] for t in timings.values()), 3),
        "run_seconds": round(sum(t["run_seconds"] for t in timings.values()), 3),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        stem = Path(tmp) / name
        experiment.plot(summary, config, stem)
        meta["total_seconds"] = round(time.perf_counter() - t_start, 3)
        files = {
            "results.csv": _csv_text(("experiment", "variant", "seed", "step", "metric", "value"),
                                     long_rows(results, steps, name)),
            "summary.csv": _csv_text(("experiment", "variant", "step", "metric", "mean",
                                      "ci_low", "ci_high", "n_seeds"), summary),
            "meta.json": json.dumps(meta, indent=2, sort_keys=True) + "\n",
            f"{name}.pdf": stem.with_suffix(".pdf"),
            f"{name}.png": stem.with_suffix(".png"),
        }
        write_atomically(target, files)
    is_default = (not args.quick and not args.set and args.seeds in (None, experiment.DEFAULT_SEEDS)
                  and args.base_seed == 0 and config == experiment.default_config())
    if is_default:
        figures = REPO / "figures"
        figures.mkdir(exist_ok=True)
        for ext in ("pdf", "png"):
            shutil.copyfile(target / f"{name}.{ext}", figures / f"{name}.{ext}")
    print(f"{name}: {seeds} seeds, compile {meta['compile_seconds']:.1f}s, "
          f"run {meta['run_seconds']:.1f}s, total {meta['total_seconds']:.1f}s")
    print(f"wrote {target}/{{results.csv,summary.csv,meta.json,{name}.pdf,{name}.png}}")
    if is_default:
        print(f"updated figures/{name}.pdf and figures/{name}.png")
    return target


def _enable_compile_cache():
    """Persistent XLA compilation cache (repeat runs skip compiling); VNSIM_JAX_CACHE=0 disables."""
    import jax
    where = os.environ.get("VNSIM_JAX_CACHE", str(Path.home() / ".cache" / "via-negativa-sim"))
    if where in ("", "0"):
        return
    try:
        jax.config.update("jax_compilation_cache_dir", where)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    except Exception:  # an old jax without the option: run uncached
        pass


def main(argv, experiments: dict) -> int:
    try:
        args = parse_args(argv, sorted(experiments))
        module = experiments[args.name]
        if hasattr(module, "main"):
            return module.main(args)
        run_experiment(module, args)
        return 0
    except (UsageError, ConfigError) as err:
        print(f"python -m experiments: error: {err}", file=sys.stderr)
        return 2
    except ResultError as err:
        print(f"python -m experiments: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("python -m experiments: interrupted; nothing was written", file=sys.stderr)
        return 130

