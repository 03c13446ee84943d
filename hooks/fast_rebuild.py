"""MkDocs hook: a rebuild skips work whose inputs did not change.

MkDocs redoes everything on every build. Three of those costs repeat unchanged work:

- Jinja compiles the theme's templates (about forty) on every build. Their compiled code is kept
  in .cache/jinja by Jinja's own bytecode cache, which checks each template's source before use.
- The search plugin parses the HTML of every page on every build. A page whose address, title,
  metadata, contents and HTML are all unchanged gets the entries it gave last time, kept in
  .cache/search (one file per page, replaced when the page changes).
- `mkdocs serve` polls the watched folders every 0.5 s; here every 0.1 s, so a save starts its
  rebuild sooner.

None of this changes a byte of the output (the reproducibility test builds cold and warm).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

from jinja2 import FileSystemBytecodeCache
from mkdocs.plugins import event_priority

POLL_SECONDS = 0.1


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


def _toc_items(toc) -> list:
    items = []
    for item in toc:
        items.append((item.id, item.url, item.title))
        items.extend(_toc_items(item.children))
    return items


@functools.cache
def _indexer() -> bytes:
    # What turns a page into entries: Material's search plugin and this hook.
    return (
        f"mkdocs-material=={metadata.version('mkdocs-material')}\0".encode()
        + Path(__file__).read_bytes()
    )


def _search_key(page) -> str:
    # Everything SearchIndex.add_entry_from_context reads from the page.
    described = json.dumps(
        [
            page.url,
            str(page.title),
            repr(page.meta.get("title")),
            repr(page.meta.get("tags")),
            repr(page.meta.get("search")),
            _toc_items(page.toc),
        ],
        ensure_ascii=False,
    )
    digest = hashlib.sha256(_indexer())
    digest.update(described.encode())
    digest.update(page.content.encode())
    return digest.hexdigest()


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or .cache deleted meanwhile
        return None


# After the search plugin's on_config, which creates the index of this build.
@event_priority(-100)
def on_config(config):
    search = next(
        (plugin for name, plugin in config.plugins.items() if name.endswith("search")), None
    )
    index = getattr(search, "search_index", None)
    if index is None:
        return config
    add_entry = index.add_entry_from_context
    folder = Path(config.config_file_path).parent / ".cache" / "search"

    def add_entry_from_context(page):
        key = _search_key(page)
        path = folder / f"{hashlib.sha256(page.url.encode()).hexdigest()[:16]}.json"
        known = _read_json(path)
        if known and known["key"] == key:
            index.entries.extend(known["entries"])
            return
        start = len(index.entries)
        add_entry(page)
        entries = {"key": key, "entries": index.entries[start:]}
        from snippets.figures.build import write_atomically  # the project's one atomic writer

        write_atomically(path, json.dumps(entries, ensure_ascii=False).encode())

    index.add_entry_from_context = add_entry_from_context
    return config


def on_serve(server, config, builder):
    # LiveReloadServer builds its PollingObserver with a 0.5 s interval and no way to change it:
    # watches scheduled from now on use the observer's timeout, those scheduled before (docs/,
    # mkdocs.yml) have emitters of their own.
    server.observer._timeout = POLL_SECONDS
    for emitter in server.observer.emitters:
        emitter._timeout = POLL_SECONDS
    return server
