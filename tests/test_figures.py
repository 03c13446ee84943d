"""Figures: declarations, rendering, cache and the errors a bad figure gives."""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from snippets.figures import (
    FigureError,
    FigureSpec,
    Heatmap,
    HeatmapGrid,
    LinePlot,
    Series,
    all_figures,
    figure,
)
from snippets.figures.build import build_figure, build_figures, cache_key
from snippets.figures.render import font_path, render_svg

from .conftest import ROOT, build_env

SMALL = Heatmap(np.array([[0.25, 0.75], [0.5, 0.5]]), ("가", "나"), ("key1", "key2"))


def spec(compute, name="test_figure"):
    return FigureSpec(name, "제목", "대체 텍스트", compute, "tests")


def svg_texts(svg: bytes) -> list[str]:
    # matplotlib writes each text as glyph paths preceded by a comment holding the string.
    return re.findall(r"<!-- (.*?) -->", svg.decode())


@pytest.mark.parametrize("name", list(all_figures()))
def test_declared_figure_is_valid(name):
    spec = all_figures()[name]
    data = spec.compute_checked()
    assert data.summary()
    assert re.search("[가-힣]", spec.title) and re.search("[가-힣]", spec.alt)


def test_rendering_is_byte_identical_and_has_both_schemes():
    light = render_svg(SMALL, "light")
    assert render_svg(SMALL, "light") == light
    dark = render_svg(SMALL, "dark")
    assert dark != light
    assert light.startswith(b"<?xml") and b"<svg" in light


def test_svg_shows_labels_axis_titles_and_every_value():
    texts = svg_texts(render_svg(SMALL, "light"))
    for text in ["가", "나", "key1", "key2", "쿼리 (query)", "키 (key)", "0.25", "0.75", "0.50"]:
        assert text in texts
    assert texts.count("0.50") == 2


def test_svg_has_no_date_and_needs_no_font():
    svg = render_svg(SMALL, "dark").decode()
    assert "<dc:date>" not in svg
    assert "<text" not in svg  # glyph outlines, not text that needs a font on the reader's side
    assert font_path().name == "NanumGothic.ttf"


def test_hangul_renders_without_missing_glyph_warnings(recwarn):
    render_svg(Heatmap(np.array([[-1.0]]), ("음수 값",), ("한글",)), "light")
    assert not [w for w in recwarn if "missing" in str(w.message).lower()]


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="scheme"):
        render_svg(SMALL, "sepia")


def test_summary_names_ties():
    heatmap = Heatmap(np.array([[0.4, 0.4, 0.2]]), ("q",), ("a", "b", "c"))
    assert heatmap.summary() == "행마다 가장 큰 값: q → a·b 0.40."


@pytest.mark.parametrize(
    ("compute", "message"),
    [
        (lambda: 1 / 0, r"figure 'test_figure' \(tests\.<lambda>\) raised ZeroDivisionError"),
        (lambda: Heatmap(np.array([[np.nan, 1.0]]), ("q",), ("a", "b")), r"\(0, 0\) is nan"),
        (lambda: Heatmap(np.array([[1.0, np.inf]]), ("q",), ("a", "b")), r"\(0, 1\) is inf"),
        (lambda: Heatmap(np.ones((2, 3)), ("q",), ("a", "b", "c")), "2x3 but there are 1 row"),
        (lambda: Heatmap(np.ones((1, 3)), ("q",), ("a", "b")), "and 2 column labels"),
        (lambda: Heatmap(np.ones(3), ("q",), ("a", "b", "c")), "2-D matrix"),
        (lambda: np.ones((2, 2)), "returned ndarray, not a Heatmap"),
        (
            lambda: Heatmap(np.ones((1, 2)), ("q",), ("a", "b"), scores=np.ones((2, 2))),
            r"scores are \(2, 2\) but values are \(1, 2\)",
        ),
        (
            lambda: HeatmapGrid((SMALL, SMALL), ("머리 1",)),
            "2 panels but 1 titles",
        ),
        (lambda: LinePlot(np.arange(3.0), (), "x", "y"), "at least one series"),
        (
            lambda: LinePlot(np.arange(3.0), (Series("선", np.ones(2)),), "x", "y"),
            r"series '선' has \(2,\) points",
        ),
        (
            lambda: LinePlot(np.arange(3.0), (Series("선", np.zeros(3)),), "x", "y", log_y=True),
            "<= 0 on a log axis",
        ),
    ],
)
def test_bad_figure_fails_with_its_name_and_writes_nothing(tmp_path, compute, message):
    cache = tmp_path / "cache"
    with pytest.raises(FigureError, match=message):
        build_figure(spec(compute), cache)
    assert not cache.exists() or not any(cache.iterdir())


