"""Walk a Markdown page line by line, knowing which fenced code block each line is in.

Shared by the hooks (and their tests): a figure marker or an include means something
different inside a code block than outside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})\s*\{?\s*\.?(?P<lang>[\w-]*)")


def lines_with_fence(markdown: str) -> Iterator[tuple[int, str, str | None]]:
    """(line number from 1, line, language of the enclosing fence: "" if unnamed, None outside).

    The fence lines themselves are not yielded.
    """
    fence: tuple[str, str] | None = None
    for number, line in enumerate(markdown.splitlines(), 1):
        match = _FENCE.match(line)
        if match and fence is None:
            fence = (match["fence"], match["lang"].lower())
            continue
        if match and fence and match["fence"].startswith(fence[0]) and not line.strip("`~ \t"):
            fence = None
            continue
        yield number, line, None if fence is None else fence[1]
