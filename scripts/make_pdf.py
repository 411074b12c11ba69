"""Print the whole book to one PDF with headless Chromium.

The HTML site (`_build/html`, built by `make build`) is served on 127.0.0.1. Debian's
Chromium, driven by Playwright, opens the first page, gathers the article of every page of
_toc.yml into it in reading order (each page starts a new sheet; links between pages become
links inside the PDF), typesets the math, unfolds every solution and folded cell, and prints
that one document with the site's print styles (_static/print.css). Printing the book as one
document is what gives the PDF its structure: Chromium tags it for screen readers and builds
its outline from the headings (every chapter, its sections and subsections). pypdf then adds
the document's author and language to the file Chromium wrote and gives each outline entry its
heading's text, as an incremental update that leaves Chromium's tags and pages as they are.
About 30 s for the whole book; the old way, page by page joined with pypdf, gave neither tags
nor sections.

Usage: python scripts/make_pdf.py [OUTPUT]   (default _build/pdf/lesson4-annotated.pdf)
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from booktoc import ROOT, toc_pages

# The static server and the Chromium launcher are the browser tests' own, in tests/.
sys.path.insert(0, str(ROOT / "tests"))
from sitehost import launch_chromium, serve  # noqa: E402

HTML = ROOT / "_build" / "html"
DEFAULT_PDF = ROOT / "_build" / "pdf" / "lesson4-annotated.pdf"
MARGIN = {"top": "15mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}
FOOTER = ('<div style="width:100%;font-size:8px;color:#555;text-align:center;'
          'font-family:sans-serif"><span class="pageNumber"></span> / <span class="totalPages">'
          '</span></div>')

# Run in the first page of the site (intro.html): replace its article by the articles of all
# the pages, each in a <div class="book-page" id="KEY">. Ids are prefixed with the page's key,
# so that two pages' sections of the same name stay apart, and a link to a page of the book
# (or to a place in it) becomes a link inside the document. Other links on the site become
# links to the published site; outside links stay as they are.
_GATHER = r"""async ({pages, title, published}) => {
  const start = new URL(location.href);
  const root = new URL(document.documentElement.dataset.content_root || './', start);
  const keyOf = p => p.replace(/[^A-Za-z0-9]+/g, '-');
  const book = new Map(pages.map(p => [new URL(p + '.html', root).pathname, keyOf(p)]));
  const gathered = [];
  let mathjax = null;  // the MathJax of a page that has math, for a first page that has none
  for (const p of pages) {
    const url = new URL(p + '.html', root);
    const doc = new DOMParser().parseFromString(await (await fetch(url)).text(), 'text/html');
    const loader = doc.querySelector('script[src*="mathjax"]');
    if (loader && !mathjax) {
      mathjax = {src: new URL(loader.getAttribute('src'), url).href,
                 config: [...doc.scripts].find(s => s.textContent.includes('window.MathJax'))?.textContent};
    }
    const article = doc.querySelector('article.bd-article');
    const key = keyOf(p);
    for (const el of article.querySelectorAll('[id]')) el.id = key + '--' + el.id;
    for (const el of article.querySelectorAll('[src]')) {
      el.setAttribute('src', new URL(el.getAttribute('src'), url).href);
      el.removeAttribute('loading');
    }
    for (const el of article.querySelectorAll('[href]')) {
      const to = new URL(el.getAttribute('href'), url);
      if (to.origin !== start.origin) continue;
      const k = book.get(to.pathname);
      el.setAttribute('href', k !== undefined ? '#' + k + (to.hash ? '--' + to.hash.slice(1) : '')
                      : new URL(to.pathname.slice(root.pathname.length) + to.hash, published).href);
    }
    const page = document.createElement('div');
    page.className = 'book-page';
    page.id = key;
    page.append(...[...article.childNodes].map(n => document.adoptNode(n)));
    gathered.push(page);
  }
  document.querySelector('article.bd-article').replaceChildren(...gathered);
  document.getElementById('jb-print-docs-body')?.remove();
  document.documentElement.classList.add('book-print');
  document.title = title;
  document.querySelectorAll('details').forEach(d => d.open = true);
  if (!window.MathJax && mathjax) {
    const config = document.createElement('script');
    config.textContent = mathjax.config || '';
    document.head.append(config);
    await new Promise((resolve, reject) => {
      const script = Object.assign(document.createElement('script'), {src: mathjax.src});
      script.onload = resolve;
      script.onerror = reject;
      document.head.append(script);
    });
  }
  if (window.MathJax && MathJax.startup) {
    await MathJax.startup.promise;
    await MathJax.typesetPromise();
  }
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  await document.fonts.ready;
  const headings = [...document.querySelectorAll('article.bd-article :is(h1, h2, h3, h4, h5, h6)')]
    .filter(h => h.getClientRects().length).map(h => {
      const copy = h.cloneNode(true);
      copy.querySelectorAll('.headerlink').forEach(a => a.remove());
      return copy.textContent.replace(/\s+/g, ' ').trim();
    });
  return {pages: gathered.length, headings};
}"""


def book_settings(root: Path = ROOT) -> dict:
    """The book's title, author, language and published address, from _config.yml."""
    cfg = yaml.safe_load((root / "_config.yml").read_text())
    return {"title": cfg["title"], "author": cfg["author"],
            "language": cfg.get("language") or "en",
            "published": cfg["html"]["baseurl"].rstrip("/") + "/"}


