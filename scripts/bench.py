"""Benchmark the site build on this machine: build time, `mkdocs serve` edit latency, page weight.

Everything runs on a throw-away copy of the project in a temporary folder, so the real
`site/` and `.cache/` are never touched. Prints every measurement first, then one PASS/FAIL
line per target, and exits 1 if any target fails (so CI can run it).

    python scripts/bench.py [--runs N] [--keep]
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
# The copy and the build environment are the test suite's own, so bench and tests build alike.
sys.path.insert(0, str(ROOT))
from tests.project import build_env, copy_project  # noqa: E402

BASELINE_CONFIG = "mkdocs.baseline.yml"

# The serve edit: one line appended to one lesson's module that changes one of its figures.
# Lesson 03's module is one no other module imports, so an edit there belongs to one lesson
# (lesson 01's module is the base of 02 and 05: editing it rightly re-runs their notebooks).
# W_O feeds only the mha_output figure; each edit uses a new scale, so every edit is a cache
# miss, and the alt text shows the values to two decimals, so the page changes too.
EDIT_MODULE = "snippets/multi_head_attention.py"
EDIT_PAGE = "03_multi_head_attention.md"
EDIT_FIGURE = "mha_output"
EDIT_LINE = "W_O = np.eye(D_MODEL) * {scale}"

# Targets.
WARM_RATIO_MAX = 1.5
EDIT_LATENCY_MAX = 2.0  # seconds, median
PAGE_BYTES_MAX = 300 * 1024
FIGURE_BYTES_MAX = 60 * 1024

CACHE_FILE = re.compile(r"^(?P<name>.+)-(?P<key>[0-9a-f]{32})-(?P<scheme>[a-z]+)\.svg$")
POLL = 0.02  # seconds
SERVING = re.compile(r"Serving on (?P<url>http://\S+)")
LIVERELOAD = re.compile(rb"livereload\((\d+), \d+\)")


# --------------------------------------------------------------------------- the copy


def _drop_list_items(text: str, key: str, drop) -> str:
    """Remove the items of the top-level YAML list `key:` for which drop(item text) is true.

    An item is its `- ...` line plus every following line indented deeper (its options).
    """
    out: list[str] = []
    in_block = False
    skipping_indent: int | None = None
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if line[:1] not in ("", " ", "\n", "#") and stripped:
            in_block = stripped.split(":", 1)[0] == key and stripped.endswith(":")
            skipping_indent = None
            out.append(line)
            continue
        if skipping_indent is not None:
            if not stripped or indent > skipping_indent:
                continue
            skipping_indent = None
        if in_block and stripped.startswith("- "):
            item = stripped[2:].split("#", 1)[0].strip().rstrip(":").strip("'\"")
            if drop(item):
                skipping_indent = indent
                continue
        out.append(line)
    return "".join(out)


def write_baseline_config(project: Path) -> Path:
    """The same site without the figure hook and the notebook plugin (and any notebook hook)."""
    text = (project / "mkdocs.yml").read_text(encoding="utf-8")
    text = _drop_list_items(
        text, "hooks", lambda item: any(w in Path(item).name for w in ("figures", "notebook"))
    )
    text = _drop_list_items(text, "plugins", lambda item: "jupyter" in item.split(":")[0])
    text = _drop_list_items(text, "nav", lambda item: item.endswith(".ipynb"))
    # Without the notebooks, the lessons' links to them are warnings; the baseline is for timing.
    text = text.replace("\nstrict: true\n", "\nstrict: false\n")
    path = project / BASELINE_CONFIG
    path.write_text(text, encoding="utf-8")
    return path


def build(project: Path, config: Path, site: Path, strict: bool = True) -> float:
    """One `mkdocs build` (--strict unless told) as a whole process; its wall time in seconds."""
    command = [sys.executable, "-m", "mkdocs", "build", *(["--strict"] if strict else [])]
    command += ["-f", str(config)]
    started = time.perf_counter()
    result = subprocess.run(
        [*command, "-d", str(site)],
        cwd=project,
        env=build_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise BuildFailed(f"{config.name}: exit {result.returncode}\n{result.stderr[-3000:]}")
    return elapsed


class BuildFailed(RuntimeError):
    pass


# --------------------------------------------------------------------------- serve


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, timeout: float = 5) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except OSError:
        return None


def fetch_page(url: str) -> bytes | None:
    """A served page without the livereload call, whose arguments change on every request."""
    page = fetch(url)
    return None if page is None else LIVERELOAD.sub(b"", page)


def site_epoch(page_url: str) -> int:
    """The build a served page comes from: serve writes it into the page's livereload call."""
    match = LIVERELOAD.search(fetch(page_url) or b"")
    if match is None:
        raise SystemExit(f"bench: {page_url} has no livereload call")
    return int(match[1])


