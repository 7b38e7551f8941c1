"""``all``, the claims ledger and the report: end to end at the tiny scale, kill-safety and
resumption under SIGKILL, one-line errors on damaged summaries, and verdicts that follow
their rules when the numbers change.

The tiny configs carry every setting a claim's rule reads, so ``all --tiny`` exercises every
rule on real results; its programs are the ones the fuzz and command-line tests compile
(shared through the session's compilation cache). The quick and default configs are
checked by tracing every one of their programs (``tests/test_specs.py``)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiments import ledger
from experiments.claims import CLAIMS, VERDICTS
from experiments.runner import main
from sim.spec import registry

pytestmark = pytest.mark.slow   # whole experiments, several ways: the full suite only

REPO = Path(__file__).resolve().parent.parent
FILES = ("results.csv", "summary.csv", "meta.json")


def _all(*args, timeout=1800):
    return subprocess.run([sys.executable, "-m", "experiments", "all", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def _ledger(root: Path) -> list[dict]:
    with open(root / "claims.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def tiny(tiny_all, tree_state):
    """The session's ``all --tiny`` (``tests/conftest.py``: every experiment's tiny config,
    2 seeds, shared with tests/test_devices*.py); then ``claims --from`` on it. Neither
    touches the working tree: git status is what it was before."""
    out, run = tiny_all
    before = tree_state()
    claims = subprocess.run([sys.executable, "-m", "experiments", "claims", "--from", str(out)],
                            cwd=REPO, capture_output=True, text=True, timeout=600)
    assert claims.returncode == 0, claims.stderr[-3000:]
    assert tree_state() == before
    return out, run


def test_publish_refreshes_figures_claims_report_and_the_readme_line_only(tiny, tmp_path):
    """publish is the one command that rewrites tracked files: here into a copy of the
    repository's README and figures (a tiny run; the command itself accepts only default)."""
    from experiments import publish
    out, _ = tiny
    (tmp_path / "README.md").write_text(f"intro\n{publish.BEGIN}\nold\n{publish.END}\ntail\n")
    written = publish.publish(out, repo=tmp_path, scale="tiny")
    assert {"CLAIMS.md", "README.md", "figures/report.pdf", "figures/convergence.png"} <= set(
        written)
    readme = (tmp_path / "README.md").read_text().splitlines()
    assert readme[0] == "intro" and readme[2].startswith(f"Verdicts on {len(CLAIMS)} claims: ")
    assert readme[3:] == [publish.END, "tail"]
    assert str(out.parent) not in (tmp_path / "CLAIMS.md").read_text()   # no absolute path
    with pytest.raises(ValueError, match="no complete default-scale run"):
        publish.publish(out, repo=tmp_path)


def test_publish_refuses_a_run_without_figures_before_writing_anything(tiny, tmp_path):
    """A ``--no-figures`` run has the name of the run it repeats and replaces it: publish
    names that folder and writes nothing (it had replaced some figures, then failed)."""
    import shutil

    from experiments import publish
    out, _ = tiny
    copy = tmp_path / "out"
    shutil.copytree(out, copy, symlinks=True)
    folder = (copy / "shift" / "latest").resolve()
    for figure in folder.glob("*.p[dn][fg]"):
        figure.unlink()
    repo = tmp_path / "repo"
    repo.mkdir()
    with pytest.raises(ValueError, match=r"has no figures \(a --no-figures run\)") as refused:
        publish.publish(copy, repo=repo, scale="tiny")
    assert folder.name in str(refused.value)
    assert not any(repo.iterdir())


def test_all_tiny_runs_every_experiment_and_gives_every_claim_a_verdict(tiny):
    out, run = tiny
    assert set(ledger.find_runs(out)) == set(registry())
    rows = _ledger(out)
    assert [r["claim_id"] for r in rows] == [c.id for c in CLAIMS] and len(rows) == len(CLAIMS)
    assert set(ledger.COLUMNS) <= set(rows[0])
    for r in rows:
        assert r["verdict"] in VERDICTS, r
        assert "lacks the setting" not in r["fails_where"], r   # every rule reads a tiny run
        for folder, digest in zip(r["results"].split(), r["config_hash"].split()):
            assert Path(folder).name == digest and (Path(folder) / "summary.csv").is_file()
        assert r["commit"] and r["code_version"]
    for c in CLAIMS:   # the one-screen summary names each claim and its verdict
        assert any(line.startswith(c.id + " ") for line in run.stdout.splitlines())
    pdf = (out / "report.pdf").read_bytes()
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pdf.startswith(b"%PDF") and pages == 1 + len(CLAIMS)
    assert "| S1 |" in (out / "CLAIMS.md").read_text()
    log = json.loads((out / "all.json").read_text())
    assert [e["experiment"] for e in log["experiments"]] == list(registry())
    assert not any(e["reused"] for e in log["experiments"]) and not log["failed"]


