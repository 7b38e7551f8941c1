"""Seeds sharded over devices and processes give the numbers of one device: a seed's key
does not depend on where it runs, and each device runs its own seeds with no collective
(``jax.shard_map`` over the ``seeds`` axis, :func:`experiments.engine.seeded`).

Every experiment's tiny config runs three ways, each as one driver process (or two) that
runs the ten experiments in turn under a timeout: on one CPU device, on two CPU devices
(``--xla_force_host_platform_device_count=2``, the setting that hung before
:func:`experiments.devices.reserve_threads`), and as two processes joined by
``jax.distributed``. Each run's ``results.csv`` must have the rows of one device and values
within :data:`TOLERANCE` (:data:`LOOSER` for the metrics it names, with the reason)."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.spec import registry

REPO = Path(__file__).resolve().parent.parent
NAMES = list(registry())
SEEDS = 4
TIMEOUT_S = 1500
# Each device runs the per-seed program on its own seeds with no collective, so the numbers
# are those of one device up to how XLA fuses the smaller per-device batch: float32 rounding,
# 1e-5 relative, for every metric (measured: E1, E2, E4, E5, E6 bitwise; E3 up to 5e-6).
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}
# E7's scaling-law parameters are a nonlinear least-squares fit of the gain against sqrt(KL)
# through ten points, which amplifies that rounding about tenfold (measured: up to 1.6e-5).
LOOSER = {metric: {"rtol": 1e-4, "atol": 1e-6}
          for metric in ("alpha_bon", "alpha_rl", "beta_bon", "beta_rl")}

def _driver(out: Path, extra: list[str]) -> list[str]:
    """One Python process that runs every experiment's tiny config in turn (one join of
    ``jax.distributed`` serves them all); exits with the worst status."""
    code = ("import sys\nfrom experiments.runner import main\n"
            f"sys.exit(max(main([n, '--tiny', '--seeds', '{SEEDS}', '--out', {str(out)!r}, "
            f"*{extra!r}]) for n in {NAMES!r}))")
    return [sys.executable, "-c", code]


def _start(out: Path, extra=(), env=None) -> subprocess.Popen:
    return subprocess.Popen(_driver(out, list(extra)), cwd=REPO, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait(procs: list[subprocess.Popen]) -> None:
    try:
        errs = [p.communicate(timeout=TIMEOUT_S)[1] for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0] * len(procs), [e[-1500:] for e in errs]


def _results(out: Path) -> dict:
    """experiment -> (rows without their value, values)."""
    found = {}
    for name in NAMES:
        [path] = out.glob(f"{name}/[0-9a-f]*/results.csv")
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        found[name] = ([r[:-1] for r in rows], np.array([float(r[-1]) for r in rows[1:]]))
    return found


def _same(found: dict, reference: dict) -> None:
    for name in NAMES:
        rows, x = found[name]
        ref_rows, y = reference[name]
        assert rows == ref_rows, name
        column = rows[0].index("metric")
        metrics = np.array([r[column] for r in rows[1:]])
        for metric in np.unique(metrics):
            at = metrics == metric
            np.testing.assert_allclose(x[at], y[at], **LOOSER.get(metric, TOLERANCE),
                                       err_msg=f"{name} {metric}")

SLOW = pytest.mark.slow   # every experiment compiled three ways: the full suite only


@pytest.fixture(scope="module")
def one_device(tmp_path_factory):
    out = tmp_path_factory.mktemp("one")
    _wait([_start(out)])
    return _results(out)


@SLOW
def test_every_experiment_on_two_cpu_devices_gives_the_numbers_of_one(one_device, tmp_path):
    """Two CPU devices on a two-core host: no hang (the run ends inside the timeout), every
    experiment's numbers those of one device, and meta.json says two devices."""
    _wait([_start(tmp_path, env={"XLA_FLAGS": os.environ.get("XLA_FLAGS", "") +
                                 " --xla_force_host_platform_device_count=2"})])
    _same(_results(tmp_path), one_device)
    for name in NAMES:
        [meta] = tmp_path.glob(f"{name}/[0-9a-f]*/meta.json")
        assert '"devices": 2' in meta.read_text(), name


@SLOW
def test_every_experiment_on_two_processes_gives_the_numbers_of_one(one_device, tmp_path):
    """Two processes joined by ``jax.distributed`` (one CPU device each): every experiment's
    numbers those of one device, and only process 0 writes."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _wait([_start(tmp_path / f"p{i}", ["--coordinator", f"127.0.0.1:{port}",
                                       "--num-processes", "2", "--process-id", str(i)])
           for i in range(2)])
    _same(_results(tmp_path / "p0"), one_device)
    assert not list((tmp_path / "p1").rglob("*.csv"))


def test_one_trace_serves_every_chunk_and_sweep_point_of_a_program(monkeypatch):
    """0 recompiles across seeds and sweep points: the engine traces a program once,
    whatever the number of chunks (here 3) and of points (the default sweep's 4)."""
    from experiments import engine
    from sim.spec import registry
    spec = registry()["loss_aversion"]
    traces = []
    original = engine.batched

    def counted(spec, static):
        program = original(spec, static)

        def run(*args):
            traces.append(static)
            return program(*args)
        return run

    monkeypatch.setattr(engine, "batched", counted)
    monkeypatch.setattr(engine, "_COMPILED", {})
    programs = engine.plan(spec, spec.tiny_config(), spec.variants, list(spec.sweep))
    assert len(programs) == 1 and len(programs[0].points) == 4
    blocks, timings = engine.simulate(spec, programs, 2 * engine.CHUNK + 3, 0)
    assert len(traces) == 1
    assert timings[0]["hlo_chars"] > 0 and timings[0]["lower_seconds"] >= 0 \
        and timings[0]["xla_seconds"] >= 0   # where its compile time went
    assert len(blocks) >= 4 and all(b.metrics[m].shape[0] == 2 * engine.CHUNK + 3
                                    for b in blocks for m in b.metrics)

