"""Self-describing results: tidy rows, 95% bootstrap summaries, atomic writes, a reader.

``results.csv`` (one row per seed and point)::

    experiment,variant,[section.field ...,]method,tier,seed,axis,x,metric,value

``summary.csv`` (mean and 95% percentile-bootstrap band over seeds)::

    experiment,variant,[section.field ...,]method,tier,axis,x,metric,mean,ci_low,ci_high,n_seeds

``tier`` is the information the method's labels carry (``oracle``, ``named``, ``flag``,
``comparison``; :attr:`sim.spec.Experiment.tiers`), empty where a row mixes signals or is
no learner's.

``axis`` names the x-axis of the method's outputs (``labels``, ``beta``, ``n``,
``training_step``, ...), ``x`` is its value (empty for a scalar, axis
``none``), and each swept field of the run is a column of its own. Read
either with ``pandas.read_csv``; :class:`Summary` is the reader the figures
(and the claims ledger) use.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np

from . import interrupt

BOOTSTRAP = 1000    # bootstrap resamples for the 95% bands
RESULT_HEAD = ("experiment", "variant")
RESULT_TAIL = ("method", "tier", "seed", "axis", "x", "metric", "value")
SUMMARY_TAIL = ("method", "tier", "axis", "x", "metric", "mean", "ci_low", "ci_high", "n_seeds")


@dataclasses.dataclass
class Block:
    """One method's outputs at one sweep point of one variant: metric -> (S, X) values."""

    variant: str
    point: dict           # swept field ("section.field") -> value
    method: str
    axis: str             # "none" for a scalar
    xs: tuple
    metrics: dict
    tier: str = ""        # the information the method's labels carry (sim.learners.TIERS), or ""


class AmbiguousPoint(ValueError):
    """A curve asked of a swept run without naming the sweep point (a bug in the caller)."""


class ResultError(Exception):
    """A run whose results would be invalid: printed as one line, exit status 1."""


def check_finite(blocks) -> None:
    for b in blocks:
        for metric, values in b.metrics.items():
            if not np.all(np.isfinite(values)):
                where = ", ".join(f"{k}={v}" for k, v in b.point.items())
                raise ResultError(
                    f"non-finite values in {b.variant}/{b.method}/{metric}"
                    f"{' at ' + where if where else ''}; nothing was written "
                    "(a bug: please report it with the command line)")


def _fmt(x):
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.9g}"
    return x


def _x_text(axis, x):
    return "" if axis == "none" else _fmt(x)


def long_rows(name, blocks, sweep_cols):
    for b in blocks:
        head = (name, b.variant, *(b.point[c] for c in sweep_cols), b.method, b.tier)
        for metric, values in b.metrics.items():
            for seed in range(values.shape[0]):
                for k, x in enumerate(b.xs):
                    yield (*head, seed, b.axis, _x_text(b.axis, x), metric, float(values[seed, k]))


def bootstrap_rows(name, blocks, sweep_cols, n_boot=BOOTSTRAP, seed=0):
    """Mean and 95% percentile-bootstrap band over seeds for every (block, metric, x)."""
    rows, weights = [], {}
    for b in blocks:
        head = (name, b.variant, *(b.point[c] for c in sweep_cols), b.method, b.tier, b.axis)
        for metric, values in b.metrics.items():
            n_seeds = values.shape[0]
            if n_seeds not in weights:  # the same resamples for every block of a run
                rng = np.random.default_rng(seed)
                counts = rng.multinomial(n_seeds, np.full(n_seeds, 1.0 / n_seeds), size=n_boot)
                weights[n_seeds] = counts.T / n_seeds                     # (S, B)
            v = values.astype(np.float64)
            means = v.T @ weights[n_seeds]                                # (X, B)
            lo, hi = np.percentile(means, [2.5, 97.5], axis=1)
            mean = v.mean(axis=0)
            for k, x in enumerate(b.xs):
                rows.append((*head, _x_text(b.axis, x), metric, float(mean[k]),
                             float(min(lo[k], mean[k])), float(max(hi[k], mean[k])), n_seeds))
    return rows


