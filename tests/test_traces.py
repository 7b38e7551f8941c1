"""The trace store (:mod:`experiments.traces`, issue 30): a repeat run loads its programs'
exported trace instead of tracing them, with bit for bit the numbers of a traced run; a new
number still loads, a new static config traces; a damaged entry is a miss; the store stays
under its bound; a trace stored on one device serves two. On a toy spec that compiles in well
under a second."""

import dataclasses
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments import engine, traces
from experiments.runner import main
from sim.config import Config, param
from sim.spec import Experiment

CALLS = []   # one entry per trace of the toy's run


@dataclasses.dataclass(frozen=True)
class ToyConfig(Config):
    section = "experiment"
    size: int = param(3, lo=1, hi=100, doc="a static size")
    scale: float = param(1.0, lo=0.0, hi=10.0, sweep=True, doc="a number: a traced param")


def _run(key, params, static):
    CALLS.append(static.size)
    x = jax.random.uniform(key, (static.size,)) * params.scale
    return {"toy": {"value": jnp.sum(jnp.sin(x) * x)}}


TOY = Experiment(name="toy", claims=(), title="toy", config_type=ToyConfig, default=ToyConfig,
                 quick=ToyConfig, run=_run, axes=lambda c: {})


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A fresh cache folder, the toy keyed as if its code had a version, no program kept in
    the process: every run builds its program, traced or loaded."""
    monkeypatch.setenv("VNSIM_JAX_CACHE", str(tmp_path))
    monkeypatch.delenv("VNSIM_STORE_TRACES", raising=False)
    monkeypatch.setattr(traces, "_code", lambda spec: "toy-code-1")
    monkeypatch.setattr(engine, "_COMPILED", {})
    CALLS.clear()
    return tmp_path / "traces"


def _simulate(monkeypatch, config=None):
    monkeypatch.setattr(engine, "_COMPILED", {})   # a new process, as far as the engine knows
    programs = engine.plan(TOY, config or ToyConfig(), [TOY.variants[0]], [])
    blocks, timings = engine.simulate(TOY, programs, 3, 0)
    return blocks[0].metrics["value"], timings[0]


def test_a_repeat_run_loads_its_trace_and_gives_the_same_bits(store, monkeypatch):
    """The first run traces and stores; the second traces nothing (the toy's run is not
    called) and gives bit for bit the first run's numbers."""
    first, t1 = _simulate(monkeypatch)
    assert CALLS == [3] and not t1["trace_loaded"] and len(list(store.iterdir())) == 1
    again, t2 = _simulate(monkeypatch)
    assert CALLS == [3] and t2["trace_loaded"]
    assert np.array_equal(first, again)


def test_the_exported_program_gives_the_bits_of_the_program_traced_directly(store, monkeypatch):
    """Running through ``jax.export`` changes no number: the same values, bit for bit, as
    the program traced and compiled directly (what runs where JAX cannot export)."""
    exported, _ = _simulate(monkeypatch)
    monkeypatch.setenv("VNSIM_STORE_TRACES", "0")   # nothing loaded, and nothing exported:
    monkeypatch.setattr(traces, "export_and_store", lambda traced, args, stored: None)
    direct, timing = _simulate(monkeypatch)
    assert not timing["trace_loaded"] and CALLS == [3, 3]
    assert np.array_equal(exported, direct)


def test_a_new_number_loads_the_trace_and_a_new_static_config_traces(store, monkeypatch):
    """Numbers are arguments: a new scale loads the stored trace and gives new values; a new
    size is a new program: traced and stored beside the first."""
    one, _ = _simulate(monkeypatch)
    other, timing = _simulate(monkeypatch, ToyConfig(scale=2.0))
    assert timing["trace_loaded"] and CALLS == [3] and not np.array_equal(one, other)
    _, timing = _simulate(monkeypatch, ToyConfig(size=4))
    assert not timing["trace_loaded"] and CALLS == [3, 4] and len(list(store.iterdir())) == 2


def test_a_new_code_version_or_a_switched_off_store_traces_again(store, monkeypatch):
    """The code that computes the numbers is part of the key; ``VNSIM_STORE_TRACES=0``
    neither loads nor stores."""
    _simulate(monkeypatch)
    monkeypatch.setattr(traces, "_code", lambda spec: "toy-code-2")
    _, timing = _simulate(monkeypatch)
    assert not timing["trace_loaded"] and len(list(store.iterdir())) == 2
    monkeypatch.setenv("VNSIM_STORE_TRACES", "0")
    _, timing = _simulate(monkeypatch)
    assert not timing["trace_loaded"] and CALLS == [3, 3, 3]


def test_a_jax_setting_that_changes_the_trace_is_part_of_the_key(store, monkeypatch):
    """A new PRNG seed offset (baked into the trace by ``jax.random.key``) traces again and
    gives new numbers; back at the old offset the first entry loads, with its numbers."""
    first, _ = _simulate(monkeypatch)
    jax.config.update("jax_random_seed_offset", 1)
    try:
        shifted, timing = _simulate(monkeypatch)
    finally:
        jax.config.update("jax_random_seed_offset", 0)
    assert not timing["trace_loaded"] and not np.array_equal(first, shifted)
    again, timing = _simulate(monkeypatch)
    assert timing["trace_loaded"] and np.array_equal(first, again) and CALLS == [3, 3]


