"""The real site: a strict, warning-free build, the lesson page whole, and bad input refused."""

import html as html_module
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from snippets.core import softmax
from snippets.figures import all_figures
from snippets.figures.build import build_figure

from .conftest import ROOT, build_env, copy_project, run_build

LESSON = "01_attention_intuition/index.html"
# Every section of the seed text, by the English anchor the page gives it.
SEED_SECTIONS = [
    "goals", "why-attention", "rnn-limits", "attention-solution", "core-idea", "classroom-analogy",
    "programming-analogy", "step-by-step", "step-1-similarity", "step-2-softmax",
    "step-3-weighted-sum", "self-vs-cross", "self-attention", "cross-attention", "examples",
    "pronoun", "relations", "advantages", "parallel", "long-range", "interpretability", "visual",
    "attention-matrix", "text-heatmap", "key-insights", "check", "exercises", "next",
]  # fmt: skip


class Assets(HTMLParser):
    """Every URL a page asks the browser to load (not plain links)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("rel") in ("stylesheet", "preload", "icon", "preconnect"):
            self.urls.append(attrs.get("href", ""))


def page(site: Path, name: str = LESSON) -> str:
    return (site / name).read_text(encoding="utf-8")


def page_text(site: Path, name: str = LESSON) -> str:
    """What a reader reads: tags (and syntax-highlighting spans) removed."""
    return html_module.unescape(re.sub(r"<[^>]+>", "", page(site, name)))


def test_strict_build_is_clean(built_site):
    _, result = built_site
    assert result.returncode == 0, result.stdout + result.stderr
    log = result.stdout + result.stderr
    for noise in ("WARNING", "ERROR", "Traceback", "Deprecat", "end of life"):
        assert noise not in log, log


def test_lesson_has_every_seed_section(built_site):
    html = page(built_site[0])
    for anchor in SEED_SECTIONS:
        assert f'id="{anchor}"' in html, anchor


def test_lesson_shows_true_softmax_values(built_site):
    html = page_text(built_site[0])
    computed = str(softmax(np.array([0.2, 1.0, 0.7, 0.1, 0.2, 0.3])).round(2))
    assert computed in html
    assert "[0.10, 0.35, 0.25, 0.08, 0.10, 0.12]" in html  # quoted once, as the common mistake
    assert html.count("0.10, 0.35, 0.25") == 1


def test_code_blocks_come_from_snippets(built_site):
    html = page_text(built_site[0])
    assert "def soft_lookup(" in html and "def softmax(" in html
    assert "--8<--" not in html
    assert "similarity(query, all_keys)" not in html  # the seed's pseudo-code is now real code


def test_figures_are_the_computed_ones_in_light_and_dark(built_site, tmp_path):
    site = built_site[0]
    html = page(site)
    placed = re.findall(r'<figure class="heatmap"[^>]* id="figure-([a-z0-9_]+)"', html)
    assert len(placed) >= 5 and set(placed) <= set(all_figures())
    for name in placed:
        expected = build_figure(all_figures()[name], tmp_path)
        for scheme in ("light", "dark"):
            assert f'src="../figures/{name}-{scheme}.svg#only-{scheme}"' in html
            assert (site / "figures" / f"{name}-{scheme}.svg").read_bytes() == expected.svg[scheme]
        assert f'alt="{expected.alt}"' in html


def test_pages_load_nothing_from_other_hosts(built_site):
    site = built_site[0]
    for html_file in site.rglob("*.html"):
        parser = Assets()
        parser.feed(html_file.read_text(encoding="utf-8"))
        external = [url for url in parser.urls if re.match(r"^(https?:)?//", url)]
        assert not external, (html_file, external)
    assert "fonts.googleapis" not in page(site)


def _same_tree(first: Path, second: Path) -> None:
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for file in files:
        assert (first / file).read_bytes() == (second / file).read_bytes(), file


def test_two_clean_builds_and_a_warm_one_give_the_same_bytes(project, tmp_path):
    """Figures, notebook pages, search index and sitemap: same commit, same epoch, same bytes."""
    epoch = {"SOURCE_DATE_EPOCH": "1700000000"}
    other = copy_project(tmp_path / "other")  # a second checkout with its own empty caches
    first, second, warm = tmp_path / "first", tmp_path / "second", tmp_path / "warm"
    assert run_build(project, first, env=epoch).returncode == 0
    assert run_build(other, second, env=epoch).returncode == 0
    assert run_build(project, warm, env=epoch).returncode == 0  # everything from the cache
    _same_tree(first, second)
    _same_tree(first, warm)
    assert "<lastmod>2023-11-14</lastmod>" in (first / "sitemap.xml").read_text()


REBUILD_IN_ONE_PROCESS = """
import sys
from pathlib import Path
from mkdocs.commands.build import build
from mkdocs.config import load_config

