"""Practice notebooks: each runs clean in a fresh kernel, shows the lesson's numbers, is cached
by what it imports, and a failing cell stops the build with one line naming notebook and cell."""

from __future__ import annotations

import functools
import json
import re
import shutil

import jupytext
import pytest
from nbclient import NotebookClient

from snippets.attention_intuition import SENTENCE, TEMPERATURE, attention_weights, embed
from snippets.core import causal_mask
from snippets.self_attention import sentence_attention

from .conftest import ROOT, run_build

import notebooks as notebook_hook  # hooks/notebooks.py  # isort: skip

NOTEBOOKS = sorted(path.stem for path in (ROOT / "notebooks").glob("*.py"))
LESSONS = sorted(path.stem for path in (ROOT / "docs").glob("0*.md"))


@functools.cache
def run_notebook(name: str) -> tuple[str, ...]:
    """Execute a notebook in a fresh kernel from the project root; printed text per code cell."""
    source = (ROOT / "notebooks" / f"{name}.py").read_text(encoding="utf-8")
    notebook = jupytext.reads(source, fmt="py:percent")
    NotebookClient(
        notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    return tuple(
        "".join(output.get("text", "") for output in cell.get("outputs", []))
        for cell in notebook.cells
        if cell.cell_type == "code"
    )


def test_one_notebook_per_lesson():
    assert NOTEBOOKS == LESSONS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_clean_and_its_checks_pass(name):
    source = (ROOT / "notebooks" / f"{name}.py").read_text(encoding="utf-8")
    assert source.startswith("# %% [markdown]\n# # 실습: ")
    assert f"../../downloads/{name}.ipynb" in source
    assert "assert np.isclose(" in source or "assert answer ==" in source
    outputs = "".join(run_notebook(name))
    assert outputs.count("정답입니다!") == source.count('print("정답입니다!"')
    assert "Error" not in outputs


def test_notebook_outputs_match_the_lessons_numbers():
    first = "".join(run_notebook("01_attention_intuition"))
    words = embed(SENTENCE)
    expected = attention_weights(words[1], words, TEMPERATURE).round(2)
    assert f"온도 {TEMPERATURE:g}의 가중치: {expected}" in first

    second = "".join(run_notebook("02_self_attention"))
    assert str(sentence_attention(SENTENCE)[1].round(2)) in second

    fifth = "".join(run_notebook("05_masked_and_cross_attention"))
    assert f"정답입니다! {int(causal_mask(6).sum())}" in fifth


def test_dependencies_follow_imports_inside_snippets():
    source = (ROOT / "notebooks" / "02_self_attention.py").read_text(encoding="utf-8")
    found = {path.relative_to(ROOT).as_posix() for path in notebook_hook.dependencies(ROOT, source)}
    # self_attention imports attention_intuition, which imports core and figures.
    assert {
        "snippets/self_attention.py",
        "snippets/attention_intuition.py",
        "snippets/core.py",
        "snippets/figures/__init__.py",
    } <= found
    assert "snippets/multi_head_attention.py" not in found


def executed(result) -> list[str]:
    """Notebook names the hook's log line says it executed in this build."""
    log = result.stdout + result.stderr
    line = next(line for line in log.splitlines() if "notebooks: executed" in line)
    return line.partition("(")[2].rstrip(")").split(", ") if "(" in line else []


def test_cache_warm_build_and_snippet_edit(tmp_path, project):
    """A warm rebuild runs nothing; a snippet edit re-runs exactly the notebooks importing it."""
    if (ROOT / ".cache").is_dir():  # start warm when the real project was built before
        shutil.copytree(ROOT / ".cache", project / ".cache", ignore=shutil.ignore_patterns("*.tmp"))
    site = tmp_path / "site"
    first = run_build(project, site)
    assert first.returncode == 0, first.stdout + first.stderr
    cached = sorted((project / ".cache" / "notebooks").glob("*.ipynb"))
    assert len(cached) == len(NOTEBOOKS)
    mtimes = {path: path.stat().st_mtime_ns for path in cached}

    pages = sorted((project / ".cache" / "notebook-pages").glob("*.json"))
    assert len(pages) == len(NOTEBOOKS)
    mtimes |= {path: path.stat().st_mtime_ns for path in pages}

    # Python lists every module it imports: a warm build loads no notebook tool at all, and
    # with snippets/ unchanged it computes no figure (so neither numpy nor the course's code).
    warm = run_build(project, site, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert warm.returncode == 0, warm.stdout + warm.stderr
    assert "notebooks: executed 0 of 6" in warm.stdout + warm.stderr
    assert {path: path.stat().st_mtime_ns for path in cached + pages} == mtimes
    imported = set(re.findall(r"^import time:.*\|\s+([\w.]+)$", warm.stderr, re.MULTILINE))
    assert "mkdocs.commands.build" in imported  # the listing is there to read
    notebook_tools = {"mkdocs_jupyter", "nbconvert", "jupytext", "nbclient", "nbformat"}
    assert not imported & (notebook_tools | {"numpy", "matplotlib", "snippets"})

    module = project / "snippets" / "attention_intuition.py"
    module.write_text(
        module.read_text(encoding="utf-8").replace("TEMPERATURE = 0.5", "TEMPERATURE = 0.25"),
        encoding="utf-8",
    )
    importers = sorted(
        name
        for name in NOTEBOOKS
        if module
        in notebook_hook.dependencies(
            project, (project / "notebooks" / f"{name}.py").read_text(encoding="utf-8")
        )
    )
    assert "01_attention_intuition" in importers and "03_multi_head_attention" not in importers
    edited = run_build(project, site)
    assert edited.returncode == 0, edited.stdout + edited.stderr
    assert executed(edited) == importers
    page = (site / "notebooks" / "01_attention_intuition" / "index.html").read_text("utf-8")
    assert "온도 0.25의 가중치: [0.03 0.68 0.2  0.02 0.03 0.04]" in page
    download = json.loads((site / "downloads" / "01_attention_intuition.ipynb").read_text("utf-8"))
    assert any(
        "온도 0.25의 가중치" in json.dumps(cell, ensure_ascii=False) for cell in download["cells"]
    )


def test_a_failing_cell_stops_the_build_with_one_clear_line(tmp_path, project):
    for name in NOTEBOOKS[1:]:
        (project / "notebooks" / f"{name}.py").unlink()
    source = project / "notebooks" / f"{NOTEBOOKS[0]}.py"
    text = source.read_text(encoding="utf-8")
    source.write_text(
        text.replace("words = embed(SENTENCE)  #", "words = embed(('no_such_word',))  #", 1),
        encoding="utf-8",
    )
    result = run_build(project, tmp_path / "site")
    assert result.returncode != 0
    log = result.stdout + result.stderr
    assert f"notebooks/{NOTEBOOKS[0]}.py: cell 1 ('import numpy as np') failed: KeyError:" in log
    assert "Traceback" not in log
    assert not list((project / ".cache" / "notebooks").glob("*.ipynb"))


def test_a_hanging_cell_times_out_with_a_clear_line(tmp_path, project):
    for name in NOTEBOOKS[1:]:
        (project / "notebooks" / f"{name}.py").unlink()
    source = project / "notebooks" / f"{NOTEBOOKS[0]}.py"
    source.write_text(
        source.read_text(encoding="utf-8") + "\n# %%\nimport time\n\ntime.sleep(600)\n",
        encoding="utf-8",
    )
    result = run_build(project, tmp_path / "site", env={"NOTEBOOK_CELL_TIMEOUT": "3"})
    assert result.returncode != 0
    log = result.stdout + result.stderr
    assert f"notebooks/{NOTEBOOKS[0]}.py: cell " in log and "('import time') failed" in log
    assert "CellTimeoutError: no result within 3 s" in log
    assert not list((project / ".cache" / "notebooks").glob("*.ipynb"))


def test_lesson_pages_link_their_notebook():
    for name in LESSONS:
        text = (ROOT / "docs" / f"{name}.md").read_text(encoding="utf-8")
        line = (
            f"[실습 노트북 열기](notebooks/{name}.ipynb) · "
            f"[노트북 다운로드 (.ipynb)](downloads/{name}.ipynb){{ download }}"
        )
        assert text.count(line) == 2, name


def test_site_has_notebook_pages_and_downloads(built_site):
    site, result = built_site
    assert result.returncode == 0, result.stdout + result.stderr
    for name in NOTEBOOKS:
        page = (site / "notebooks" / name / "index.html").read_text(encoding="utf-8")
        assert f'href="../../downloads/{name}.ipynb"' in page
        assert "노트북 다운로드 (.ipynb)" in page
        assert "data:image/png" in page  # the heatmaps were drawn at build time
        download = json.loads((site / "downloads" / f"{name}.ipynb").read_text(encoding="utf-8"))
        assert all(
            cell.get("execution_count") for cell in download["cells"] if cell["cell_type"] == "code"
        )
        lesson = (site / name / "index.html").read_text(encoding="utf-8")
        assert f'href="../downloads/{name}.ipynb"' in lesson
        assert f'href="../notebooks/{name}/"' in lesson


def test_notebook_pages_share_one_stylesheet(built_site):
    """nbconvert inlines ~600 KB of JupyterLab CSS per page; it is one shared file instead."""
    site, _ = built_site
    stylesheets = set()
    for name in NOTEBOOKS:
        page = (site / "notebooks" / name / "index.html").read_text(encoding="utf-8")
        assert "<style" not in page, name
        links = re.findall(
            r'<link rel="stylesheet" href="\.\./\.\./(stylesheets/notebook-\w+\.css)"', page
        )
        assert len(links) == 1, (name, links)
        stylesheets.add(links[0])
        assert len(page.encode()) < 400_000, name
    assert len(stylesheets) == 1
    css = (site / stylesheets.pop()).read_text(encoding="utf-8")
    assert ".jp-InputPrompt" in css and "</style>" not in css
    lesson = (site / "01_attention_intuition" / "index.html").read_text(encoding="utf-8")
    assert "stylesheets/notebook-" not in lesson
