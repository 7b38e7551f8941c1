"""Provenance: what a results folder records so that it can be rerun exactly and reused.

- ``config_hash``: the first 12 hex digits of SHA-256 over the run's config,
  seeds, base seed, variants and sweep (sorted JSON); it names the folder.
- ``code_version``: the first 12 hex digits of SHA-256 over the source files
  that compute results (``sim/``, the engine, the results writer and the
  figure modules), so ``all`` reuses a folder only when neither the config nor
  that code changed. The command line, the ledger and the report are left out:
  changing them changes no number.
- ``git_commit`` (``-dirty`` when tracked files differ) and ``versions``.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CODE = ("sim", "experiments/engine.py", "experiments/results.py", "experiments/figures")


def config_hash(blob: dict) -> str:
    return hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()[:12]


def code_version(root: Path = REPO) -> str:
    """SHA-256 (12 hex digits) over the path and bytes of every ``.py`` file in ``CODE``."""
    digest = hashlib.sha256()
    for part in CODE:
        path = root / part
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


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
