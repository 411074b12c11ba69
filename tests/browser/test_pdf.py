"""`make pdf`: one PDF of the whole book, with every chapter title and its figures."""

import re

from make_pdf import print_pdf
from sitekit import toc_pages


def _title(html: str) -> str:
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)
    return re.sub(r"<[^>]+>|#|¶", "", h1).strip()


def _images(resources, seen: set) -> int:
    """Image XObjects under a page's (or form's) resources, forms followed down, each counted once.

    What ``len(page.images)`` counts, less the inline images Chromium never writes, without
    parsing every content stream a second time (pypdf does, for inline images: 4 s here).
    """
    count = 0
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    for ref in (xobjects.get_object().values() if xobjects is not None else []):
        obj = ref.get_object()
        key = getattr(ref, "idnum", id(obj))
        if key in seen:
            continue
        seen.add(key)
        if obj.get("/Subtype") == "/Image":
            count += 1
        elif obj.get("/Subtype") == "/Form":
            count += _images(obj.get("/Resources"), seen)
    return count


def test_pdf_has_every_chapter_title_and_figure(built_site, browser, tmp_path):
    from pypdf import PdfReader

    pdf = print_pdf(built_site, tmp_path / "book.pdf", browser=browser)
    reader = PdfReader(pdf)
    bookmarks = [reader.get_destination_page_number(item) for item in reader.outline]
    assert len(bookmarks) == len(toc_pages()), f"{len(bookmarks)} bookmarks for {len(toc_pages())} pages"
    n_images = sum(_images(p.get("/Resources"), set()) for p in reader.pages)
    site_figures = 0
    for page, start in zip(toc_pages(), bookmarks, strict=True):
        html = (built_site / f"{page}.html").read_text(encoding="utf-8")
        title = _title(html)
        # the page's bookmark leads to its first PDF page, which shows its title
        first = " ".join((reader.pages[start].extract_text() or "").split())
        assert title in first, f"the PDF page of the bookmark for {page} lacks the title {title!r}"
        site_figures += len(re.findall(r'<img [^>]*src="[^"]*_images/', html))
    assert site_figures > 0
    assert n_images >= site_figures, f"the PDF has {n_images} images, the site {site_figures} figures"
