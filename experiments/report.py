"""``report.pdf``: the ledger on a title page, then one page per claim (matplotlib's
PdfPages, no LaTeX): the claim and its verdict, the panels it is read from (each claim's
:class:`~experiments.claims.reading.Panel`, drawn from the run's ``summary.csv`` as vector
axes, with the reading point marked: :mod:`experiments.report_panels`), then the numbers, the
rule, where it fails, and the folder it was read from. The experiment's whole figure stays in
its results folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from . import interrupt, ledger  # noqa: E402
from .claims import CLAIMS  # noqa: E402
from .report_panels import FONT, configured, draw_panel  # noqa: E402
from .results import ResultError  # noqa: E402

COLOURS = {"supported": "#1b7837", "contradicted": "#b2182b", "equivalent": "#2166ac",
           "mixed": "#e08214",
           "inconclusive": "#4d4d4d", "true by construction": "#8c6d31",
           "does not test the claim": "#969696", "not testable in this model": "#6a51a3"}
A4 = (8.27, 11.69)


def _ci(r) -> str:
    if not r["effect"]:
        return "-"
    ci = f" [{float(r['ci_low']):.3g}, {float(r['ci_high']):.3g}]" if r["ci_low"] else ""
    return f"{float(r['effect']):.3g}{ci}"


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


def _fields(r) -> list[tuple[str, str]]:
    return [("experiment, metric", f"{r['experiment']}: {r['metric']}"),
            ("setting", r["setting"]), ("tier read", r.get("tier") or "-"),
            ("effect [95% CI]", _ci(r)), ("rule", r["rule"]),
            ("where it fails", r["fails_where"] or "-"),
            ("results", f"{r['results'] or '-'} (config {r['config_hash'] or '-'}, commit "
                        f"{r['commit'] or '-'})")]


def _legend_lines(labels, width) -> int:
    return sum(len(textwrap.wrap(lab, width)) or 1 for lab in labels)


def _text_height(fields) -> float:
    return sum(0.025 + 0.0125 * textwrap.fill(v, 95).count("\n") for _, v in fields)


def claim_page(r, png: Path | None = None, claim=None, summaries=None, defaults=None):
    """One claim's page as an A4 figure: its title and verdict, its panels (``claim.panels``
    drawn from ``summaries``, experiment -> Summary; ``defaults``, experiment -> the run's
    configured sweep values, picks the points the claim does not name) side by side, each
    with its legend below it (beside it when alone), then the text fields. ``png``, the
    experiment's whole figure, is named in the page's foot (it stays in the results folder)."""
    summaries, defaults = summaries or {}, defaults or {}
    fig = plt.figure(figsize=A4)
    fig.text(0.06, 0.965, textwrap.fill(f"{r['claim_id']}: {r['claim']}", 70), fontsize=12,
             weight="bold", va="top")
    fig.text(0.06, 0.905, r["verdict"].upper(), fontsize=14, weight="bold",
             color=COLOURS[r["verdict"]])
    panels, fields, top = tuple(claim.panels) if claim is not None else (), _fields(r), 0.875
    if not panels:
        why = ("no panel: not testable in this model" if claim is not None
               else "no panel: the claim is not in experiments/claims")
        fig.text(0.5, top - 0.05, why, ha="center", fontsize=11, style="italic", color="dimgray")
        y = top - 0.1
    else:
        single = len(panels) == 1
        width = 36 if single else 50
        drawn = []
        for k, panel in enumerate(panels[:2]):
            ax = fig.add_axes((0.12, 0.5, 0.50, 0.2) if single else
                              ((0.10, 0.59)[k], 0.5, 0.37, 0.2))
            exp = panel.experiment or r["experiment"]
            prefix = ("" if single else f"({'ab'[k]}) ") + (
                f"{exp}: " if exp != r["experiment"] else "")
            drawn.append((ax, *draw_panel(ax, panel, summaries.get(exp), defaults.get(exp),
                                          prefix)))
        legend = 0.0 if single else 0.0135 * max(_legend_lines(lab, width)
                                                 for _, _, lab in drawn)
        room = top - 0.045 - (0.04 + _text_height(fields) + 0.01 + legend + 0.075
                              + (MAP_ROOM if r.get("map") else 0.0))
        height = min(0.30, max(0.17, room))
        bottom = top - 0.045 - height
        for ax, handles, labels in drawn:
            box = ax.get_position()
            ax.set_position((box.x0, bottom, box.width, height))
            if not labels:
                continue
            wrapped = [textwrap.fill(lab, width) for lab in labels]
            if single:
                fig.legend(handles, wrapped, loc="upper left", fontsize=FONT, frameon=False,
                           bbox_to_anchor=(box.x0 + box.width + 0.02, bottom + height))
            else:
                fig.legend(handles, wrapped, loc="upper center", fontsize=FONT, frameon=False,
                           bbox_to_anchor=(box.x0 + box.width / 2, bottom - 0.065))
        y = bottom - 0.075 - legend - 0.01
    for label, value in fields:
        text = textwrap.fill(value, 95)
        fig.text(0.06, y, label, fontsize=FONT, weight="bold", va="top")
        fig.text(0.25, y, text, fontsize=FONT, va="top")
        y -= 0.025 + 0.0125 * text.count("\n")
    _regime_map(fig, r.get("map", ()), y - 0.01, r.get("tier", ""))
    if png is not None:
        fig.text(0.06, 0.012, f"the experiment's whole figure: {png}", fontsize=FONT,
                 color="dimgray")
    return fig


MAP_ROOM = 0.17   # the page height kept for a regime map (its grid and its column labels)


def _regime_map(fig, cells, top: float, read_tier: str = "") -> None:
    """The claim's regime map below its text: a grid, one row per tier (the tier the verdict
    reads first, then the rows drawn beside it: the oracle's upper bound, flag-only
    contrasts), one column per cell, each square coloured by the rule's class in that cell
    alone; with few columns the effect is written in it."""
    if not cells:
        return
    tiers = [""] + sorted({c.tier for c in cells if c.tier})
    names = list(dict.fromkeys(c.name for c in cells))
    size = 6.0 if len(names) <= 20 else 4.5 if len(names) <= 45 else 3.2
    labels = 0.09 if len(names) > 1 else 0.02
    height = min(0.045 * len(tiers), top - 0.045 - labels - 0.03)
    ax = fig.add_axes((0.27, top - 0.025 - height, 0.67, height))
    for c in cells:
        x, y = names.index(c.name), tiers.index(c.tier)
        ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, color=COLOURS[c.verdict], alpha=0.85,
                               lw=0.3, ec="white"))
        if len(names) <= 12:
            ax.text(x, y, f"{c.effect:+.3g}", ha="center", va="center", fontsize=5.5,
                    color="white")
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.set_ylim(len(tiers) - 0.5, -0.5)
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=size)
    ax.set_yticks(range(len(tiers)), [textwrap.fill(f"{read_tier or 'read'} (read)", 32)]
                  + [textwrap.fill(t, 32) for t in tiers[1:]], fontsize=6)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    present = [v for v in COLOURS if any(c.verdict == v for c in cells)]
    fig.text(0.06, top, f"regime map: the rule applied to each of {len(names)} cells (columns), "
             "one row per tier; colour: the cell's class", fontsize=FONT, weight="bold",
             va="top")
    below = max(0.03, top - 0.03 - height - labels - 0.005)
    for k, v in enumerate(present):   # the classes in rows of four, above the page's foot
        fig.text(0.27 + 0.17 * (k % 4), below - 0.012 * (k // 4), f"\u25a0 {v}",
                 fontsize=6.5, color=COLOURS[v], va="top")


def write(path: Path, rows: list[dict], runs: dict[str, Path]) -> Path:
    """Write the report to ``path`` (whole or not at all); returns ``path``."""
    path = Path(path)
    claims = {c.id: c for c in CLAIMS}
    summaries, defaults = {}, {}
    for exp, folder in runs.items():   # each summary once; a bad one: its panels say so
        try:
            defaults[exp] = configured(ledger.read_meta(folder))
            summaries[exp] = ledger.at_defaults(ledger.load_summary(folder), defaults[exp])
        except ResultError:   # the ledger has said so; its panels say "not in this run"
            continue
    tmp = path.with_name(f".{path.name}.tmp")
    with interrupt.scratch(tmp), PdfPages(tmp) as pdf:
        pages = [lambda: title_page(rows)]
        for r in rows:
            exp = r["experiment"]
            png = runs[exp] / f"{exp}.png" if exp in runs else None
            png = png if png is not None and png.is_file() else None   # --no-figures: none
            pages.append(lambda r=r, png=png: claim_page(r, png, claims.get(r["claim_id"]),
                                                         summaries, defaults))
        for page in pages:
            fig = page()
            pdf.savefig(fig)
            plt.close(fig)
        info = pdf.infodict()
        info["Title"] = "via-negativa-sim: claims ledger and report"
    with interrupt.COMMIT:
        tmp.replace(path)
    return path
