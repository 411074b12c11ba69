"""`make pdf`: one PDF of the whole book, printed once per test run and read five ways.

* Its description: title, author and language, tagged for screen readers, and an outline with
  every page of the book, in reading order, and every section heading under its page.
* Its links: a link to another page of the book leads to that place in the PDF.
* Its figures: every figure of the site is an image in the PDF.
* Its text: every code line of every chapter, as the notebooks hold it (a long line may wrap).
* Its pages as a reader sees them: each page rendered with pdftoppm (poppler-utils, installed
  by `make setup`), and no code cell's box printed empty (the box at the bottom of one page,
  its code on the next).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import nbformat
import numpy as np
import pytest
from make_pdf import book_settings, print_pdf
from PIL import Image
from sitekit import ROOT, toc_pages

# The cells the site does not show at all (myst-nb's tags); every other code line is printed.
NOT_SHOWN = {"remove-cell", "remove-input"}


@pytest.fixture(scope="module")
def book_pdf(built_site, browser, tmp_path_factory) -> Path:
    """The book printed once for this file's tests (about 30 s)."""
    return print_pdf(built_site, tmp_path_factory.mktemp("pdf") / "book.pdf", browser=browser)


@pytest.fixture(scope="module")
def reader(book_pdf):
    from pypdf import PdfReader

    return PdfReader(book_pdf)


@pytest.fixture(scope="module")
def page_texts(book_pdf) -> list[str]:
    """The text of each PDF page (pdftotext: a second or two, where pypdf takes ten)."""
    done = subprocess.run([_poppler("pdftotext"), "-enc", "UTF-8", str(book_pdf), "-"],
                          capture_output=True, text=True, check=True)
    return done.stdout.split("\f")[:-1]


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: `make setup` installs poppler-utils "
                    "(scripts/get-browser.sh), or apt-get install poppler-utils")
    return path


def _outline(reader, items=None, depth=0) -> list[tuple[int, str, int]]:
    """The PDF's outline, flattened: (depth, title, page index) in order."""
    out = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            out += _outline(reader, item, depth + 1)
        else:
            out.append((depth, " ".join(item.title.split()), reader.get_destination_page_number(item)))
    return out


def _headings(html: str) -> list[tuple[int, str]]:
    """The (level, text) of every h1, h2 and h3 in a page's article, as the reader sees them."""
    article = html[html.index('<article class="bd-article">'):]
    found = []
    for level, inner in re.findall(r"<h([1-3])[^>]*>(.*?)</h\1>", article, re.S):
        inner = re.sub(r'<a class="headerlink".*?</a>', "", inner, flags=re.S)
        found.append((int(level), " ".join(unescape(re.sub(r"<[^>]+>", "", inner)).split())))
    return found


def test_the_pdf_says_what_it_is_and_is_tagged(reader):
    settings = book_settings()
    meta = reader.metadata
    assert meta.title == settings["title"], meta
    assert meta.author == settings["author"], meta
    root = reader.trailer["/Root"]
    assert root.get("/Lang") == settings["language"]
    assert root["/MarkInfo"]["/Marked"], "the PDF is not tagged (pdfinfo: Tagged: no)"
    assert "/StructTreeRoot" in root, "a tagged PDF has a structure tree"


def test_the_outline_has_every_page_and_section(reader, built_site, page_texts):
    outline = _outline(reader)
    top = [(title, page) for depth, title, page in outline if depth == 0]
    assert len(top) == len(toc_pages()), [t for t, _ in top]
    titles = [title for _, title, _ in outline]
    pos = 0
    for (title, start), name in zip(top, toc_pages(), strict=True):
        headings = _headings((built_site / f"{name}.html").read_text(encoding="utf-8"))
        assert headings[0] == (1, title), f"{name}: outline entry {title!r}, page title {headings[0]}"
        # the entry leads to the PDF page that shows the title
        assert title in " ".join(page_texts[start].split()), f"{name}'s entry leads to page {start + 1}"
        for _level, text in headings:  # every heading, in the book's order
            assert text in titles[pos:], f"{name}: no outline entry for {text!r} after entry {pos}"
            pos = titles.index(text, pos)


