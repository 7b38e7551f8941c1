"""``report.pdf``: the ledger on a title page, then one page per claim (matplotlib's
PdfPages, no LaTeX): the claim, the figure of the experiment that tests it, the numbers,
the rule, the verdict and where it fails, and the folder it was read from."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from . import interrupt  # noqa: E402

COLOURS = {"supported": "#1b7837", "contradicted": "#b2182b", "mixed": "#e08214",
           "inconclusive": "#4d4d4d", "not testable in this model": "#6a51a3"}
A4 = (8.27, 11.69)


def _ci(r) -> str:
    if not r["effect"]:
        return "-"
    ci = f" [{float(r['ci_low']):.3g}, {float(r['ci_high']):.3g}]" if r["ci_low"] else ""
    return f"{float(r['effect']):.3g}{ci}"


def _shrink(image, width: int = 1200, levels: int = 16):
    """The page's copy of a figure: f x f pixel blocks averaged so it is at most about
    ``width`` pixels wide, and ``levels`` levels per channel, so that 24 pages stay near
    1.5 MB (the full-size PNG stays in the results folder and in figures/)."""
    f = -(-image.shape[1] // width)
    h, w = image.shape[0] // f * f, image.shape[1] // f * f
    small = image[:h, :w].reshape(h // f, f, w // f, f, -1).mean(axis=(1, 3))
    return np.round(small * levels) / levels


def title_page(rows, per_page=24):
    """The ledger as one A4 figure."""
    fig = plt.figure(figsize=A4)
    fig.text(0.06, 0.965, "Via negativa in a toy model: the claims ledger", fontsize=15,
             weight="bold")
    fig.text(0.06, 0.945, "Each verdict is computed from the results by the rule written next "
             "to its claim (experiments/claims); one page per claim follows.", fontsize=8)
    y = 0.915
    for col, x in (("id", 0.06), ("claim", 0.15), ("effect [95% CI]", 0.60), ("verdict", 0.80)):
        fig.text(x, y, col, fontsize=8, weight="bold")
    for r in rows[:per_page]:
        y -= 0.036
        fig.text(0.06, y, r["claim_id"], fontsize=7.5, va="top")
        fig.text(0.15, y, textwrap.fill(r["claim"], 70), fontsize=7, va="top")
        fig.text(0.60, y, _ci(r), fontsize=7, va="top")
        fig.text(0.80, y, r["verdict"], fontsize=7.5, color=COLOURS[r["verdict"]],
                 weight="bold", va="top")
    return fig


def claim_page(r, png: Path | None):
    """One claim's page as an A4 figure."""
    fig = plt.figure(figsize=A4)
    fig.text(0.06, 0.965, f"{r['claim_id']}: {textwrap.fill(r['claim'], 75)}", fontsize=12,
             weight="bold", va="top")
    fig.text(0.06, 0.905, r["verdict"].upper(), fontsize=14, weight="bold",
             color=COLOURS[r["verdict"]])
    if png is not None and png.is_file():
        ax = fig.add_axes((0.04, 0.42, 0.92, 0.46))
        ax.imshow(_shrink(mpimg.imread(png)[..., :3]), interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(f"figure of `{r['experiment']}` ({png.name})", fontsize=8)
    fields = (("experiment, metric", f"{r['experiment']}: {r['metric']}"),
              ("setting", r["setting"]), ("effect [95% CI]", _ci(r)), ("rule", r["rule"]),
              ("where it fails", r["fails_where"] or "-"),
              ("results", f"{r['results'] or '-'} (config {r['config_hash'] or '-'}, commit "
                          f"{r['commit'] or '-'})"))
    y = 0.39
    for label, value in fields:
        text = textwrap.fill(value, 95)
        fig.text(0.06, y, label, fontsize=8, weight="bold", va="top")
        fig.text(0.25, y, text, fontsize=8, va="top")
        y -= 0.02 + 0.0125 * text.count("\n") + 0.005
    return fig


def write(path: Path, rows: list[dict], runs: dict[str, Path]) -> Path:
    """Write the report to ``path`` (whole or not at all); returns ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with interrupt.scratch(tmp), PdfPages(tmp) as pdf:
        pages = [lambda: title_page(rows)]
        for r in rows:
            exp = r["experiment"]
            png = runs[exp] / f"{exp}.png" if exp in runs else None
            pages.append(lambda r=r, png=png: claim_page(r, png))
        for page in pages:
            fig = page()
            pdf.savefig(fig)
            plt.close(fig)
        info = pdf.infodict()
        info["Title"] = "via-negativa-sim: claims ledger and report"
    with interrupt.COMMIT:
        tmp.replace(path)
    return path
