"""그림을 SVG로 그린다: 밝은 테마와 어두운 테마 한 장씩. 히트맵, 히트맵 격자, 꺾은선.

matplotlib은 여기서만 불러온다. pyplot을 쓰지 않아 전역 상태가 없고,
같은 데이터는 언제나 같은 바이트가 된다 (고정 hashsalt, 날짜 없는 메타데이터).
"""

from __future__ import annotations

import io
from importlib import metadata
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import colormaps, font_manager
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from snippets.figures import SCHEMES, FigureData, Heatmap, HeatmapGrid, LinePlot

# Text colours follow Material's default (light) and slate (dark) foregrounds;
# the background stays transparent so the page colour shows through.
_INK = {"light": "#24292f", "dark": "#e3e5ea"}
_GRID = {"light": "#ffffff", "dark": "#1e2129"}
# viridis is perceptually uniform and readable with the common colour-vision deficiencies.
_COLORMAP = "viridis"
_CELL_INCHES = 0.62


def font_path() -> Path:
    """NanumGothic TTF inside the koreanize-matplotlib wheel, found without importing the module."""
    for file in metadata.distribution("koreanize-matplotlib").files or ():
        if file.name == "NanumGothic.ttf":
            return Path(str(file.locate()))
    raise FileNotFoundError("NanumGothic.ttf not found in the koreanize-matplotlib distribution")


