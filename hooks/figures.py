"""MkDocs hook: ``<!-- figure: name -->`` in a page becomes that figure, light and dark.

The figures themselves are declared, computed, drawn and cached by ``snippets.figures``
(plain Python); this module only finds the markers, hands the SVGs and the JSON behind them
to MkDocs as generated files (never written into docs/) and writes the Markdown that shows
them. docs/javascripts/figures.js reads the JSON to make heatmap cells hoverable.

When nothing under snippets/ (nor numpy, matplotlib or Python) has changed since the last build,
the figures are the last build's, listed in .cache/figures/last-build.json: a warm build imports
neither numpy nor the course's code.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import posixpath
import re
import sys
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from fences import lines_with_fence
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

MARKER = re.compile(r"^<!-- figure: (?P<name>[a-z][a-z0-9_]*) -->[ \t]*$")
_LOOKS_LIKE_MARKER = re.compile(r"<!--\s*figure\b")
SITE_FOLDER = "figures"

# Figures placed on each page during the current build, filled by on_files.
_placed: dict[str, dict[str, object]] = {}


def _scan(markdown: str, page: str) -> list[tuple[int, str]]:
    """(line index, figure name) of each marker outside code fences; a malformed one is an error."""
    found = []
    for number, line, fence in lines_with_fence(markdown):
        if fence is not None or not _LOOKS_LIKE_MARKER.search(line):
            continue
        match = MARKER.match(line)
        if not match:
            raise PluginError(
                f"{page}:{number}: malformed figure marker {line.strip()!r}; "
                "write it alone on a line as <!-- figure: name -->"
            )
        found.append((number - 1, match.group("name")))
    return found


def find_markers(markdown: str, page: str) -> list[str]:
    """Names of the figures a page places, in order."""
    return [name for _, name in _scan(markdown, page)]


def _fresh_figures(root: Path):
    """Import snippets anew from this project, so `mkdocs serve` never draws stale code."""
    root_path = str(root)
    if root_path in sys.path:
        sys.path.remove(root_path)
    sys.path.insert(0, root_path)
    for module in [
        name for name in sys.modules if name == "snippets" or name.startswith("snippets.")
    ]:
        del sys.modules[module]
    importlib.invalidate_caches()
    return importlib.import_module("snippets.figures.build")


# What a figure is made from: the package's files (its code, the drawing code in
# snippets/figures/, data such as measured timings), Python, numpy, which computes the values,
# and matplotlib with its font package, which draw them.
_COMPUTED_BY = ("numpy", "matplotlib", "koreanize-matplotlib")
MANIFEST = "last-build.json"


@dataclass(frozen=True)
class _Figure:
    """A figure as the last build made it: what pages and the site need of it, no numpy."""

    name: str
    title: str
    alt: str
    svg: dict[str, bytes]
    data_json: bytes

    def json(self) -> bytes:
        return self.data_json


def _sources_key(root: Path, names: list[str]) -> str:
    digest = hashlib.sha256(sys.version.encode())
    for package in _COMPUTED_BY:
        digest.update(f"\0{package}=={metadata.version(package)}".encode())
    package = root / "snippets"
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(b"\0" + path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    digest.update("\0".join(names).encode())
    return digest.hexdigest()


def _last_build(cache: Path, key: str) -> dict[str, _Figure] | None:
    """The figures of the last build, if nothing they are made from has changed since."""
    try:
        manifest = json.loads((cache / MANIFEST).read_text(encoding="utf-8"))
        if manifest["key"] != key:
            return None
        return {
            name: _Figure(
                name,
                entry["title"],
                entry["alt"],
                {scheme: (cache / file).read_bytes() for scheme, file in entry["svg"]},
                entry["json"].encode(),
            )
            for name, entry in manifest["figures"].items()
        }
    except (OSError, ValueError, KeyError):  # none yet, another layout, or .cache deleted
        return None


def _remember(cache: Path, key: str, rendered: dict) -> None:
    from snippets.figures.build import svg_cache_file, write_atomically

    figures = {
        name: {
            "title": figure.title,
            "alt": figure.alt,
            # A list: the order of the schemes is the order of the images on the page.
            "svg": [[scheme, svg_cache_file(figure, scheme)] for scheme in figure.svg],
            "json": figure.json().decode(),
        }
        for name, figure in rendered.items()
    }
    manifest = json.dumps({"key": key, "figures": figures}, ensure_ascii=False, sort_keys=True)
    write_atomically(cache / MANIFEST, manifest.encode())


def on_files(files: Files, config) -> Files:
    root = Path(config.config_file_path).parent
    uses: dict[str, list[str]] = {}
    for file in files.documentation_pages():
        for name in find_markers(file.content_string, file.src_uri):
            uses.setdefault(file.src_uri, []).append(name)
    _placed.clear()
    if not uses:
        return files

    first_page = {}
    for page, names in uses.items():
        for name in names:
            first_page.setdefault(name, page)
    cache = root / ".cache" / "figures"
    key = _sources_key(root, list(first_page))
    rendered = _last_build(cache, key)
    if rendered is None:
        build = _fresh_figures(root)
        try:
            rendered = build.build_figures(list(first_page), cache)
        except build.FigureError as exc:
            # A figure no page places (declared twice, say) is blamed on the package itself.
            raise PluginError(f"{first_page.get(exc.figure, 'snippets/')}: {exc}") from exc
        _remember(cache, key, rendered)
    for page, names in uses.items():
        _placed[page] = {name: rendered[name] for name in names}

    for name, figure in rendered.items():
        for scheme, svg in figure.svg.items():
            files.append(File.generated(config, f"{SITE_FOLDER}/{name}-{scheme}.svg", content=svg))
        files.append(File.generated(config, f"{SITE_FOLDER}/{name}.json", content=figure.json()))
    return files


def _escape_alt(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def figure_markdown(figure, page: str, url: str) -> str:
    """Material shows the #only-light image in light mode and the #only-dark one in dark mode.

    Image links are relative to the page's source (MkDocs rewrites them); the data link is a
    plain attribute MkDocs leaves alone, so it is relative to the page's URL.
    """
    folder = posixpath.dirname(page) or "."
    url_folder = url.rstrip("/") if url.endswith("/") else posixpath.dirname(url)
    data = posixpath.relpath(f"{SITE_FOLDER}/{figure.name}.json", url_folder or ".")
    images = []
    for scheme in figure.svg:
        src = posixpath.relpath(f"{SITE_FOLDER}/{figure.name}-{scheme}.svg", folder)
        images.append(f"![{_escape_alt(figure.alt)}]({src}#only-{scheme}){{ loading=lazy }}")
    return (
        f'<figure class="heatmap" id="figure-{figure.name}" data-figure="{data}" markdown="span">\n'
        + "\n".join(images)
        + f"\n<figcaption>{figure.title}</figcaption>\n</figure>"
    )


def on_page_markdown(markdown: str, page, config, files) -> str:
    src_uri = page.file.src_uri
    lines = markdown.splitlines()
    for index, name in _scan(markdown, src_uri):
        lines[index] = figure_markdown(_placed[src_uri][name], src_uri, page.url)
    return "\n".join(lines) + "\n"


def _load_renderer() -> None:
    # matplotlib only: snippets modules are imported afresh by each build, never from here.
    for module in ("matplotlib.figure", "matplotlib.backends.backend_svg", "matplotlib.textpath"):
        importlib.import_module(module)


def on_serve(server, config, builder):
    # A warm first build draws nothing, so matplotlib is not loaded yet; loading it (about half
    # a second) while the author reads, not on the first save, makes that save as quick as the
    # next ones.
    threading.Thread(target=_load_renderer, name="load matplotlib", daemon=True).start()
    return server
