"""Shared helpers of the site tests: where the site is, its pages, its repository setting."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

sys.path.insert(0, str(ROOT / "scripts"))
from booktoc import toc_pages  # noqa: E402

__all__ = ["CHROMIUM", "HTML", "ROOT", "SHOTS", "repository", "toc_pages"]


def repository() -> tuple[str, str]:
    """The one repository setting of _config.yml: (url, branch)."""
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    return cfg["repository"]["url"].rstrip("/"), cfg["repository"].get("branch", "main")
