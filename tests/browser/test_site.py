"""The built site as a reader meets it, checked in a real browser (Debian's Chromium).

Every page of _toc.yml: HTTP 200, no console errors, images decoded and described, math
typeset, nothing loaded from another host, no serious or critical axe-core violations, and a
full-page screenshot under _build/screenshots/ for a person to look at (JPEG: a chapter's page is
up to 23,000 pixels tall, and encoding it as PNG took Chromium twice as long).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
from sitekit import HTML, ROOT, SHOTS, repository, toc_pages

PAGES = toc_pages()

# Console messages that are known theme noise, each with the reason it is harmless.
CONSOLE_ALLOW = [
    (r"^Identifier 'THEBE_JS_URL' has already been declared$",
     "sphinx-book-theme includes sphinx-thebe's small loader script twice on pages with launch "
     "buttons; the second copy fails to redeclare a constant. The book does not enable live "
     "Thebe code cells, so nothing depends on it."),
    (r"^Got invalid theme mode: \. Resetting to auto\.$",
     "pydata-sphinx-theme logs this on a first visit, when the browser has no stored "
     "light/dark choice yet; it then uses the default, as intended."),
]


def _shot(page_path: str) -> Path:
    """Where the full-page screenshot of a page goes."""
    return SHOTS / (page_path.replace("/", "__") + ".jpg")


def _allowed(text: str) -> bool:
    return any(re.search(pattern, text) for pattern, _reason in CONSOLE_ALLOW)


@pytest.fixture(scope="module")
def visits(server, browser):
    """Visit every page once; collect what each test below checks."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):  # the PNGs of runs before the screenshots became JPEGs
        old.unlink()
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    results = {}
    for page_path in PAGES:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        errors, foreign = [], []
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))

        def route(r, foreign=foreign):
            host = urlsplit(r.request.url).hostname
            if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
                r.continue_()
            else:
                foreign.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        response = page.goto(f"{server}/{page_path}.html", wait_until="networkidle")
        # wait until MathJax (if the page loads it) has typeset everything
        page.evaluate("() => (window.MathJax && MathJax.startup && MathJax.startup.promise)"
                      " ? MathJax.startup.promise.then(() => true) : true")
        images = page.eval_on_selector_all(
            "main img", "els => els.map(e => ({src: e.getAttribute('src'), alt: e.getAttribute('alt'),"
            " w: e.naturalWidth, complete: e.complete}))")
        info = {
            "status": response.status if response else None,
            "errors": [e for e in errors if not _allowed(e)],
            "foreign": foreign,
            "images": images,
            "text": page.inner_text("main"),
            "math_nodes": page.eval_on_selector_all("main .math", "els => els.length"),
            "mjx": page.eval_on_selector_all("main mjx-container", "els => els.length"),
            "links": page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"),
            "axe": [v for v in axe.run(page).response["violations"]
                    if v.get("impact") in ("serious", "critical")],
        }
        page.screenshot(path=str(_shot(page_path)), full_page=True, type="jpeg", quality=85)
        results[page_path] = info
        ctx.close()
    return results


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_errors(visits, page):
    v = visits[page]
    assert v["status"] == 200
    assert v["errors"] == [], f"console errors on {page}: {v['errors']}"


@pytest.mark.parametrize("page", PAGES)
def test_nothing_leaves_localhost(visits, page):
    assert visits[page]["foreign"] == [], f"{page} requested other hosts: {visits[page]['foreign']}"


@pytest.mark.parametrize("page", PAGES)
def test_images_decoded_with_alt_text(visits, page):
    v = visits[page]
    for img in v["images"]:
        assert img["complete"] and img["w"] > 0, f"{page}: image not decoded: {img['src']}"
        assert (img["alt"] or "").strip(), f"{page}: image without alt text: {img['src']}"
    assert "<Figure size" not in v["text"], f"{page} shows a figure as text"


def test_chapters_show_their_figures(visits):
    for page in PAGES:
        if re.match(r"chapters/0\d_", page):  # the numbered chapters; not the appendices
            assert len(visits[page]["images"]) >= 1, f"{page} shows no figure"


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset(visits, page):
    v = visits[page]
    if v["math_nodes"]:
        assert v["mjx"] >= 1, f"{page}: MathJax did not typeset"
    assert "\\(" not in v["text"] and "\\[" not in v["text"], f"{page}: raw TeX left in the text"


