"""The site's code column holds the book's code (_static/code.css): at the default desktop width,
1280 px, no code cell and no output scrolls sideways on any page of _toc.yml. The chapters' code
is at most 88 characters a line (the Makefile's lint); outputs wrap their longer lines.
(A phone may scroll sideways; that is not checked.)"""

from __future__ import annotations

import pytest
from sitekit import toc_pages

PAGES = toc_pages()

_OVERFLOW = """() => {
  const out = [];
  for (const el of document.querySelectorAll(
      'main div.cell_input, main div.cell_input pre, main div.cell_output, main div.cell_output pre,'
      + ' main div.cell_output .output')) {
    if (el.getClientRects().length && el.scrollWidth > el.clientWidth + 1) {
      const line = (el.innerText || '').split('\\n').reduce((a, l) => (l.length > a.length ? l : a), '');
      out.push(`${el.scrollWidth} > ${el.clientWidth} px: ${line.slice(0, 100)}`);
    }
  }
  return {overflow: out, cells: document.querySelectorAll('main div.cell').length};
}"""


@pytest.fixture(scope="module")
def widths(server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    results = {}
    try:
        for name in PAGES:
            page.goto(f"{server}/{name}.html", wait_until="load")
            # folded cells unfolded, as a reader who opens them sees them
            page.evaluate("() => document.querySelectorAll('div.cell details').forEach(d => d.open = true)")
            results[name] = page.evaluate(_OVERFLOW)
    finally:
        ctx.close()
    return results


@pytest.mark.parametrize("name", PAGES)
def test_no_code_cell_or_output_scrolls_sideways_at_1280px(widths, name):
    assert not widths[name]["overflow"], f"{name} at 1280 px: {widths[name]['overflow']}"


def test_the_chapters_have_code_cells(widths):
    assert sum(r["cells"] for r in widths.values()) > 100
