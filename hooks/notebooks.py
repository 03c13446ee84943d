"""MkDocs hook: run the practice notebooks (notebooks/*.py, jupytext) and publish them.

Each notebook is executed in a fresh kernel (nbclient), from the project root so that
``import snippets`` finds this project's code. The executed .ipynb is cached under
.cache/notebooks/ by a key covering the notebook, every ``snippets`` module it imports
(transitively) and the versions of the tools that run it, so a warm build starts no kernel
and an edit in snippets/ re-runs exactly the notebooks that import the edited module.

The executed notebook becomes a page at notebooks/<name>/ and a download at
downloads/<name>.ipynb. Nothing is written into docs/. The page's HTML comes from mkdocs-jupyter's
converter, cached under .cache/notebook-pages/ by the executed notebook's bytes: mkdocs-jupyter is
a library here, not a plugin, because importing it (nbconvert, jupytext) costs more than the rest
of a warm build, and a warm build converts nothing.

Under `mkdocs serve`, after the first build, a notebook whose code changed runs in a background
thread: the rebuild does not wait for it, so the lesson page shows the edit at once; the
notebook's page says it is running, and a second rebuild shows its outputs when it is done.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import logging
import os
import re
import threading
import time
from importlib import metadata
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url

log = logging.getLogger("mkdocs.hooks.notebooks")

SOURCE_FOLDER = "notebooks"
PAGE_FOLDER = "notebooks"
STYLES_FOLDER = "stylesheets"
DOWNLOAD_FOLDER = "downloads"
PACKAGE = "snippets"
TOOLS = ("nbclient", "jupytext", "nbformat", "ipykernel", "numpy", "matplotlib")
# What turns an executed notebook into a page's HTML; its versions are part of the page cache key.
CONVERTERS = ("mkdocs-jupyter", "nbconvert", "mistune", "pygments", "jupytext", "markdown")
# mkdocs-jupyter's nb2html with its plugin's defaults, but never executing, never keeping an
# error output, and no MathJax URL (the page loads nothing from another host).
CONVERT_OPTIONS = {
    "execute": False,
    "kernel_name": "",
    "theme": "",
    "allow_errors": False,
    "show_input": True,
    "no_input": False,
    "no_prompt": False,
    "remove_tag_config": {},
    "highlight_extra_classes": "",
    "include_requirejs": False,
    "custom_mathjax_url": "",
}
TOC_DEPTH = 6
# Seconds a cell may run before the build fails; NOTEBOOK_CELL_TIMEOUT overrides it.
TIMEOUT = int(os.environ.get("NOTEBOOK_CELL_TIMEOUT", "60"))

# Under `mkdocs serve` a notebook whose code changed runs in a background thread, so the
# lesson page and its figures show the edit at once; its page says it is running (never the
# old outputs) until the thread finishes and wakes the server for one more rebuild.
_serve: dict[str, Path] = {}  # "ready": the folder whose writes trigger that rebuild
_running: set[str] = set()  # cache paths being executed
_failed: dict[str, str] = {}  # cache path -> the error line its execution gave
_pending: list[tuple[Path, Path, Path]] = []  # started after the build, not during it
_lock = threading.Lock()
RUNNING_NOTE = (
    "> ⏳ **코드가 바뀌어 이 노트북을 다시 실행하고 있습니다.** 끝나면 결과와 함께 이 페이지가 "
    "저절로 새로 고쳐집니다."
)


def _module_file(root: Path, module: str) -> Path | None:
    """snippets.x.y -> snippets/x/y.py or snippets/x/y/__init__.py, if it is in the project."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(tree: ast.AST, current: str | None = None) -> set[str]:
    """Names of the snippets modules a source imports (and the packages on the way)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and current:
                parent = current.split(".")[: -node.level]
                base = ".".join([*parent, base] if base else parent)
            # `from snippets import core` imports the submodule snippets.core.
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                parts = name.split(".")
                found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return found


# source digest -> the snippets modules it imports. Parsing is most of a warm build's work in
# this hook, and six notebooks share most of snippets/: each file version is parsed once, and
# on_files keeps what it used in .cache/notebooks/imports.json for the next build.
_imports: dict[str, list[str]] = {}
_imports_used: set[str] = set()


def _imports_in(source: str, current: str | None = None) -> list[str]:
    key = hashlib.sha256(f"{current}\0{source}".encode()).hexdigest()[:24]
    if key not in _imports:
        _imports[key] = sorted(_imported_modules(ast.parse(source), current))
    _imports_used.add(key)
    return _imports[key]


def dependencies(root: Path, source: str) -> list[Path]:
    """Every snippets file a notebook's source needs, following imports inside snippets/.

    Data files that a module names (``efficient_attention_timings.json``) count too.
    """
    pending = list(_imports_in(source))
    seen: dict[str, Path] = {}
    texts: dict[Path, str] = {}
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        path = _module_file(root, module)
        if path is None:
            continue
        seen[module] = path
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        texts[path] = path.read_text(encoding="utf-8")
        pending.extend(_imports_in(texts[path], f"{package}.__init__"))
    files = set(seen.values())
    for path, text in texts.items():
        for sibling in path.parent.iterdir():
            if sibling.suffix != ".py" and sibling.is_file() and sibling.name in text:
                files.add(sibling)
    return sorted(files)


def _load_imports(cache: Path) -> None:
    _imports_used.clear()
    with contextlib.suppress(OSError, ValueError):  # none yet, or .cache deleted meanwhile
        _imports.update(json.loads((cache / "imports.json").read_text(encoding="utf-8")))


def _save_imports(cache: Path) -> None:
    used = {key: _imports[key] for key in sorted(_imports_used)}
    try:
        known = json.loads((cache / "imports.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = None
    if known != used:
        _write_atomically(cache / "imports.json", json.dumps(used).encode())


@functools.cache
def _versions(tools: tuple[str, ...]) -> bytes:
    # Read once per process; a new package version needs a new `make serve` anyway.
    return "".join(f"{tool}=={metadata.version(tool)}\0" for tool in tools).encode()


def cache_key(root: Path, source_path: Path) -> str:
    source = source_path.read_text(encoding="utf-8")
    digest = hashlib.sha256(source.encode())
    for path in dependencies(root, source):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    digest.update(_versions(TOOLS))
    # How this hook executes and cleans a notebook is part of the result too.
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def _write_atomically(path: Path, data: bytes) -> None:
    # The one atomic writer of the project lives with the figure cache (plain Python, no MkDocs).
    from snippets.figures.build import write_atomically

    write_atomically(path, data)


def _coalesce_streams(outputs: list) -> list:
    """One stream output per run of prints: how the kernel flushes them depends on timing."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.output_type == previous.output_type == "stream"
            and output.name == previous.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def execute(root: Path, source_path: Path) -> bytes:
    """Run a jupytext notebook top to bottom; the executed .ipynb, without volatile metadata."""
    import jupytext
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
    from traitlets.config import Config

    name = source_path.stem
    notebook = jupytext.reads(source_path.read_text(encoding="utf-8"), fmt="py:percent")
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    # The python3 kernelspec declares CurveZMQ support: encrypt, and the kernel logs no warning.
    settings = Config()
    settings.KernelManager.transport_encryption = "auto"
    client = NotebookClient(
        notebook,
        config=settings,
        timeout=TIMEOUT,
        kernel_name="python3",
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": str(root)}},
    )
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"  # jupytext would draw random ids: keep the output stable
    running: dict[str, object] = {}

    def remember(cell, cell_index, **_):
        running.update(cell=cell, index=cell_index)

    client.on_cell_execute = remember
    # The kernel process's own stderr (shutdown races in ipykernel print tracebacks there now
    # and then) goes to a log beside the cache, not into the build log: cell errors arrive
    # through the messaging protocol and are reported below.
    kernel_log = root / ".cache" / "notebooks" / f"{name}.kernel.log"
    kernel_log.parent.mkdir(parents=True, exist_ok=True)
    try:
        with kernel_log.open("wb") as kernel_stderr:
            client.execute(stderr=kernel_stderr)
    except (CellExecutionError, CellTimeoutError) as exc:
        index = running.get("index", "?")
        cell = running.get("cell")
        first_line = cell.source.strip().splitlines()[0] if cell and cell.source.strip() else ""
        if isinstance(exc, CellExecutionError):
            reason = f"{exc.ename}: {exc.evalue}"
        else:
            reason = f"CellTimeoutError: no result within {TIMEOUT} s"
        raise PluginError(
            f"{SOURCE_FOLDER}/{name}.py: cell {index} ({first_line!r}) failed: {reason}"
        ) from None
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = _coalesce_streams(cell.outputs)
    notebook.metadata.pop("widgets", None)
    return nbformat.writes(notebook).encode() + b"\n"


