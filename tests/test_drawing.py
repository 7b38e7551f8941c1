"""A swept run's figures: every point shown under its own name, never under another's."""

import pytest

from experiments import drawing
from experiments.figures import plotting
from experiments.results import AmbiguousPoint, Summary
from sim.spec import registry

HEADER = ["experiment", "variant", "world.coupling", "method", "axis", "x", "metric", "mean",
          "ci_low", "ci_high", "n_seeds"]


def _summary(points=(0.0, 0.5, 0.9)):
    rows = [["convergence", "batch", k, "reward_model", "labels", x, "ranking_drift",
             k + x, k + x - 0.1, k + x + 0.1, 2] for k in points for x in (0.0, 10.0)]
    return Summary.from_rows(HEADER, rows)


def test_a_curve_of_a_swept_run_must_name_its_point():
    """Defect: the reader silently returned the first sweep point (kappa = 0) to a figure
    titled with the default (kappa = 0.5). Now the point must be named."""
    s = _summary()
    with pytest.raises(AmbiguousPoint, match="world.coupling is swept over 3 values"):
        s.curve("reward_model", "ranking_drift", "batch")
    assert s.curve("reward_model", "ranking_drift", "batch",
                   where={"world.coupling": 0.5}).mean.tolist() == [0.5, 10.5]
    one = _summary(points=(0.5,))   # a single value needs no name
    assert one.curve("reward_model", "ranking_drift", "batch").mean.tolist() == [0.5, 10.5]


def test_a_swept_run_gets_one_figure_per_point_titled_and_captioned_with_it(tmp_path,
                                                                            monkeypatch):
    """Each point's figure sees only that point's rows, a config carrying the point's value
    (the title's numbers), and a caption naming it; NAME.png is the default point's
    (kappa = 0.5, where claims are read), not the first's."""
    spec = registry()["convergence"]
    seen = []

    def fake_plot(summary, config, stem):
        seen.append((summary.sweep_cols, {r["world.coupling"] for r in summary.rows},
                     config.world.coupling, plotting._CAPTION.get(), stem.name))
        for ext in ("pdf", "png"):
            (tmp_path / f"{stem.name}.{ext}").write_text(stem.name)

    module = drawing.figure_module(spec)
    monkeypatch.setattr(module, "plot", fake_plot)
    names = drawing.draw(spec, _summary(), spec.default(), tmp_path)
    assert [s[:3] for s in seen] == [((), {k}, k) for k in (0.0, 0.5, 0.9)]
    assert [s[4] for s in seen] == [f"convergence@world.coupling={k:g}" for k in (0.0, 0.5, 0.9)]
    assert "sweep point 2 of 3: world.coupling = 0.5" in seen[1][3]
    assert set(names) >= {"convergence.png", "convergence@world.coupling=0.9.png"}
    assert (tmp_path / "convergence.png").read_text() == "convergence@world.coupling=0.5"


def test_an_unswept_run_gets_one_figure_without_a_caption(tmp_path, monkeypatch):
    spec = registry()["convergence"]
    seen = []
    module = drawing.figure_module(spec)
    monkeypatch.setattr(module, "plot", lambda s, c, stem: seen.append(
        (c.world.coupling, plotting._CAPTION.get(), stem.name)))
    assert drawing.draw(spec, _summary(points=(0.9,)), spec.default(), tmp_path) == [
        "convergence.pdf", "convergence.png"]
    assert seen == [(0.9, None, "convergence")]   # the single value is in the title


def test_a_figure_that_facets_a_field_draws_it_itself(tmp_path, monkeypatch):
    """E2 draws annotator sycophancy on its own axes: one figure gets every rate."""
    spec = registry()["sycophancy"]
    header = [*HEADER[:2], "annotator.sycophancy", *HEADER[3:]]
    rows = [["sycophancy", "default", k, "tilt", "beta", 0.0, "sycophancy_rate", 0.1, 0.0,
             0.2, 2] for k in (0.0, 0.3)]
    seen = []
    monkeypatch.setattr(drawing.figure_module(spec), "plot",
                        lambda s, c, stem: seen.append((s.sweep_cols, stem.name)))
    drawing.draw(spec, Summary.from_rows(header, rows), spec.default(), tmp_path)
    assert seen == [(("annotator.sycophancy",), "sycophancy")]


