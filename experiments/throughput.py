"""Throughput of whole experiments: seeds per second, devices, and how run time grows.

- :func:`default_rates`: seeds per second of every experiment at default scale, read from
  the newest default run's ``meta.json`` (its own measured compile and run seconds; ``all``
  makes them);
- :func:`devices_ratio`: one experiment's seeds per second on 2 CPU devices over 1, each in
  a fresh process with ``XLA_FLAGS=--xla_force_host_platform_device_count=K`` (the device
  count is fixed when JAX starts);
- :func:`exponent`: run time at several sizes and the fitted exponent b of
  ``seconds ~ a size^b`` (least squares in log-log), for the labels and for N x T.

Run seconds exclude compiling (:func:`experiments.engine.simulate` times them apart).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from .ledger import find_runs, read_meta


def default_rates(root) -> dict:
    """{experiment: {seeds, compile_seconds, run_seconds, seeds_per_second, devices,
    programs, hlo_chars}} of the newest default-scale run of each experiment under ``root``
    (empty if none); ``hlo_chars`` sums the HLO text of the programs that run compiled."""
    rates = {}
    if not os.path.isdir(root):
        return rates
    for name, folder in find_runs(root, scale="default").items():
        meta = read_meta(folder)
        run = float(meta["run_seconds"])
        rates[name] = {"seeds": meta["n_seeds"], "compile_seconds": meta["compile_seconds"],
                       "run_seconds": run, "seeds_per_second": meta["n_seeds"] / max(run, 1e-9),
                       "devices": len(meta.get("devices", [])), "folder": str(folder),
                       **program_sizes(meta)}
    return rates


def program_sizes(meta: dict) -> dict:
    """{programs, hlo_chars} of a run from its ``meta.json``: the compiled programs, and the
    characters of their HLO text (a size that does not depend on the machine)."""
    programs = meta.get("programs", [])
    return {"programs": len(programs),
            "hlo_chars": sum(int(p.get("hlo_chars", 0)) for p in programs)}


def run_seconds(name: str, sets: dict, variant: str, seeds: int, quick: bool = True) -> dict:
    """Compile and run one variant of experiment ``name`` (quick or default config with
    ``sets`` applied) over ``seeds`` seeds on every device; the engine's timings."""
    from sim.fields import replace_path
    from sim.spec import registry

    from . import engine
    spec = registry()[name]
    config = spec.quick() if quick else spec.default()
    for path, value in sets.items():
        config = replace_path(config, path, str(value))
    programs = engine.plan(spec, config, [spec.variant(variant)], [])
    _, timings = engine.simulate(spec, programs, seeds, 0)
    return {"compile_seconds": sum(t["compile_seconds"] for t in timings),
            "run_seconds": sum(t["run_seconds"] for t in timings),
            "devices": timings[0]["devices"]}


def fitted_exponent(sizes, seconds) -> float:
    """b of ``seconds = a size^b``, least squares on the logarithms."""
    return float(np.polyfit(np.log(sizes), np.log(np.maximum(seconds, 1e-9)), 1)[0])


def exponent(name: str, variant: str, sizes: list[dict], size_of, seeds: int) -> dict:
    """Run seconds at each of ``sizes`` (``--set`` dicts) and the fitted exponent of run
    time in ``size_of(sets)``: b in seconds = a size^b."""
    points = []
    for sets in sizes:
        timing = run_seconds(name, sets, variant, seeds)
        points.append({"sets": sets, "size": size_of(sets), "run_seconds": timing["run_seconds"]})
    return {"experiment": name, "variant": variant, "seeds": seeds, "points": points,
            "exponent": fitted_exponent([p["size"] for p in points],
                                        [p["run_seconds"] for p in points])}


def devices_ratio(name: str, variant: str, seeds: int, sets: dict, counts=(1, 2)) -> dict:
    """Seeds per second of one quick-config variant on ``counts`` CPU devices, each in its
    own process, and the ratio of the last to the first."""
    rates = {}
    for k in counts:
        env = dict(os.environ, XLA_FLAGS=(os.environ.get("XLA_FLAGS", "") +
                                          f" --xla_force_host_platform_device_count={k}"),
                   JAX_PLATFORMS="cpu")
        done = subprocess.run([sys.executable, "-m", "experiments.throughput", name, variant,
                               str(seeds), json.dumps(sets)], env=env, capture_output=True,
                              text=True, timeout=1800)
        if done.returncode != 0:
            raise RuntimeError(f"devices={k}: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
        timing = json.loads(done.stdout.strip().splitlines()[-1])
        if timing["devices"] != k:
            raise RuntimeError(f"asked for {k} CPU devices, JAX saw {timing['devices']}")
        rates[k] = seeds / max(timing["run_seconds"], 1e-9)
    return {"experiment": name, "variant": variant, "seeds": seeds, "sets": sets,
            "seeds_per_second": {str(k): r for k, r in rates.items()},
            "ratio": rates[counts[-1]] / rates[counts[0]]}


if __name__ == "__main__":   # devices_ratio's child: NAME VARIANT SEEDS SETS -> one JSON line
    from . import cache
    cache.enable()
    print(json.dumps(run_seconds(sys.argv[1], json.loads(sys.argv[4]), sys.argv[2],
                                 int(sys.argv[3]))))