def test_links_between_pages_lead_inside_the_pdf(reader):
    """A link to another page of the book is a link to a place in the PDF, and no link points
    at the local server the book was printed from."""
    inside, local = 0, []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            action = annot["/A"].get_object() if "/A" in annot else {}
            inside += "/Dest" in annot or action.get("/S") == "/GoTo"
            if "127.0.0.1" in str(action.get("/URI", "")):
                local.append(action["/URI"])
    assert inside > 50, f"only {inside} links inside the PDF"
    assert not local, f"links to the server the PDF was printed from: {local[:5]}"


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


def test_the_pdf_has_every_figure(reader, built_site):
    seen: set = set()
    n_images = sum(_images(p.get("/Resources"), seen) for p in reader.pages)
    site_figures = sum(
        len(re.findall(r'<img [^>]*src="[^"]*_images/',
                       (built_site / f"{page}.html").read_text(encoding="utf-8")))
        for page in toc_pages())
    assert site_figures > 0
    assert n_images >= site_figures, f"the PDF has {n_images} images, the site {site_figures} figures"


def _squeeze(text: str) -> str:
    """Text without any white space, so a line wrapped in print still matches its source."""
    return re.sub(r"\s+", "", text)


def test_every_code_line_of_every_chapter_is_printed(page_texts):
    """Every line of every code cell the site shows (folded cells too) is in the PDF's text,
    whole: a line cut off at the page's edge, or a box printed without its code, fails."""
    text = _squeeze("".join(page_texts))
    missing, checked = [], 0
    for name in toc_pages():
        notebook = ROOT / f"{name}.ipynb"
        if not notebook.is_file():
            continue
        nb = nbformat.read(notebook, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code" or NOT_SHOWN & set(cell.metadata.get("tags", [])):
                continue
            for line in cell.source.splitlines():
                if line.strip():
                    checked += 1
                    if _squeeze(line) not in text:
                        missing.append(f"{name}: {line}")
    assert checked > 500, checked
    assert not missing, (f"{len(missing)} of {checked} code lines are not in the PDF:\n"
                         + "\n".join(missing[:20]))


# A code cell's source box as myst-nb draws it: a green left border ("medium", 3 CSS px) down
# the side of a grey box. At 40 dpi the border is a column of one or two green pixels.
def _empty_code_boxes(image: np.ndarray) -> list[tuple[int, int]]:
    """The (top, bottom) pixel rows of every code box on a page render with no ink inside."""
    rgb = image.astype(int)
    green = (rgb[:, :, 1] - np.maximum(rgb[:, :, 0], rgb[:, :, 2])) > 40
    empty = []
    columns = np.where(green.sum(axis=0) >= 6)[0]
    for x in columns:
        if x - 1 in columns or x - 2 in columns:  # one border, counted at its leftmost column
            continue
        col = green[:, x] | (green[:, x + 1] if x + 1 < green.shape[1] else False)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], col.astype(np.int8), [0]))))
        for top, bottom in zip(edges[::2], edges[1::2], strict=True):
            if bottom - top < 6:  # not a box's border: a green letter or rule
                continue
            inside = rgb[top:bottom, x + 4:]
            if not (inside.min(axis=2) < 170).any():  # no letter of code, nothing but the box
                empty.append((int(top), int(bottom)))
    return empty


def _render(pdf: Path, folder: Path, dpi: int = 40) -> list[Path]:
    """Every page of ``pdf`` as an image (PPM: pdftoppm writes it five times faster than PNG)."""
    subprocess.run([_poppler("pdftoppm"), "-r", str(dpi), str(pdf), str(folder / "p")],
                   check=True, capture_output=True)
    return sorted(folder.glob("p-*.ppm"))


def test_no_code_box_is_printed_empty(book_pdf, tmp_path):
    pages = _render(book_pdf, tmp_path)
    assert pages
    boxes, empty = 0, []
    for i, path in enumerate(pages, 1):
        with Image.open(path) as im:
            image = np.asarray(im.convert("RGB"))
        path.unlink()  # 0.5 MB a page
        green = (image[:, :, 1].astype(int) - image[:, :, 0]) > 40
        boxes += int((green.sum(axis=0) >= 6).any())
        empty += [f"page {i}, rows {top}-{bottom}" for top, bottom in _empty_code_boxes(image)]
    assert boxes > 20, f"only {boxes} pages show a code box: did myst-nb's code cells change colour?"
    assert not empty, f"code boxes printed with nothing inside: {empty}"
