"""히트맵을 SVG로 그린다: 밝은 테마와 어두운 테마 한 장씩.

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

from snippets.figures import SCHEMES, Heatmap

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


def render_svg(heatmap: Heatmap, scheme: str) -> bytes:
    """히트맵 한 장을 SVG 바이트로. 칸마다 값을 적는다."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown colour scheme {scheme!r}; expected one of {SCHEMES}")
    values = heatmap.values
    n_rows, n_cols = values.shape
    ink = _INK[scheme]
    norm = Normalize(vmin=min(0.0, float(values.min())), vmax=max(float(values.max()), 1e-12))
    cmap = colormaps[_COLORMAP]

    with matplotlib.rc_context(_rc()):
        figure = Figure(figsize=(1.4 + _CELL_INCHES * n_cols, 0.9 + _CELL_INCHES * n_rows))
        axes = figure.add_subplot()
        axes.imshow(values, cmap=cmap, norm=norm, aspect="equal")
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
        axes.set_xticks(range(n_cols), heatmap.col_labels)
        axes.set_yticks(range(n_rows), heatmap.row_labels)
        axes.xaxis.tick_top()
        axes.xaxis.set_label_position("top")
        axes.set_xlabel(heatmap.col_title, color=ink, labelpad=8)
        axes.set_ylabel(heatmap.row_title, color=ink, labelpad=8)
        axes.tick_params(colors=ink, length=0)
        # Thin lines in the page colour separate the cells.
        axes.set_xticks(np.arange(-0.5, n_cols), minor=True)
        axes.set_yticks(np.arange(-0.5, n_rows), minor=True)
        axes.grid(which="minor", color=_GRID[scheme], linewidth=1.5)
        axes.tick_params(which="minor", length=0)
        for spine in axes.spines.values():
            spine.set_visible(False)

        buffer = io.BytesIO()
        figure.savefig(
            buffer,
            format="svg",
            transparent=True,
            bbox_inches="tight",
            pad_inches=0.05,
            metadata={"Date": None, "Creator": None},
        )
    return buffer.getvalue()