def test_a_figure_is_laid_out_once_for_its_pdf_and_its_png(tmp_path, monkeypatch):
    """``save`` writes both files from one constrained layout (it was made for each file,
    a third of a figure's drawing time), and the PNG keeps the PDF's axes positions."""
    import matplotlib.pyplot as plt
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    from experiments.figures.plotting import save
    runs = []
    execute = ConstrainedLayoutEngine.execute
    monkeypatch.setattr(ConstrainedLayoutEngine, "execute",
                        lambda self, fig: (runs.append(fig), execute(self, fig)))
    fig, axes = plt.subplots(1, 2, figsize=(6, 3), constrained_layout=True)
    axes[0].set(title="a panel", ylabel="a label")
    positions = []
    monkeypatch.setattr(fig, "savefig", lambda *a, savefig=fig.savefig, **k: (
        savefig(*a, **k), positions.append([ax.get_position().bounds for ax in axes])))
    save(fig, tmp_path / "two")
    assert (tmp_path / "two.pdf").stat().st_size > 0 and (tmp_path / "two.png").stat().st_size > 0
    assert len(runs) == 1
    assert positions[0] == positions[1]


def test_a_title_wider_than_its_figure_is_wrapped_to_fit_and_a_short_one_is_kept():
    """A figure's setting line is never cut off at its edges (E3's was, at both ends)."""
    import matplotlib.pyplot as plt

    from experiments.figures.plotting import _fit_title
    long = " ".join(f"setting{k} = {k / 7:.3f}," for k in range(30))
    for title, fits in ((long, False), ("short title\nits sweep point", True)):
        fig = plt.figure(figsize=(6, 3), layout="constrained")
        fig.suptitle(title, fontsize=10)
        _fit_title(fig)
        extent = fig._suptitle.get_window_extent(fig.canvas.get_renderer())
        assert extent.width <= fig.bbox.width, (extent.width, fig.bbox.width)
        assert fig.get_suptitle().split() == title.split()
        if fits:
            assert fig.get_suptitle() == title
        else:
            assert fig.get_suptitle().count("\n") >= 2
        plt.close(fig)


def test_math_strings_are_laid_out_once_per_process_and_the_figures_keep_their_bytes(
        tmp_path, monkeypatch):
    """The shared mathtext cache (:mod:`experiments.figures.mathtext_cache`) parses a math
    label once for every figure of a process, not once per figure and file, and the PDF and
    PNG are byte for byte those of matplotlib's own per-parser cache."""
    import matplotlib.pyplot as plt
    from matplotlib.mathtext import MathTextParser

    from experiments.figures import mathtext_cache
    from experiments.figures.plotting import save
    if not mathtext_cache.shared():
        assert mathtext_cache.wrappable() is None
        return   # a matplotlib with another parse than the one it wraps: nothing is changed

    def draw(stem):
        fig, ax = plt.subplots(figsize=(3, 2), constrained_layout=True)
        ax.semilogx([1, 10, 100], [0.1, 0.5, 0.2], label=r"tilt $\pi_0 e^{\beta r}$")
        ax.set(xlabel=r"KL($\pi$ || $\pi_0$) (nats)", ylabel=r"$s_{syc}$ (share)",
               title=r"(a) $\kappa$ = 0.5")
        ax.legend()
        save(fig, tmp_path / stem)
        return [(tmp_path / f"{stem}.{ext}").read_bytes() for ext in ("pdf", "png")]

    shared = MathTextParser._parse_cached
    draw("warm")   # the parses of this process so far, made
    before = shared.cache_info()
    again = draw("again")
    after = shared.cache_info()
    assert after.misses == before.misses and after.hits > before.hits
    monkeypatch.setattr(MathTextParser, "_parse_cached", shared.original)
    assert draw("matplotlib") == again


def test_a_matplotlib_with_another_parse_is_left_as_it_is(monkeypatch):
    """The shared cache wraps only the parse it knows (matplotlib 3.10 on: hinting passed in,
    so it is in the key); an older four-argument parse, or none at all, is left alone."""
    import functools

    from matplotlib.mathtext import MathTextParser

    from experiments.figures import mathtext_cache

    @functools.lru_cache(50)
    def older(self, s, dpi, prop, antialiased):   # matplotlib 3.8's, hinting read inside
        return None

    monkeypatch.setattr(MathTextParser, "_parse_cached", older)
    assert mathtext_cache.wrappable() is None and not mathtext_cache.share_parses()
    assert MathTextParser._parse_cached is older
    monkeypatch.delattr(MathTextParser, "_parse_cached")
    assert not mathtext_cache.share_parses() and not mathtext_cache.shared()
