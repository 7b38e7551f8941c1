"""Self-describing results: tidy rows, 95% bootstrap summaries, atomic writes, a reader.

``results.csv`` (one row per seed and point)::

    experiment,variant,[section.field ...,]method,seed,axis,x,metric,value

``summary.csv`` (mean and 95% percentile-bootstrap band over seeds)::

    experiment,variant,[section.field ...,]method,axis,x,metric,mean,ci_low,ci_high,n_seeds

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
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

BOOTSTRAP = 1000    # bootstrap resamples for the 95% bands
RESULT_HEAD = ("experiment", "variant")
RESULT_TAIL = ("method", "seed", "axis", "x", "metric", "value")
SUMMARY_TAIL = ("method", "axis", "x", "metric", "mean", "ci_low", "ci_high", "n_seeds")


@dataclasses.dataclass
class Block:
    """One method's outputs at one sweep point of one variant: metric -> (S, X) values."""

    variant: str
    point: dict           # swept field ("section.field") -> value
    method: str
    axis: str             # "none" for a scalar
    xs: tuple
    metrics: dict


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
        head = (name, b.variant, *(b.point[c] for c in sweep_cols), b.method)
        for metric, values in b.metrics.items():
            for seed in range(values.shape[0]):
                for k, x in enumerate(b.xs):
                    yield (*head, seed, b.axis, _x_text(b.axis, x), metric, float(values[seed, k]))


def bootstrap_rows(name, blocks, sweep_cols, n_boot=BOOTSTRAP, seed=0):
    """Mean and 95% percentile-bootstrap band over seeds for every (block, metric, x)."""
    rows, weights = [], {}
    for b in blocks:
        head = (name, b.variant, *(b.point[c] for c in sweep_cols), b.method, b.axis)
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


def write_atomically(target: Path, files: dict[str, str | bytes | Path]):
    """Write all files into a fresh temporary folder beside ``target``, then rename it into
    place: the folder appears whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for fname, content in files.items():
            path = tmp / fname
            if isinstance(content, Path):
                shutil.copyfile(content, path)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        if target.exists():
            old = target.with_name(f".{target.name}.old.{os.getpid()}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
        sweep_cols = tuple(header[len(RESULT_HEAD):-len(SUMMARY_TAIL)])
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

    def has(self, method, metric, variant=None, where=None) -> bool:
        try:
            self.curve(method, metric, variant, where)
            return True
        except KeyError:
            return False

    def curve(self, method: str, metric: str, variant: str | None = None,
              where: dict | None = None) -> Curve:
        variant = self.variants[0] if variant is None else variant
        where = where or {}
        point = tuple(where.get(c, self.points(c)[0] if c not in where else None)
                      for c in self.sweep_cols)
        key = (variant, method, metric, point)
        if key not in self._table:
            raise KeyError(f"no summary rows for {key}")
        return self._table[key]
