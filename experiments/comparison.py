"""``python -m experiments compare DIR_A DIR_B``: what differs between two runs of one
experiment.

It prints the config fields that differ (from each ``meta.json``), whether the code that
computes the numbers, the package versions and the machine differ
(:func:`provenance_changes`), then, for every
variant, method, metric and sweep point the two runs share, the difference A - B at the
method's last x (the largest budget, the last step; ``--every-x`` for all), with a 95%
bootstrap band (:mod:`experiments.stats`): **paired** over seeds when both runs drew the
same seeds (same base seed: seed s is the same world and labels on both sides), unpaired
otherwise. Rows are those whose band excludes 0 and whose difference exceeds float32
rounding (1e-6 of the values' magnitude), largest first relative to the spread of the
values; ``--all`` prints every row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import ledger, stats
from .results import ResultError


def _flat(d: dict, prefix: str = "experiment.") -> dict:
    """``section.field -> value``; the top config's own fields are the ``experiment``
    section's (as on the command line), nested configs are sections of their own."""
    out = {}
    for k, v in d.items():
        out.update(_flat(v, f"{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out


def config_changes(meta_a: dict, meta_b: dict) -> list[str]:
    """``field: A -> B`` for every config field, seed count or sweep that differs."""
    a = {**_flat(meta_a.get("config", {})), "seeds": meta_a.get("n_seeds"),
         "base_seed": meta_a.get("base_seed"), "sweep": meta_a.get("sweep")}
    b = {**_flat(meta_b.get("config", {})), "seeds": meta_b.get("n_seeds"),
         "base_seed": meta_b.get("base_seed"), "sweep": meta_b.get("sweep")}
    return [f"{k}: {a.get(k)} -> {b.get(k)}" for k in sorted(set(a) | set(b))
            if a.get(k) != b.get(k)]


def _same(name: str, a, b, show) -> str:
    """``name: the same``, ``name: A -> B``, or, where a side did not record it (older
    runs), which: never "the same" for what is not known."""
    if a is None or b is None:
        missing = " and ".join(side for side, v in (("A", a), ("B", b)) if v is None)
        return f"{name}: not recorded in {missing}"
    return f"{name}: the same" if a == b else f"{name}: {show(a)} -> {show(b)}"


def provenance_changes(meta_a: dict, meta_b: dict) -> list[str]:
    """``code``, ``versions`` and ``machine`` lines, each the same or A's -> B's. The same
    code, package versions, config and seed give bitwise the same numbers on one machine;
    on two machines XLA's CPU code may differ (:func:`experiments.provenance.machine`), and
    so may the last bits."""
    def machine(m):
        return f"{m.get('cpu')} ({m.get('isa')}, {m.get('arch')}, flags {m.get('flags')})"

    def versions(v):
        return ", ".join(f"{k} {v[k]}" for k in sorted(v))
    mach_a, mach_b = meta_a.get("machine"), meta_b.get("machine")
    mach = _same("machine", mach_a, mach_b, machine)
    if None not in (mach_a, mach_b) and mach_a != mach_b:
        mach += (" (XLA compiles for each machine's instructions: the same code and seed may "
                 "differ in the last bits, and fits that amplify rounding carry it further)")
    return [_same("code", meta_a.get("code_version"), meta_b.get("code_version"), str),
            _same("versions", meta_a.get("versions"), meta_b.get("versions"), versions), mach]


def _results(folder: Path):
    import pandas as pd
    try:
        return pd.read_csv(folder / "results.csv", keep_default_na=False)
    except (OSError, ValueError) as err:
        raise ResultError(f"{folder}/results.csv: cannot read it ({err})") from None


def differences(a_dir: Path, b_dir: Path, every_x: bool = False) -> tuple[list, bool]:
    """[(key, mean, lo, hi, spread, rounding)] for every shared row, and whether it was
    paired (``rounding``: the smallest difference float32 can tell from none)."""
    meta_a, meta_b = ledger.read_meta(a_dir), ledger.read_meta(b_dir)
    if meta_a.get("experiment") != meta_b.get("experiment"):
        raise ValueError(f"compare: {a_dir} is {meta_a.get('experiment')} and {b_dir} is "
                         f"{meta_b.get('experiment')} (allowed: two runs of one experiment)")
    paired = meta_a.get("base_seed") == meta_b.get("base_seed")
    ra, rb = _results(a_dir), _results(b_dir)
    shared = [c for c in ra.columns if c in rb.columns and c not in ("seed", "value")]
    keys = [c for c in shared if c != "experiment"]
    if not every_x:   # each method's last x (numeric x; a scalar row has x "")
        def last(df):
            num = df["x"].map(lambda t: float(t) if t != "" else np.nan)
            top = num.groupby([df[k] for k in keys if k != "x"]).transform("max")
            return df[(num == top) | num.isna()]
        ra, rb = last(ra), last(rb)
    gb = dict(iter(rb.groupby(keys, sort=False)))
    rows = []
    for key, ga in ra.groupby(keys, sort=False):
        if key not in gb:
            continue
        va, vb = ga.sort_values("seed"), gb[key].sort_values("seed")
        if paired:
            common = np.intersect1d(va["seed"], vb["seed"])
            a = va.set_index("seed").loc[common, "value"].to_numpy()
            b = vb.set_index("seed").loc[common, "value"].to_numpy()
            mean, lo, hi = stats.paired(a, b) if common.size else (np.nan,) * 3
        else:
            a, b = va["value"].to_numpy(), vb["value"].to_numpy()
            mean, lo, hi = stats.unpaired(a, b)
        both = np.concatenate([a, b])
        spread = float(np.std(both)) or 1.0
        rounding = 1e-6 * max(1.0, float(np.mean(np.abs(both)))) if both.size else 0.0
        rows.append((dict(zip(keys, key)), mean, lo, hi, spread, rounding))
    return rows, paired


def main(argv) -> int:
    from .options import UsageError, _Parser
    from .record import run_folder

    p = _Parser(prog="python -m experiments compare")
    p.add_argument("a", metavar="DIR_A")
    p.add_argument("b", metavar="DIR_B")
    p.add_argument("--all", action="store_true", help="every shared row, not only differences")
    p.add_argument("--every-x", action="store_true", help="every x, not only the last")
    args = p.parse_args(argv)
    try:
        a_dir, b_dir = (run_folder(d, "compare") for d in (args.a, args.b))
        rows, paired = differences(a_dir, b_dir, args.every_x)
    except ValueError as err:
        raise UsageError(str(err)) from None
    meta_a, meta_b = ledger.read_meta(a_dir), ledger.read_meta(b_dir)
    changes = config_changes(meta_a, meta_b)
    print(f"A = {a_dir}\nB = {b_dir}")
    print("config: " + ("; ".join(changes) if changes else "the same"))
    print("\n".join(provenance_changes(meta_a, meta_b)))
    shown = [r for r in rows if args.all or not (r[2] <= 0.0 <= r[3] or abs(r[1]) <= r[5])]
    shown.sort(key=lambda r: -abs(r[1]) / r[4])
    how = "paired over seeds" if paired else "unpaired (different base seeds)"
    print(f"{len(shown)} of {len(rows)} rows differ (95% CI of A - B excludes 0; {how})"
          if not args.all else f"{len(rows)} rows (A - B, 95% CI, {how})")
    for key, mean, lo, hi, *_ in shown:
        where = " ".join(f"{k}={v}" for k, v in key.items() if k not in ("axis", "x") and v != "")
        at = f" at {key['axis']} {key['x']}" if key.get("x", "") != "" else ""
        print(f"  {where}{at}: {mean:+.4g} [{lo:+.4g}, {hi:+.4g}]")
    return 0
