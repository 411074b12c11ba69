"""The full-size appendix runs end to end in smoke mode: generated photos, weights=None, one epoch.

The appendix needs internet (ImageNet weights, Oxford-IIIT Pet) and is meant for a GPU, so strict
nbval leaves it out (see conftest.py); this test proves its code path instead.
"""

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from photo_folder import make_photos

NOTEBOOK = Path(__file__).resolve().parents[1] / "chapters" / "full_size.ipynb"


def test_full_size_appendix_smoke(tmp_path, monkeypatch):
    photos = make_photos(tmp_path / "photos", per_class=8, broken=True)
    monkeypatch.setenv("LECNOTES_SMOKE", "1")
    monkeypatch.setenv("LECNOTES_PHOTOS", str(photos))
    monkeypatch.setenv("LECNOTES_CACHE", str(tmp_path / "cache"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    stored = [c for c in nb.cells if c.cell_type == "code" and c.get("outputs")]
    assert stored == [], "stored outputs must come from a real full-size run, never the smoke mode"
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs if o.output_type == "stream")
    assert "head shape check passed: [(1024, 512), (512, 2)]" in text
    assert "broken.jpg" in text  # the undecodable file was named in a warning, not a crash
    assert os.environ["LECNOTES_SMOKE"] == "1"
