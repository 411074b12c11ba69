"""The site builds with warnings as errors (-W), nitpicky references (-n), from stored outputs."""

import html
import re

import editions
import nbformat
from sitekit import ROOT, toc_pages


def test_every_page_is_built(built_site):
    for page in toc_pages():
        assert (built_site / f"{page}.html").is_file(), page


def test_figures_are_png_images_not_text(built_site):
    for page in toc_pages():
        html = (built_site / f"{page}.html").read_text(encoding="utf-8")
        assert "Figure size" not in html, f"{page} shows a figure as text"
    assert list((built_site / "_images").glob("*.png")), "figures should be PNG files"
    chapter1 = (built_site / "chapters" / "01_custom_head.html").read_text(encoding="utf-8")
    assert chapter1.count("<img") >= 2, "chapter 1 should show its figures as images"


def test_a_glued_figure_appears_once_on_its_page(built_site):
    """A figure cell shows its figure in Jupyter; on the site only the captioned copy remains."""
    for page in toc_pages():
        html = (built_site / f"{page}.html").read_text(encoding="utf-8")
        sources = re.findall(r'<img[^>]+src="([^"]+)"', html)
        repeated = {s for s in sources if sources.count(s) > 1}
        assert not repeated, f"{page} shows the same image twice: {repeated}"


def test_the_site_and_the_student_editions_show_the_same_numbers(built_site):
    """Every value pasted on a chapter page, in order, is the one written into its student edition."""
    for name in editions.STUDENT_CHAPTERS:
        nb = nbformat.read(ROOT / "chapters" / f"{name}.ipynb", as_version=4)
        values = editions.glue_values(nb)
        ours = []
        for cell in (c for c in nb.cells if c.cell_type == "markdown"):
            for match in editions.GLUE_ROLE.finditer(cell.source):
                if match[0].startswith("{glue:md}"):  # pasted as Markdown, not as a text span
                    continue
                key, _, spec = match[1].partition(":")
                ours.append(editions.format_value(values[key], spec))
        page = (built_site / "chapters" / f"{name}.html").read_text(encoding="utf-8")
        site = [html.unescape(re.sub(r"<[^>]+>", "", s))
                for s in re.findall(r'<span class="pasted-text">(.*?)</span>', page, re.S)]
        assert ours == site, name
