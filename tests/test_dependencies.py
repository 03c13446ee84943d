"""Every third-party package the code imports is declared in pyproject.toml.

A fresh clone installs only what pyproject.toml lists; an import that works here only because
something else pulled the package in breaks there.
"""

import ast
import re
import sys
import tomllib
from importlib import metadata

from .conftest import ROOT

LOCAL = {
    "snippets",
    "tests",
    "conftest",
    "fences",
    *(p.stem for p in (ROOT / "hooks").glob("*.py")),
}
SOURCES = ("hooks", "snippets", "notebooks", "scripts", "tests")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    requirements = project["dependencies"] + extras
    return {
        normalise(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0])
        for requirement in requirements
    }


def imported_top_level() -> dict[str, str]:
    found = {}
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], path.relative_to(ROOT).as_posix())
    return found


def test_every_imported_package_is_declared():
    distributions = metadata.packages_distributions()
    wanted = declared()
    missing = []
    for module, where in sorted(imported_top_level().items()):
        if module in sys.stdlib_module_names or module in LOCAL or module == "__future__":
            continue
        owners = {normalise(d) for d in distributions.get(module, [module])}
        if not owners & wanted:
            missing.append(f"{module} (imported in {where}; from {sorted(owners)})")
    assert missing == []