def _font_family() -> str:
    path = font_path()
    if not any(entry.fname == str(path) for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def _rc() -> dict:
    return {
        "font.family": _font_family(),
        "font.size": 11,
        # NanumGothic has no U+2212 MINUS SIGN.
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "attention-course",
    }


def _text_colour(rgba: tuple[float, ...]) -> str:
    red, green, blue = rgba[:3]
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "#111111" if luminance > 0.45 else "#ffffff"


def _ticks(labels: tuple[str, ...]) -> tuple[list[int], list[str]]:
    # A 32-wide positional-encoding matrix cannot show every label; show about 16.
    step = max(1, -(-len(labels) // 16))
    positions = list(range(0, len(labels), step))
    return positions, [labels[i] for i in positions]


def _norm(heatmaps) -> Normalize:
    low = min(0.0, *(float(h.values.min()) for h in heatmaps))
    high = max(1e-12, *(float(h.values.max()) for h in heatmaps))
    return Normalize(vmin=low, vmax=high)


def _draw_heatmap(axes, heatmap: Heatmap, norm: Normalize, scheme: str):
    values = heatmap.values
    n_rows, n_cols = values.shape
    ink = _INK[scheme]
    cmap = colormaps[_COLORMAP]
    image = axes.imshow(values, cmap=cmap, norm=norm, aspect="equal", interpolation="nearest")
    if heatmap.annotate:
        for row in range(n_rows):
            for col in range(n_cols):
                value = values[row, col]
                axes.text(
                    col,
                    row,
                    f"{value:.2f}",
                    ha="center",
                    va="center",
                    fontsize=10,
                    color=_text_colour(cmap(norm(value))),
                )
    axes.set_xticks(*_ticks(heatmap.col_labels))
    axes.set_yticks(*_ticks(heatmap.row_labels))
    axes.xaxis.tick_top()
    axes.xaxis.set_label_position("top")
    axes.set_xlabel(heatmap.col_title, color=ink, labelpad=8)
    axes.set_ylabel(heatmap.row_title, color=ink, labelpad=8)
    axes.tick_params(colors=ink, length=0)
    if heatmap.annotate:
        # Thin lines in the page colour separate the cells.
        axes.set_xticks(np.arange(-0.5, n_cols), minor=True)
        axes.set_yticks(np.arange(-0.5, n_rows), minor=True)
        axes.grid(which="minor", color=_GRID[scheme], linewidth=1.5)
        axes.tick_params(which="minor", length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    return image


def _cell_inches(heatmap: Heatmap) -> float:
    return _CELL_INCHES if heatmap.annotate else 0.22


def _heatmap_figure(heatmap: Heatmap, scheme: str) -> Figure:
    n_rows, n_cols = heatmap.values.shape
    cell = _cell_inches(heatmap)
    figure = Figure(figsize=(1.4 + cell * n_cols, 0.9 + cell * n_rows))
    axes = figure.add_subplot()
    image = _draw_heatmap(axes, heatmap, _norm([heatmap]), scheme)
    if not heatmap.annotate:
        # Without numbers in the cells, the colour bar is the only way to read a value.
        bar = figure.colorbar(image, ax=axes, shrink=0.8)
        bar.ax.tick_params(colors=_INK[scheme])
        bar.outline.set_visible(False)
    return figure


def _grid_figure(grid: HeatmapGrid, scheme: str) -> Figure:
    n_rows, n_cols = grid.panels[0].values.shape
    cell = _cell_inches(grid.panels[0])
    columns = min(grid.columns, len(grid.panels))
    rows = -(-len(grid.panels) // columns)
    figure = Figure(
        figsize=(columns * (1.6 + cell * n_cols), rows * (1.3 + cell * n_rows)),
        layout="constrained",
    )
    norm = _norm(grid.panels)  # one colour scale, so heads can be compared by colour
    for index, (title, panel) in enumerate(zip(grid.titles, grid.panels, strict=True)):
        axes = figure.add_subplot(rows, columns, index + 1)
        _draw_heatmap(axes, panel, norm, scheme)
        axes.set_title(title, color=_INK[scheme], fontsize=12, pad=10, loc="left")
    return figure


# Okabe–Ito: distinguishable with the common colour-vision deficiencies, on light and dark.
_LINE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
_MARKERS = ("o", "s", "^", "D", "v", "P")


def _lines_figure(plot: LinePlot, scheme: str) -> Figure:
    ink = _INK[scheme]
    figure = Figure(figsize=(6.4, 3.8), layout="constrained")
    axes = figure.add_subplot()
    for index, line in enumerate(plot.series):
        axes.plot(
            plot.x,
            line.y,
            label=line.label,
            color=_LINE_COLOURS[index % len(_LINE_COLOURS)],
            marker=_MARKERS[index % len(_MARKERS)],
            markersize=4,
            linewidth=1.8,
        )
    if plot.log_x:
        axes.set_xscale("log", base=2)
    if plot.log_y:
        axes.set_yscale("log")
    axes.set_xlabel(plot.x_label, color=ink)
    axes.set_ylabel(plot.y_label, color=ink)
    axes.tick_params(colors=ink, which="both")
    axes.grid(True, color=ink, alpha=0.15, linewidth=0.8)
    for spine in axes.spines.values():
        spine.set_color(ink)
        spine.set_alpha(0.4)
    legend = axes.legend(frameon=False)
    for text in legend.get_texts():
        text.set_color(ink)
    return figure


_PAD_INCHES = 0.05


def _figure(data: FigureData, scheme: str) -> Figure:
    if isinstance(data, Heatmap):
        return _heatmap_figure(data, scheme)
    if isinstance(data, HeatmapGrid):
        return _grid_figure(data, scheme)
    return _lines_figure(data, scheme)


def _cell_areas(figure: Figure) -> list[dict[str, float]]:
    """Where each heatmap's cells lie in the saved image, as fractions of its width and height.

    The page's script lays its hover grid over exactly this rectangle; the geometry is the same
    in both schemes (only colours differ), so one layout serves both images.
    """
    renderer = figure._get_renderer()
    # Same box as savefig(bbox_inches="tight", pad_inches=_PAD_INCHES), in display pixels.
    box = figure.get_tightbbox(renderer).padded(_PAD_INCHES).transformed(figure.dpi_scale_trans)
    areas = []
    for axes in figure.axes:
        if not axes.images or axes.get_label() == "<colorbar>":
            continue
        n_rows, n_cols = axes.images[0].get_array().shape
        (left, bottom), (right, top) = axes.transData.transform(
            [(-0.5, n_rows - 0.5), (n_cols - 0.5, -0.5)]
        )
        areas.append(
            {
                "left": round(float((left - box.x0) / box.width), 5),
                "top": round(float((box.y1 - top) / box.height), 5),
                "width": round(float((right - left) / box.width), 5),
                "height": round(float((top - bottom) / box.height), 5),
            }
        )
    return areas


def _save(figure: Figure, format: str) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format=format,
        transparent=True,
        bbox_inches="tight",
        pad_inches=_PAD_INCHES,
        metadata={"Date": None, "Creator": None} if format == "svg" else {"Software": None},
    )
    return buffer.getvalue()


def render(data: FigureData) -> tuple[dict[str, bytes], list[dict[str, float]]]:
    """그림 한 장을 테마마다 SVG로, 그리고 히트맵 칸들이 그림 안에서 차지하는 자리."""
    svg, areas = {}, []
    with matplotlib.rc_context(_rc()):
        for scheme in SCHEMES:
            figure = _figure(data, scheme)
            svg[scheme] = _save(figure, "svg")
            areas = _cell_areas(figure)
    return svg, areas


def render_svg(data: FigureData, scheme: str) -> bytes:
    """그림 한 장을 SVG 바이트로. 히트맵은 칸마다 값을 적는다."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown colour scheme {scheme!r}; expected one of {SCHEMES}")
    with matplotlib.rc_context(_rc()):
        return _save(_figure(data, scheme), "svg")


def render_png(data: FigureData, scheme: str, dpi: int = 100) -> bytes:
    """PNG with exactly the SVG's layout; tests read pixel colours from it."""
    with matplotlib.rc_context(_rc() | {"savefig.dpi": dpi}):
        return _save(_figure(data, scheme), "png")
