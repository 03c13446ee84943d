"""실습 노트북이 함께 쓰는 그리기 도우미: 한글 글꼴과 가중치 히트맵.

노트북마다 같은 설정 코드를 되풀이하지 않도록 여기에 한 번만 둔다. pyplot을 쓰므로
노트북(또는 대화형 파이썬)에서만 부른다. 사이트의 그림은 snippets.figures가 따로 그린다.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def use_korean_font() -> None:
    """matplotlib에 나눔고딕을 등록하고 기본 글꼴로 정한다."""
    import matplotlib
    from matplotlib import font_manager

    from snippets.figures.render import font_path

    path = str(font_path())
    if not any(entry.fname == path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    name = font_manager.FontProperties(fname=path).get_name()
    matplotlib.rcParams["font.family"] = name
    # 나눔고딕에는 U+2212(빼기 기호)가 없다.
    matplotlib.rcParams["axes.unicode_minus"] = False


def show_heatmap(
    weights: np.ndarray,
    rows: Sequence[str],
    cols: Sequence[str],
    title: str = "",
    decimals: int = 2,
) -> None:
    """가중치 행렬을 히트맵으로 그린다. 행 = 쿼리, 열 = 키, 칸마다 값을 적는다."""
    import matplotlib.pyplot as plt

    use_korean_font()
    weights = np.atleast_2d(np.asarray(weights))  # (n_q, n_k)
    if weights.shape != (len(rows), len(cols)):
        raise ValueError(f"weights {weights.shape} vs labels ({len(rows)}, {len(cols)})")
    n_rows, n_cols = weights.shape
    fig, ax = plt.subplots(figsize=(0.7 * n_cols + 2.0, 0.55 * n_rows + 1.2))
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=max(1e-9, float(weights.max())))
    ax.set_xticks(range(n_cols), labels=list(cols))
    ax.set_yticks(range(n_rows), labels=list(rows))
    ax.set_xlabel("키")
    ax.set_ylabel("쿼리")
    if title:
        ax.set_title(title)
    threshold = 0.6 * float(weights.max())
    for i in range(n_rows):
        for j in range(n_cols):
            colour = "#111111" if weights[i, j] > threshold else "#ffffff"
            ax.text(j, i, f"{weights[i, j]:.{decimals}f}", ha="center", va="center", color=colour)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    plt.show()
