"""Where the seeds run: one mesh over every device of every process, seeds sharded on it.

JAX's own machinery, nothing of ours: :func:`mesh` is ``jax.make_mesh`` over
``jax.devices()`` (after :func:`initialize`, the devices of every process), the seed
indices of a call are a global ``jax.Array`` sharded along the mesh's ``seeds`` axis
(``NamedSharding(mesh, P("seeds"))``), the swept numbers are replicated, and each device
runs the per-seed program on its own seeds (``jax.shard_map`` over ``seeds``:
:func:`experiments.members.over_devices`; no collective in the program). Each seed's key is
``fold_in(key(base_seed), s)`` made inside the program, so a seed's numbers do not
depend on which device, process or chunk runs it. Outputs stay on the devices until
:func:`gather` brings them to the host once, at the end (``process_allgather`` across
processes).

One host, any devices: CPU devices with
``XLA_FLAGS=--xla_force_host_platform_device_count=N`` (or ``jax_num_cpu_devices``),
or GPUs. Several hosts: ``python -m experiments NAME --coordinator HOST:PORT
--num-processes P --process-id I`` on each (or ``VNSIM_COORDINATOR``,
``VNSIM_NUM_PROCESSES``, ``VNSIM_PROCESS_ID``; under SLURM ``jax.distributed`` finds
them itself); process 0 writes the results, the others nothing.
"""

from __future__ import annotations

import os

AXIS = "seeds"   # (numpy is imported where used: `import experiments` stays light, so that
# Ctrl-C during start-up reaches experiments.interrupt's handler, installed right after it)
_AGREED = [0]   # how many agreements this process has made: each barrier's name is new


def reserve_threads() -> None:
    """Give XLA's CPU thread pool more threads than this host has CPU devices.

    Each CPU device's execution holds one thread of the client's pool while LAPACK's
    batched kernels (a vmapped Cholesky, say) wait on tasks queued to that same pool; with
    as many devices as pool threads (two devices on two cores) every thread waits and the
    run hangs. So when ``XLA_FLAGS`` or ``JAX_NUM_CPU_DEVICES`` asks for N > 1 CPU devices
    and neither ``PJRT_NPROC`` nor ``NPROC`` sizes the pool, the pool gets
    max(cores, N) + N threads. Must run before JAX makes its CPU client (importing
    :mod:`experiments` does it); one device is left as it was."""
    import re
    env = os.environ
    if "PJRT_NPROC" in env or "NPROC" in env:
        return
    asked = re.findall(r"--xla_force_host_platform_device_count=(\d+)", env.get("XLA_FLAGS", ""))
    count = int(asked[-1]) if asked else 1
    if env.get("JAX_NUM_CPU_DEVICES", "").strip().isdigit():
        count = max(count, int(env["JAX_NUM_CPU_DEVICES"]))
    if count > 1:
        env["PJRT_NPROC"] = str(max(host_cores(), count) + count)


def host_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)


def settings(coordinator: str | None, num_processes: int | None,
             process_id: int | None) -> tuple:
    """(coordinator, processes, process id) from the flags, then the ``VNSIM_*`` environment
    variables; all None for one process (or SLURM, which ``jax.distributed`` reads itself).
    Raises ValueError with one line naming the flag, the value and the allowed range."""
    env = os.environ
    coordinator = coordinator or env.get("VNSIM_COORDINATOR") or None
    for name, value in (("num-processes", num_processes), ("process-id", process_id)):
        text = env.get(f"VNSIM_{name.upper().replace('-', '_')}")
        if value is None and text:
            try:
                value = int(text)
            except ValueError:
                raise ValueError(f"--{name} = {text!r} is not an integer") from None
        num_processes, process_id = ((value, process_id) if name == "num-processes"
                                     else (num_processes, value))
    if coordinator is None:
        if num_processes is not None or process_id is not None:
            raise ValueError("--num-processes and --process-id need --coordinator HOST:PORT")
        return None, None, None
    host, _, port = coordinator.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"--coordinator = {coordinator!r} is not HOST:PORT "
                         "(allowed: a port from 1 to 65535)")
    if num_processes is None or not 1 <= num_processes <= 65536:
        raise ValueError(f"--num-processes = {_shown(num_processes)} is out of range "
                         "(allowed: 1 <= num-processes <= 65536, with --coordinator)")
    if process_id is None or not 0 <= process_id < num_processes:
        raise ValueError(f"--process-id = {_shown(process_id)} is out of range "
                         f"(allowed: 0 <= process-id < {num_processes})")
    return coordinator, num_processes, process_id


