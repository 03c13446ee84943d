"""The glossary is the one spelling list: every page and snippet uses its preferred terms."""

import re

import pytest

from .conftest import ROOT

GLOSSARY = ROOT / "docs" / "glossary.md"
_ROW = re.compile(
    r'^\| <span id="(?P<id>[a-z0-9-]+)">(?P<term>[^<]+)</span> \| (?P<english>[^|]+) \|'
)


def glossary_rows() -> list[dict[str, object]]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            avoid = line.rstrip(" |").rsplit("|", 1)[1]
            rows.append(
                {
                    "id": match["id"],
                    "term": match["term"],
                    "english": match["english"].strip(),
                    "avoid": [v.strip() for v in avoid.split(",") if v.strip()],
                }
            )
    return rows


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
    for key in ("id", "term", "english"):
        values = [row[key] for row in rows]
        assert len(values) == len(set(values)), f"duplicate {key} in the glossary"
    for row in rows:
        assert row["avoid"], f"{row['term']}: list at least one spelling to avoid"
        assert row["term"] not in row["avoid"]


@pytest.mark.parametrize("row", glossary_rows(), ids=lambda row: row["id"])
def test_pages_use_the_preferred_spelling(row):
    found = [
        f"{name}:{number}: {variant!r} (use {row['term']!r})"
        for name, text in course_texts().items()
        for number, line in enumerate(text.splitlines(), 1)
        for variant in row["avoid"]
        if variant in line
    ]
    assert not found, "\n".join(found)


def test_a_misspelling_is_caught():
    rows = {row["id"]: row for row in glossary_rows()}
    line = "이것이 셀프어텐션입니다."
    assert any(variant in line for variant in rows["self-attention"]["avoid"])