def test_unknown_figure_lists_declared_ones(tmp_path):
    with pytest.raises(
        FigureError, match=r"unknown figure 'nope'; declared figures are: .*cat_query_weights"
    ):
        build_figures(["nope"], tmp_path)


def test_duplicate_declaration_is_refused():
    name = next(iter(all_figures()))
    with pytest.raises(FigureError, match=f"figure '{name}' is declared twice"):
        figure(name, title="t", alt="a")(lambda: SMALL)


def test_cache_hit_returns_same_bytes_without_rendering(tmp_path):
    first = build_figure(spec(lambda: SMALL), tmp_path)
    second = build_figure(spec(lambda: SMALL), tmp_path)
    assert first.rendered and not second.rendered
    assert first.svg == second.svg
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"test_figure-{cache_key(SMALL)}-{s}" for s in ("light.svg", "dark.svg", "areas.json")
    )


def test_cache_key_follows_the_data():
    changed = Heatmap(SMALL.values + 0.01, SMALL.row_labels, SMALL.col_labels)
    relabelled = Heatmap(SMALL.values, SMALL.row_labels, ("key1", "열쇠"))
    keys = {cache_key(SMALL), cache_key(changed), cache_key(relabelled)}
    assert len(keys) == 3


def test_warm_cache_does_not_import_matplotlib(tmp_path):
    script = (
        "import sys; from pathlib import Path\n"
        "from snippets.figures import all_figures\n"
        "from snippets.figures.build import build_figures\n"
        f"figures = build_figures(list(all_figures()), Path({str(tmp_path)!r}))\n"
        "print(sum(f.rendered for f in figures.values()), 'matplotlib' in sys.modules)\n"
    )

    def run():
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=build_env(),
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    rendered, imported = run()
    assert int(rendered) == len(all_figures()) and imported == "True"
    assert run() == ["0", "False"]


def test_grid_and_line_plot_render_their_titles_and_labels():
    grid = HeatmapGrid((SMALL, SMALL), ("헤드 1", "헤드 2"), columns=2)
    texts = svg_texts(render_svg(grid, "dark"))
    assert {"헤드 1", "헤드 2", "key1"} <= set(texts)
    assert render_svg(grid, "dark") == render_svg(grid, "dark")
    plot = LinePlot(
        np.array([1.0, 2.0, 4.0]),
        (Series("√d_k로 나눔", np.array([0.5, 0.4, 0.3])), Series("그대로", np.ones(3))),
        "차원 d_k",
        "가장 큰 가중치",
        log_x=True,
    )
    texts = svg_texts(render_svg(plot, "light"))
    assert {"√d_k로 나눔", "그대로", "차원 d_k", "가장 큰 가중치"} <= set(texts)
    assert (
        plot.summary() == "√d_k로 나눔: x=1일 때 0.5, x=4일 때 0.3; 그대로: x=1일 때 1, x=4일 때 1."
    )


def test_negative_scores_of_masked_cells_are_allowed():
    masked = Heatmap(SMALL.values, ("가", "나"), ("a", "b"), scores=np.array([[0.0, -np.inf]] * 2))
    assert build_figure(spec(lambda: masked), Path(tempfile.mkdtemp())).data.scores is not None
