"""The memory guard: a compiled program's peak memory against what the device has.

XLA reports, for a compiled program, the bytes of its arguments, outputs and
temporaries (``compiled.memory_analysis()``); this is the run's peak memory on
the device, known before anything is allocated. :func:`fit` compares it with
the memory available (the accelerator's ``bytes_limit``, or the host's free
memory on the CPU; ``VNSIM_MEMORY_GB`` overrides both) and, if a chunk of
seeds does not fit, asks for fewer seeds per call; if one seed does not fit,
it refuses with one line that names the estimate, the limit and the size
fields to reduce.
"""

from __future__ import annotations

import os

from sim.config import ConfigError, Static, static_items

HEADROOM = 0.8      # use at most this share of the available memory


def available_bytes(device) -> int | None:
    """Bytes the run may use on ``device``: ``VNSIM_MEMORY_GB``, the accelerator's limit,
    or the host's free memory times ``VNSIM_MEMORY_SHARE`` (``all --jobs N`` gives each of
    its N processes 1/N); ``None`` when unknown."""
    override = os.environ.get("VNSIM_MEMORY_GB")
    if override:
        return int(float(override) * 2**30)
    stats = getattr(device, "memory_stats", lambda: None)()
    if stats and stats.get("bytes_limit"):
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    try:
        free = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
    return int(free * share())


def share() -> float:
    """``VNSIM_MEMORY_SHARE``: the share of the host's free memory this process may use (1
    unless set). Raises ValueError with one line naming the variable, the value and the
    allowed range."""
    text = os.environ.get("VNSIM_MEMORY_SHARE", "1")
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 < value <= 1.0:
        raise ValueError(f"VNSIM_MEMORY_SHARE = {text!r} is out of range "
                         "(allowed: a number, 0 < share <= 1)")
    return value


def program_bytes(compiled) -> int:
    """Peak device bytes of a compiled program: arguments + outputs + temporaries."""
    try:
        m = compiled.memory_analysis()
    except Exception:   # noqa: BLE001 - a backend without the analysis: no guard
        return 0
    if m is None:
        return 0
    return int(m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes
               + m.generated_code_size_in_bytes - m.alias_size_in_bytes)


def grown_sizes(static: Static, default: Static) -> list[tuple[str, int, int]]:
    """``(section.field, value, default)`` of the integer sizes set above their defaults,
    largest ratio first: the fields to reduce when a run does not fit."""
    found = []
    section, items = static_items(static)
    defaults = dict(static_items(default)[1])
    for name, value in items:
        base = defaults.get(name)
        if isinstance(value, Static) and isinstance(base, Static):
            found += grown_sizes(value, base)
        elif (isinstance(value, int) and not isinstance(value, bool) and isinstance(base, int)
              and value > base > 0):
            found.append((f"{section}.{name}", value, base))
    return sorted(found, key=lambda f: f[1] / f[2], reverse=True)


def chunk_that_fits(needed: int, chunk: int, limit: int | None) -> int:
    """The most seeds per call that fit ``limit`` (bytes), given ``needed`` bytes for
    ``chunk`` seeds; ``chunk`` itself when it fits or the limit is unknown; 0 if none fits."""
    budget = None if limit is None else HEADROOM * limit
    if budget is None or needed <= budget:
        return chunk
    return int(budget // max(needed / chunk, 1))


def size_text(n: float) -> str:
    """Bytes as ``12.3 GiB`` / ``45.6 MiB``."""
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def refusal(label: str, needed_per_seed: float, limit: int, static: Static,
            default: Static) -> ConfigError:
    """The one-line refusal of a run whose single seed does not fit."""
    grown = grown_sizes(static, default)
    fields = ", ".join(f"{p} (now {v}, default {d})" for p, v, d in grown[:3])
    return ConfigError(
        f"{label}: one seed needs about {size_text(needed_per_seed)} and "
        f"{size_text(HEADROOM * limit)} are available; "
        + (f"reduce {fields}" if fields else "reduce the size fields (responses, labels, contexts)"))
