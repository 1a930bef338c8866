"""The documentation site, opened in a real browser (headless Chromium, see tests/chromium.py).

Every page of the strict build (``built_site``, tests/conftest.py) is served over HTTP and
loaded once: no page may log a console error, every image must load, every internal link must
reach a file of the site and every ``#anchor`` an element of its page. Then the search, the
HTML conformance reports' plots, the home page's figures and the navigation.

The pages load MathJax from its CDN (as NumPy's and SciPy's do), which this test cannot reach:
the browser resolves no host but the test's server, and the one external resource a page may
ask for is that script.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import statistics
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
from chromium import Chromium, Page, find_chromium

import multiact

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REPORTS = sorted(p.parent.name for p in DOCS.glob("conformance/*/report.html"))
CHROMIUM = find_chromium()

# Checked before anything is built: without a browser there is nothing to do here.
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium not found: the browser tests of the site need Debian's chromium package"
    " (apt-get install chromium) or $CHROMIUM naming a Chromium executable",
)

#: Runs in each page after its load event: waits for every image (lazy ones made eager) and
#: returns what the tests check.
INSPECT = """
(async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.complete ? img.decode().catch(() => null)
    : new Promise(done => { img.onload = img.onerror = done; })));
  return {
    title: document.title,
    images: images.map(img => ({src: img.currentSrc || img.src,
                                ok: img.complete && img.naturalWidth > 0})),
    links: [...document.querySelectorAll("a[href]")].map(a => a.href),
    ids: [...document.querySelectorAll("[id]")].map(e => e.id)
      .concat([...document.querySelectorAll("a[name]")].map(a => a.name)),
    sidebar: [...document.querySelectorAll(".bd-sidenav a[href]")].map(a => a.href),
    navbar: [...document.querySelectorAll(".bd-header .navbar-nav a.nav-link")]
      .map(a => a.textContent.trim()),
  };
})()
"""


def _mathjax_url() -> str:
    from sphinx.ext.mathjax import MATHJAX_URL

    return MATHJAX_URL


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[str]:
    """The built site on http://127.0.0.1:PORT/ (a real server: 404s are real 404s)."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    with Chromium(CHROMIUM, tmp_path_factory.mktemp("chromium")) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def page(browser: Chromium) -> Page:
    return browser.new_page()


def _pages(site: Path) -> list[str]:
    """Every HTML file of the site, relative to its root, except the theme's own."""
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not p.relative_to(site).parts[0].startswith("_")
    )


@pytest.fixture(scope="module")
def crawl(page: Page, server: str, built_site: Path) -> dict[str, dict]:
    """Every page, loaded once: what INSPECT found, and the console errors it logged."""
    visited = {}
    for path in _pages(built_site):
        page.goto(server + path)
        visited[path] = page.evaluate(INSPECT)
        visited[path]["errors"] = list(page.console_errors())
    return visited


def test_the_site_has_its_pages(crawl: dict[str, dict]):
    for path in (
        "index.html",
        "search.html",
        "guide/index.html",
        "api/index.html",
        "conformance/index.html",
        "project/index.html",
        "api/generated/gelu.html",
        *(f"conformance/{d}/report-standalone.html" for d in REPORTS),
    ):
        assert path in crawl


def test_every_page_loads_without_console_errors(crawl: dict[str, dict]):
    mathjax = _mathjax_url()
    errors = [
        f"{path}: {error['text']}"
        for path, found in crawl.items()
        for error in found["errors"]
        if error["url"] != mathjax  # unreachable here by design (see the module's docstring)
    ]
    assert errors == []


def test_only_mathjax_comes_from_outside(crawl: dict[str, dict], server: str):
    outside = {
        error["url"]
        for found in crawl.values()
        for error in found["errors"]
        if error["url"] and not error["url"].startswith(server)
    }
    assert outside <= {_mathjax_url()}


