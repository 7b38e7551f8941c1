"""The documentation: the README's front door, links, the verdict markers and the glossary.

Fast: the tests read files and parse the spec modules' source with :mod:`ast`, and import
``experiments/glossary.py`` by its path, not through the ``experiments`` package, so they run
no JAX (``tests/conftest.py`` still imports it). Run them alone with
``python -m pytest tests/test_docs.py -n 0``.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DOCS = REPO / "docs"
BEGIN = "<!-- verdicts: begin (python -m experiments publish) -->"
END = "<!-- verdicts: end -->"
VERDICT_WORDS = ("supported", "contradicted", "mixed", "inconclusive", "true by construction",
                 "does not test the claim", "not testable in this model")

INSTALL_ALL = "python -m pip install -e . && python -m experiments all"
INSTALL_TEST = 'python -m pip install -e ".[test]" && python -m pytest'

# Dictionary keys in the spec modules that are neither results names nor parts of one:
# E1 maps its ``experiment.signal`` values to method names.
NOT_RESULT_NAMES = {"rejections", "named", "flags", "comparisons"}   # E1's signal values


def _glossary():
    return importlib.import_module("experiments.glossary")   # plain data: no JAX imported


def _markdown_files() -> list[Path]:
    return [README, REPO / "CHANGELOG.md", *sorted(DOCS.rglob("*.md"))]


def _code_blocks(text: str) -> list[list[str]]:
    """The fenced code blocks of a Markdown text, each as its lines (fences excluded)."""
    blocks, current = [], None
    for line in text.splitlines():
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def _prose(text: str) -> str:
    """The text without fenced code blocks and inline code spans (links there are not links)."""
    text = re.sub(r"^```.*?^```[^\n]*$", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`]*`", "", text)


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in _prose_keep_headings(path.read_text()).splitlines():
        m = re.match(r"#{1,6} (.+)", line)
        if m:
            slug = _slug(m.group(1))
            n = seen.get(slug, 0)
            out.add(slug if n == 0 else f"{slug}-{n}")
            seen[slug] = n + 1
    return out


def _prose_keep_headings(text: str) -> str:
    return re.sub(r"^```.*?^```[^\n]*$", "", text, flags=re.S | re.M)


def test_readme_is_a_short_front_door():
    """README.md has at most 160 lines."""
    lines = README.read_text().splitlines()
    assert len(lines) <= 160, f"README.md has {len(lines)} lines (at most 160)"


def test_readme_first_code_block_is_the_two_setup_commands():
    """The README's first code block is exactly two lines: install and run all ten
    experiments, then install with the test extras and run the suite (CI and users copy them)."""
    first = _code_blocks(README.read_text())[0]
    assert len(first) == 2, first
    assert first[0].startswith(INSTALL_ALL + " "), first[0]
    assert first[1].startswith(INSTALL_TEST + " "), first[1]
    assert all("#" in line for line in first), "each command carries its comment (what, how long)"


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(path):
    """Every relative Markdown link or image in README.md, CHANGELOG.md and docs/**/*.md
    names an existing file (and, with #anchor, a heading of it); http(s) and mailto links
    and links under results/ are not checked."""
    broken = []
    for target in LINK.findall(_prose(path.read_text())):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        if dest.is_relative_to(REPO / "results"):
            continue
        if not dest.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target} (no heading #{anchor})")
    assert not broken, f"{path.relative_to(REPO)}: " + "; ".join(broken)


def test_readme_links_every_docs_page():
    """README.md links every Markdown page under docs/ (each experiment's page too) and
    CHANGELOG.md."""
    linked = {(REPO / t.partition("#")[0]).resolve()
              for t in LINK.findall(_prose(README.read_text())) if not re.match(r"[a-z]+:", t)}
    pages = [*DOCS.rglob("*.md"), REPO / "CHANGELOG.md"]
    missing = [str(p.relative_to(REPO)) for p in pages if p.resolve() not in linked]
    assert not missing, missing


def test_docs_do_not_cite_model_md():
    """README.md and docs/ cite docs/model.md, not the MODEL.md that is not in the repository."""
    cited = [str(p.relative_to(REPO)) for p in [README, *DOCS.rglob("*.md")]
             if "MODEL.md" in p.read_text()]
    assert not cited, cited


def test_verdict_markers_exist_once_around_one_line():
    """The README's verdict markers (which ``python -m experiments publish`` rewrites between)
    each appear exactly once, begin before end, around one line of verdict counts."""
    text = README.read_text()
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    between = text.split(BEGIN, 1)[1].split(END, 1)[0].strip().splitlines()
    assert len(between) == 1 and between[0].startswith("Verdicts on "), between


def _counts(text: str) -> dict[str, int]:
    return {word: int(n) for n, word in re.findall(rf"(\d+) ({'|'.join(VERDICT_WORDS)})", text)}


def test_verdict_line_agrees_with_claims_md():
    """The README's verdict counts are CLAIMS.md's (its line of counts), and they add up to the
    number of claims the line states."""
    readme = README.read_text()
    line = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    claims = next((line for line in (REPO / "CLAIMS.md").read_text().splitlines()
                   if line.startswith("Verdicts") or "Verdicts:" in line), None)
    if claims is None:
        pytest.skip("CLAIMS.md has no line of verdict counts")
    assert _counts(line) == _counts(claims), (line, claims)
    total = re.search(r"Verdicts on (\d+) claims", line)
    assert total and int(total.group(1)) == sum(_counts(line).values())


def test_every_experiment_has_a_page():
    """Each spec module sim/specs/eNN_name.py has its page docs/by-experiment/eNN_name.md, which
    the index docs/by-experiment/README.md links."""
    specs = sorted(p.stem for p in (REPO / "sim" / "specs").glob("e[0-9][0-9]_*.py"))
    assert specs
    index = (DOCS / "by-experiment" / "README.md").read_text()
    for stem in specs:
        assert (DOCS / "by-experiment" / f"{stem}.md").is_file(), stem
        assert f"({stem}.md)" in index, stem


def test_glossary_entries_are_described():
    """Every name in experiments/glossary.py (methods, metrics, variants, axes, columns) has a
    non-empty one-line description, and describe() returns them by kind."""
    g = _glossary()
    for table in (g.METHODS, g.METRICS, g.VARIANTS, g.AXES, g.COLUMNS):
        assert table
        for name, text in table.items():
            assert name.strip() and isinstance(text, str) and text.strip(), name
            assert "\n" not in text, name
    out = g.describe({"methods": ["rule", "mask_then_tilt_1024", "unknown"],
                      "metrics": ["pass_at_256"], "variants": ["default"], "axes": ["labels"]})
    assert out["methods"]["rule"] == g.METHODS["rule"]
    assert "1024" in out["methods"]["mask_then_tilt_1024"]
    assert out["methods"]["unknown"] == ""
    assert "256" in out["metrics"]["pass_at_256"]
    with pytest.raises(ValueError):
        g.describe({"method": ["rule"]})


def test_glossary_page_is_generated_from_the_module():
    """docs/glossary.md is the text experiments.glossary_page.markdown() writes (regenerate it with
    the command at the top of the page after editing the module)."""
    page = importlib.import_module("experiments.glossary_page")
    assert (DOCS / "glossary.md").read_text() == page.markdown()


# ------------------------------------------------------------------ names the specs write

def _key(node) -> str | None:
    """A dictionary key as text: a string constant, or an f-string with * for each field."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "*" for v in node.values)
    return None


def _result_keys(path: Path) -> set[str]:
    """Every string used as a dictionary key in a module: dict literals and comprehensions,
    ``d["k"] = ...`` (tuple targets too), ``d.update(k=...)``, ``d.setdefault("k", ...)`` and
    ``dict(k=...)``. The specs' ``{method: {metric: array}}`` are built this way."""
    keys = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Dict):
            keys.update(_key(k) for k in node.keys if k is not None)
        elif isinstance(node, ast.DictComp):
            keys.add(_key(node.key))
        elif isinstance(node, ast.Assign):
            targets = [e for t in node.targets
                       for e in (t.elts if isinstance(t, ast.Tuple) else [t])]
            keys.update(_key(t.slice) for t in targets if isinstance(t, ast.Subscript))
        elif isinstance(node, ast.Call):
            f = node.func
            if (isinstance(f, ast.Attribute) and f.attr in ("update", "setdefault")) or (
                    isinstance(f, ast.Name) and f.id == "dict"):
                keys.update(k.arg for k in node.keywords if k.arg)
            if isinstance(f, ast.Attribute) and f.attr == "setdefault" and node.args:
                keys.add(_key(node.args[0]))
    return {k for k in keys if k}


def _spec_sources() -> list[Path]:
    sim = REPO / "sim"
    return [*sorted((sim / "specs").glob("*.py")), sim / "metrics.py", sim / "laws.py"]


def test_every_name_the_specs_write_is_in_the_glossary():
    """Every method and metric name a spec module (sim/specs/*.py), sim/metrics.py or
    sim/laws.py writes as a dictionary key has a glossary entry: a literal key is a METHODS
    or METRICS name or one of the CHOICES that patterns are built from; a key built by an
    f-string (``f"pass_at_{k}"``) is matched by some entry (``pass_at_<k>``). A key that is
    not a result name at all goes into NOT_RESULT_NAMES above."""
    g = _glossary()
    names = set(g.METHODS) | set(g.METRICS)
    parts = {c for choices in g.CHOICES.values() for c in choices}
    shown = [re.sub(r"<[^<>]+>", "*", n) for n in names]
    missing = []
    for path in _spec_sources():
        for key in sorted(_result_keys(path)):
            if "*" in key:
                pattern = re.compile(re.escape(key).replace(r"\*", ".+"))
                if not any(pattern.fullmatch(n) for n in shown):
                    missing.append(f"{path.name}: {key}")
            elif key not in names | parts | NOT_RESULT_NAMES and not g.lookup(g.METHODS, key) \
                    and not g.lookup(g.METRICS, key):
                missing.append(f"{path.name}: {key}")
    assert not missing, "not in experiments/glossary.py: " + ", ".join(missing)


def test_every_variant_and_axis_is_in_the_glossary():
    """Every ``Variant("name", ...)`` of a spec and every axis name its ``axes`` function
    returns (the first item of an ``("axis", values)`` pair) is in VARIANTS or AXES."""
    g = _glossary()
    variants, axes = set(), set()
    for path in sorted((REPO / "sim" / "specs").glob("e[0-9][0-9]_*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == "Variant" and node.args:
                variants.add(_key(node.args[0]))
            if isinstance(node, ast.FunctionDef) and node.name == "axes":
                for t in ast.walk(node):
                    if isinstance(t, ast.Tuple) and len(t.elts) == 2 and _key(t.elts[0]):
                        axes.add(_key(t.elts[0]))
    assert variants and axes
    assert not variants - set(g.VARIANTS), sorted(variants - set(g.VARIANTS))
    assert not axes - set(g.AXES), sorted(axes - set(g.AXES))


CLAIM_ID = re.compile(r"^(S\d+|P\d)[\w.-]*$")
INTERVAL = re.compile(r"([+-]?[\d.,]+(?:e[+-]?\d+)?) \[([+-]?[\d.,]+(?:e[+-]?\d+)?), "
                      r"([+-]?[\d.,]+(?:e[+-]?\d+)?)\]")


def _ledger() -> dict[str, tuple[tuple, str]]:
    """CLAIMS.md's rows: id -> ((effect, ci_low, ci_high) as printed, or (), verdict)."""
    rows = {}
    for line in (REPO / "CLAIMS.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and CLAIM_ID.match(cells[0]):
            found = INTERVAL.search(cells[3])
            rows[cells[0]] = (found.groups() if found else (),
                              re.search(r"\*\*(.+?)\*\*", cells[4]).group(1))
    return rows


def _unit(shown: str) -> float:
    """The last digit's place of a printed number: 0.001 for 0.097, 100 for 1.33e+04."""
    mantissa, _, exponent = shown.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (int(exponent or 0) - decimals)


def _agrees(a: str, b: str) -> bool:
    """Two printings of one number agree where they are equal to the coarser one's digits."""
    x, y = (float(t.replace(",", "")) for t in (a, b))
    return abs(x - y) <= 0.5 * max(_unit(a), _unit(b)) * (1 + 1e-9)


@pytest.mark.parametrize("path", sorted(DOCS.rglob("*.md")) + [README], ids=lambda p: p.name)
def test_every_ledger_row_a_page_quotes_is_the_ledgers(path):
    """A docs table row that names a claim (its first cell: S7, P3.3, ...) is one of
    CLAIMS.md's rows, and the effect, CI and verdict it quotes are the ledger's (each number as
    rounded there): a page quoting an earlier run's ledger fails (stop 49 found nine such)."""
    ledger, stale = _ledger(), []
    for k, line in enumerate(path.read_text().splitlines(), 1):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or not CLAIM_ID.match(cells[0]):
            continue
        if cells[0] not in ledger:
            stale.append(f"line {k}: {cells[0]} is not a row of CLAIMS.md")
            continue
        numbers, verdict = ledger[cells[0]]
        quoted = next((m for c in cells[1:] if (m := INTERVAL.match(c))), None)
        if quoted and not (numbers and all(map(_agrees, quoted.groups(), numbers))):
            stale.append(f"line {k}: {cells[0]} quotes {quoted.group(0)}, CLAIMS.md has "
                         f"{numbers}")
        bold = [re.search(r"\*\*(.+?)\*\*", c) for c in cells[1:]]
        words = [b.group(1) for b in bold if b and b.group(1) in VERDICT_WORDS]
        if words and words[0] != verdict:
            stale.append(f"line {k}: {cells[0]} is {words[0]!r} here, {verdict!r} in CLAIMS.md")
    assert not stale, "\n".join(stale)