def _axes(name: str, summary) -> None:
    """What each experiment's tiny run must hold beyond the ledger's needs: its methods on
    the axes its tiny config sets (these replaced one end-to-end run per experiment)."""
    from sim.spec import registry
    from sim.specs.e08_hybrid import hybrid_regimes
    q = registry()[name].tiny_config()
    if name == "capability":
        assert summary.has("tilt_trend", "spearman_mean_length")
        assert summary.curve("mask", "density").x.tolist() == [float(t) for t in q.tiers]
    elif name == "shift":
        for kind in ("response", "context", "novel"):
            assert summary.curve("mask", "adherence_gap", kind).x.tolist() == list(q.shifts)
    elif name == "returns":
        curves = [f"{m}_{n}" for n in q.curve_budgets for m in ("tilt", "bon")]
        for method in ("rule", "cost_model", "reward_model", "tilt", "discovery",
                       "rule_returns", "reward_returns", *curves):
            assert method in {r["method"] for r in summary.rows}, method
    elif name == "hybrid":
        for name_ in hybrid_regimes():
            c = summary.curve(f"{name_}_{max(q.budgets)}", "violation_rate", "rare")
            assert c.x.tolist() == list(q.shares)
        assert summary.has("rbr_tilt_beta1", "helpfulness", "rare")
    elif name == "economics":
        assert summary.curve("cost_mask", "usd_r2", "zipf").x.tolist() == sorted(q.epsilons)
        assert summary.has("audit_1", "closed_form", "zipf")
        for sigma in q.curator_sigmas:
            assert summary.has(f"curator_{sigma:g}", "over_refusal", "zipf")
    elif name == "limits":
        assert summary.curve("noise_hybrid_0.3", "lead", "default").x.tolist() == list(
            q.budgets)
        for t in q.active:
            assert summary.curve(f"helpfulness_rule_T{t}", "regret", "default").x.tolist() == \
                list(q.couplings)


def test_every_tiny_run_has_its_figure_and_its_axes(tiny):
    out, _ = tiny
    for name, folder in ledger.find_runs(out).items():
        assert (folder / f"{name}.png").stat().st_size > 0 and (folder / f"{name}.pdf").is_file()
        meta = json.loads((folder / "meta.json").read_text())
        assert meta["scale"] == "tiny" and meta["config_hash"] == folder.name
        assert meta["rerun"].endswith(f"python -m experiments {name} --tiny --out {out}")
        _axes(name, ledger.load_summary(folder))


# Each experiment's compiled programs, as characters of HLO text (StableHLO, before XLA's
# passes: the same on every machine) at the tiny scale, with about 5% headroom: E1, E2, E5
# and E10 measured at stop 38, once their variants ran as one program (E1 4.49 to 2.51
# million), the others at stop 35; E1, E2 and E5 again at stop 40, once their members drew
# one world (E1 2.49 to 1.97 million: sim.shared). Compile time grows with it (10 to 15 s per million
# characters on 2 cores), so a change that adds program text fails here and must lower the
# budget it raises, or say why.
HLO_BUDGET = {"convergence": 2_070_000, "sycophancy": 1_450_000, "negative_only": 530_000,
              "loss_aversion": 460_000, "capability": 1_730_000, "shift": 730_000,
              "returns": 1_020_000, "hybrid": 1_200_000, "economics": 2_070_000,
              "limits": 1_560_000}


