"""MkDocs hook: the glossary decides where each term is taught, and search follows it.

Each glossary row names the lesson that teaches the term (the 배우는 곳 column). That lesson
gets the term, in Korean and English, as search tags: Material's search weighs tags far above
body text, so "소프트맥스" lands on the lesson that teaches softmax, not on every page that
mentions it. The rows are parsed here once; tests/test_glossary.py uses the same parser.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from mkdocs.exceptions import PluginError

GLOSSARY = "glossary.md"
_ROW = re.compile(r'^\| <span id="(?P<id>[a-z0-9-]+)">(?P<term>[^<]+)</span> \|(?P<rest>.*)\|\s*$')
_LINK = re.compile(r"\]\((?P<target>[^)#\s]+\.md)(?:#[^)]*)?\)")


@dataclass(frozen=True)
class Term:
    id: str
    term: str
    english: str
    meaning: str
    lessons: tuple[str, ...]  # docs-relative .md paths of the pages that teach the term
    avoid: tuple[str, ...]  # spellings no page may use


def parse_glossary(markdown: str) -> list[Term]:
    terms = []
    for number, line in enumerate(markdown.splitlines(), 1):
        match = _ROW.match(line)
        if not match:
            continue
        cells = [cell.strip() for cell in match["rest"].split(" | ")]
        if len(cells) != 4:
            raise PluginError(
                f"{GLOSSARY}:{number}: a term row has 5 columns "
                f"(표기 | English | 뜻 | 배우는 곳 | 피할 표기), found {len(cells) + 1}"
            )
        english, meaning, where, avoid = cells
        terms.append(
            Term(
                id=match["id"],
                term=match["term"],
                english=english,
                meaning=meaning,
                lessons=tuple(link["target"] for link in _LINK.finditer(where)),
                avoid=tuple(v.strip() for v in avoid.split(",") if v.strip()),
            )
        )
    return terms


_WORD_BREAK = re.compile(r"[\s\-]+")


def search_tags(terms: list[Term]) -> dict[str, list[str]]:
    """Page → the words it is found by: the words of the terms it teaches, Korean and English.

    A word that is itself a term taught elsewhere is left out: "셀프 어텐션" tags lesson 02
    with 셀프 and self, while 어텐션 and attention stay with lesson 01, which teaches them.
    """
    home: dict[str, set[str]] = {}
    for term in terms:
        for name in (term.term, term.english):
            if not _WORD_BREAK.search(name.strip()):
                home.setdefault(name.lower(), set()).update(term.lessons)
    tags: dict[str, list[str]] = {}
    for term in terms:
        for lesson in term.lessons:
            for name in (term.term, term.english):
                for word in _WORD_BREAK.split(name.strip()):
                    taught_at = home.get(word.lower(), {lesson})
                    if word and lesson in taught_at:
                        tags.setdefault(lesson, []).append(word)
    return {page: list(dict.fromkeys(words)) for page, words in tags.items()}


def on_files(files, config):
    glossary = files.get_file_from_path(GLOSSARY)
    if glossary is None:
        return files
    terms = parse_glossary(glossary.content_string)
    for term in terms:
        for lesson in term.lessons:
            if files.get_file_from_path(posixpath.normpath(lesson)) is None:
                raise PluginError(f"{GLOSSARY}: term '{term.term}' points to missing page {lesson}")
    _tags.clear()
    _tags.update(search_tags(terms))
    return files


_tags: dict[str, list[str]] = {}


def on_page_markdown(markdown, page, config, files):
    # Material's search indexes page.meta["tags"]; without its tags plugin nothing is shown.
    if page.file.src_uri in _tags:
        page.meta["tags"] = list(
            dict.fromkeys(page.meta.get("tags", []) + _tags[page.file.src_uri])
        )
    return markdown


def load(root: Path) -> list[Term]:
    return parse_glossary((root / "docs" / GLOSSARY).read_text(encoding="utf-8"))