def csv_text(header, rows) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_fmt(x) for x in row])
    return buf.getvalue()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(target: Path, files: dict[str, str | bytes | Path], latest: bool = False):
    """Write all files into a fresh temporary folder beside ``target``, then rename it into
    place: the folder appears whole or not at all, even on Ctrl-C (:mod:`experiments.interrupt`).
    It is readable by the group and others as the umask allows (not ``mkdtemp``'s 0700).
    With ``latest``, ``target.parent/latest`` then points at it (a symbolic link, replaced
    atomically)."""
    interrupt.make_folder(target.parent)
    with interrupt.temporary_folder(prefix=f".{target.name}.", dir=target.parent) as tmp:
        for fname, content in files.items():
            path = tmp / fname
            if isinstance(content, Path):
                shutil.copyfile(content, path)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        os.chmod(tmp, 0o777 & ~_umask())
        with interrupt.COMMIT:
            if target.exists():
                old = target.with_name(f".{target.name}.old.{os.getpid()}")
                target.rename(old)
                tmp.rename(target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(target)
            if latest:
                link = target.parent / f".latest.{os.getpid()}"
                link.unlink(missing_ok=True)
                link.symlink_to(target.name)
                link.replace(target.parent / "latest")
            interrupt.committed(target)


def replace_file(path: Path, content: str | bytes) -> None:
    """Write one file whole or not at all (a temporary file beside it, then a rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with interrupt.scratch(tmp):
        tmp.write_bytes(content) if isinstance(content, bytes) else tmp.write_text(content)
        with interrupt.COMMIT:
            tmp.replace(path)


@dataclasses.dataclass(frozen=True)
class Curve:
    x: np.ndarray
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


def _num(text):
    try:
        return float(text)
    except ValueError:
        return text


class Summary:
    """The rows of a ``summary.csv``, indexed for figures and the ledger.

    ``curve(method, metric, variant=None, where=None)`` returns the
    :class:`Curve` of one method and metric (sorted by x); ``variant`` may be
    left out when the run has one, and ``where`` picks a sweep point,
    ``{"annotator.sycophancy": 0.3}``, when the run swept fields.
    """

    def __init__(self, rows: list[dict], sweep_cols: tuple[str, ...]):
        self.sweep_cols = tuple(sweep_cols)
        self.rows = rows
        table = defaultdict(list)
        for r in rows:
            key = (r["variant"], r["method"], r["metric"], tuple(r[c] for c in self.sweep_cols))
            x = np.nan if r["x"] in ("", None) else float(r["x"])
            table[key].append((x, float(r["mean"]), float(r["ci_low"]), float(r["ci_high"])))
        self._table = {k: Curve(*(np.array(c) for c in zip(*sorted(v)))) for k, v in table.items()}
        self.n_seeds = int(rows[0]["n_seeds"]) if rows else 0
        self.variants = tuple(dict.fromkeys(r["variant"] for r in rows))

    @classmethod
    def from_rows(cls, header, rows):
        header = list(header)
        sweep_cols = tuple(header[header.index("variant") + 1:header.index("method")])
        return cls([dict(zip(header, r)) for r in rows], sweep_cols)

    @classmethod
    def parse(cls, text: str) -> Summary:
        """From the text of a ``summary.csv``."""
        reader = csv.reader(io.StringIO(text))
        header = next(reader)
        rows = [[_num(x) if i >= len(RESULT_HEAD) else x for i, x in enumerate(r)] for r in reader]
        return cls.from_rows(header, rows)

    @classmethod
    def from_csv(cls, path: Path) -> Summary:
        return cls.parse(Path(path).read_text())

    def points(self, column: str) -> list:
        """The sweep values of a swept field, in order."""
        return sorted({r[column] for r in self.rows})

    def grid(self, columns=None) -> list[dict]:
        """Every sweep point of ``columns`` (default: all swept fields) that has rows, in
        order: ``[{"world.coupling": 0.0}, {"world.coupling": 0.5}, ...]``; ``[{}]`` when none."""
        columns = tuple(self.sweep_cols if columns is None else columns)
        seen = dict.fromkeys(tuple(r[c] for c in columns) for r in self.rows)
        return [dict(zip(columns, p)) for p in sorted(seen)] or [{}]

    def at(self, point: dict) -> Summary:
        """The rows at one sweep point of some swept fields; those fields are no longer swept
        in the result (a figure drawn from it shows that point only)."""
        unknown = [c for c in point if c not in self.sweep_cols]
        if unknown:
            raise KeyError(f"{', '.join(unknown)} is not swept in this run "
                           f"(swept: {', '.join(self.sweep_cols) or 'nothing'})")
        rows = [r for r in self.rows if all(r[c] == v for c, v in point.items())]
        if not rows:
            raise KeyError(f"no summary rows at {point}")
        return Summary(rows, tuple(c for c in self.sweep_cols if c not in point))

    def has(self, method, metric, variant=None, where=None) -> bool:
        try:
            self.curve(method, metric, variant, where)
            return True
        except KeyError:
            return False

    def curve(self, method: str, metric: str, variant: str | None = None,
              where: dict | None = None) -> Curve:
        """One method's curve; a swept field with more than one value must be named in
        ``where`` (:class:`AmbiguousPoint` otherwise: a figure never shows one point under
        another's name)."""
        variant = self.variants[0] if variant is None else variant
        where = where or {}
        point = []
        for c in self.sweep_cols:
            if c in where:
                point.append(where[c])
                continue
            values = self.points(c)
            if len(values) > 1:
                raise AmbiguousPoint(f"{c} is swept over {len(values)} values "
                                     f"({', '.join(map(str, values))}); name one in where=")
            point.append(values[0])
        key = (variant, method, metric, tuple(point))
        if key not in self._table:
            raise KeyError(f"no summary rows for {key}")
        return self._table[key]
