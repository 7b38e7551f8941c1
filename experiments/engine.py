"""From a spec, a config, variants and sweeps to compiled programs and result blocks.

:func:`plan` expands the variants and the product of the sweep grids into
*programs*: one program runs every chosen variant (its *members*) for each seed in one
traced function (:mod:`experiments.members`), so what the members compute alike (the
world, the evaluation contexts, the label streams of annotators that agree) is traced
and compiled once, not once per member; all sweep points at which every member keeps its
static config (they differ only in swept numbers) are stacked into one params pytree per
member and run by that one program; points of a static field (a size, a family) become
programs of their own. Variants that share a static config (they differ only in numbers)
are programs of their own, one compiled program run once per variant. Each sweep point's
config is built (and validated) first, then the variant's transform is applied, so a
variant keeps what defines it (the control's unbiased annotators, say) at every point.

:func:`simulate` runs each program over chunks of seeds with
:func:`experiments.members.seeded` and returns tidy :class:`~experiments.results.Block` s.
The sweep points of a program run one at a time through the program compiled for one point
(:func:`point_params`): a point inside a sweep gives bitwise the numbers it gives alone
(vmapping over the points changed XLA's fusions, and the last bits with them, which rank
and count metrics and non-convex fits amplified), and a sweep of a new size compiles
nothing. A variant run alone (``--variant``) is a program of its own: XLA optimises it
apart from the others, so its last bits may differ from the same variant run beside
them (docs/running.md, the options).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import time
from typing import NamedTuple

import numpy as np

from sim.config import Static, split, stack_params
from sim.fields import replace_path
from sim.spec import Experiment

from . import devices, memory, traces
from .members import over_devices, param_layout, point_params, seeded
from .results import Block, ResultError

CHUNK = 16          # seeds per device per call of a compiled program
_COMPILED: dict = {}   # (experiment, members' statics, layout, chunk, devices) -> compiled
COMPILE_LOG: dict = {}  # the same keys -> where its compile time went, until reported


@dataclasses.dataclass
class Member:
    """One variant inside a program."""

    variant: str
    static: Static
    params: object        # stacked along the program's points
    axes: dict            # method -> (axis, xs)
    order: int            # the variant's place among those chosen (the blocks' order)


@dataclasses.dataclass
class Program:
    members: list         # [Member, ...], in the order the variants were chosen
    points: list          # [{"section.field": value}, ...]

    @property
    def statics(self) -> tuple:
        return tuple(m.static for m in self.members)

    @property
    def label(self) -> str:
        names = [m.variant for m in self.members]
        shown = ", ".join(names) if len(names) <= 3 else f"{len(names)} variants"
        return shown + (f" ({len(self.points)} points)" if len(self.points) > 1 else "")


class _Configured(NamedTuple):
    """One variant at one sweep point."""

    order: int
    variant: str
    static: Static
    params: object
    config: object


def plan(spec: Experiment, config, variants, sweeps) -> list[Program]:
    """Programs for every variant and sweep point (module docstring)."""
    groups: dict[tuple, list] = {}   # (order, variant, static) per member -> [(point, members)]
    for combo in itertools.product(*[values for _, values in sweeps]):
        point_config = config
        for (path, _), value in zip(sweeps, combo):
            point_config = replace_path(point_config, path, value)
        point = {path: value for (path, _), value in zip(sweeps, combo)}
        configured = []
        for k, v in enumerate(variants):
            variant_config = v.transform(point_config)
            configured.append(_Configured(k, v.name, *split(variant_config), variant_config))
        statics = [m.static for m in configured]
        together = [m for m in configured if statics.count(m.static) == 1]
        alone = [[m] for m in configured if statics.count(m.static) > 1]
        for members in ([together] if together else []) + alone:
            key = tuple(m[:3] for m in members)
            groups.setdefault(key, []).append((point, members))
    return [_program(spec, key, rows) for key, rows in groups.items()]


def _program(spec: Experiment, key: tuple, rows: list) -> Program:
    """One program from its members' (order, variant, static) and, per sweep point, the
    point and its members configured there: each member's params stacked over the points."""
    members = []
    for k, (order, name, static) in enumerate(key):
        params = stack_params([configured[k].params for _, configured in rows])
        members.append(Member(name, static, params, spec.axes(rows[0][1][k].config), order))
    return Program(members, [point for point, _ in rows])


