"""What a reader sees, in a real browser: every page of a fresh build, served on 127.0.0.1.

Chromium comes from the system (Debian's `chromium`; Playwright's own download is not used).
Set CHROMIUM=/path/to/chrome to pick one. Without a browser these tests skip, except under
CI=true, where a missing browser is a failure.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import site_path

BROWSER_CANDIDATES = (
    "/usr/bin/chromium",
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
)
# Without these, Chromium phones home at start-up; on a closed network that means errors.
BROWSER_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HANGUL = re.compile("[가-힣]")
PHONE_WIDTH = 390


def find_browser() -> str | None:
    chosen = os.environ.get("CHROMIUM")
    if chosen:
        return chosen
    for candidate in (*BROWSER_CANDIDATES, shutil.which("chromium"), shutil.which("chrome")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    executable = find_browser()
    if executable is None:
        message = (
            "no Chromium found: install Debian's `chromium` (apt-get install chromium) "
            "or set CHROMIUM=/path/to/chromium"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        yield browser
        browser.close()


class _PagesLikeHandler(SimpleHTTPRequestHandler):
    """Serves the site under its published path and answers a miss with 404.html, as Pages does."""

    prefix = ""

    def translate_path(self, path):
        if not path.startswith(self.prefix + "/"):
            return str(Path(self.directory) / "no-such-file")
        return super().translate_path(path.removeprefix(self.prefix))

    def send_error(self, code, message=None, explain=None):
        missing = Path(self.directory) / "404.html"
        if code != 404 or not missing.is_file():
            return super().send_error(code, message, explain)
        body = missing.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def server(built_site):
    site, result = built_site
    assert result.returncode == 0, result.stderr
    prefix = site_path()
    handler = functools.partial(
        type("Handler", (_PagesLikeHandler,), {"prefix": prefix}), directory=str(site)
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}{prefix}", site
    httpd.shutdown()
    httpd.server_close()


def site_pages() -> list[str]:
    """URL paths of the course's pages, from the nav of mkdocs.yml (404 checked separately)."""
    from .conftest import ROOT

    config = (ROOT / "mkdocs.yml").read_text()
    names = re.findall(r":\s*(\S+\.(?:md|ipynb))\s*$", config, re.MULTILINE)
    return ["/" if name == "index.md" else "/" + name.rsplit(".", 1)[0] + "/" for name in names]


PAGES = site_pages()


class Visit:
    """A page opened in a fresh context, with every console error and request recorded."""

    def __init__(self, browser, base: str, path: str, **context):
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.foreign: list[str] = []
        self.requested: list[str] = []
        self.page.on("request", lambda r: self.requested.append(r.url))
        self.page.on(
            "console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}")
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        self.page.on(
            "response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} {r.status}")
        )
        host = "/".join(base.split("/")[:3]) + "/"
        self.page.on(
            "request",
            lambda r: not r.url.startswith((host, "data:", "blob:")) and self.foreign.append(r.url),
        )
        self.page.goto(base + path, wait_until="networkidle")

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, server):
    base, _ = server
    opened = []

    def open_page(path: str, **context) -> Visit:
        visit = Visit(browser, base, path, **context)
        opened.append(visit)
        return visit

    yield open_page
    for visit in opened:
        visit.close()


def figure_data(site: Path, figure_id: str) -> dict:
    return json.loads((site / "figures" / f"{figure_id.removeprefix('figure-')}.json").read_text())


def wait_until_interactive(page):
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure[data-figure]')]"
        ".every(f => ['ready', 'static'].includes(f.dataset.interactive))",
        timeout=10_000,
    )


def scroll_through(page):
    """Bring every lazy image into view, so the visible ones load."""
    height = page.evaluate("document.body.scrollHeight")
    for y in range(0, height + 800, 600):
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(30)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly_from_this_host_only(visit, path):
    seen = visit(path, color_scheme="light")
    scroll_through(seen.page)
    assert seen.errors == []
    assert seen.failed == []
    assert seen.foreign == [], "requests to other hosts"
    assert seen.page.evaluate("document.documentElement.lang") == "ko"
    # In light mode the dark variants stay hidden, and hidden lazy images are never fetched.
    assert [url for url in seen.requested if url.endswith("-dark.svg")] == []