def print_pdf(site: Path = HTML, out: Path = DEFAULT_PDF, browser=None) -> Path:
    """Print the whole book, as one document, to one PDF at ``out``; returns ``out``.

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


def _print_with(browser, site: Path, out: Path) -> Path:
    settings = book_settings()
    pages = toc_pages()
    page = browser.new_page()
    try:
        with serve(site) as base:
            page.goto(f"{base}/{pages[0]}.html", wait_until="networkidle")
            page.emulate_media(media="print")
            book = page.evaluate(_GATHER, {"pages": pages, "title": settings["title"],
                                           "published": settings["published"]})
            assert book["pages"] == len(pages), f"gathered {book['pages']} of {len(pages)} pages"
            pdf = page.pdf(format="A4", print_background=True, margin=MARGIN, tagged=True,
                           outline=True, display_header_footer=True,
                           header_template="<span></span>", footer_template=FOOTER)
    finally:
        page.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    _describe(out, settings, book["headings"])
    return out


def _describe(pdf: Path, settings: dict, headings: list[str]) -> None:
    """Write the title, author and language into ``pdf``, and the outline's titles as the
    headings read, appended as an incremental update (Chromium's tags and pages stay as written).

    Chromium names an outline entry after the heading's lines as laid out: a heading that wraps
    loses the space at its line break ("maps 1024 to512"), and one that moved to the next page
    to stay with its text is named twice ("SummarySummary"). The entries are the headings in
    document order, so each gets its heading's text back.
    """
    from pypdf import PdfWriter
    from pypdf.generic import BooleanObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(pdf, incremental=True)
    writer.add_metadata({"/Title": settings["title"], "/Author": settings["author"]})
    root = writer._root_object
    root[NameObject("/Lang")] = TextStringObject(settings["language"])
    # A reader's window shows the title, not the file name (as PDF/UA asks).
    prefs = root.get("/ViewerPreferences")
    if prefs is None:
        prefs = writer._add_object(DictionaryObject())
        root[NameObject("/ViewerPreferences")] = prefs
    prefs.get_object()[NameObject("/DisplayDocTitle")] = BooleanObject(True)
    entries = list(_entries(root["/Outlines"].get_object().get("/First"))) if "/Outlines" in root else []
    if len(entries) == len(headings):
        for entry, text in zip(entries, headings, strict=True):
            entry[NameObject("/Title")] = TextStringObject(text)
    with open(pdf, "wb") as f:
        writer.write(f)


def _entries(item):
    """The outline entries from ``item`` on, depth first: the order of the headings."""
    while item is not None:
        entry = item.get_object()
        yield entry
        yield from _entries(entry.get("/First"))
        item = entry.get("/Next")


def main(argv: list[str]) -> int:
    pdf = print_pdf(out=Path(argv[0]) if argv else DEFAULT_PDF)
    print(f"wrote {pdf.relative_to(ROOT) if pdf.is_relative_to(ROOT) else pdf}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
