"""``docs/glossary.md``, generated from the glossary's tables (:mod:`experiments.glossary`).

    python -c "from experiments.glossary_page import markdown as m; open('docs/glossary.md', 'w').write(m())"
"""

from __future__ import annotations

import re
import textwrap

from .glossary import CHOICES, TABLES

__all__ = ["markdown"]

_HEAD = """\
# Glossary of results.csv and summary.csv

Generated from `experiments/glossary.py` (the same text as data: `METHODS`, `METRICS`,
`VARIANTS`, `AXES`, `COLUMNS`, and `describe()` for the names of a run); edit the module, not
this page, and regenerate it with

```bash
python -c "from experiments.glossary_page import markdown as m; open('docs/glossary.md', 'w').write(m())"
```

Units: *value units* are the scale of the utility U and of the full evaluation
V = U - Lambda 1[unacceptable] (Lambda = `world.penalty` = 1,000: an unacceptable response
costs 1,000 value units); a *share* or *probability* lies in [0, 1]; *labels* count labels
bought from the simulated annotators; entropy and KL are in nats; prices in USD and annotator
hours. A name with a part in angle brackets is a pattern: `<regime>` is one of {regime},
`<contender>` one of {contender}, `<map>` one of {map}, `<metric>` one of {metric}; any other
part is a number (for example `<regime>_<B>` covers `mask_then_tilt_1024`). E1 to E10 are the
experiments: [docs/by-experiment/](by-experiment/README.md).
"""

_SECTIONS = (
    ("Columns", "columns", "Every column of `results.csv` and `summary.csv`. The `value` column "
     "holds the metric in the metric's own unit (see the metric's entry)."),
    ("Axes", "axes", "The `axis` column names the x-axis of a method's outputs; `x` is the "
     "value on it, in the unit given here."),
    ("Methods", "methods", "The `method` column: the learner, policy or derived quantity that "
     "produced the number."),
    ("Metrics", "metrics", "The `metric` column. Policy metrics are means over the experiment's "
     "contexts; set metrics are per context, then averaged over held-out contexts."),
    ("Variants", "variants", "The `variant` column: named config transforms of an experiment "
     "(`python -m experiments NAME --help` lists them)."),
)


_PLACEHOLDER = re.compile(r"[A-Za-z0-9_.]*<[^<>\s]+>[A-Za-z0-9_.<>]*")


def _code(text: str) -> str:
    """``text`` with every name that holds a <part> in backticks (bare, Markdown reads it as
    an HTML tag)."""
    return _PLACEHOLDER.sub(lambda m: f"`{m.group(0)}`", text)


def _choices(kind: str) -> str:
    return ", ".join(f"`{c}`" for c in CHOICES[kind])


def markdown() -> str:
    """``docs/glossary.md``: every table as a list, lines wrapped at 100 characters."""
    head = _HEAD.format(**{k: _choices(k) for k in CHOICES})
    parts = [_wrap_paragraphs(head)]
    for title, kind, intro in _SECTIONS:
        lines = [f"## {title}", "", *textwrap.wrap(intro, 100), ""]
        for name, text in TABLES[kind].items():
            lines += _keep_in_item(textwrap.wrap(
                f"- `{name}` — {_code(text)}", 100, subsequent_indent="  ",
                break_long_words=False, break_on_hyphens=False))
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


_MARKER = re.compile(r"\s*([-+*]|\d+[.)])(\s|$)")


def _keep_in_item(lines: list[str]) -> list[str]:
    """Wrapped lines of a list item, where no continuation line starts with what Markdown
    reads as a new list item (``+ beta ...``): its first word moves up a line."""
    out = lines[:1]
    for line in lines[1:]:
        while _MARKER.match(line):
            word, _, rest = line.strip().partition(" ")
            out[-1] += " " + word
            line = "  " + rest if rest else ""
        if line:
            out.append(line)
    return out


def _wrap_paragraphs(text: str) -> str:
    """Rewrap each paragraph of ``text`` (title and command lines kept whole) at 100."""
    out = []
    for block in text.strip().split("\n\n"):
        if block.startswith(("#", "```")):
            out.append(block)
        else:
            out.append("\n".join(textwrap.wrap(" ".join(block.split()), 100,
                                               break_long_words=False, break_on_hyphens=False)))
    return "\n\n".join(out) + "\n"
