"""MkDocs hook: LaTeX math becomes MathML at build time, so a page needs no math script.

pymdownx.arithmatex (generic mode) finds `$...$` and `$$...$$` outside code and leaves
them as `<span class="arithmatex">\\(...\\)</span>` / `<div class="arithmatex">\\[...\\]</div>`;
this hook converts each one with latex2mathml. Browsers render MathML natively.
"""

from __future__ import annotations

import functools
import html
import re

from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError

_MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*'
    r"(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<block>.*?)\\\])"
    r"\s*</(?P=tag)>",
    re.DOTALL,
)


# Under `mkdocs serve` hook modules live as long as the server: each formula is converted once.
@functools.lru_cache(maxsize=4096)
def to_mathml(latex: str, display: str) -> str:
    return convert(latex.strip(), display=display)


def on_page_content(content: str, page, config, files) -> str:
    def replace(match: re.Match) -> str:
        inline = match.group("inline")
        latex = html.unescape(inline if inline is not None else match.group("block"))
        display = "inline" if inline is not None else "block"
        try:
            mathml = to_mathml(latex, display)
        except Exception as exc:
            raise PluginError(
                f"{page.file.src_uri}: cannot convert math ${latex.strip()}$ to MathML: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if display == "block":
            return f'<div class="math">{mathml}</div>'
        return mathml

    return _MATH.sub(replace, content)