def wait_for_newer_site(origin: str, epoch: int, deadline: float) -> int:
    """Long-poll serve's livereload endpoint, as its script in the page does; the new epoch.

    Nothing polls the server meanwhile: requests answered in the serving process would take
    time from the rebuild being measured.
    """
    while time.monotonic() < deadline:
        answer = fetch(
            f"{origin}/livereload/{epoch}/0", timeout=max(1.0, deadline - time.monotonic())
        )
        if answer is not None and answer.strip().isdigit() and int(answer) > epoch:
            return int(answer)
        time.sleep(POLL)
    return epoch


def svg_cache(project: Path) -> set[str]:
    folder = project / ".cache" / "figures"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def notebook_cache(project: Path) -> set[str] | None:
    """The executed notebooks in the notebook hook's cache (None when there is none)."""
    cache = project / ".cache" / "notebooks"
    if not cache.is_dir():
        return None
    return {f"notebooks/{p.name}" for p in cache.glob("*.ipynb")}


def wait_for_background_notebooks(log: Path, started: int, limit: float = 120.0) -> None:
    """Under serve a changed notebook runs after the rebuild; wait until each has finished."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        names = re.findall(r"running in the background: ([\w, ]+)", text[started:])
        wanted = {name.strip() for group in names for name in group.split(",")}
        done = set(re.findall(r"notebooks: (\w+) executed in the background", text[started:]))
        failed = "Still serving the last good site" in text[started:]
        if wanted <= done or failed:
            return
        time.sleep(POLL)


def figure_names(files: set[str]) -> tuple[set[str], int]:
    """Names of the figures behind new cache files, and how many figures (SVGs / schemes)."""
    matches = [m for f in files if (m := CACHE_FILE.match(f))]
    schemes = {m["scheme"] for m in matches} or {"light"}
    return {m["name"] for m in matches}, len(matches) // len(schemes)


def log_tail(log: Path, lines: int = 40) -> str:
    """The end of the serve log without the request lines."""
    text = log.read_text(errors="replace").splitlines()
    return "\n".join([line for line in text if '"GET ' not in line][-lines:])


def builds_done(log: Path) -> int:
    return log.read_text(errors="replace").count("Documentation built in")


def wait_quiet(log: Path, seconds: float = 1.0, limit: float = 60.0) -> None:
    """Wait until serve has logged nothing for `seconds` (no rebuild pending)."""
    deadline = time.monotonic() + limit
    size, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now_size = log.stat().st_size
        if now_size != size:
            size, since = now_size, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return
        time.sleep(0.1)


def measure_serve(project: Path, runs: int) -> dict:
    port = free_port()
    log = project.parent / "serve.log"
    module = project / EDIT_MODULE
    original = module.read_text(encoding="utf-8")
    if not re.search(r"^W_O = ", original, re.MULTILINE):
        raise SystemExit(f"bench: {EDIT_MODULE} no longer defines W_O; update EDIT_LINE")
    result = {"latency": [], "figures": [], "names": set(), "notebooks": [], "builds": []}
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mkdocs",
                "serve",
                "--dev-addr",
                f"127.0.0.1:{port}",
                "--livereload",
                "-f",
                str(project / "mkdocs.yml"),
            ],
            cwd=project,
            env=build_env(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            # serve mounts the site under site_url's path; it names the address when it is up.
            deadline = time.monotonic() + 180
            while not (serving := SERVING.search(log.read_text(errors="replace"))):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"bench: mkdocs serve did not come up:\n{log_tail(log)}")
                time.sleep(0.1)
            base = serving["url"].rstrip("/") + "/"
            figure_url = f"{base}figures/{EDIT_FIGURE}-light.svg"
            page_url = f"{base}{Path(EDIT_PAGE).stem}/"
            result["url"] = page_url
            if fetch(figure_url) is None or fetch(page_url) is None:
                raise SystemExit(f"bench: {figure_url} or {page_url} not served:\n{log_tail(log)}")
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
            wait_quiet(log)
            figure, page = fetch(figure_url), fetch_page(page_url)
            for run in range(1, runs + 1):
                epoch = site_epoch(page_url)
                figures_before, notebooks_before = svg_cache(project), notebook_cache(project)
                builds_before = builds_done(log)
                log_before = len(log.read_text(errors="replace"))
                scale = f"{1 + 0.05 * run:.2f}"
                edited = original.rstrip("\n") + "\n" + EDIT_LINE.format(scale=scale) + "\n"
                started = time.perf_counter()
                module.write_text(edited, encoding="utf-8")
                deadline = time.monotonic() + 60
                while True:
                    # As the open page in a browser does: wait for the server to say a newer
                    # site is built, then load the page and its figure once.
                    epoch = wait_for_newer_site(origin, epoch, deadline)
                    new_figure, new_page = fetch(figure_url), fetch_page(page_url)
                    if (
                        new_figure
                        and new_page
                        and new_figure != figure
                        and new_page != page
                        and new_figure.rstrip().endswith(b"</svg>")
                        and new_page.rstrip().endswith(b"</html>")
                    ):
                        break
                    if time.monotonic() > deadline:
                        raise SystemExit(
                            f"bench: edit {run} never reached the page:\n{log_tail(log)}"
                        )
                result["latency"].append(time.perf_counter() - started)
                figure, page = new_figure, new_page
                wait_for_background_notebooks(log, log_before)
                wait_quiet(log)
                names, count = figure_names(svg_cache(project) - figures_before)
                result["figures"].append(count)
                result["names"] |= names
                notebooks_after = notebook_cache(project)
                if notebooks_after is None:
                    result["notebooks"].append(None)
                else:
                    result["notebooks"].append(
                        sorted(notebooks_after - (notebooks_before or set()))
                    )
                result["builds"].append(builds_done(log) - builds_before)
        finally:
            module.write_text(original, encoding="utf-8")
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return result


# --------------------------------------------------------------------------- page weight


class _Assets(HTMLParser):
    """The light image and the figure JSON a page loads for its figures."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        src = attributes.get("src") or ""
        if tag == "img" and "-light.svg" in src and "#only-light" in src:
            self.urls.append(src)
        if attributes.get("data-figure"):
            self.urls.append(attributes["data-figure"])


