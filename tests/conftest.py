"""Shared test helpers: the project root, a throw-away copy of the project, a real build."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from hypothesis import settings

from .project import ROOT, build_env, copy_project

HOOKS = ROOT / "hooks"

# Property tests run the same examples every time: CI failures must be reproducible.
settings.register_profile("course", derandomize=True, deadline=None, database=None)
settings.load_profile("course")

if str(HOOKS) not in sys.path:
    sys.path.insert(0, str(HOOKS))


def site_path() -> str:
    """The path the site is served under (GitHub Pages: /<repository>), from site_url's default."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    default = re.search(r'site_url: !ENV \[SITE_URL, "([^"]+)"\]', config)
    return urlparse(default.group(1)).path.rstrip("/")


def run_build(
    project: Path, site: Path, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` of a project, as `make build` runs it, with its output captured."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(project / "mkdocs.yml"),
            "-d",
            str(site),
        ],
        cwd=cwd or project,
        env=build_env() | (env or {}),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the project to break on purpose."""
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One strict build of the real project into a temporary folder, run from elsewhere."""
    site = tmp_path_factory.mktemp("site") / "site"
    elsewhere = tmp_path_factory.mktemp("cwd")
    result = run_build(ROOT, site, cwd=elsewhere)
    return site, result
