"""Shared helpers of the site tests: where the site is, its pages, its repository setting."""

from __future__ import annotations

from pathlib import Path

import yaml
from booktoc import toc_pages  # scripts/booktoc.py (pytest's pythonpath setting)

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"

__all__ = ["HTML", "ROOT", "SHOTS", "repository", "toc_pages"]


def repository() -> tuple[str, str]:
    """The one repository setting of _config.yml: (url, branch)."""
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    return cfg["repository"]["url"].rstrip("/"), cfg["repository"].get("branch", "main")


def dismiss(page, *selectors: str) -> None:
    """Click every visible close or reject button among ``selectors`` (JupyterLab's toasts and
    dialogs) so that they cover nothing.

    A toast can fade out by itself between the check and the click: that one is gone anyway.
    """
    from playwright.sync_api import Error as PlaywrightError

    for selector in selectors:
        for button in page.locator(selector).all():
            try:
                if button.is_visible():
                    button.click(timeout=2000)
            except PlaywrightError:
                pass