def transfer_size(path: Path) -> int:
    """Bytes on the wire: static hosts (GitHub Pages among them) send HTML, SVG and JSON gzipped."""
    return len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))


def page_weight(site: Path, slug: str) -> tuple[int, int, int, list[str]]:
    """(total bytes, HTML bytes, figure bytes, figure files) downloaded for one page, one scheme."""
    html_path = site / slug / "index.html"
    html = html_path.read_text(encoding="utf-8")
    parser = _Assets()
    parser.feed(html)
    page_url = f"http://site/{slug}/"
    files = []
    for url in dict.fromkeys(parser.urls):
        path = urlsplit(urljoin(page_url, url)).path.lstrip("/")
        if path not in files:
            files.append(path)
    figure_bytes = sum(transfer_size(site / f) for f in files if (site / f).is_file())
    html_bytes = transfer_size(html_path)
    return html_bytes + figure_bytes, html_bytes, figure_bytes, files


def placed_figures(project: Path, page: str) -> set[str]:
    text = (project / "docs" / page).read_text(encoding="utf-8")
    return set(re.findall(r"^<!-- figure: ([a-z][a-z0-9_]*) -->[ \t]*$", text, re.MULTILINE))


# --------------------------------------------------------------------------- report


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    return (
        f"{median(values):6.2f} s  (min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"
    )