def _shown(value) -> str:
    return "(missing)" if value is None else str(value)


def initialize(coordinator: str | None, num_processes: int | None,
               process_id: int | None) -> bool:
    """``jax.distributed.initialize`` with :func:`settings` when a coordinator is given or
    SLURM runs several tasks; False for one process. CPU processes talk through gloo."""
    import jax
    coordinator, num_processes, process_id = settings(coordinator, num_processes, process_id)
    if coordinator is None and not several_tasks():
        return False
    from jax._src import distributed
    if distributed.global_state.client is not None:   # already joined (a second experiment)
        return True
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator, num_processes, process_id)
    return True


def several_tasks() -> bool:
    """Whether this process is one of several: ``VNSIM_COORDINATOR`` is set or ``srun`` runs
    more than one task (a batch script's own process is one, whatever ``--ntasks`` says)."""
    return bool(os.environ.get("VNSIM_COORDINATOR")) or \
        int(os.environ.get("SLURM_STEP_NUM_TASKS", "1")) > 1   # a step of srun, not sbatch


def mesh():
    """A one-axis mesh (``seeds``) over every device of every process; the engine maps the
    program over it with ``jax.shard_map`` (no sharding in the model's own code)."""
    import jax
    from jax.sharding import AxisType
    devices = jax.devices()
    return jax.make_mesh((len(devices),), (AXIS,), axis_types=(AxisType.Auto,),
                         devices=devices)


def global_array(x, sharding):
    """A global ``jax.Array`` from host data that every process holds whole."""
    import jax
    import numpy as np
    x = np.asarray(x)
    return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])


def put(tree, sharding):
    """:func:`global_array` over a pytree."""
    import jax
    return jax.tree.map(lambda leaf: global_array(leaf, sharding), tree)


def gather(tree):
    """The host (NumPy) copy of a pytree of global arrays, on every process."""
    import jax
    if jax.process_count() == 1:
        return jax.device_get(tree)
    from jax.experimental import multihost_utils
    return multihost_utils.process_allgather(tree, tiled=True)


def agree_min(value: int) -> int:
    """The smallest of every process's ``value`` (a collective: every process calls it at the
    same point), so that all take one decision: the same chunk of seeds, the same refusal."""
    import jax
    if jax.process_count() == 1:
        return int(value)
    import numpy as np
    from jax.experimental import multihost_utils
    _AGREED[0] += 1
    barrier(f"agree/{_AGREED[0]}")   # first all arrive (a slow compile), then the collective
    return int(np.min(multihost_utils.process_allgather(np.int64(value))))


def all_ok(ok: bool) -> bool:
    """Whether every process says ``ok`` (process 0: the results were written)."""
    return agree_min(int(bool(ok))) == 1


def barrier(name: str, timeout_s: int = 3600) -> None:
    """Wait until every process reaches ``name``: the coordination service's barrier, not a
    collective, so that a process that compiles more slowly does not make the others' first
    collective time out (Gloo waits 30 s for its peers)."""
    import jax
    if jax.process_count() == 1:
        return
    from jax._src import distributed  # the client jax.distributed.initialize made
    distributed.global_state.client.wait_at_barrier(name, timeout_s * 1000)


def is_writer() -> bool:
    """Process 0 writes; the others compute their share and write nothing."""
    import jax
    return jax.process_index() == 0