def test_every_experiment_stays_under_its_hlo_budget(tiny):
    """Compile less (issue 30): each experiment's programs at the tiny scale hold under
    :data:`HLO_BUDGET`, read from the ``meta.json`` of the ``all --tiny`` run."""
    out, _ = tiny
    assert set(HLO_BUDGET) == set(registry())
    sizes = {}
    for name, folder in ledger.find_runs(out).items():
        programs = json.loads((folder / "meta.json").read_text())["programs"]
        sizes[name] = sum(p.get("hlo_chars", 0) for p in programs)
    over = {n: (s, HLO_BUDGET[n]) for n, s in sizes.items() if s > HLO_BUDGET[n]}
    assert not over, f"HLO characters over budget (size, budget): {over}"
    assert set(sizes) == set(HLO_BUDGET) and all(s > 0 for s in sizes.values()), sizes


def test_all_reuses_finished_experiments_of_the_same_config_and_code(tiny):
    out, _ = tiny
    before = {n: (f / "meta.json").stat().st_mtime_ns for n, f in ledger.find_runs(out).items()}
    run = _all("--tiny", "--out", str(out), timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "0 run, 10 reused, 0 failed" in run.stdout
    after = {n: (f / "meta.json").stat().st_mtime_ns for n, f in ledger.find_runs(out).items()}
    assert before == after


def test_jobs_run_experiments_at_once_in_processes_of_their_own_with_the_same_numbers(
        tiny, tmp_path):
    """``all --jobs 2``: two experiments at once, each in its own process, write bitwise the
    results of the serial ``all --tiny``, and the ledger as usual."""
    out, _ = tiny
    new = tmp_path / "results"
    run = _all("--tiny", "--only", "loss_aversion,returns", "--jobs", "2", "--out", str(new),
               timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "2 run, 0 reused, 0 failed" in run.stdout and "(2 at a time)" in run.stdout
    assert "loss_aversion: " in run.stdout and "returns: " in run.stdout   # each child's lines
    serial, parallel = ledger.find_runs(out), ledger.find_runs(new)
    assert set(parallel) == {"loss_aversion", "returns"}
    for name, folder in parallel.items():
        assert (folder / "results.csv").read_bytes() == \
            (serial[name] / "results.csv").read_bytes(), name
    assert json.loads((new / "all.json").read_text())["jobs"] == 2 and _ledger(new)


def test_sigkill_during_all_leaves_no_partial_folder_and_the_next_all_resumes(tmp_path):
    """Kill-safety: after SIGKILL every results folder is whole (dot-named leftovers aside),
    and the next ``all`` removes the leftovers, reuses what finished and runs the rest."""
    out = tmp_path / "results"
    only = ["--tiny", "--only", "loss_aversion,negative_only", "--jobs", "1", "--out", str(out)]
    proc = subprocess.Popen([sys.executable, "-m", "experiments", "all", *only], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 900
    # a finished folder (pathlib's * also matches the dot-named folder of a write under way)
    while not list(out.glob("loss_aversion/[0-9a-f]*/summary.csv")) and time.monotonic() < deadline:
        assert proc.poll() is None, "all ended before it could be killed"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    for folder in out.glob("*/*"):
        if not folder.name.startswith("."):
            assert all((folder / f).is_file() for f in FILES), folder
            ledger.load_summary(folder)
    assert not list(out.glob("negative_only/[0-9a-f]*"))   # killed before it finished
    leftover = out / "negative_only" / ".0123456789ab.half"   # what a kill mid-write leaves
    leftover.mkdir(parents=True)
    (leftover / "summary.csv").write_text("experiment,variant\nnegative_only,re")
    run = _all(*only, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "1 run, 1 reused, 0 failed" in run.stdout
    assert not leftover.exists() and len(list(out.glob("negative_only/[0-9a-f]*"))) == 1
    rows = _ledger(out)
    for r in rows:   # the experiments not run: said, not guessed
        if r["experiment"] not in ("loss_aversion", "negative_only"):
            assert r["verdict"] == "inconclusive" and "no results" in r["fails_where"], r


def _copy(out: Path, dest: Path) -> Path:
    for name, folder in ledger.find_runs(out).items():
        target = dest / name / folder.name
        target.mkdir(parents=True)
        for f in ("summary.csv", "meta.json"):
            shutil.copyfile(folder / f, target / f)
    return dest


def _damage(path: Path, how: str):
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    if how == "cut mid-line":
        path.write_text(text[: len(text) // 2])
    elif how == "cut at a line end":
        path.write_text("".join(lines[: len(lines) // 2]))
    elif how == "a field that is not a number":
        cells = lines[3].split(",")
        cells[-4] = "0.3x"
        lines[3] = ",".join(cells)
        path.write_text("".join(lines))
    else:
        path.write_text("")


@pytest.mark.parametrize("how", ["cut mid-line", "cut at a line end",
                                 "a field that is not a number", "empty"])
def test_a_damaged_summary_is_one_line_naming_the_file_not_a_verdict(tiny, tmp_path, capsys,
                                                                      how):
    root = _copy(tiny[0], tmp_path / "r")
    damaged = next(root.glob("sycophancy/[0-9a-f]*/summary.csv"))
    _damage(damaged, how)
    assert main(["claims", "--from", str(root)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(damaged) in err and "Traceback" not in err
    assert not (root / "claims.csv").exists()


def _set(path: Path, method: str, metric: str, values: dict):
    """Set (mean, ci_low, ci_high) of every row of ``method``/``metric`` whose annotator
    sycophancy is a key of ``values`` (at every kappa of the run)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    h = rows[0]
    for r in rows[1:]:
        if r[h.index("method")] == method and r[h.index("metric")] == metric:
            key = float(r[h.index("annotator.sycophancy")])
            if key in values:
                r[h.index("mean")], r[h.index("ci_low")], r[h.index("ci_high")] = \
                    map(str, values[key])
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def test_a_changed_summary_changes_the_verdict_as_its_rule_says(tiny, tmp_path):
    """P3.2's rule: supported if the CI of (the tilt's sycophancy at the largest annotator
    sycophancy minus at the smallest) lies above 0, contradicted if below, else
    inconclusive. Rewriting those numbers moves the verdict through all three."""
    root = _copy(tiny[0], tmp_path / "r")
    path = next(root.glob("sycophancy/[0-9a-f]*/summary.csv"))
    points = ledger.load_summary(path.parent).points("annotator.sycophancy")
    lo_s, hi_s = points[0], points[-1]
    for values, verdict in (({hi_s: (0.9, 0.85, 0.95), lo_s: (0.1, 0.05, 0.15)}, "supported"),
                            ({hi_s: (0.1, 0.05, 0.15), lo_s: (0.9, 0.85, 0.95)}, "contradicted"),
                            ({hi_s: (0.5, 0.3, 0.7), lo_s: (0.5, 0.3, 0.7)}, "inconclusive")):
        _set(path, "tilt", "sycophancy_rate", values)
        rows, _ = ledger.write(root)
        p32 = next(r for r in rows if r["claim_id"] == "P3.2")
        assert p32["verdict"] == verdict, (values, p32)
        assert float(p32["effect"]) == pytest.approx(values[hi_s][0] - values[lo_s][0])
        assert next(r for r in _ledger(root) if r["claim_id"] == "P3.2")["verdict"] == verdict


def _oracle_shifted(summary):
    """The same summary with every oracle-tier row moved far away (its band kept)."""
    from experiments.results import Summary
    rows = []
    for r in summary.rows:
        r = dict(r)
        if r.get("tier") == "oracle":
            for k in ("mean", "ci_low", "ci_high"):
                r[k] = float(r[k]) + 777.0
        rows.append(r)
    return Summary(rows, summary.sweep_cols)


def test_no_verdict_reads_the_oracle_tier(tiny):
    """Issue 29: the oracle tier (each rule's extent handed over) is an upper bound shown
    beside the fair comparison and never decides a verdict: moving every oracle-tier row of
    the tiny run far away changes no claim's verdict or effect (per-seed pairing off on both
    sides, so the two readings use the same statistics). A row not testable in this model
    reports a number but reads no verdict from it (S4 measures against the oracle)."""
    out, _ = tiny
    runs = ledger.find_runs(out)
    plain, shifted = {}, {}
    for name, folder in runs.items():
        view = ledger.claim_view(folder)
        view.per_seed = None
        plain[name], shifted[name] = view, _oracle_shifted(view)
    oracle_rows = sum(r.get("tier") == "oracle" for s in plain.values() for r in s.rows)
    assert oracle_rows > 0      # the test can fail: the tiny run has oracle-tier rows
    for c in CLAIMS:
        if c.experiment not in plain:
            continue
        a, b = c.read(plain), c.read(shifted)
        assert a.verdict == b.verdict, c.id
        if a.verdict != "not testable in this model":
            assert a.effect == pytest.approx(b.effect, nan_ok=True), c.id