class NotebookPage(File):
    """An executed notebook that MkDocs lists as a page; on_pre_page gives it its HTML."""

    def is_documentation_page(self) -> bool:
        return True


# After every other on_files: the other hooks check their input there, and a build that fails
# on bad input must leave nothing in .cache.
@event_priority(-50)
def on_files(files: Files, config) -> Files:
    root = Path(config.config_file_path).parent
    sources = sorted((root / SOURCE_FOLDER).glob("*.py"))
    cache = root / ".cache" / "notebooks"
    _pending.clear()  # a build that failed after on_files never started its notebooks
    # The log line below is what tests and the benchmark read: what this build executed.
    executed, running = [], []
    styles: dict[str, str] = {}  # stylesheet uri -> CSS, shared by the notebook pages
    _pages_used.clear()
    _load_imports(cache)
    for source_path in sources:
        name = source_path.stem
        cached = cache / f"{name}-{cache_key(root, source_path)}.ipynb"
        rendered = None
        if cached.is_file():
            data = cached.read_bytes()
        elif str(cached) in _failed:
            raise PluginError(_failed[str(cached)])  # same code, same failure: no rerun
        elif _serve:
            _pending.append((root, source_path, cached))
            data, rendered = _running_placeholder(source_path)
            running.append(name)
        else:
            _store(cached, execute(root, source_path))
            executed.append(name)
            data = cached.read_bytes()
        page = NotebookPage.generated(config, f"{PAGE_FOLDER}/{name}.ipynb", content=data)
        page.rendered = rendered or notebook_page(root, name, data)
        if page.rendered["styles"]:
            styles[stylesheet_uri(page.rendered["styles"])] = page.rendered["styles"]
        files.append(page)
        files.append(File.generated(config, f"{DOWNLOAD_FOLDER}/{name}.ipynb", content=data))
    for uri, css in sorted(styles.items()):
        files.append(File.generated(config, uri, content=css))
    _save_imports(cache)
    if sources:
        log.info(
            "notebooks: executed %d of %d%s%s",
            len(executed),
            len(sources),
            f" ({', '.join(executed)})" if executed else "",
            f"; running in the background: {', '.join(running)}" if running else "",
        )
    return files


