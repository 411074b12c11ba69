"""The print styles (_static/print.css), page by page, as Chromium lays out the book for paper.

Every page of _toc.yml is opened with print media at the width of the PDF's text column
(A4 less scripts/make_pdf.py's margins) with every fold open, as `make pdf` prints it:

* nothing is wider than the paper (else Chromium shrinks the whole book to fit);
* no code block or output is wider than its box: a long line wraps instead of being cut off;
* the fold toggles of folded cells ("Show code cell source") are not displayed, and a folded
  cell's code is not faded;
* every code cell's source, output, figure, table and exercise shorter than a page carries a
  no-split rule (break-inside: avoid), so it moves whole to the next page.
"""

from __future__ import annotations

import pytest
from sitekit import toc_pages

PAGES = toc_pages()
# A4 is 210 x 297 mm; make_pdf.py prints with 14 mm side margins, 15 and 16 mm top and bottom.
MM = 96 / 25.4
COLUMN = round((210 - 2 * 14) * MM)
PAGE_HEIGHT = round((297 - 15 - 16) * MM)

_CHECK = """(pageHeight) => {
  const main = document.querySelector('main') || document.body;
  const where = el => (el.closest('section[id]')?.id || '?') + ': ' +
    (el.innerText || '').trim().split('\\n')[0].slice(0, 60);
  const overflow = [];
  for (const el of main.querySelectorAll('pre, div.highlight, div.cell_output .output')) {
    if (el.scrollWidth > el.clientWidth + 1) {
      overflow.push(`${el.scrollWidth} > ${el.clientWidth} px: ${where(el)}`);
    }
  }
  const toggles = [...main.querySelectorAll('div.cell details.hide > summary')]
    .filter(s => getComputedStyle(s).display !== 'none').map(where);
  const faded = [...main.querySelectorAll('div.cell details.hide > div.cell_input')]
    .filter(el => getComputedStyle(el).opacity !== '1' || getComputedStyle(el).animationName !== 'none')
    .map(where);
  const blocks = main.querySelectorAll(
    'div.cell_input, div.cell_output .output, figure, table, div.admonition, details.admonition');
  const splittable = [...blocks]
    .filter(el => el.getBoundingClientRect().height > 0 && el.getBoundingClientRect().height < pageHeight)
    .filter(el => getComputedStyle(el).breakInside !== 'avoid')
    .map(el => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} in ${where(el)}`);
  return {
    tooWide: document.documentElement.scrollWidth > document.documentElement.clientWidth,
    overflow, toggles, faded, splittable, blocks: blocks.length,
    folded: main.querySelectorAll('div.cell details.hide').length,
  };
}"""


@pytest.fixture(scope="module")
def printed(server, browser):
    """Each page laid out for print at the PDF's column width; what the tests below check."""
    ctx = browser.new_context(viewport={"width": COLUMN, "height": PAGE_HEIGHT})
    page = ctx.new_page()
    page.emulate_media(media="print")
    results = {}
    try:
        for name in PAGES:
            page.goto(f"{server}/{name}.html", wait_until="load")
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            results[name] = page.evaluate(_CHECK, PAGE_HEIGHT)
    finally:
        ctx.close()
    return results


@pytest.mark.parametrize("name", PAGES)
def test_nothing_is_wider_than_its_box_in_print(printed, name):
    result = printed[name]
    assert not result["tooWide"], f"{name} is wider than the paper: Chromium would shrink it"
    assert not result["overflow"], f"{name}: lines wider than their box in print: {result['overflow']}"


@pytest.mark.parametrize("name", PAGES)
def test_fold_toggles_are_not_printed_and_folded_code_is_not_faded(printed, name):
    result = printed[name]
    assert not result["toggles"], f"{name} prints the fold toggles of: {result['toggles']}"
    assert not result["faded"], f"{name} prints folded cells faded: {result['faded']}"


def test_some_pages_have_folded_cells(printed):
    """The two tests above see folded cells at all (chapters 2, 4, 5 and How fast have them)."""
    assert sum(r["folded"] for r in printed.values()) >= 10


@pytest.mark.parametrize("name", PAGES)
def test_blocks_shorter_than_a_page_do_not_split(printed, name):
    result = printed[name]
    assert not result["splittable"], f"{name}: blocks that may split across pages: {result['splittable']}"
