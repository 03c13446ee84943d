"""Docs lint: code in pages is included from snippets/ and resolves; figure markers resolve."""

from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

from snippets.figures import all_figures

from .conftest import ROOT

import figures as figure_hook  # hooks/figures.py  # isort: skip
import includes  # hooks/includes.py  # isort: skip

PAGES = sorted((ROOT / "docs").rglob("*.md"))


def page_id(path: Path) -> str:
    return path.relative_to(ROOT / "docs").as_posix()


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_include_resolves_and_no_python_is_inline(page):
    includes.check_page(page.read_text(encoding="utf-8"), page_id(page), ROOT)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_figure_marker_names_a_declared_figure(page):
    names = figure_hook.find_markers(page.read_text(encoding="utf-8"), page_id(page))
    assert set(names) <= set(all_figures())


def test_every_python_fence_in_docs_is_an_include():
    fences = 0
    for page in PAGES:
        inside = False
        for line in page.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith("```python"):
                inside, fences = True, fences + 1
            elif inside and stripped.startswith("```"):
                inside = False
            elif inside and stripped:
                assert stripped.startswith('--8<-- "snippets/'), f"{page_id(page)}: {line}"
    assert fences > 0


def test_every_declared_figure_is_placed_somewhere():
    placed = set()
    for page in PAGES:
        placed.update(figure_hook.find_markers(page.read_text(encoding="utf-8"), page_id(page)))
    assert set(all_figures()) <= placed


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("```python\nprint('hi')\n```\n", r"page\.md:2: Python written inline"),
        ("```pycon\n>>> 1 + 1\n```\n", r"page\.md:2: Python written inline"),
        (
            '```python\n--8<-- "snippets/nope.py:x"\n```\n',
            r"page\.md:2: .*file 'snippets/nope.py' does not",
        ),
        (
            '```python\n--8<-- "snippets/core.py:nope"\n```\n',
            r"page\.md:2: include 'snippets/core.py:nope': section 'nope' has no",
        ),
        ('```python\n--8<-- "snippets/core.py"\n```\n', r"page\.md:2: .*names no section"),
        ('```python\n--8<-- "snippets/core.py:1:5"\n```\n', r"page\.md:2: .*names no section"),
        ('    ```python\n    --8<-- "snippets/core.py:nope"\n    ```\n', r"section 'nope'"),
    ],
)
def test_include_errors_name_the_page_line_and_include(markdown, message):
    with pytest.raises(PluginError, match=message):
        includes.check_page(markdown, "page.md", ROOT)


def test_text_fences_and_good_includes_pass():
    includes.check_page(
        '```text\nprint("diagram")\n```\n\n```python\n--8<-- "snippets/core.py:softmax"\n```\n',
        "page.md",
        ROOT,
    )


def test_figure_markers_outside_code_only():
    markdown = "<!-- figure: a_b -->\n```text\n<!-- figure: in_code -->\n```\n<!-- figure: c -->\n"
    assert figure_hook.find_markers(markdown, "page.md") == ["a_b", "c"]


@pytest.mark.parametrize(
    "line", ["<!-- figure: Bad-Name -->", "text <!-- figure: x -->", "<!--figure:x-->"]
)
def test_malformed_figure_marker_is_an_error(line):
    with pytest.raises(PluginError, match=r"page\.md:1: malformed figure marker"):
        figure_hook.find_markers(line + "\n", "page.md")