def _store(cached: Path, data: bytes) -> None:
    _write_atomically(cached, data)
    for stale in cached.parent.glob(f"{cached.name.rsplit('-', 1)[0]}-*.ipynb"):
        if stale != cached:
            stale.unlink(missing_ok=True)


def _running_placeholder(source_path: Path) -> tuple[bytes, dict]:
    """The notebook's title and a note that it is running: no stale output is ever shown.

    Returns the notebook (the download while it runs) and its page, made with Python-Markdown:
    converting a one-cell notebook is not worth loading nbconvert for in the middle of an edit.
    """
    import markdown
    import nbformat

    lines = source_path.read_text(encoding="utf-8").splitlines()
    title = next((line[2:] for line in lines if line.startswith("# # ")), source_path.stem)
    text = f"{title}\n\n{RUNNING_NOTE}"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(text, id="cell-0")]
    page = markdown.Markdown(extensions=["toc"])
    content = page.convert(text)
    heading = next((token["name"] for token in page.toc_tokens if token["level"] == 1), None)
    rendered = {"content": content, "toc_tokens": page.toc_tokens, "title": heading, "styles": ""}
    return nbformat.writes(notebook).encode() + b"\n", rendered


def _start_in_background(root: Path, source_path: Path, cached: Path) -> None:
    with _lock:
        if str(cached) in _running:
            return
        _running.add(str(cached))

    def run() -> None:
        try:
            _store(cached, execute(root, source_path))
            log.info("notebooks: %s executed in the background", source_path.stem)
        except PluginError as exc:
            _failed[str(cached)] = str(exc)
        except Exception as exc:  # a kernel that cannot start, say
            _failed[str(cached)] = (
                f"{SOURCE_FOLDER}/{source_path.name}: {type(exc).__name__}: {exc}"
            )
        finally:
            with _lock:
                _running.discard(str(cached))
            # A write in the watched folder makes `mkdocs serve` rebuild once more.
            ready = _serve["ready"] / f"{source_path.stem}.done"
            _write_atomically(ready, str(time.time_ns()).encode())

    threading.Thread(target=run, name=f"notebook {source_path.stem}", daemon=True).start()


def page_cache_path(root: Path, name: str, data: bytes) -> Path:
    digest = hashlib.sha256(data)
    digest.update(_versions(CONVERTERS))
    # The options and how the output is split into page and stylesheet live in this hook.
    digest.update(Path(__file__).read_bytes())
    return root / ".cache" / "notebook-pages" / f"{name}-{digest.hexdigest()[:16]}.json"


_pages_used: set[Path] = set()  # the page cache files this build read or wrote
_STYLE = re.compile(r"<style[^>]*>(?P<css>.*?)</style>\s*", re.DOTALL)
STYLES_MARK = "<!-- notebook stylesheet -->"


