"""MkDocs hook: code in pages comes from snippets/, by named section, and it must exist.

pymdownx.snippets raises a bare exception (with a traceback and no page name) for a missing
section; this hook checks every include first and fails with one line that names the page,
the include and what is wrong. It also refuses Python written inline in a page.
"""

from __future__ import annotations

import re
from pathlib import Path

from fences import lines_with_fence
from mkdocs.exceptions import PluginError

_INCLUDE = re.compile(r"""^\s*-{1,}8<-{1,}\s+(?P<quote>["'])(?P<target>[^"']+)(?P=quote)\s*$""")
_SECTION_NAME = re.compile(r"[a-z][-_0-9a-z]*")
PYTHON_LANGS = {"python", "py", "pycon", "python3"}


def check_page(markdown: str, page: str, base: Path) -> None:
    """Raise PluginError at the first include that does not resolve or inline Python line."""
    for number, line, fence in lines_with_fence(markdown):
        include = _INCLUDE.match(line)
        if include:
            _check_include(include.group("target"), f"{page}:{number}", base, fence)
        elif fence in PYTHON_LANGS and line.strip():
            raise PluginError(
                f"{page}:{number}: Python written inline in a page; put it in snippets/ and "
                'include it with --8<-- "snippets/module.py:section"'
            )


def _check_include(target: str, where: str, base: Path, fence: str | None) -> None:
    path, _, section = target.rpartition(":")
    if not path or not _SECTION_NAME.fullmatch(section):
        if fence in PYTHON_LANGS:
            raise PluginError(
                f"{where}: include '{target}' names no section; use 'file.py:section' "
                "(line numbers break on every edit)"
            )
        path, section = target, ""
    file = base / path
    if not file.is_file():
        raise PluginError(f"{where}: include '{target}': file '{path}' does not exist")
    if section:
        text = file.read_text(encoding="utf-8")
        for kind in ("start", "end"):
            if not re.search(rf"--8<--\s*\[\s*{kind}\s*:\s*{re.escape(section)}\s*\]", text):
                raise PluginError(
                    f"{where}: include '{target}': section '{section}' has no "
                    f"'# --8<-- [{kind}:{section}]' marker in {path}"
                )


def _base(config) -> Path:
    return Path(config.config_file_path).parent


def on_config(config):
    # pymdownx.snippets resolves base_path against the working directory; anchor it to
    # mkdocs.yml so a build started from any folder includes the same files.
    options = config.mdx_configs.setdefault("pymdownx.snippets", {})
    options["base_path"] = [str(_base(config) / p) for p in options.get("base_path", ["."])]
    return config


def on_files(files, config):
    # Checked here, before any page is read, so the build stops with this one error line.
    for file in files.documentation_pages():
        check_page(file.content_string, file.src_uri, _base(config))
    return files
