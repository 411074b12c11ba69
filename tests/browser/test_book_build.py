"""The site builds with warnings as errors (-W), nitpicky references (-n), from stored outputs."""

from sitekit import toc_pages


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