@pytest.mark.parametrize("path", PAGES)
def test_every_visible_image_loads_and_every_figure_has_korean_alt_text(visit, path):
    page = visit(path).page
    scroll_through(page)
    broken = page.evaluate(
        "() => [...document.images].filter(i => i.offsetParent !== null)"
        ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert broken == []
    for alt in page.eval_on_selector_all("figure img", "images => images.map(i => i.alt)"):
        assert HANGUL.search(alt), alt


def _visible_variants(page) -> dict[str, set[str]]:
    return page.evaluate(
        """() => {
          const seen = {light: [], dark: []};
          for (const img of document.querySelectorAll('figure img')) {
            const scheme = img.src.includes('#only-dark') ? 'dark' : 'light';
            if (getComputedStyle(img).display !== 'none') seen[scheme].push(img.src);
          }
          return seen;
        }"""
    )


@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith("/0")])
def test_colour_scheme_toggle_swaps_every_figure(visit, path):
    page = visit(path, color_scheme="light").page
    figures = page.locator("figure img").count()
    assert figures > 0
    shown = _visible_variants(page)
    assert len(shown["light"]) == figures // 2 and shown["dark"] == []
    page.locator("label[for='__palette_1']").first.click()  # → dark
    page.wait_for_function("document.body.dataset.mdColorScheme === 'slate'")
    shown = _visible_variants(page)
    assert len(shown["dark"]) == figures // 2 and shown["light"] == []
    page.locator("label[for='__palette_0']").first.click()  # → light again
    page.wait_for_function("document.body.dataset.mdColorScheme === 'default'")
    assert _visible_variants(page)["dark"] == []


def _shown(text: str, label: str) -> float | None:
    """The number the tip shows after `label:` (None for a masked −∞ score)."""
    match = re.search(rf"{label}: (−∞|-?[0-9.]+)", text)
    assert match, f"no {label} in {text!r}"
    return None if match.group(1) == "−∞" else float(match.group(1))


