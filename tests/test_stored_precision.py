"""Stored outputs carry no more precision than the page shows.

Strict nbval compares every stored output that is not tagged ``nbval-ignore-output`` exactly,
glue records included. A float glued at full precision (``3.0656490325927734``) differs in its
last digits on another CPU, and the page only ever showed ``3.066``. So every glued number must
be rounded to the precision of the text that shows it, and no compared output may print a float
at full precision.
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


def shown_decimals(spec: str) -> int | None:
    """Decimals a format spec shows: ``.3f`` -> 3, ``.1%`` -> 3 (of the fraction), ``d`` -> 0.

    None where the spec does not fix them (no spec, ``g``, ``s``): the text then shows the
    value as stored, so any precision is what the page shows.
    """
    m = re.fullmatch(r"[^.]*\.(\d+)([f%])", spec or "")
    if m:
        return int(m[1]) + (2 if m[2] == "%" else 0)
    return 0 if spec and spec[-1] in "dn" else None


def decimals(text: str) -> int:
    return len(text.split(".")[1].rstrip("0")) if "." in text and "e" not in text.lower() else 0


def glue_records(nb) -> dict[str, str]:
    records = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if meta:
                records[meta["name"]] = out["data"].get(meta.get("mime_prefix", "") + "text/plain", "")
    return records


def _is_number(text: str) -> bool:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False
    return isinstance(value, float)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_glued_float_is_rounded_to_what_the_prose_shows(path):
    nb = nbformat.read(path, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    uses: dict[str, list[str]] = {}
    for key, spec in ROLE.findall(prose):
        uses.setdefault(key, []).append(spec)
    too_precise = []
    for key, text in glue_records(nb).items():
        if not _is_number(text) or key not in uses:
            continue
        shown = [shown_decimals(spec) for spec in uses[key]]
        if None in shown:
            continue
        if decimals(text) > max(shown):
            too_precise.append(f"{key} = {text} (shown with {', '.join(uses[key])})")
    assert not too_precise, "round these glued values to what the text shows:\n" + "\n".join(too_precise)


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


def test_the_precision_rules_read_format_specs_as_the_site_does():
    specs = (".3f", ".1%", "d", "", ".0f", ",.0f", "g")
    assert [shown_decimals(s) for s in specs] == [3, 3, 0, None, 0, 0, None]
    assert decimals("0.4610") == 3 and decimals("12") == 0 and decimals("3.0656490325927734") == 16