@pytest.mark.parametrize("damage", ["replaced", "one byte flipped"])
def test_a_damaged_entry_is_a_miss_and_is_replaced(store, monkeypatch, damage):
    first, _ = _simulate(monkeypatch)
    (entry,) = store.iterdir()
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 1
    entry.write_bytes(b"not a trace" if damage == "replaced" else bytes(data))
    again, timing = _simulate(monkeypatch)
    assert not timing["trace_loaded"] and CALLS == [3, 3]
    assert np.array_equal(first, again) and entry.stat().st_size > 100


def test_a_stored_trace_that_fails_to_lower_is_removed_and_traced_again(store, monkeypatch):
    first, _ = _simulate(monkeypatch)

    class Broken:
        def call(self, *args):
            raise RuntimeError("this JAX cannot lower it")

    monkeypatch.setattr(traces, "load", lambda path: Broken())
    again, timing = _simulate(monkeypatch)
    assert not timing["trace_loaded"] and CALLS == [3, 3] and np.array_equal(first, again)


def test_a_program_jax_cannot_export_is_traced_directly(store, monkeypatch):
    """Where export fails (a custom call without JAX's compatibility guarantee, say) the run
    goes on with the direct trace, stores nothing, and gives the same numbers."""
    first, _ = _simulate(monkeypatch)
    for f in store.iterdir():
        f.unlink()

    def refuse(*args, **kwargs):
        raise ValueError("cannot export")

    monkeypatch.setattr(jax.export, "export", refuse)
    again, timing = _simulate(monkeypatch)
    assert not timing["trace_loaded"] and not list(store.iterdir())
    assert np.array_equal(first, again)


_ON_TWO_DEVICES = """
import json, sys
import jax
jax.config.update("jax_numpy_dtype_promotion", "strict")   # the suite's setting (conftest)
sys.path.insert(0, "tests")
import test_traces as t
from experiments import engine, traces
traces._code = lambda spec: "toy-code-1"


class Broken:
    def call(self, *args):
        raise RuntimeError("this JAX cannot lower it")


def run():
    engine._COMPILED.clear()
    programs = engine.plan(t.TOY, t.ToyConfig(), [t.TOY.variants[0]], [])
    blocks, timings = engine.simulate(t.TOY, programs, 6, 0)
    return {"loaded": timings[0]["trace_loaded"], "devices": timings[0]["devices"],
            "traced": len(t.CALLS), "bits": blocks[0].metrics["value"].tobytes().hex()}


out = {"stored": run()}
load = traces.load
traces.load = lambda path: Broken()   # a stored trace that fails to lower on the mesh
out["broken"] = run()
traces.load = load
traces.export_and_store = lambda traced, args, stored: None   # not exportable: direct
traces.folder = lambda: None
out["direct"] = run()
print(json.dumps(out))
"""


def test_a_trace_stored_on_one_device_serves_two_with_the_same_bits(store, monkeypatch):
    """The store keeps the per-device program: a run of 6 seeds on two CPU devices (3 per
    device) loads the trace a one-device run of 3 seeds per call stored, traces nothing,
    and gives every seed bit for bit the number one device gave it. On the mesh, a stored
    trace that fails to lower is traced again, and a program that cannot be exported runs
    traced directly, with the same bits."""
    import json
    import subprocess
    import sys
    monkeypatch.setattr(engine, "CHUNK", 3)   # one device: two calls of 3 seeds
    monkeypatch.setattr(engine, "_COMPILED", {})
    programs = engine.plan(TOY, ToyConfig(), [TOY.variants[0]], [])
    blocks, _ = engine.simulate(TOY, programs, 6, 0)
    one = blocks[0].metrics["value"].tobytes().hex()
    flags = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
    env = {**os.environ, "XLA_FLAGS": flags, "VNSIM_JAX_CACHE": str(store.parent)}
    done = subprocess.run([sys.executable, "-c", _ON_TWO_DEVICES], env=env, timeout=300,
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    two = json.loads(done.stdout.strip().splitlines()[-1])
    assert two["stored"] == {"loaded": True, "devices": 2, "traced": 0, "bits": one}
    assert two["broken"] == {"loaded": False, "devices": 2, "traced": 1, "bits": one}
    assert two["direct"] == {"loaded": False, "devices": 2, "traced": 2, "bits": one}


def test_the_store_keeps_the_most_recently_used_entries_under_its_bound(tmp_path):
    """Least recently used first; another process's write in progress is left alone, one
    interrupted over an hour ago is removed."""
    now = time.time()
    for name, age in [("a", 30), ("b", 20), ("c", 10), (".d.1.tmp", 5), (".e.2.tmp", 7200)]:
        path = tmp_path / name
        path.write_bytes(b"x" * 100)
        os.utime(path, (now - age, now - age))
    traces._evict(tmp_path, 250)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".d.1.tmp", "b", "c"]


@pytest.mark.parametrize("command", [["loss_aversion", "--tiny", "--seeds", "2"],
                                     ["all", "--tiny", "--only", "loss_aversion"]])
def test_a_bad_store_switch_is_one_line_and_status_2(monkeypatch, capsys, tmp_path, command):
    monkeypatch.setenv("VNSIM_STORE_TRACES", "yes")
    assert main([*command, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "VNSIM_STORE_TRACES" in err and "'yes'" in err \
        and "0 or 1" in err
    assert not list(tmp_path.iterdir())
