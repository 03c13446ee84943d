"""그림 선언: 이름, 행렬을 돌려주는 함수, 한국어 제목과 대체 텍스트.

레슨 모듈이 ``@heatmap_figure(...)`` 로 그림을 선언하고, 페이지는 이름으로 그림을 놓는다.
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


@dataclass(frozen=True)
class Heatmap:
    """히트맵 한 장의 데이터. 행은 쿼리, 열은 키다."""

    values: np.ndarray
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    row_title: str = "쿼리 (query)"
    col_title: str = "키 (key)"

    def summary(self) -> str:
        """행마다 가장 큰 값을 한 문장으로. 대체 텍스트 끝에 붙는다."""
        parts = []
        for label, row in zip(self.row_labels, self.values, strict=True):
            # Ties are common in toy data ("The" and "the" share a vector): name them all.
            best = np.flatnonzero(np.isclose(row, row.max()))
            keys = "·".join(self.col_labels[i] for i in best)
            parts.append(f"{label} → {keys} {row.max():.2f}")
        return "행마다 가장 큰 값: " + ", ".join(parts) + "."


@dataclass(frozen=True)
class FigureSpec:
    name: str
    title: str
    alt: str
    compute: Callable[[], Heatmap]
    module: str

    def heatmap(self) -> Heatmap:
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


def _checked(name: str, result: object) -> Heatmap:
    if not isinstance(result, Heatmap):
        raise FigureError(
            f"figure '{name}' returned {type(result).__name__}, not a Heatmap", figure=name
        )
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
    if not np.isfinite(values).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(values))[0])
        raise FigureError(
            f"figure '{name}': value at (row, col) {bad} is {values[bad]}", figure=name
        )
    return Heatmap(
        values=values,
        row_labels=tuple(str(label) for label in result.row_labels),
        col_labels=tuple(str(label) for label in result.col_labels),
        row_title=result.row_title,
        col_title=result.col_title,
    )


_REGISTRY: dict[str, FigureSpec] = {}


def heatmap_figure(name: str, *, title: str, alt: str):
    """그림 함수를 이름으로 등록하는 데코레이터."""

    def register(compute: Callable[[], Heatmap]) -> Callable[[], Heatmap]:
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
