"""The project as a thing to copy and build: shared by the tests and scripts/bench.py.

Plain Python (no pytest), so the benchmark can use it without loading the test suite.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What a build needs; a copy gets its own, initially empty, .cache/.
PROJECT_PARTS = (
    "docs",
    "snippets",
    "notebooks",
    "hooks",
    "overrides",
    "mkdocs.yml",
    "pyproject.toml",
    "Makefile",
    "README.md",
)


def build_env() -> dict[str, str]:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    return env


def copy_project(destination: Path) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(
                source, destination / part, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(source, destination / part)
    return destination
