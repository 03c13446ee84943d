"""MkDocs hook: every page gets a description of its own, from its first paragraph.

Material writes page.meta["description"] into <meta name="description">, and
overrides/main.html into Open Graph tags. A page may still set `description:` itself in
front matter; otherwise its first paragraph of prose, cut at a word, is used.
"""

from __future__ import annotations

import html
import re

_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
LIMIT = 160


def summary(content: str) -> str | None:
    for match in _PARAGRAPH.finditer(content):
        text = " ".join(html.unescape(_TAG.sub("", match.group(1))).split())
        if len(text) >= 20:
            if len(text) <= LIMIT:
                return text
            cut = text[:LIMIT].rsplit(" ", 1)[0]
            return cut.rstrip(",.;:") + "…"
    return None


def on_page_content(content: str, page, config, files) -> str:
    if not page.meta.get("description"):
        description = summary(content)
        if description:
            page.meta["description"] = description
    return content