def kib(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def prepare(work: Path, attempts: int = 3) -> tuple[Path, float]:
    """Copy the project and do a first cold build; others may be mid-edit, so retry."""
    for attempt in range(1, attempts + 1):
        project = work / f"project-{attempt}"
        copy_project(project)
        shutil.rmtree(project / ".cache", ignore_errors=True)
        try:
            return project, build(project, project / "mkdocs.yml", work / "site-cold")
        except BuildFailed as exc:
            print(f"  first build of the copy failed (attempt {attempt}/{attempts}):\n{exc}")
            if attempt == attempts:
                raise SystemExit("bench: the project does not build") from exc
            time.sleep(15)
    raise AssertionError("unreachable")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    args = parser.parse_args()
    runs = max(1, args.runs)

    print("== attention course: build benchmark ==")
    print(f"machine : {os.cpu_count()} cores, {platform.machine()}, {platform.system()}")
    print(
        f"python  : {platform.python_version()}   mkdocs {version('mkdocs')}   "
        f"mkdocs-material {version('mkdocs-material')}   matplotlib {version('matplotlib')}"
    )
    print(f"runs    : median of {runs}")
    work = Path(tempfile.mkdtemp(prefix="attention-bench-"))
    print(f"copy    : {work}")
    try:
        return run(work, runs)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(work: Path, runs: int) -> int:
    bench_started = time.perf_counter()
    project, first_cold = prepare(work)
    config = project / "mkdocs.yml"
    # The baseline has a copy of its own: the cold builds below empty the project's .cache/, and
    # the baseline is measured warm, like the build it is compared with.
    baseline_project = copy_project(work / "baseline")
    baseline_config = write_baseline_config(baseline_project)
    build(baseline_project, baseline_config, work / "site-baseline", strict=False)
    site = work / "site"

    # Interleave the three kinds of build so drift on the machine hits them alike.
    cold, warm, baseline = [first_cold], [], []
    warm_renders: list[int] = []  # figures a build with nothing changed drew anyway
    warm_names: set[str] = set()
    for round_ in range(runs):
        if round_ > 0:
            shutil.rmtree(project / ".cache", ignore_errors=True)
            cold.append(build(project, config, work / "site-cold"))
        cached = svg_cache(project)
        warm.append(build(project, config, site))
        warm_names |= figure_names(svg_cache(project) - cached)[0]
        warm_renders.append(figure_names(svg_cache(project) - cached)[1])
        baseline.append(
            build(baseline_project, baseline_config, work / "site-baseline", strict=False)
        )
    ratio = median(warm) / median(baseline)
    print("\n-- build (whole process: python -m mkdocs build --strict) --")
    print(
        f"cold  (empty .cache/)   {spread(cold)}  {median(cold) / median(baseline):5.2f} × baseline"
    )
    print(f"warm  (nothing changed) {spread(warm)}  {ratio:5.2f} × baseline")
    print(f"baseline (warm)         {spread(baseline)}  (no figure hook, no notebook hook)")
    print(f"figures drawn by warm builds: {warm_renders} {sorted(warm_names)}")

    # Page weight, from the last warm build.
    print(
        "\n-- page weight, one colour scheme: HTML + light SVGs + figure JSON, no theme assets;"
        "\n   bytes downloaded (gzip, as the host sends them) --"
    )
    weights = {}
    for lesson in sorted((project / "docs").glob("0*.md")):
        total, html, figures, files = page_weight(site, lesson.stem)
        weights[lesson.stem] = total
        svgs = sum(f.endswith(".svg") for f in files)
        print(f"{lesson.stem:36s} {kib(total)}  = HTML {kib(html)} + {svgs} figures {kib(figures)}")
    figure_files = sorted((site / "figures").glob("*"), key=transfer_size)
    largest = figure_files[-1] if figure_files else None
    if largest:
        print(
            f"largest figure: figures/{largest.name} {kib(transfer_size(largest))} downloaded "
            f"({kib(largest.stat().st_size)} on disk)"
        )

    print("\n-- mkdocs serve: a one-line edit in one lesson's snippets module --")
    edit_page_figures = placed_figures(project, EDIT_PAGE)
    serve = measure_serve(project, runs)
    notebooks = serve["notebooks"]
    no_notebooks = all(n is None for n in notebooks)
    latency = median(serve["latency"])
    print(f"edit    : append to {EDIT_MODULE}: {EDIT_LINE.format(scale='s')}, s = 1.05, 1.10, …")
    print(
        f"done    : serve's livereload reports a new build (as the open page's script sees it),"
        f"\n          then GET figures/{EDIT_FIGURE}-light.svg and {serve['url']} both changed"
    )
    print(f"latency   {spread(serve['latency'])}")
    print(f"builds per edit       : {serve['builds']}")
    print(f"figures re-rendered   : {serve['figures']} per edit; {sorted(serve['names'])}")
    print(f"placed on the page    : {sorted(edit_page_figures)}")
    if no_notebooks:
        print("notebooks re-rendered : n/a (no notebook cache under .cache/)")
    else:
        print(f"notebooks re-rendered : {[len(n or []) for n in notebooks]} per edit; {notebooks}")
    print(f"\nbench took {time.perf_counter() - bench_started:.0f} s")

    results: list[tuple[bool, str]] = []

    def target(ok: bool, text: str) -> None:
        results.append((ok, text))

    lesson = Path(EDIT_PAGE).stem
    target(ratio <= WARM_RATIO_MAX, f"warm build {ratio:.2f} × baseline (≤ {WARM_RATIO_MAX})")
    outside = sorted(serve["names"] - edit_page_figures)
    target(
        EDIT_FIGURE in serve["names"] and not outside,
        f"{lesson} edit re-renders only its own figures "
        f"({f'also: {outside}' if outside else 'none from other pages'})",
    )
    if no_notebooks:
        target(True, f"{lesson} edit re-renders only its own notebook (n/a: no notebook cache)")
    else:
        module = Path(EDIT_MODULE).stem
        stray = sorted(
            {f for n in notebooks for f in n or [] if module not in f and lesson not in f}
        )
        target(not stray, f"{lesson} edit re-renders only its own notebook (others: {stray})")
    target(
        latency <= EDIT_LATENCY_MAX,
        f"edit reaches the served page in {latency:.2f} s median (≤ {EDIT_LATENCY_MAX:g} s)",
    )
    for page, total in weights.items():
        target(total <= PAGE_BYTES_MAX, f"{page} {kib(total)} (≤ {kib(PAGE_BYTES_MAX)})")
    if largest:
        size = transfer_size(largest)
        target(
            size <= FIGURE_BYTES_MAX,
            f"largest figure {largest.name} {kib(size)} (≤ {kib(FIGURE_BYTES_MAX)})",
        )

    print("\n-- targets --")
    for ok, text in results:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    failed = sum(not ok for ok, _ in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