@pytest.mark.parametrize("page", PAGES)
def test_no_serious_accessibility_violations(visits, page):
    found = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
             for v in visits[page]["axe"]]
    assert found == [], f"{page}: axe-core found {found}"


def test_screenshots_saved(visits):
    for page in PAGES:
        shot = _shot(page)
        assert shot.is_file() and shot.stat().st_size > 10_000, shot


@pytest.mark.parametrize("query,expected", [("dropout", "chapters/02_dropout"),
                                            ("xtra_fc", "chapters/05_xtra_fc")])
def test_search_finds_the_chapter(server, browser, query, expected):
    page = browser.new_page()
    page.goto(f"{server}/search.html?q={query}")
    page.wait_for_selector("#search-results ul.search li a", timeout=20000)
    hrefs = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.href)")
    page.close()
    assert any(expected + ".html" in h for h in hrefs), hrefs


NOTEBOOK_PAGES = [p for p in PAGES if (ROOT / f"{p}.ipynb").is_file()]


def _edition(page: str) -> Path:
    return ROOT / "notebooks" / f"{page.split('/')[-1]}.ipynb"


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_launch_and_download_links_serve_the_student_edition(visits, server, page):
    url, branch = repository()
    org_repo = urlsplit(url).path.strip("/")
    links = visits[page]["links"]
    assert url in links, f"{page}: no repository button to {url}"
    assert f"{url}/issues" in " ".join(links), f"{page}: no issues button"
    binder = [h for h in links if h.startswith("https://mybinder.org/")]
    colab = [h for h in links if h.startswith("https://colab.research.google.com/")]
    downloads = [h for h in links if h.startswith(server) and h.endswith(".ipynb")]
    assert downloads, f"{page}: no .ipynb download link"
    local = HTML / urlsplit(downloads[0]).path.lstrip("/")
    assert local.is_file(), f"download link points to a missing file: {downloads[0]}"
    if not _edition(page).is_file():  # a page no launch could run (it reads the repository)
        assert not binder and not colab, f"{page}: launch buttons to a notebook without a student edition"
        return
    nb = f"notebooks/{_edition(page).name}"
    assert binder and f"/v2/gh/{org_repo}/{branch}" in binder[0] and nb in unquote(binder[0]), binder
    assert colab and colab[0].endswith(f"/github/{org_repo}/blob/{branch}/{nb}"), colab
    assert local.read_bytes() == _edition(page).read_bytes(), f"{page}: download is not the student edition"


@pytest.mark.parametrize("page", [p for p in NOTEBOOK_PAGES if _edition(p).is_file()])
def test_each_launched_notebook_runs_the_code_that_nbval_checks(page):
    """The launch buttons open notebooks/NAME.ipynb: its code must be the chapter's, cell for cell,
    so that strict nbval on the chapter (and the Colab-route test on two of them) covers it."""
    def code(path):
        return [c["source"] for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]

    assert code(_edition(page)) == code(ROOT / f"{page}.ipynb")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        for key in ("href", "src"):
            if a.get(key) and (tag != "link" or key == "href"):
                self.hrefs.append(a[key])


def _parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _parsed(cache: dict[Path, _Links], page: Path) -> _Links:
    """``_parse(page)``, once per page (``dict.setdefault`` would parse it on every call)."""
    if page not in cache:
        cache[page] = _parse(page)
    return cache[page]


def test_every_internal_link_and_anchor_resolves(built_site):
    broken = []
    parsed: dict[Path, _Links] = {}
    for page in sorted(built_site.rglob("*.html")):
        if "_static" in page.parts:
            continue
        links = _parsed(parsed, page)
        for href in links.hrefs:
            if re.match(r"^[a-z][a-z0-9+.-]*:", href) or href.startswith("//"):
                continue  # external (http:, mailto:, data:, javascript:)
            target, anchor = urldefrag(href)
            target = urlsplit(target).path  # drop ?v=... cache-busting queries
            dest = (page.parent / unquote(target)).resolve() if target else page
            if dest.is_dir():
                dest = dest / "index.html"
            if not dest.exists():
                broken.append(f"{page.relative_to(built_site)} -> {href}")
                continue
            if anchor and dest.suffix == ".html":
                ids = _parsed(parsed, dest).ids
                if anchor not in ids:
                    broken.append(f"{page.relative_to(built_site)} -> {href} (no such anchor)")
    assert broken == [], "\n".join(broken[:30])
