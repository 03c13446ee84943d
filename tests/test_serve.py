"""`mkdocs serve`: an edit in snippets/ reaches the served figure and page without a restart."""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import build_env

FIGURE = "figures/self_attention_matrix-light.svg"
PAGE = "01_attention_intuition/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(base: str, path: str) -> bytes | None:
    try:
        with urllib.request.urlopen(base + path, timeout=5) as response:
            return response.read()
    except OSError:
        return None


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


@pytest.fixture
def served(project: Path, tmp_path: Path):
    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-f", str(project / "mkdocs.yml"),
         "--dev-addr", f"127.0.0.1:{port}", "--livereload"],
        cwd=project, env=build_env(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield project, f"http://127.0.0.1:{port}/", log
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_snippet_edit_changes_served_figure_and_page(served):
    project, base, log = served
    before = wait_for(lambda: fetch(base, FIGURE), 120, "the first build")
    page_before = fetch(base, PAGE)
    assert b"TEMPERATURE" in page_before

    module = project / "snippets" / "attention_intuition.py"
    source = module.read_text(encoding="utf-8")
    assert "TEMPERATURE = 0.5" in source
    module.write_text(source.replace("TEMPERATURE = 0.5", "TEMPERATURE = 0.25"), encoding="utf-8")

    after = wait_for(lambda: (f := fetch(base, FIGURE)) and f != before and f, 60, "a new figure")
    assert b"<!-- 0.68 -->" in after  # cat -> cat at temperature 0.25, drawn in its cell
    assert fetch(base, PAGE) != page_before

    # An edit in hooks/ cannot take effect in this process: the rebuild says so instead.
    hook = project / "hooks" / "figures.py"
    hook.write_text(hook.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")

    def restart_requested():
        log.seek(0)
        return "Restart `make serve`" in log.read()

    wait_for(restart_requested, 60, "the restart message")