def _agrees(shown: float | None, value: float | None) -> bool:
    # The tip rounds to 3 decimals (JavaScript rounds half up, Python half to even).
    if shown is None or value is None:
        return shown is value
    return abs(shown - value) <= 0.0005 + 1e-9


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith("/0")])
def test_hovering_a_heatmap_cell_shows_its_numbers(visit, server, path, scheme):
    _, site = server
    page = visit(path, color_scheme=scheme).page
    wait_until_interactive(page)
    checked = 0
    for figure_id in page.eval_on_selector_all(
        "figure[data-interactive='ready']", "fs => fs.map(f => f.id)"
    ):
        data = figure_data(site, figure_id)
        panels = data["panels"] if data["kind"] == "grid" else [data]
        grids = page.locator(f"#{figure_id} .heatmap-cells")
        assert grids.count() == len(panels)
        for index, panel in enumerate(panels):
            n_rows, n_cols = len(panel["values"]), len(panel["values"][0])
            # The corners and the middle: enough to catch a transposed or shifted grid.
            for row, col in {(0, 0), (n_rows - 1, n_cols - 1), (n_rows // 2, n_cols // 2)}:
                cell = grids.nth(index).locator(f"[data-row='{row}'][data-col='{col}']")
                cell.scroll_into_view_if_needed()
                cell.hover()
                tip = page.locator(f"#{figure_id} .heatmap-tip")
                text = tip.inner_text()
                assert panel["row_labels"][row] in text and panel["col_labels"][col] in text
                label = "가중치" if panel["scores"] is not None else "값"
                assert _agrees(_shown(text, label), panel["values"][row][col]), text
                if panel["scores"] is not None:
                    assert _agrees(_shown(text, "점수"), panel["scores"][row][col]), text
                # The hovered cell lies over the image, inside it.
                box, image = cell.bounding_box(), page.locator(f"#{figure_id} img:visible").first
                outer = image.bounding_box()
                assert outer["x"] - 1 <= box["x"] <= outer["x"] + outer["width"]
                assert outer["y"] - 1 <= box["y"] <= outer["y"] + outer["height"]
                checked += 1
    if "figure: " in (page.content()):
        pytest.fail("a figure marker was left unreplaced")
    heatmaps = page.locator("figure[data-figure]").count()
    assert checked > 0 or heatmaps == 0


def test_heatmap_cells_are_reachable_by_keyboard(visit, server):
    _, site = server
    page = visit("/01_attention_intuition/").page
    wait_until_interactive(page)
    figure_id = "figure-self_attention_matrix"
    data = figure_data(site, figure_id)
    first = page.locator(f"#{figure_id} .heatmap-cell[tabindex='0']")
    assert first.count() == 1
    first.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    focused = page.evaluate(
        "[document.activeElement.dataset.row, document.activeElement.dataset.col]"
    )
    assert focused == ["1", "1"]
    tip = page.locator(f"#{figure_id} .heatmap-tip").inner_text()
    assert _agrees(_shown(tip, "가중치"), data["values"][1][1]), tip
    page.keyboard.press("Escape")
    assert page.locator(f"#{figure_id} .heatmap-tip").is_hidden()


def test_heatmaps_work_after_instant_navigation(visit):
    page = visit("/").page
    # Instant navigation makes links absolute; click the lesson link in the page's text.
    page.locator(".md-content a[href$='/01_attention_intuition/']").first.click()
    page.wait_for_url("**/01_attention_intuition/")
    wait_until_interactive(page)
    assert page.locator("figure[data-interactive='ready']").count() >= 1


def test_notebook_page_is_styled_after_instant_navigation(visit):
    """The notebook stylesheet is linked from the page's content, which instant navigation swaps."""
    page = visit("/01_attention_intuition/").page
    page.locator(".md-content a[href$='/notebooks/01_attention_intuition/']").first.click()
    page.wait_for_url("**/notebooks/01_attention_intuition/")
    area = page.locator(".jp-InputArea").first
    area.wait_for()
    page.wait_for_function(
        "getComputedStyle(document.querySelector('.jp-InputArea')).display === 'flex'"
    )
    assert page.evaluate("document.querySelectorAll('link[href*=\"notebook-\"]').length") == 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violation(visit, path, scheme):
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    page = visit(path, color_scheme=scheme).page
    wait_until_interactive(page)
    results = axe_module.Axe().run(page)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


@pytest.mark.parametrize("path", PAGES)
def test_nothing_overflows_a_phone_screen(visit, path):
    page = visit(path, viewport={"width": PHONE_WIDTH, "height": 844}).page
    wait_until_interactive(page)
    overflowing = page.evaluate(
        """(width) => {
          // Code blocks, tables and display math scroll on their own; that is their job.
          const scrolls = 'pre, code, .md-typeset__scrollwrap, div.math, .highlight, table';
          return [...document.querySelectorAll('.md-content *')]
            .filter(e => !e.closest(scrolls))
            .filter(e => e.getBoundingClientRect().right > width + 1)
            .map(e => e.tagName + '.' + e.className);
        }""",
        PHONE_WIDTH,
    )
    assert overflowing == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


# The term a reader types and the lesson that teaches it.
SEARCHES = {
    "어텐션": "/01_attention_intuition/",
    "attention": "/01_attention_intuition/",
    "셀프 어텐션": "/02_self_attention/",
    "소프트맥스": "/01_attention_intuition/",
    "softmax": "/01_attention_intuition/",
    "가중합": "/01_attention_intuition/",
    "쿼리": "/01_attention_intuition/",
    "마스킹": "/05_masked_and_cross_attention/",
    "멀티헤드": "/03_multi_head_attention/",
}
# Korean particles and English capitals must not change where a search lands.
PARTICLES = {"어텐션은": "어텐션", "Attention이": "attention", "소프트맥스를": "소프트맥스"}


def _top_result(page, query: str) -> str:
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query)
    # fill() inserts Hangul without key events; Material searches on a key press.
    page.keyboard.press("End")
    page.wait_for_function(
        "() => document.querySelector('.md-search-result__item')", timeout=10_000
    )
    href = page.locator(".md-search-result__item > a").first.get_attribute("href")
    return href.split("?")[0].split("#")[0]


@pytest.fixture(scope="module")
def search_page(browser, server):
    base, _ = server
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/", wait_until="networkidle")
    yield page, base
    context.close()


@pytest.mark.parametrize("query", [*SEARCHES, *PARTICLES])
def test_search_lands_on_the_lesson_that_teaches_the_term(search_page, query):
    page, base = search_page
    expected = SEARCHES[PARTICLES.get(query, query)]
    page.reload(wait_until="networkidle")
    assert _top_result(page, query) == base + expected


def test_missing_page_shows_the_korean_404_with_its_styles(visit):
    seen = visit("/no-such-lesson/")
    page = seen.page
    assert page.locator("h1").inner_text().startswith("페이지를 찾을 수 없습니다")
    assert page.evaluate("document.documentElement.lang") == "ko"
    # Its stylesheets and scripts load from the published path, not from a broken relative one.
    assert [url for url in seen.failed if "no-such-lesson" not in url] == []
    assert seen.errors == [] or all("404" in error for error in seen.errors)
    page.locator(".md-content a", has_text="강좌 소개").click()
    page.wait_for_load_state("networkidle")
    assert "어텐션 메커니즘 강좌" in page.locator("h1").first.inner_text()


def test_without_javascript_the_static_figures_remain(visit):
    page = visit("/01_attention_intuition/", java_script_enabled=False).page
    scroll_through(page)
    figures = page.locator("figure[data-figure]")
    assert figures.count() >= 5
    assert page.locator(".heatmap-cells").count() == 0
    loaded = page.evaluate(
        "() => [...document.querySelectorAll('figure img')]"
        ".filter(i => getComputedStyle(i).display !== 'none')"
        ".map(i => i.complete && i.naturalWidth > 0)"
    )
    assert loaded and all(loaded)