def _blocks(spec: Experiment, member: Member, points: list, out: dict) -> list[Block]:
    blocks = []
    for p, point in enumerate(points):
        for method, metrics in out.items():
            axis, xs = member.axes.get(method, ("none", (None,)))
            values = {}
            for metric, array in metrics.items():
                a = np.asarray(array[p])
                a = a.reshape(a.shape[0], -1)
                if a.shape[1] != len(xs):
                    raise AssertionError(f"{method}/{metric}: {a.shape[1]} values on axis {axis} "
                                         f"of {len(xs)} points (a spec bug)")
                values[metric] = a
            blocks.append(Block(member.variant, point, method, axis, tuple(xs), values,
                                spec.tier(method)))
    return blocks


def compiler_options(spec: Experiment) -> dict:
    """XLA options for the spec's programs: its ``backend_level``, unless ``XLA_FLAGS`` sets
    the level itself (as the test suite does), which then holds for every program."""
    if spec.backend_level is None or "xla_backend_optimization_level" in os.environ.get(
            "XLA_FLAGS", ""):
        return {}
    return {"xla_backend_optimization_level": spec.backend_level}


def _build(spec: Experiment, program: Program, chunk: int, where, layout, distinct):
    """The program for ``chunk`` seeds per call, compiled; returns (compiled, where its time
    went). It runs through the exported form of its per-device program
    (:mod:`experiments.traces`), loaded from the store where a run stored it (no trace), on
    one device or mapped over the mesh ``where`` (:func:`~experiments.members.over_devices`):
    a trace that one device stored serves a run on several, and the other way round."""
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    params = point_params(distinct, 0)
    args = (np.uint32(0), devices.global_array(np.arange(chunk, dtype=np.uint32),
                                               NamedSharding(where, P(devices.AXIS))),
            devices.put(params, NamedSharding(where, P())))
    per_device = chunk // where.devices.size
    t0 = time.perf_counter()
    stored = traces.entry(spec, program.statics, layout, params, per_device)
    lowered = _mapped(traces.load(stored), where, args)
    loaded = lowered is not None
    if not loaded:   # a miss, or a stored trace this JAX cannot lower: trace again
        traces.discard(stored)
        exported = traces.export_and_store(seeded(spec, program.statics, layout),
                                           traces.shapes(params, per_device), stored)
        lowered = _mapped(exported, where, args)
    if lowered is None:   # not exportable, or its export not lowerable here: traced directly
        lowered = seeded(spec, program.statics, layout, where).lower(*args)
    t1 = time.perf_counter()
    compiled = lowered.compile(compiler_options=compiler_options(spec))
    return compiled, {"lower_seconds": round(t1 - t0, 3), "trace_loaded": loaded,
                      "xla_seconds": round(time.perf_counter() - t1, 3),
                      "hlo_chars": len(lowered.as_text())}


def _mapped(exported, where, args):
    """The exported per-device program on the mesh ``where``, lowered for ``args``; None
    where there is none or it fails to lower (then the engine traces)."""
    if exported is None:
        return None
    try:
        return over_devices(exported.call, where).lower(*args)
    except Exception:   # noqa: BLE001 - not lowerable here: the caller traces instead
        return None


