"""Stored outputs carry no more precision than the page shows.

Strict nbval compares every stored output that is not tagged ``nbval-ignore-output`` exactly,
glue records included. A float stored at full precision (``3.0656490325927734``) differs in its
last digits on another CPU, although the page only ever shows ``3.066``. So a number reaches
the prose as text that ``glue(key, value, fmt)`` formatted once, in the cell, and no compared
output prints a float at full precision.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").glob("*.ipynb") if p.stem != "full_size")
ROLE = re.compile(r"\{glue(?::text)?\}`([^`:]+)(?::([^`]*))?`")
LONG_FLOAT = re.compile(r"(?<![\w.])-?\d+\.\d{7,}")  # 7 or more decimals: a float as stored, unrounded


def glue_records(nb) -> dict[str, str]:
    records = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if meta:
                records[meta["name"]] = out["data"].get(meta.get("mime_prefix", "") + "text/plain", "")
    return records


def is_measured(text: str) -> bool:
    """A float stored with more than 4 decimals: a measured value, not a setting like 0.25."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False
    return isinstance(value, float) and len(repr(value).partition(".")[2]) > 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_measured_float_is_glued_as_the_text_the_prose_shows(path):
    records = glue_records(nbformat.read(path, as_version=4))
    measured = {k: t for k, t in records.items() if is_measured(t)}
    assert not measured, f"glue these with their format, glue(key, value, fmt): {measured}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_prose_names_a_glued_key_without_a_format(path):
    nb = nbformat.read(path, as_version=4)
    specs = [f"{key}:{spec}" for c in nb.cells if c.cell_type == "markdown"
             for key, spec in ROLE.findall(c.source) if spec]
    assert not specs, f"move these formats into the glue call: {specs}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_compared_output_prints_an_unrounded_float(path):
    nb = nbformat.read(path, as_version=4)
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "nbval-ignore-output" in cell.metadata.get("tags", []):
            continue
        for out in cell.get("outputs", []):
            texts = [out.get("text", "")] + [v for k, v in out.get("data", {}).items()
                                             if k.endswith("text/plain") and isinstance(v, str)]
            found += [f"cell {i}: {m}" for t in texts for m in LONG_FLOAT.findall(t)]
    assert not found, "compared outputs with full-precision floats:\n" + "\n".join(found)