def test_every_image_loads(crawl: dict[str, dict]):
    images = [(path, image) for path, found in crawl.items() for image in found["images"]]
    broken = [f"{path}: {image['src'][:120]}" for path, image in images if not image["ok"]]
    assert broken == []
    assert len(images) > 2 * len(multiact.ACTIVATIONS)  # the gallery and the API pages


def test_every_internal_link_and_anchor_resolves(
    crawl: dict[str, dict], server: str, built_site: Path
):
    missing = []
    internal = 0
    for path, found in crawl.items():
        for href in found["links"]:
            if not href.startswith(server):
                continue  # another site's: not reachable from the test
            internal += 1
            url, anchor = urldefrag(href)
            target = unquote(urlsplit(url).path).removeprefix("/")
            if target == "" or target.endswith("/"):
                target += "index.html"
            if target in crawl:
                if anchor and unquote(anchor) not in crawl[target]["ids"]:
                    missing.append(f"{path}: {href} (no element #{anchor} there)")
            elif not (built_site / target).is_file():
                missing.append(f"{path}: {href} (no such file)")
    assert missing == []
    assert internal > 1000  # the check saw the site's links


def test_search_finds_the_gelu_page(page: Page, server: str):
    page.goto(server + "search.html?q=gelu")
    results = page.evaluate(
        """
        new Promise((done, fail) => {
          const started = Date.now();
          const poll = () => {
            const links = [...document.querySelectorAll("#search-results li a")];
            if (links.length) return done(links.map(a => a.href));
            if (Date.now() - started > 20000) return fail(new Error("no search results"));
            setTimeout(poll, 100);
          };
          poll();
        })
        """
    )
    assert "/api/generated/gelu.html" in [urlsplit(r).path for r in results]
    assert list(page.console_errors()) == []


@pytest.mark.parametrize("report", REPORTS)
def test_html_conformance_report_draws_its_plots(crawl: dict[str, dict], report: str):
    source = (DOCS / "conformance" / report / "report.html").read_text()
    found = crawl[f"conformance/{report}/report-standalone.html"]
    plots = [image for image in found["images"] if image["src"].startswith("data:image/png")]
    assert len(plots) == source.count("<img") > 0
    assert all(image["ok"] for image in plots)
    assert found["errors"] == []


def test_conformance_pages_link_the_html_reports(crawl: dict[str, dict], server: str):
    standalone = [server + f"conformance/{report}/report-standalone.html" for report in REPORTS]
    for path in ("conformance/index.html", "index.html"):
        assert set(standalone) <= set(crawl[path]["links"]), path
    for report, url in zip(REPORTS, standalone, strict=True):
        assert url in crawl[f"conformance/{report}/report.html"]["links"]
    # A link to report.html in the Markdown opens the site's copy; it does not download it.
    links = [link for found in crawl.values() for link in found["links"]]
    assert any(link in standalone for link in crawl["conformance/README.html"]["links"])
    assert [link for link in links if "_downloads" in link and "report.html" in link] == []


