"""How XLA compiles the experiments' programs: the backend (LLVM) optimisation level.

On the CPU, XLA turns every fusion of a program into an LLVM module and optimises
it; for our programs (hundreds of small fusions each, threefry loops, scans) LLVM's
optimisation is the larger part of XLA's compile time. Level 1 skips LLVM's
expensive passes (loop unrolling, the vectorisers' cost models) and keeps the
run time: measured on 2 cores, E1 quick (9 programs) 35% to 48% less XLA compile
time, and no slower contraction kernel or E2 run (README, "Speed").

``VNSIM_XLA_OPT`` sets the level (0 to 3; default 1; XLA's own default is 2; 0
compiles fastest but runs about 5x slower). The level is a compile option of each
program (``jax.jit(..., compiler_options=options())`` in :func:`sim.spec.batched`, and
the command line's ``Lowered.compile``), so the user's ``XLA_FLAGS`` and other JAX
programs in the same process are untouched. Results are bit for bit
reproducible at a given level; two levels may differ in the last bits of a float
(LLVM may contract or reorder differently), so the level is part of the persistent
cache's key and of each run's ``meta.json``.
"""

from __future__ import annotations

import os

DEFAULT_LEVEL = 1


def level() -> int:
    """The backend optimisation level (module docstring); ValueError on a bad value."""
    text = os.environ.get("VNSIM_XLA_OPT", str(DEFAULT_LEVEL)).strip()
    if text not in ("0", "1", "2", "3"):
        raise ValueError(f"VNSIM_XLA_OPT = {text!r} is out of range (allowed: 0, 1, 2, 3)")
    return int(text)


def options() -> dict:
    """``compiler_options`` for ``Lowered.compile``."""
    return {"xla_backend_optimization_level": level()}
