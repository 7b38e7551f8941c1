"""Seeds sharded over devices and processes (JAX's mesh and ``jax.distributed``) give the
numbers of one device: a seed's key does not depend on where it runs."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from experiments.runner import main

pytestmark = pytest.mark.slow   # whole experiments, several ways: the full suite only

REPO = Path(__file__).resolve().parent.parent
RUN = ["loss_aversion", "--tiny", "--seeds", "4"]


def _values(out: Path) -> tuple[list, np.ndarray]:
    [path] = out.glob("loss_aversion/[0-9a-f]*/results.csv")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return [r[:-1] for r in rows], np.array([float(r[-1]) for r in rows[1:]])


def _subprocess(args, env=None, **kw):
    return subprocess.Popen([sys.executable, "-m", "experiments", *args], cwd=REPO,
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


@pytest.fixture(scope="module")
def one_device(tmp_path_factory):
    out = tmp_path_factory.mktemp("one")
    assert main([*RUN, "--out", str(out)]) == 0
    return _values(out)


def _same(values, reference):
    rows, x = values
    ref_rows, y = reference
    assert rows == ref_rows
    # float32 programs of another per-device shape round differently: 1e-5 relative
    np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


def test_two_cpu_devices_give_the_numbers_of_one(one_device, tmp_path):
    proc = _subprocess([*RUN, "--out", str(tmp_path)],
                       env={"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-2000:]
    _same(_values(tmp_path), one_device)
    [meta] = tmp_path.glob("loss_aversion/[0-9a-f]*/meta.json")
    assert '"devices": 2' in meta.read_text()


def test_two_processes_give_the_numbers_of_one_and_only_process_0_writes(one_device,
                                                                          tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [_subprocess([*RUN, "--out", str(tmp_path / f"p{i}"), "--coordinator",
                          f"127.0.0.1:{port}", "--num-processes", "2", "--process-id", str(i)])
             for i in range(2)]
    try:
        errs = [p.communicate(timeout=900)[1] for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0, 0], [e[-1500:] for e in errs]
    _same(_values(tmp_path / "p0"), one_device)
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