def convert(root: Path, name: str, data: bytes) -> dict:
    """The page of an executed notebook: HTML, contents tokens, title and the page's CSS."""
    # Imported here: a warm build finds every page in the cache and never pays for them.
    from mkdocs_jupyter.convert import nb2html
    from mkdocs_jupyter.plugin import _get_nb_toc_tokens

    # The converter reads a file; the name stays the notebook's, as it may show in the HTML.
    source = root / ".cache" / "notebook-pages" / "source" / f"{name}.ipynb"
    _write_atomically(source, data)
    content = nb2html(str(source), **CONVERT_OPTIONS)
    toc_tokens, title = _get_nb_toc_tokens(str(source), TOC_DEPTH)
    # nbconvert inlines the same ~600 KB of JupyterLab CSS into every notebook page. It moves,
    # in order, into one stylesheet that the six pages share: a reader downloads it once, and
    # the search index no longer parses it six times per build.
    styles = "".join(match["css"].strip() + "\n" for match in _STYLE.finditer(content))
    first = _STYLE.search(content)
    if first:
        content = content[: first.start()] + STYLES_MARK + _STYLE.sub("", content[first.start() :])
    return {"content": content, "toc_tokens": toc_tokens, "title": title, "styles": styles}


def stylesheet_uri(css: str) -> str:
    # Named by its content: a browser never keeps an old copy after the converter changes it.
    return f"{STYLES_FOLDER}/notebook-{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"


def notebook_page(root: Path, name: str, data: bytes) -> dict:
    """The converted page of an executed notebook, from the cache or converted now."""
    path = page_cache_path(root, name, data)
    _pages_used.add(path)
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    rendered = convert(root, name, data)
    _write_atomically(path, json.dumps(rendered, ensure_ascii=False).encode())
    return rendered


def on_pre_page(page, config, files):
    if not isinstance(page.file, NotebookPage):
        return page
    rendered = page.file.rendered

    def render(config, files) -> None:
        link = ""
        if rendered["styles"]:
            href = get_relative_url(stylesheet_uri(rendered["styles"]), page.url)
            link = f'<link rel="stylesheet" href="{href}">'
        page.content = rendered["content"].replace(STYLES_MARK, link)
        page.toc = get_toc(rendered["toc_tokens"])
        if rendered["title"] is not None:
            page.title = rendered["title"]

    page.render = render
    return page


def on_post_build(config):
    # Under serve, pages of edits undone or redone are kept: a later `mkdocs build` tidies up.
    if not _serve:
        folder = Path(config.config_file_path).parent / ".cache" / "notebook-pages"
        for stale in folder.glob("*.json"):
            if stale not in _pages_used:
                stale.unlink(missing_ok=True)
    # Started once the site is written, so a kernel does not compete with the rebuild itself.
    while _pending:
        _start_in_background(*_pending.pop(0))


def on_serve(server, config, builder):
    ready = Path(config.config_file_path).parent / ".cache" / "rebuild-requests"
    ready.mkdir(parents=True, exist_ok=True)
    server.watch(str(ready))
    _serve["ready"] = ready
    return server


_HEADING = re.compile(r'<h([1-6])(?P<before>[^>]*?)\sid="(?P<id>[^"]*)"')


def _toc_items(toc) -> list:
    items = []
    for item in toc:
        items.append(item)
        items.extend(_toc_items(item.children))
    return items


def on_page_content(content: str, page, config, files) -> str:
    """Make a notebook page's table of contents point at its headings.

    mkdocs-jupyter slugs the table of contents with Python-Markdown (which drops Hangul, giving
    "_1", "_2" …) but the headings with nbconvert (giving "1-cat", "2" … or even ""), so the
    contents links of a Korean notebook lead nowhere. The headings' own ids win; an empty one
    gets a name of its own.
    """
    if not page.file.src_uri.startswith(f"{PAGE_FOLDER}/") or not page.file.src_uri.endswith(
        ".ipynb"
    ):
        return content
    counter = iter(range(1, 1000))

    def name_empty(match: re.Match) -> str:
        heading_id = match["id"] or f"section-{next(counter)}"
        return f'<h{match.group(1)}{match["before"]} id="{heading_id}"'

    content = _HEADING.sub(name_empty, content)
    ids = [match["id"] for match in _HEADING.finditer(content)]
    items = _toc_items(page.toc)
    if len(items) > len(ids):
        raise PluginError(
            f"{page.file.src_uri}: {len(items)} contents entries but {len(ids)} headings"
        )
    for item, heading_id in zip(items, ids, strict=False):
        item.id = heading_id
    return content
