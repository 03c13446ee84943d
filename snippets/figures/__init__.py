"""그림 선언: 이름, 행렬을 돌려주는 함수, 한국어 제목과 대체 텍스트.

레슨 모듈이 ``@figure(...)`` 로 그림을 선언하고, 페이지는 이름으로 그림을 놓는다.
이 모듈은 numpy만 쓴다: 그림이 캐시에 있으면 matplotlib을 불러오지 않기 위해서다.
렌더링은 :mod:`snippets.figures.render`, 캐시는 :mod:`snippets.figures.build` 가 맡는다.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Every figure is drawn once per Material colour scheme; the page shows the one in use.
SCHEMES = ("light", "dark")


class FigureError(ValueError):
    """그림을 만들 수 없다. 메시지에 그림 이름이 들고, ``figure`` 속성이 그 이름이다."""

    def __init__(self, message: str, *, figure: str):
        super().__init__(message)
        self.figure = figure


def _matrix(values) -> list[list[float | None]]:
    # JSON has no -inf; a masked score (-inf) becomes null.
    array = np.asarray(values, dtype=float)
    return [[None if np.isneginf(v) else float(v) for v in row] for row in array]


@dataclass(frozen=True)
class Heatmap:
    """히트맵 한 장의 데이터. 행은 쿼리, 열은 키다.

    ``scores`` 는 softmax 전의 원시 점수(있으면), 마우스를 올렸을 때 가중치와 함께 보인다.
    ``annotate`` 가 거짓이면 칸에 숫자를 적지 않는다 (큰 행렬용).
    """

    values: np.ndarray
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    row_title: str = "쿼리 (query)"
    col_title: str = "키 (key)"
    scores: np.ndarray | None = None
    annotate: bool = True

    def summary(self) -> str:
        """행마다 가장 큰 값을 한 문장으로. 대체 텍스트 끝에 붙는다."""
        if len(self.row_labels) > 12:
            return (
                f"{len(self.row_labels)}×{len(self.col_labels)} 행렬, "
                f"값은 {self.values.min():.2f}부터 {self.values.max():.2f}까지."
            )
        parts = []
        for label, row in zip(self.row_labels, self.values, strict=True):
            # Ties are common in toy data ("The" and "the" share a vector): name them all.
            best = np.flatnonzero(np.isclose(row, row.max()))
            keys = "·".join(self.col_labels[i] for i in best)
            parts.append(f"{label} → {keys} {row.max():.2f}")
        return "행마다 가장 큰 값: " + ", ".join(parts) + "."

    def data(self) -> dict:
        """그림 뒤의 데이터 (JSON으로 쓸 수 있는 형태)."""
        return {
            "kind": "heatmap",
            "row_labels": list(self.row_labels),
            "col_labels": list(self.col_labels),
            "row_title": self.row_title,
            "col_title": self.col_title,
            "values": _matrix(self.values),
            "scores": None if self.scores is None else _matrix(self.scores),
            "annotate": self.annotate,
        }


@dataclass(frozen=True)
class HeatmapGrid:
    """같은 행·열의 히트맵 여러 장을 나란히 (예: 헤드마다 한 장). 색 척도를 함께 쓴다."""

    panels: tuple[Heatmap, ...]
    titles: tuple[str, ...]
    columns: int = 2

    def summary(self) -> str:
        return " ".join(
            f"[{title}] {panel.summary()}"
            for title, panel in zip(self.titles, self.panels, strict=True)
        )

    def data(self) -> dict:
        return {
            "kind": "grid",
            "titles": list(self.titles),
            "columns": self.columns,
            "panels": [panel.data() for panel in self.panels],
        }


@dataclass(frozen=True)
class Series:
    """꺾은선 하나: 범례 이름과 x마다의 y."""

    label: str
    y: np.ndarray


@dataclass(frozen=True)
class LinePlot:
    """x 하나에 꺾은선 여러 개. 로그 축을 고를 수 있다."""

    x: np.ndarray
    series: tuple[Series, ...]
    x_label: str
    y_label: str
    log_x: bool = False
    log_y: bool = False

    def summary(self) -> str:
        first, last = self.x[0], self.x[-1]
        parts = [
            f"{line.label}: x={first:g}일 때 {line.y[0]:.3g}, x={last:g}일 때 {line.y[-1]:.3g}"
            for line in self.series
        ]
        return "; ".join(parts) + "."

    def data(self) -> dict:
        return {
            "kind": "lines",
            "x": np.asarray(self.x, dtype=float).tolist(),
            "series": [
                {"label": line.label, "y": np.asarray(line.y, dtype=float).tolist()}
                for line in self.series
            ],
            "x_label": self.x_label,
            "y_label": self.y_label,
            "log_x": self.log_x,
            "log_y": self.log_y,
        }


FigureData = Heatmap | HeatmapGrid | LinePlot


@dataclass(frozen=True)
class FigureSpec:
    name: str
    title: str
    alt: str
    compute: Callable[[], FigureData]
    module: str

    def compute_checked(self) -> FigureData:
        """그림 함수를 불러 검사한 결과. 잘못된 결과는 그림 이름을 단 FigureError가 된다."""
        try:
            result = self.compute()
        except Exception as exc:
            raise FigureError(
                f"figure '{self.name}' ({self.module}.{self.compute.__name__}) raised "
                f"{type(exc).__name__}: {exc}",
                figure=self.name,
            ) from exc
        return _checked(self.name, result)


def _finite(name: str, what: str, values: np.ndarray) -> None:
    if not np.isfinite(values).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(values))[0])
        where = f"(row, col) {bad}" if values.ndim == 2 else f"index {bad[0]}"
        raise FigureError(f"figure '{name}': {what} at {where} is {values[bad]}", figure=name)


def _checked_heatmap(name: str, result: Heatmap) -> Heatmap:
    values = np.asarray(result.values, dtype=float)
    if values.ndim != 2 or values.size == 0:
        raise FigureError(
            f"figure '{name}': values must be a non-empty 2-D matrix, got {values.shape}",
            figure=name,
        )
    rows, cols = len(result.row_labels), len(result.col_labels)
    if values.shape != (rows, cols):
        raise FigureError(
            f"figure '{name}': matrix is {values.shape[0]}x{values.shape[1]} "
            f"but there are {rows} row labels and {cols} column labels",
            figure=name,
        )
    _finite(name, "value", values)
    scores = None
    if result.scores is not None:
        scores = np.asarray(result.scores, dtype=float)
        if scores.shape != values.shape:
            raise FigureError(
                f"figure '{name}': scores are {scores.shape} but values are {values.shape}",
                figure=name,
            )
        # Masked scores are -inf on purpose; only NaN and +inf are mistakes.
        if np.isnan(scores).any() or np.isposinf(scores).any():
            _finite(name, "score", np.where(np.isneginf(scores), 0.0, scores))
    return Heatmap(
        values=values,
        row_labels=tuple(str(label) for label in result.row_labels),
        col_labels=tuple(str(label) for label in result.col_labels),
        row_title=result.row_title,
        col_title=result.col_title,
        scores=scores,
        annotate=bool(result.annotate),
    )


def _checked_lines(name: str, result: LinePlot) -> LinePlot:
    x = np.asarray(result.x, dtype=float)
    if x.ndim != 1 or x.size < 2:
        raise FigureError(f"figure '{name}': x must be 1-D with 2+ points", figure=name)
    _finite(name, "x", x)
    if not result.series:
        raise FigureError(f"figure '{name}': a line plot needs at least one series", figure=name)
    series = []
    for line in result.series:
        y = np.asarray(line.y, dtype=float)
        if y.shape != x.shape:
            raise FigureError(
                f"figure '{name}': series '{line.label}' has {y.shape} points, x has {x.shape}",
                figure=name,
            )
        _finite(name, f"series '{line.label}'", y)
        if result.log_y and (y <= 0).any():
            raise FigureError(
                f"figure '{name}': series '{line.label}' has values <= 0 on a log axis",
                figure=name,
            )
        series.append(Series(str(line.label), y))
    if result.log_x and (x <= 0).any():
        raise FigureError(f"figure '{name}': x has values <= 0 on a log axis", figure=name)
    return LinePlot(x, tuple(series), result.x_label, result.y_label, result.log_x, result.log_y)


def _checked(name: str, result: object) -> FigureData:
    if isinstance(result, Heatmap):
        return _checked_heatmap(name, result)
    if isinstance(result, HeatmapGrid):
        if not result.panels or len(result.panels) != len(result.titles):
            raise FigureError(
                f"figure '{name}': {len(result.panels)} panels but {len(result.titles)} titles",
                figure=name,
            )
        panels = tuple(_checked_heatmap(name, panel) for panel in result.panels)
        return HeatmapGrid(panels, tuple(map(str, result.titles)), int(result.columns))
    if isinstance(result, LinePlot):
        return _checked_lines(name, result)
    raise FigureError(
        f"figure '{name}' returned {type(result).__name__}, not a Heatmap, HeatmapGrid or LinePlot",
        figure=name,
    )


_REGISTRY: dict[str, FigureSpec] = {}


def figure(name: str, *, title: str, alt: str):
    """그림 함수를 이름으로 등록하는 데코레이터.

    함수는 Heatmap, HeatmapGrid, LinePlot 중 하나를 돌려준다.
    """

    def register(compute: Callable[[], FigureData]) -> Callable[[], FigureData]:
        if name in _REGISTRY:
            other = _REGISTRY[name]
            raise FigureError(
                f"figure '{name}' is declared twice: {other.module} and {compute.__module__}",
                figure=name,
            )
        _REGISTRY[name] = FigureSpec(name, title, alt, compute, compute.__module__)
        return compute

    return register


def all_figures() -> dict[str, FigureSpec]:
    """snippets 패키지의 모든 모듈을 불러와, 선언된 그림을 이름순으로 돌려준다."""
    import snippets

    for module in pkgutil.iter_modules(snippets.__path__):
        if not module.ispkg:
            importlib.import_module(f"snippets.{module.name}")
    return dict(sorted(_REGISTRY.items()))