def _count(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def test_home_page_shows_the_example_the_conformance_and_the_speed(page: Page, server: str):
    page.goto(server + "index.html")
    text = page.evaluate("document.querySelector('.bd-article').innerText")
    # The seed example on the three libraries, with the outputs the doctest checks.
    for caption in ("NumPy", "PyTorch", "JAX"):
        assert caption in text
    for output in (
        "array([0.7311, 0.1192, 0.9526, 0.0067])",
        "tensor([0.7311, 0.1192, 0.9526, 0.0067])",
        "Array([0.7311, 0.1192, 0.9526, 0.0067], dtype=float32)",
    ):
        assert output in text
    # The conformance figures, as the committed reports have them; a report whose Markdown
    # says it is stale is shown, marked, and left out of the total.
    summaries, current = {}, []
    for d in REPORTS:
        summaries[d] = json.loads((DOCS / "conformance" / d / "report.json").read_text())
        if "> **Stale:**" not in (DOCS / "conformance" / d / "report.md").read_text():
            current.append(summaries[d]["summary"])
    for report in summaries.values():
        assert f"{_count(report['summary']['cases'])} cases on" in text
    assert f"{_count(sum(s['cases'] for s in current))} conformance cases" in text
    if all(s["failed"] == s["skipped"] == 0 for s in current):
        assert "all pass" in text
    assert ("stale" in text) == (len(current) < len(summaries))
    # The benchmark headline, as the committed run has it.
    bench = json.loads((DOCS / "benchmarks" / "bench.json").read_text())
    torch_large = [
        r["ratio"]
        for r in bench["records"]
        if r["section"] == "throughput" and r["backend"] == "torch"
    ]
    assert f"{min(torch_large):.2f}\u2013{max(torch_large):.2f}\u00d7" in text
    overhead = [
        r["ratio"]
        for r in bench["records"]
        if r["section"] == "overhead" and r["backend"] == "torch" and r["size"] == 1
    ]
    assert f"PyTorch {statistics.median(overhead):.2f}\u00d7" in text


def test_home_page_first_screen_has_the_value(page: Page, server: str):
    # A 1440 x 900 window: the introduction, the figures at a glance and the example's code.
    page.goto(server + "index.html")
    boxes = page.evaluate(
        """Object.fromEntries(["h1", ".ma-glance", ".ma-seed pre"].map(selector => {
             const box = document.querySelector(selector).getBoundingClientRect();
             return [selector, {top: box.top, bottom: box.bottom}];
           }))"""
    )
    assert boxes["h1"]["top"] >= 0
    assert boxes[".ma-glance"]["bottom"] <= 900
    assert boxes[".ma-seed pre"]["top"] <= 900 - 150  # a good part of the code shows


def test_code_blocks_have_copy_buttons(page: Page, server: str):
    page.goto(server + "quickstart.html")
    counts = page.evaluate(
        """({blocks: document.querySelectorAll("div.highlight").length,
             buttons: document.querySelectorAll("div.highlight button.copybtn").length})"""
    )
    assert counts["buttons"] == counts["blocks"] > 0


def test_dark_mode_switch_and_version_shown(page: Page, server: str):
    page.goto(server + "index.html")
    version = page.evaluate("document.querySelector('.multiact-version').textContent.trim()")
    assert version == multiact.__version__
    choose = """(mode => {
        document.querySelector(".theme-switch-button").click();
        document.querySelector(`.theme-change-button[data-mode="${mode}"]`).click();
        return document.documentElement.dataset.theme;
    })"""
    assert page.evaluate(f"{choose}('dark')") == "dark"
    page.goto(server + "quickstart.html")  # the choice holds on the next page
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.evaluate(f"{choose}('light')") == "light"
    page.evaluate(f"{choose}('auto')")
    assert list(page.console_errors()) == []


def test_navigation_has_four_sections_and_each_page_once(crawl: dict[str, dict]):
    assert crawl["index.html"]["navbar"] == ["Guide", "Reference", "Conformance", "Project"]
    for path, found in crawl.items():
        pages = [urldefrag(href)[0] for href in found["sidebar"]]
        assert sorted({p for p in pages if pages.count(p) > 1}) == [], path
    # A page belongs to one section: no two sections' sidebars list the same page.
    sections = ["guide/index.html", "api/index.html", "conformance/index.html"]
    sections.append("project/index.html")
    listed = [{urldefrag(href)[0] for href in crawl[s]["sidebar"]} for s in sections]
    for i, first in enumerate(listed):
        for second in listed[i + 1 :]:
            assert first & second == set()
    assert all(listed)


def test_every_page_has_a_title(crawl: dict[str, dict]):
    untitled = [path for path, found in crawl.items() if not re.search(r"\w", found["title"])]
    assert untitled == []
