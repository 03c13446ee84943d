"""MkDocs hook: a rebuild skips work whose inputs did not change.

MkDocs redoes everything on every build. Four of those costs repeat unchanged work:

- Markdown: each page is converted to HTML again (code highlighting is most of it). A page whose
  Markdown (after every other hook), included files, address, site files and configuration are
  all unchanged gets the HTML, contents, title and anchors it gave last time, and its warnings
  again (so --strict fails alike).
- Search: the search plugin parses the HTML of every page. A page whose address, title,
  metadata, contents and HTML are all unchanged gets the entries it gave last time.
- Jinja compiles the theme's templates (about forty). Their compiled code is kept by Jinja's own
  bytecode cache, which checks each template's source before use.
- `mkdocs serve` polls the watched folders every 0.5 s; here every 0.1 s, so a save starts its
  rebuild sooner.

Kept in .cache/pages, .cache/search (one file per page, replaced when the page changes) and
.cache/jinja. None of this changes a byte of the output: the tests build cold, warm and twice in
one process, and compare.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
from importlib import metadata
from pathlib import Path

from jinja2 import FileSystemBytecodeCache
from mkdocs.plugins import event_priority
from mkdocs.structure.toc import get_toc

POLL_SECONDS = 0.1
# What renders a page and what indexes it; a new version of any of them is a new result.
TOOLS = ("mkdocs", "markdown", "pymdown-extensions", "pygments", "mkdocs-material")
# pymdownx.snippets: `--8<-- "file"` on one line, or a block of file names between two `--8<--`.
_INCLUDE_LINE = re.compile(r"""^\s*-{1,}8<-{1,}\s+["']?([^"'\s]+?)["']?\s*$""")
_INCLUDE_FENCE = re.compile(r"^\s*-{1,}8<-{1,}\s*$")

_build: dict[str, str] = {}  # what every page of this build shares: site files, configuration


@functools.cache
def _tools() -> bytes:
    versions = "".join(f"{tool}=={metadata.version(tool)}\0" for tool in TOOLS)
    return versions.encode() + Path(__file__).read_bytes()


def _digest(*parts: str) -> str:
    digest = hashlib.sha256(_tools())
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


class _Store:
    """One JSON file per page in a cache folder, holding the key it was made from."""

    def __init__(self, config, name: str) -> None:
        self.config_file = Path(config.config_file_path)
        self.folder = self.config_file.parent / ".cache" / name

    def _path(self, page) -> Path:
        # Per configuration too: two configurations of one project do not evict each other.
        place = f"{self.config_file.name}\0{page.file.src_uri}"
        return self.folder / f"{hashlib.sha256(place.encode()).hexdigest()[:16]}.json"

    def get(self, page, key: str):
        try:
            known = json.loads(self._path(page).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or .cache deleted meanwhile
            return None
        return known["value"] if known.get("key") == key else None

    def put(self, page, key: str, value) -> None:
        from snippets.figures.build import write_atomically  # the project's one atomic writer

        data = json.dumps({"key": key, "value": value}, ensure_ascii=False)
        write_atomically(self._path(page), data.encode())


# ----------------------------------------------------------------------------- templates


class _BytecodeCache(FileSystemBytecodeCache):
    def dump_bytecode(self, bucket) -> None:
        # .cache may be deleted at any time: a template that cannot be stored is compiled again.
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def on_env(env, config, files):
    env.bytecode_cache = _BytecodeCache(str(Path(config.config_file_path).parent / ".cache/jinja"))
    return env


# ----------------------------------------------------------------------------- Markdown


# After every other on_files: the notebook hook adds its pages there.
@event_priority(-100)
def on_files(files, config):
    site_files = sorted(
        (file.src_uri, file.url, file.is_documentation_page(), str(file.inclusion))
        for file in files
    )
    settings = [
        config.config_file_path,
        repr(config.markdown_extensions),
        repr(config.mdx_configs),
        config.use_directory_urls,
        repr(config.validation),
    ]
    _build["site"] = json.dumps([site_files, settings], ensure_ascii=False, default=str)
    return files


def _included_files(markdown: str, root: Path) -> str:
    """Every file the page's includes name, with its bytes (pymdownx reads them while rendering)."""
    names, in_block = [], False
    for line in markdown.splitlines():
        if _INCLUDE_FENCE.match(line):
            in_block = not in_block
        elif in_block and line.strip():
            names.append(line.strip())
        elif match := _INCLUDE_LINE.match(line):
            names.append(match[1])
    digest = hashlib.sha256()
    for name in names:
        path = root / name.split(":", 1)[0]  # "file.py:section"
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def _toc_tokens(toc) -> list:
    return [
        {
            "level": item.level,
            "id": item.id,
            "name": item.title,
            "children": _toc_tokens(item.children),
        }
        for item in toc
    ]