def _compile(spec: Experiment, program: Program, chunk: int, label: str, where, layout,
             distinct):
    """Compile ``program`` (its params passed as ``layout`` and ``distinct``, the pair
    :func:`~experiments.members.param_layout` gives) for ``chunk`` seeds per call over the
    mesh ``where``, fewer if that does not fit in memory (:mod:`experiments.memory`);
    returns (compiled, chunk, note, bytes per call, where its compile time went). ``chunk``
    stays a multiple of the number of devices, and every process takes the same chunk (the
    smallest any of them fits)."""
    import jax

    n = where.devices.size
    limit = memory.available_bytes(jax.local_devices()[0])
    note = ""
    while True:
        key = (spec.name, program.statics, layout.where, chunk, n)   # any sweep size
        if key not in _COMPILED:
            if len(_COMPILED) >= 32:
                _COMPILED.clear()
                COMPILE_LOG.clear()
            _COMPILED[key], COMPILE_LOG[key] = _build(spec, program, chunk, where, layout,
                                                      distinct)
        compiled = _COMPILED[key]
        # a host's CPU devices share its memory: each of their shares counts against it
        local = jax.local_devices()
        needed = memory.program_bytes(compiled) * (len(local) if local[0].platform == "cpu"
                                                   else 1)
        fits = devices.agree_min(memory.chunk_that_fits(needed, chunk, limit) // n * n)
        if fits >= chunk:
            return compiled, chunk, note, needed, COMPILE_LOG.pop(key, {})
        if fits < n or chunk == n:
            raise memory.refusal(f"{spec.name} {label}", needed / chunk, limit, program.statics[0],
                                 split(spec.default())[0])
        note = (f"{chunk} seeds per call need {memory.size_text(needed)}, more than "
                f"{memory.size_text(memory.HEADROOM * limit)}: {fits} per call")
        chunk = fits


def simulate(spec: Experiment, programs: list[Program], seeds: int, base_seed: int,
             progress=None) -> tuple[list[Block], list[dict]]:
    """Run every program over all seeds; returns (blocks, timings per program).

    Each program runs in chunks of ``CHUNK`` seeds per device (fewer where the memory guard
    says so), the chunk's seeds sharded over every device (:mod:`experiments.devices`);
    the outputs stay on the devices until one gather at the end. The keys depend on
    neither the chunking nor the devices, so neither do the numbers."""
    import jax
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    where = devices.mesh()
    n = where.devices.size
    blocks, timings = [], []
    for program in programs:
        label = program.label
        t0 = time.perf_counter()
        per_device = min(CHUNK, -(-seeds // n))
        layout, distinct = param_layout(program)
        try:
            compiled, chunk, note, needed, where_time = _compile(spec, program, per_device * n,
                                                                 label, where, layout, distinct)
        except jax.errors.JaxRuntimeError as err:
            raise _out_of_memory(spec, label, err) from None
        devices.barrier(f"{spec.name}/{len(timings)}/compiled")
        t_compile = time.perf_counter() - t0
        if progress:
            progress(f"{label} compiled" + (f" ({note})" if note else ""), True)
        t0 = time.perf_counter()
        n_chunks = -(-seeds // chunk)
        ids = np.arange(n_chunks * chunk, dtype=np.uint32)  # padded: every call has one shape
        sharding = NamedSharding(where, P(devices.AXIS))
        points = [devices.put(point_params(distinct, p), NamedSharding(where, P()))
                  for p in range(len(program.points))]
        parts = []   # chunk-major: (chunk 0, point 0), (chunk 0, point 1), ...
        for c in range(n_chunks):
            chunk_ids = devices.global_array(ids[c * chunk:(c + 1) * chunk], sharding)
            for params in points:
                try:
                    parts.append(jax.block_until_ready(compiled(np.uint32(base_seed), chunk_ids,
                                                                params)))
                except jax.errors.JaxRuntimeError as err:
                    raise _out_of_memory(spec, label, err) from None
            if progress:
                progress(f"{label} seeds {min((c + 1) * chunk, seeds)}/{seeds}", c == n_chunks - 1)
        try:   # the chunks' outputs (per-seed metrics: small) come to the host once
            gathered = devices.gather(parts)
        except jax.errors.JaxRuntimeError as err:
            raise _out_of_memory(spec, label, err) from None
        per_point = [jax.tree.map(lambda *a: np.concatenate(a, axis=1)[:, :seeds],
                                  *gathered[p::len(points)]) for p in range(len(points))]
        out = jax.tree.map(lambda *a: np.concatenate(a, axis=0), *per_point)
        for member, member_out in zip(program.members, out):
            blocks += [(member.order, b) for b in _blocks(spec, member, program.points,
                                                          member_out)]
        timings.append({"variants": [m.variant for m in program.members],
                        "points": len(program.points),
                        "devices": n, "processes": jax.process_count(),
                        "seeds_per_call": chunk, "bytes_per_call": needed,
                        "compile_seconds": round(t_compile, 3),
                        # tracing and lowering, XLA's compile (a cache hit loads), HLO size;
                        # absent when an earlier program of this process compiled it
                        **where_time,
                        "run_seconds": round(time.perf_counter() - t0, 3)})
    return [b for _, b in sorted(blocks, key=lambda ob: ob[0])], timings   # variants in order


def _out_of_memory(spec: Experiment, label: str, err: Exception) -> Exception:
    """An XLA runtime error as one line (exit status 1): out of memory, or another failure."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if "RESOURCE_EXHAUSTED" in str(err) or "out of memory" in str(err).lower():
        return ResultError(f"{spec.name} {label}: out of memory while running ({text[:160]}); "
                           "reduce the sizes or --seeds")
    return ResultError(f"{spec.name} {label}: the run failed in XLA ({text[:200]})")
