"""`mkdocs serve`: an edit in snippets/ reaches the served figure and page without a restart."""

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import build_env, site_path

FIGURE = "figures/self_attention_matrix-light.svg"
PAGE = "01_attention_intuition/"
NOTEBOOK = "notebooks/01_attention_intuition/"


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


def without_reload_stamp(page: bytes) -> bytes:
    # mkdocs serve injects livereload(<epoch>, <request id>) into every page it serves.
    return re.sub(rb"livereload\(\d+, \d+\);", b"", page)


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
        yield project, f"http://127.0.0.1:{port}{site_path()}/", log
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

    # Meanwhile the notebook page says it is running, or already shows the new output: never
    # the old one.
    assert "온도 0.5의 가중치".encode() not in fetch(base, NOTEBOOK)
    # The lesson's notebook re-ran in the background and its page then showed the new output.
    new_output = "온도 0.25의 가중치: [0.03 0.68 0.2  0.02 0.03 0.04]".encode()
    notebook = wait_for(
        lambda: (page := fetch(base, NOTEBOOK)) and new_output in page and page, 120, "notebook"
    )
    assert "다시 실행하고 있습니다".encode() not in notebook
    log.seek(0)
    text = log.read()
    assert "running in the background: 01_attention_intuition" in text
    assert "notebooks: 01_attention_intuition executed in the background" in text

    # An edit in hooks/ cannot take effect in this process: the rebuild says so instead.
    hook = project / "hooks" / "figures.py"
    hook.write_text(hook.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")

    def restart_requested():
        log.seek(0)
        return "Restart `make serve`" in log.read()

    wait_for(restart_requested, 60, "the restart message")


def test_a_broken_figure_keeps_the_last_good_site_served(served):
    project, base, log = served
    before = wait_for(lambda: fetch(base, FIGURE), 120, "the first build")
    page_before = fetch(base, PAGE)
    module = project / "snippets" / "attention_intuition.py"
    source = module.read_text(encoding="utf-8")
    broken = source.replace(
        "    words = embed(SENTENCE)  # (6, d)\n    scores = words @ words.T",
        '    raise RuntimeError("broken on purpose")\n    scores = None',
    )
    assert broken != source
    module.write_text(broken, encoding="utf-8")

    def logged(text):
        log.seek(0)
        return text in log.read()

    wait_for(lambda: logged("Still serving the last good site"), 60, "the failed rebuild")
    log.seek(0)
    errors = [line for line in log.read().splitlines() if "broken on purpose" in line]
    assert len(errors) == 1 and "01_attention_intuition.md" in errors[0], errors
    # Not stuck: the last good page and figure answer at once.
    started = time.monotonic()
    assert without_reload_stamp(fetch(base, PAGE)) == without_reload_stamp(page_before)
    assert fetch(base, FIGURE) == before
    assert time.monotonic() - started < 5

    module.write_text(source.replace("TEMPERATURE = 0.5", "TEMPERATURE = 0.25"), encoding="utf-8")
    after = wait_for(lambda: (f := fetch(base, FIGURE)) and f != before and f, 60, "recovery")
    assert b"<!-- 0.68 -->" in after