class _Warnings(logging.Handler):
    """What a render logs that MkDocs counts for --strict; replayed when the page is reused."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[list] = []

    def emit(self, record) -> None:
        self.records.append([record.name, record.levelno, record.getMessage()])


# After every other on_page_markdown: the key is the Markdown that is actually rendered.
@event_priority(-100)
def on_page_markdown(markdown: str, page, config, files) -> str:
    if not page.file.src_uri.endswith(".md") or "site" not in _build:
        return markdown
    root = Path(config.config_file_path).parent
    key = _digest(
        _build["site"], page.file.src_uri, page.url, _included_files(markdown, root), markdown
    )
    store = _Store(config, "pages")
    render = page.render

    def cached_render(config, files) -> None:
        known = store.get(page, key)
        if known is not None:
            page.content = known["content"]
            page.toc = get_toc(known["toc"])
            page._title_from_render = known["title"]
            page.present_anchor_ids = set(known["anchors"])
            page.links_to_anchors = {
                files.get_file_from_path(src_uri): links
                for src_uri, links in known["links_to_anchors"].items()
            }
            for name, level, message in known["warnings"]:
                logging.getLogger(name).log(level, message)
            return
        warnings = _Warnings()
        logging.getLogger("mkdocs").addHandler(warnings)
        try:
            render(config, files)
        finally:
            logging.getLogger("mkdocs").removeHandler(warnings)
        store.put(
            page,
            key,
            {
                "content": page.content,
                "toc": _toc_tokens(page.toc),
                "title": page._title_from_render,
                "anchors": sorted(page.present_anchor_ids or ()),
                "links_to_anchors": {
                    file.src_uri: links for file, links in (page.links_to_anchors or {}).items()
                },
                "warnings": warnings.records,
            },
        )

    page.render = cached_render
    return markdown


# ----------------------------------------------------------------------------- search


def _search_key(page) -> str:
    # Everything SearchIndex.add_entry_from_context reads from the page.
    described = json.dumps(
        [
            page.url,
            str(page.title),
            repr(page.meta.get("title")),
            repr(page.meta.get("tags")),
            repr(page.meta.get("search")),
            _toc_tokens(page.toc),
        ],
        ensure_ascii=False,
    )
    return _digest(described, page.content)


# After the search plugin's on_config, which creates the index of this build.
@event_priority(-100)
def on_config(config):
    _build.clear()  # a new build: on_files describes its files again
    search = next(
        (plugin for name, plugin in config.plugins.items() if name.endswith("search")), None
    )
    index = getattr(search, "search_index", None)
    if index is None:
        return config
    add_entry = index.add_entry_from_context
    store = _Store(config, "search")

    def add_entry_from_context(page):
        key = _search_key(page)
        known = store.get(page, key)
        if known is not None:
            index.entries.extend(known)
            return
        start = len(index.entries)
        add_entry(page)
        store.put(page, key, index.entries[start:])

    index.add_entry_from_context = add_entry_from_context
    return config


# ----------------------------------------------------------------------------- serve


def on_serve(server, config, builder):
    # LiveReloadServer builds its PollingObserver with a 0.5 s interval and no way to change it:
    # watches scheduled from now on use the observer's timeout, those scheduled before (docs/,
    # mkdocs.yml) have emitters of their own.
    server.observer._timeout = POLL_SECONDS
    for emitter in server.observer.emitters:
        emitter._timeout = POLL_SECONDS
    return server
