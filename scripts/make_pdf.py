"""Print the whole book to one PDF with headless Chromium.

The HTML site (`_build/html`, built by `make build`) is served on 127.0.0.1; Debian's Chromium,
driven by Playwright, prints every page of _toc.yml in reading order once MathJax has typeset
it, and pypdf joins the pages into one file with a bookmark per page.

Usage: python scripts/make_pdf.py [OUTPUT]   (default _build/pdf/lesson4-annotated.pdf)
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from booktoc import ROOT, toc_pages

# The static server and the Chromium launcher are the browser tests' own, in tests/.
sys.path.insert(0, str(ROOT / "tests"))
from sitehost import launch_chromium, serve  # noqa: E402

HTML = ROOT / "_build" / "html"
DEFAULT_PDF = ROOT / "_build" / "pdf" / "lesson4-annotated.pdf"


def print_pdf(site: Path = HTML, out: Path = DEFAULT_PDF, browser=None) -> Path:
    """Print every page of the built site to one PDF at ``out``; returns ``out``.

    ``browser`` is a running Playwright browser to print with (the tests pass theirs: one
    process can hold only one sync Playwright session); by default one is started here.
    """
    from playwright.sync_api import sync_playwright

    if not (site / "intro.html").is_file():
        raise SystemExit(f"no built site in {site}: run `make build` first")
    if browser is not None:
        return _print_with(browser, site, out)
    with sync_playwright() as p:
        own = launch_chromium(p)
        try:
            return _print_with(own, site, out)
        finally:
            own.close()


def _page_pdf(page, url: str) -> bytes:
    """One page of the site as A4 PDF bytes, once MathJax has typeset it, solutions open."""
    page.goto(url, wait_until="networkidle")
    page.evaluate("() => (window.MathJax && MathJax.startup && MathJax.startup.promise)"
                  " ? MathJax.startup.promise.then(() => true) : true")
    page.emulate_media(media="print")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    return page.pdf(format="A4", print_background=True,
                    margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})


def _print_with(browser, site: Path, out: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    page = browser.new_page()
    try:
        with serve(site) as base:
            for name in toc_pages():
                start = len(writer.pages)
                for pdf_page in PdfReader(io.BytesIO(_page_pdf(page, f"{base}/{name}.html"))).pages:
                    writer.add_page(pdf_page)
                writer.add_outline_item(title=page.title().split(" — ")[0], page_number=start)
    finally:
        page.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        writer.write(f)
    return out


def main(argv: list[str]) -> int:
    pdf = print_pdf(out=Path(argv[0]) if argv else DEFAULT_PDF)
    print(f"wrote {pdf.relative_to(ROOT) if pdf.is_relative_to(ROOT) else pdf}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
