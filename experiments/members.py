"""The members of a program traced as one function, each distinct number passed once.

A program (:mod:`experiments.engine`) runs several variants, its *members*, for the same
seeds. :func:`seeded` traces every member's ``spec.run`` for one seed inside one function,
within :func:`sim.shared.sharing`, and :func:`param_layout` hands members that share a
number (the same field, equal at every sweep point, bit for bit) the same traced value.
So what the members compute alike from the same key and the same numbers (the world, the
evaluation contexts, the label streams of annotators that agree; the functions marked
:func:`sim.shared.shared`) is traced and compiled once, not once per member. The
functions are pure: every number is what the members give traced apart (``all --tiny``
bitwise the same, all ten experiments); E1's twelve members draw one world instead of
twelve (docs/performance.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.shared import sharing
from sim.spec import TRACES, Experiment

from . import devices

if TYPE_CHECKING:
    from .engine import Program

__all__ = ["Layout", "param_layout", "point_params", "members_run", "seeded", "over_devices"]


class Layout(NamedTuple):
    """How a program's members' params are passed: each distinct leaf once.

    ``where[i]`` is the distinct leaf that fills the i-th leaf of ``treedef`` (the members'
    params, flattened). Members that share a number (equal at every sweep point, bit for bit)
    are handed the same traced value, so what they compute alike from it is traced once
    (:mod:`sim.shared`)."""

    treedef: object
    where: tuple


def param_layout(program: Program) -> tuple[Layout, list]:
    """The program's :class:`Layout` and its distinct leaves (stacked over the points).

    Only the same field of different members is merged, where it is equal at every point:
    two fields of one member that happen to be equal stay apart, so the layout of a
    one-member program never depends on its numbers (variants that differ only in numbers
    still share one compiled program)."""
    import jax
    leaves, treedef = jax.tree.flatten(tuple(m.params for m in program.members))
    per_member = len(leaves) // len(program.members)
    distinct, where, seen = [], [], {}
    for k, leaf in enumerate(leaves):
        a = np.asarray(leaf)
        key = (k % per_member, a.dtype.str, a.shape, a.tobytes())
        if key not in seen:
            seen[key] = len(distinct)
            distinct.append(a)
        where.append(seen[key])
    return Layout(treedef, tuple(where)), distinct


def point_params(distinct: list, p: int) -> list:
    """The distinct params (:func:`param_layout`'s second value) of sweep point ``p`` alone,
    with a leading axis of 1: every point runs through the one program compiled for a single
    point, so a point inside a sweep gives bitwise the numbers it gives run alone, and a sweep
    of any size compiles nothing new."""
    return [a[p:p + 1] for a in distinct]


def members_run(spec: Experiment, statics: tuple, layout: Layout):
    """``f(keys (S,), distinct params (P, ...))`` -> outputs per member, (P, S, ...) each:
    every member's ``spec.run`` for the same seed in one traced function, inside
    :func:`sim.shared.sharing` (what the members compute alike from the same key and the
    same numbers is traced once)."""
    import jax

    def one(key, leaves):
        params = layout.treedef.unflatten([leaves[i] for i in layout.where])
        with sharing():
            return tuple(spec.run(key, p, s) for p, s in zip(params, statics))

    def traced(keys, leaves):
        TRACES[spec.name] += 1
        return jax.vmap(jax.vmap(one, in_axes=(0, None)), in_axes=(None, 0))(keys, leaves)
    return jax.jit(traced)   # an inner jit, as before: the members' constants stay in the program


def seeded(spec: Experiment, statics: tuple, layout: Layout, where=None):
    """``f(base_seed, seed ids (S,), distinct params)``: :func:`members_run` with each seed's
    key ``fold_in(key(base_seed), s)`` made inside the program (the keys of
    :func:`sim.keys.seed_keys`, bit for bit), so that the seed ids can be sharded; on a mesh
    ``where`` of several devices, :func:`over_devices`."""
    import jax
    program = members_run(spec, statics, layout)

    def run(base_seed, ids, params):
        root = jax.random.key(base_seed)
        return program(jax.vmap(lambda s: jax.random.fold_in(root, s))(ids), params)

    return over_devices(run, where)


def over_devices(run, where=None):
    """``run`` (a per-device program: ``f(base_seed, seed ids, params)``) jitted; on a mesh
    ``where`` of several devices, a ``jax.shard_map`` over the ``seeds`` axis: each device
    runs the per-seed program on its own seeds, with no collective at all. (Left to XLA's
    partitioner, a ``while`` whose trip count depends on the seed, such as a Poisson draw's
    or a solver's, got an all-reduce in its condition: a synchronisation of every device,
    across processes too, at every iteration. The hang of two CPU devices had another cause:
    :func:`experiments.devices.reserve_threads`.) The engine passes the exported per-device
    program here (:mod:`experiments.traces`), so one stored trace serves any mesh."""
    import jax
    from jax.sharding import PartitionSpec as P
    if where is None or where.devices.size == 1:
        return jax.jit(run)
    return jax.jit(jax.shard_map(run, mesh=where, in_specs=(P(), P(devices.AXIS), P()),
                                 out_specs=P(None, devices.AXIS), check_vma=False))
