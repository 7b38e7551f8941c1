"""Seeds sharded over devices give the numbers of one device: a seed's key does not depend
on where it runs, and each device runs its own seeds with no collective (``jax.shard_map``
over the ``seeds`` axis, :func:`experiments.members.over_devices`).

Every experiment's tiny config runs on two CPU devices (``--xla_force_host_platform_device_count
=2``, the setting that hung before :func:`experiments.devices.reserve_threads`) in one driver
process under a timeout, against the session's one-device ``all --tiny`` run
(``tests/sharded.py``); two processes are ``tests/test_processes.py``, a file of its own so
that the two run on two workers at once."""

from __future__ import annotations

import os

import pytest
from sharded import NAMES, compared, start, wait


@pytest.mark.slow   # every experiment compiled for two devices: the full suite only
def test_every_experiment_on_two_cpu_devices_gives_the_numbers_of_one(tiny_all, tmp_path):
    """Two CPU devices on a two-core host: no hang (the run ends inside the timeout), every
    experiment's numbers those of one device, and meta.json says two devices."""
    wait([start(tmp_path, env={"XLA_FLAGS": os.environ.get("XLA_FLAGS", "") +
                               " --xla_force_host_platform_device_count=2"})])
    compared(tmp_path, tiny_all[0])
    for name in NAMES:
        [meta] = tmp_path.glob(f"{name}/[0-9a-f]*/meta.json")
        assert '"devices": 2' in meta.read_text(), name


def test_one_trace_serves_every_chunk_and_sweep_point_of_a_program(monkeypatch):
    """0 recompiles across seeds and sweep points: the engine traces a program once,
    whatever the number of chunks (here 3) and of points (the default sweep's 4)."""
    from experiments import engine
    from sim.spec import TRACES, registry
    spec = registry()["loss_aversion"]
    monkeypatch.setattr(engine, "_COMPILED", {})
    programs = engine.plan(spec, spec.tiny_config(), spec.variants, list(spec.sweep))
    assert len(programs) == 1 and len(programs[0].points) == 4
    before = TRACES[spec.name]
    blocks, timings = engine.simulate(spec, programs, 2 * engine.CHUNK + 3, 0)
    assert TRACES[spec.name] - before == 1
    assert timings[0]["hlo_chars"] > 0 and timings[0]["lower_seconds"] >= 0 \
        and timings[0]["xla_seconds"] >= 0   # where its compile time went
    assert len(blocks) >= 4 and all(b.metrics[m].shape[0] == 2 * engine.CHUNK + 3
                                    for b in blocks for m in b.metrics)

