"""그림 이름 → SVG 바이트 (밝은/어두운 테마), 내용 해시로 캐시한다.

캐시 키는 그림이 보여 주는 모든 것(행렬이나 곡선, 레이블, 축 제목)과 그리는 코드(render.py,
matplotlib과 글꼴 패키지의 버전)의 해시다. 키가 같으면 matplotlib을 불러오지 않는다.
MkDocs를 모르는 순수 파이썬이라, 훅·테스트·스크립트 어디서든 부를 수 있다.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from snippets.figures import SCHEMES, FigureData, FigureError, FigureSpec, all_figures

_RENDER_SOURCE = Path(__file__).with_name("render.py")


@dataclass(frozen=True)
class RenderedFigure:
    name: str
    title: str
    alt: str
    svg: dict[str, bytes]  # scheme -> bytes
    rendered: bool  # False when both variants came from the cache
    data: FigureData  # what the figure shows, for the page's interactive layer
    areas: list[dict[str, float]]  # where each heatmap's cells lie in the image (fractions)
    key: str  # the cache key of what it shows and the code that draws it

    def json(self) -> bytes:
        """The data behind the figure and where its cells are: the page's script reads this."""
        document = {"name": self.name, "title": self.title, **self.data.data()}
        document["areas"] = self.areas
        return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


@functools.cache
def _renderer_fingerprint() -> bytes:
    # Once per import: the figure hook imports this module anew for every build.
    versions = "".join(
        f"{package}=={metadata.version(package)};"
        for package in ("matplotlib", "koreanize-matplotlib")
    )
    return _RENDER_SOURCE.read_bytes() + versions.encode()


def cache_key(data: FigureData) -> str:
    """그림의 데이터와 그리는 코드가 같으면 같은 키."""
    digest = hashlib.sha256()
    digest.update(_renderer_fingerprint())
    # json writes float64 with repr, which round-trips: any change in a value changes the key.
    digest.update(json.dumps(data.data(), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()[:32]


def write_atomically(path: Path, data: bytes) -> None:
    """Write whole or not at all: a reader never sees half a file, even mid-build."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def build_figure(
    spec: FigureSpec, cache_dir: Path, data: FigureData | None = None
) -> RenderedFigure:
    """그림 하나: 계산하고 검사한 뒤(이미 했다면 data로 받아), 캐시에 없을 때만 그린다."""
    if data is None:
        data = spec.compute_checked()
    key = cache_key(data)
    paths = {scheme: cache_dir / _svg_file(spec.name, key, scheme) for scheme in SCHEMES}
    areas_path = cache_dir / f"{spec.name}-{key}-areas.json"
    rendered = not all(path.exists() for path in [*paths.values(), areas_path])
    if rendered:
        from snippets.figures.render import render  # matplotlib only on a cache miss

        try:
            svg, areas = render(data)
        except Exception as exc:
            raise FigureError(
                f"figure '{spec.name}' could not be drawn: {type(exc).__name__}: {exc}",
                figure=spec.name,
            ) from exc
        for scheme in SCHEMES:
            write_atomically(paths[scheme], svg[scheme])
        write_atomically(areas_path, json.dumps(areas).encode())
    else:
        svg = {scheme: paths[scheme].read_bytes() for scheme in SCHEMES}
        areas = json.loads(areas_path.read_bytes())
    alt = f"{spec.alt} {data.summary()}"
    return RenderedFigure(spec.name, spec.title, alt, svg, rendered, data, areas, key)


def _svg_file(name: str, key: str, scheme: str) -> str:
    return f"{name}-{key}-{scheme}.svg"


def svg_cache_file(figure: RenderedFigure, scheme: str) -> str:
    """Where in the cache folder a figure's SVG for one scheme is kept."""
    return _svg_file(figure.name, figure.key, scheme)


def build_figures(names: list[str], cache_dir: Path) -> dict[str, RenderedFigure]:
    """이름 목록의 그림을 모두 만든다. 모르는 이름은 알려진 이름과 함께 FigureError.

    이름을 모두 확인하고 행렬을 모두 계산한 뒤에야 그린다: 잘못된 그림이 하나라도 있으면
    아무것도 그리거나 캐시에 쓰지 않는다.
    """
    specs = all_figures()
    unique = list(dict.fromkeys(names))
    for name in unique:
        if name not in specs:
            raise FigureError(
                f"unknown figure '{name}'; declared figures are: {', '.join(specs) or '(none)'}",
                figure=name,
            )
    computed = {name: specs[name].compute_checked() for name in unique}
    return {name: build_figure(specs[name], cache_dir, computed[name]) for name in unique}
