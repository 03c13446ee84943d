"""The glossary is the one spelling list: every page and snippet uses its preferred terms."""

import re

import pytest

from .conftest import ROOT

import glossary  # hooks/glossary.py  # isort: skip

GLOSSARY = ROOT / "docs" / "glossary.md"


def glossary_rows() -> list[glossary.Term]:
    return glossary.load(ROOT)


def course_texts() -> dict[str, str]:
    """Every page but the glossary, and every snippet module (its docstrings reach the pages)."""
    texts = {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for pattern in ("docs/**/*.md", "snippets/**/*.py", "notebooks/**/*.py")
        for path in ROOT.glob(pattern)
        if path != GLOSSARY
    }
    assert texts
    return texts


def test_glossary_is_well_formed():
    rows = glossary_rows()
    assert len(rows) >= 40
    assert len(rows) == GLOSSARY.read_text(encoding="utf-8").count('| <span id="')
    for key in ("id", "term", "english"):
        values = [getattr(row, key) for row in rows]
        assert len(values) == len(set(values)), f"duplicate {key} in the glossary"
    lessons = {path.name for path in (ROOT / "docs").glob("0*.md")}
    for row in rows:
        assert row.avoid, f"{row.term}: list at least one spelling to avoid"
        assert row.term not in row.avoid
        assert row.lessons and set(row.lessons) <= lessons, f"{row.term}: {row.lessons}"


@pytest.mark.parametrize("row", glossary_rows(), ids=lambda row: row.id)
def test_pages_use_the_preferred_spelling(row):
    found = [
        f"{name}:{number}: {variant!r} (use {row.term!r})"
        for name, text in course_texts().items()
        for number, line in enumerate(text.splitlines(), 1)
        for variant in row.avoid
        if re.search(_word_start(variant), line)
    ]
    assert not found, "\n".join(found)


def _word_start(variant: str) -> str:
    # "로스" (loss) must not match inside "크로스": a variant starts a word.
    return r"(?<![가-힣A-Za-z])" + re.escape(variant)


def test_a_misspelling_is_caught():
    rows = {row.id: row for row in glossary_rows()}
    line = "이것이 셀프어텐션입니다."
    assert any(re.search(_word_start(v), line) for v in rows["self-attention"].avoid)
    assert not any(re.search(_word_start(v), "크로스 어텐션") for v in rows["loss"].avoid)
    assert any(re.search(_word_start(v), "로스가 줄어든다") for v in rows["loss"].avoid)


def test_search_tags_keep_a_word_with_the_page_that_teaches_it():
    tags = glossary.search_tags(glossary_rows())
    assert {"어텐션", "attention", "소프트맥스", "softmax", "쿼리"} <= set(
        tags["01_attention_intuition.md"]
    )
    assert "셀프" in tags["02_self_attention.md"] and "어텐션" not in tags["02_self_attention.md"]
    assert "softmax" not in tags["06_efficient_attention.md"]
    for page, words in tags.items():
        assert len(words) == len(set(words)), page
