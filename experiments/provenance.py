"""Provenance: what a results folder records so that it can be rerun exactly and reused.

- ``config_hash``: the first 12 hex digits of SHA-256 over the run's config,
  seeds, base seed, variants and sweep (sorted JSON); it names the folder.
- ``code_version``: the first 12 hex digits of SHA-256 over the source files
  that compute one experiment's numbers (``sim/`` without the other experiments'
  specs, the engine and its members' program, the results writer: :func:`numbers_version`), so ``all``
  reuses a folder only when neither the config nor that code changed. The
  command line, the ledger, the report and the figures are left out: changing
  them changes no number. ``figure_version`` covers the figure's code; ``all``
  redraws a reused folder's figures when only it changed.
- ``git_commit`` (``-dirty`` when tracked files differ) and ``versions``.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NUMBERS = ("sim", "experiments/engine.py", "experiments/members.py",
           "experiments/results.py")
FIGURES = ("experiments/figures/plotting.py", "experiments/drawing.py")
SPECS = "sim/specs"


def config_hash(blob: dict) -> str:
    return hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _digest(files, root: Path) -> str:
    digest = hashlib.sha256()
    for f in sorted(set(files)):
        digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _files(parts, root: Path) -> list[Path]:
    out = []
    for part in parts:
        path = root / part
        out += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return out


def spec_files(module: str, root: Path = REPO) -> list[Path]:
    """An experiment's spec module and the spec modules it imports, transitively."""
    found, todo = [], [module]
    while todo:
        path = root / SPECS / f"{todo.pop()}.py"
        if path in found:
            continue
        found.append(path)
        todo += re.findall(r"^from \.(e\d\d_\w+) import", path.read_text(), re.M)
    return found


def numbers_version(module: str, root: Path = REPO) -> str:
    """The code that computes one experiment's numbers: ``sim/`` without the other
    experiments' specs, its own spec (and the specs it imports), the engine and the results
    writer. A change to a figure or to another experiment leaves it unchanged."""
    shared = [f for f in _files(NUMBERS, root)
              if not (f.parent == root / SPECS and re.match(r"e\d\d_", f.name))]
    return _digest(shared + spec_files(module, root), root)


def figure_version(module: str, root: Path = REPO) -> str:
    """The code that draws one experiment's figures (its module, the shared plotting)."""
    return _digest(_files(FIGURES, root) + [root / "experiments/figures" / f"{module}.py"], root)


def git_commit() -> str:
    try:
        run = lambda *a: subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True,  # noqa: E731
                                        timeout=10).stdout.strip()
        commit = run("rev-parse", "HEAD") or "unknown"
        return commit + ("-dirty" if run("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict:
    import jax
    import jaxlib
    import numpy
    import optax

    import sim
    return {"sim": sim.__version__, "jax": jax.__version__, "jaxlib": jaxlib.__version__,
            "numpy": numpy.__version__, "optax": optax.__version__,
            "python": platform.python_version()}


# Instruction sets XLA's CPU compiler may use, best first, as /proc/cpuinfo names them
# (x86 ``flags``, ARM ``Features``).
_ISAS = ("avx512f", "avx2", "avx", "sse4_2", "sve2", "sve", "asimd")


def machine(cpuinfo: str | None = None) -> dict:
    """The CPU a run's last bits depend on (``meta.json``'s ``machine``): its model
    (``platform.processor()`` where cpuinfo names none; ARM's implementer and part), the best
    of ``_ISAS`` its flags list, and a hash of the whole flag list (two hosts of one model
    name can offer XLA different extensions). XLA compiles for the instructions it finds, so
    two machines can order a sum differently and differ in the last bits, which sampled
    training and rank metrics carry further; package versions and ``XLA_FLAGS`` matter
    too (``versions``). ``cpuinfo``: the text of ``/proc/cpuinfo`` (read when None)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""

    def field(name):
        found = re.search(rf"^{name}\s*:\s*(.+)$", cpuinfo, re.M)
        return found.group(1).strip() if found else ""

    flags = sorted(set((field("flags") or field("Features")).split()))
    arm = " ".join(f"{k} {field(k)}" for k in ("CPU implementer", "CPU part") if field(k))
    return {"cpu": field("model name") or arm or platform.processor() or "unknown",
            "isa": next((i for i in _ISAS if i in flags), "unknown"),
            "flags": hashlib.sha256(" ".join(flags).encode()).hexdigest()[:12] if flags else "",
            "arch": platform.machine()}


def dirty_note(commit: str | None = None) -> str:
    """One line when tracked files differ from the commit (the run records ``-dirty``)."""
    commit = git_commit() if commit is None else commit
    if not commit.endswith("-dirty"):
        return ""
    return (f"note: the working tree has uncommitted changes; meta.json records the commit "
            f"as {commit[:12]}...-dirty, so a rerun from that commit may differ")
