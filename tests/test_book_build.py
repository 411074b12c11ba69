"""The site builds with warnings as errors (-W), nitpicky references (-n), from stored outputs."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_book_builds_cleanly_and_shows_figures(tmp_path):
    jb = Path(sys.executable).with_name("jupyter-book")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    out = tmp_path / "book"
    result = subprocess.run(
        [str(jb), "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out)],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    html = out / "_build" / "html"
    page = (html / "chapters" / "01_custom_head.html").read_text(encoding="utf-8")
    assert "<Figure size" not in page and "&lt;Figure size" not in page
    assert page.count("<img") >= 2, "chapter 1 should show its figures as images"
    assert list((html / "_images").glob("*.png")), "figures should be PNG files"
    shutil.rmtree(out / "_build" / ".doctrees", ignore_errors=True)
