"""Chapters that train the same head on the same set-up store the same numbers.

A head in a sweep depends on its setting and its seed alone (tests/test_sweep.py), so where two
pages train the same head, body, images, seeds and epochs, their stored tables must agree cell
for cell. This reads the outputs the pages were committed with; it runs no notebook.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"


def table_rows(notebook: str) -> dict[str, list[str]]:
    """Every row of every Markdown table a page's cells output: label -> the other cells."""
    rows = {}
    for cell in nbformat.read(CHAPTERS / notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            for line in output.get("data", {}).get("text/markdown", "").splitlines():
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if len(cells) > 1 and not set(cells[0]) <= set("-"):
                    rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.parametrize("p", ["0", "0.5", "0.75"])
def test_the_bigger_body_page_stores_chapter_3s_small_body_rows(p):
    chapter_3, bigger = table_rows("03_choosing_p.ipynb"), table_rows("bigger_body.ipynb")
    assert f"small, p = {p}" in bigger and p in chapter_3
    assert bigger[f"small, p = {p}"] == chapter_3[p]
