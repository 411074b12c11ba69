"""Fixtures for the site tests: one `-W -n` build of the book, served on 127.0.0.1, and
Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kernelenv import kernel_env
from sitehost import launch_chromium, serve
from sitekit import HTML, ROOT


@pytest.fixture(scope="session")
def built_site() -> Path:
    """Build the book once per test session with warnings as errors, into _build/html."""
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jb), "build", str(ROOT), "-W", "-n", "--keep-going"],
                            capture_output=True, text=True, env=kernel_env(), timeout=900)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return HTML


@pytest.fixture(scope="session")
def server(built_site):
    """Serve the built site on 127.0.0.1 on a free port; yields the base URL."""
    with serve(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        try:
            b = launch_chromium(p)
        except FileNotFoundError as exc:
            pytest.fail(str(exc))
        yield b
        b.close()