site, page = Path(sys.argv[1]), Path("docs/01_attention_intuition.md")
for text in (None, page.read_text(encoding="utf-8") + "\\n새 문단 zebracorn.\\n"):
    if text:
        page.write_text(text, encoding="utf-8")
    config = load_config("mkdocs.yml", site_dir=str(site))
    config.plugins.on_startup(command="serve", dirty=False)
    build(config)
"""


def test_a_rebuild_in_the_same_process_gives_what_a_fresh_build_gives(project, tmp_path):
    """As under `mkdocs serve`: hooks keep state between builds (compiled templates, search
    entries of unchanged pages); the edited page is indexed anew and nothing else differs."""
    epoch = {"SOURCE_DATE_EPOCH": "1700000000"}
    served = tmp_path / "served"
    result = subprocess.run(
        [sys.executable, "-c", REBUILD_IN_ONE_PROCESS, str(served)],
        cwd=project,
        env=build_env() | epoch,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    fresh = tmp_path / "fresh"
    assert run_build(project, fresh, env=epoch).returncode == 0
    assert "zebracorn" in (served / "search" / "search_index.json").read_text(encoding="utf-8")
    _same_tree(served, fresh)


def test_build_writes_nothing_into_docs(built_site):
    tracked = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--", "docs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    generated = [line for line in tracked.stdout.splitlines() if line.endswith((".svg", ".json"))]
    assert not generated


def test_all_pages_are_built(built_site):
    site = built_site[0]
    for name in ("index.html", "02_self_attention/index.html", "404.html"):
        assert (site / name).is_file()
    assert 'href="02_self_attention/"' in page(site, "index.html")
    assert 'lang="ko"' in page(site, "index.html")


# Each kind of bad input: the file to break, how, and the one error line expected.
# LINE stands for the line number of the fault.
BROKEN = {
    "unknown figure": (
        "docs/index.md",
        lambda text: text + "\n<!-- figure: no_such_figure -->\n",
        "index.md: unknown figure 'no_such_figure'",
    ),
    "missing section": (
        "docs/01_attention_intuition.md",
        lambda text: text.replace("core.py:softmax", "core.py:no_such_section"),
        "01_attention_intuition.md:LINE: include 'snippets/core.py:no_such_section': "
        "section 'no_such_section' has no '# --8<-- [start:no_such_section]' marker",
    ),
    "figure raises": (
        "snippets/attention_intuition.py",
        lambda text: text.replace(
            "scores = similarity(PRONOUN_VECTORS",
            'raise RuntimeError("broken on purpose")\n    scores = similarity(PRONOUN_VECTORS',
        ),
        "01_attention_intuition.md: figure 'pronoun_it' (snippets.attention_intuition._pronoun_it) "
        "raised RuntimeError: broken on purpose",
    ),
    "figure returns nan": (
        "snippets/attention_intuition.py",
        lambda text: text.replace(
            "pronoun_weights()[np.newaxis, :]", "pronoun_weights()[np.newaxis, :] * np.nan"
        ),
        "01_attention_intuition.md: figure 'pronoun_it': value at (row, col) (0, 0) is nan",
    ),
    "labels do not match": (
        "snippets/attention_intuition.py",
        lambda text: text.replace('("It",), PRONOUN_CONTEXT,', '("It",), PRONOUN_CONTEXT[:3],'),
        "01_attention_intuition.md: figure 'pronoun_it': matrix is 1x5 but there are 1 row labels "
        "and 3 column labels",
    ),
    "inline python": (
        "docs/index.md",
        lambda text: text + "\n```python\nprint('inline')\n```\n",
        "index.md:LINE: Python written inline in a page",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_bad_input_fails_the_build_with_one_clear_error(project, tmp_path, case):
    relative, edit, message = BROKEN[case]
    target = project / relative
    edited = edit(target.read_text(encoding="utf-8"))
    assert edited != target.read_text(encoding="utf-8"), "the test's edit did not apply"
    target.write_text(edited, encoding="utf-8")

    site = tmp_path / "site"
    result = run_build(project, site)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    errors = [line for line in log.splitlines() if "ERROR" in line]
    assert len(errors) == 1, log
    assert re.search(re.escape(message).replace("LINE", r"\d+"), errors[0]), log
    assert "Traceback" not in log
    assert not list(site.rglob("*.html")) and not list(site.rglob("*.svg"))
    # Names and matrices are all checked before anything is drawn: nothing reaches the cache.
    assert not (project / ".cache").exists()


def test_make_build_keeps_the_last_good_site_when_a_build_fails(project):
    stamp = project / ".installed"
    stamp.touch()  # newer than pyproject.toml: make skips the install
    make = ["make", "build", f"BIN={Path(sys.executable).parent}", f"STAMP={stamp}"]
    good = subprocess.run(make, cwd=project, env=build_env(), capture_output=True, text=True)
    assert good.returncode == 0, good.stdout + good.stderr
    index = (project / "site" / "index.html").read_bytes()

    lesson = project / "docs" / "01_attention_intuition.md"
    lesson.write_text(
        lesson.read_text(encoding="utf-8") + "\n<!-- figure: gone -->\n", encoding="utf-8"
    )
    bad = subprocess.run(make, cwd=project, env=build_env(), capture_output=True, text=True)
    assert bad.returncode != 0
    assert (project / "site" / "index.html").read_bytes() == index


SITE_ERRORS = {
    "broken link": ("[없는 페이지](no_such_page.md)", "'no_such_page.md', but the target"),
    "missing anchor": ("[없는 절](01_attention_intuition.md#no-such-anchor)", "no-such-anchor"),
}


@pytest.mark.parametrize("case", list(SITE_ERRORS))
def test_strict_validation_refuses_broken_links(project, tmp_path, case):
    link, expected = SITE_ERRORS[case]
    page_file = project / "docs" / "02_self_attention.md"
    page_file.write_text(page_file.read_text(encoding="utf-8") + f"\n{link}\n", encoding="utf-8")
    result = run_build(project, tmp_path / "site")
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "02_self_attention.md" in log and expected in log, log


def test_strict_validation_refuses_a_page_left_out_of_the_nav(project, tmp_path):
    (project / "docs" / "orphan.md").write_text("# 고아 페이지\n", encoding="utf-8")
    result = run_build(project, tmp_path / "site")
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "orphan.md" in log and "not included in the" in log, log


def test_pages_kept_in_the_cache_still_have_their_links_checked(project, tmp_path):
    """Lesson 02 links to an anchor of lesson 01. After a build that keeps every page in
    .cache/pages, removing the anchor from 01 alone must still fail on 02's link; a page whose
    own render warned (a link to a missing page in 04) fails the build again when it is reused
    from the cache."""
    site = tmp_path / "site"
    first = run_build(project, site)
    assert first.returncode == 0, first.stderr[-3000:]
    lesson = project / "docs" / "01_attention_intuition.md"
    text = lesson.read_text(encoding="utf-8")
    assert "{ #temperature }" in text
    lesson.write_text(text.replace("{ #temperature }", "{ #temperature-renamed }"), "utf-8")
    broken = project / "docs" / "04_position_and_transformer_block.md"
    broken.write_text(broken.read_text("utf-8") + "\n[없는 페이지](no_such_page.md)\n", "utf-8")
    for _ in range(2):
        result = run_build(project, site)
        log = result.stdout + result.stderr
        assert result.returncode != 0
        assert (
            "'02_self_attention.md' contains a link '01_attention_intuition.md#temperature'" in log
        )
        assert "'04_position_and_transformer_block.md' contains a link 'no_such_page.md'" in log
