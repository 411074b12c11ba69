"""`make pdf`: one PDF of the whole book, with every chapter title and its figures."""

import re

from make_pdf import print_pdf
from sitekit import toc_pages


def _title(html: str) -> str:
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)
    return re.sub(r"<[^>]+>|#|¶", "", h1).strip()


def test_pdf_has_every_chapter_title_and_figure(built_site, browser, tmp_path):
    from pypdf import PdfReader

    pdf = print_pdf(built_site, tmp_path / "book.pdf", browser=browser)
    reader = PdfReader(pdf)
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    n_images = sum(len(p.images) for p in reader.pages)
    site_figures = 0
    for page in toc_pages():
        html = (built_site / f"{page}.html").read_text(encoding="utf-8")
        title = _title(html)
        assert title in text, f"the PDF lacks the title {title!r}"
        site_figures += len(re.findall(r'<img [^>]*src="[^"]*_images/', html))
    assert site_figures > 0
    assert n_images >= site_figures, f"the PDF has {n_images} images, the site {site_figures} figures"
