"""Every internal link and anchor of the built site resolves; external links are listed only."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for name in ("href", "src", "data-figure"):
            value = attrs.get(name)
            if value and not (tag == "link" and attrs.get("rel") in ("canonical", "alternate")):
                self.links.append(value)


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    site, result = built_site
    assert result.returncode == 0, result.stderr
    return site


def target_file(site: Path, page: Path, link: str) -> tuple[Path, str]:
    base = "http://site/" + page.relative_to(site).as_posix()
    parts = urlsplit(urljoin(base, link))
    path = site / unquote(parts.path).lstrip("/")
    if path.is_dir() or parts.path.endswith("/"):
        path = path / "index.html"
    return path, unquote(parts.fragment)


def test_every_internal_link_and_anchor_resolves(site):
    pages = {path: parse(path) for path in site.rglob("*.html") if path.name != "404.html"}
    broken, external = [], set()
    for page, parsed in pages.items():
        for link in parsed.links:
            if re.match(r"^(https?:|mailto:|javascript:|data:)", link) or link.startswith("//"):
                external.add(link)
                continue
            path, fragment = target_file(site, page, link)
            where = f"{page.relative_to(site)} → {link}"
            if not path.is_file():
                broken.append(f"{where}: no file {path.relative_to(site)}")
            elif fragment and path.suffix == ".html":
                ids = pages[path].ids if path in pages else parse(path).ids
                if fragment not in ids:
                    broken.append(f"{where}: no anchor #{fragment}")
    assert broken == []
    # Listed, not fetched: tests must not depend on the network.
    print("external links:", *sorted(external), sep="\n  ")


def test_a_broken_anchor_is_caught(site, tmp_path):
    page = site / "index.html"
    copy = tmp_path / "index.html"
    copy.write_text('<a href="01_attention_intuition/#no-such-anchor">x</a>', encoding="utf-8")
    path, fragment = target_file(site, page, "01_attention_intuition/#no-such-anchor")
    assert path.is_file() and fragment not in parse(path).ids


def test_every_page_has_its_own_description_and_open_graph(site):
    descriptions = {}
    for page in sorted(site.rglob("index.html")):
        html = page.read_text(encoding="utf-8")
        assert 'lang="ko"' in html, page
        match = re.search(r'<meta name="description" content="([^"]+)"', html)
        assert match and re.search("[가-힣]", match.group(1)), page
        descriptions[page] = match.group(1)
        for prop in ("og:title", "og:description", "og:url", "og:locale"):
            assert f'property="{prop}"' in html, (page, prop)
        assert '<link rel="canonical" href="https://' in html, page
    assert len(set(descriptions.values())) == len(descriptions), "pages share a description"


def test_sitemap_lists_every_page(site):
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    pages = [p for p in site.rglob("index.html") if "search" not in p.parts]
    assert sitemap.count("<loc>") == len(pages)
    assert (site / "sitemap.xml.gz").is_file()
