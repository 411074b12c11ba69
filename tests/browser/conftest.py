"""Fixtures for the site tests: one `-W -n` build of the book, served on 127.0.0.1, and
Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock
from kernelenv import kernel_env
from sitehost import launch_chromium, serve
from sitekit import HTML, ROOT


def build_site() -> dict:
    """Build the book, warnings as errors, into _build/html; its exit code and log."""
    jb = Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run([str(jb), "build", str(ROOT), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, env=kernel_env(), timeout=900)
    log = done.stdout[-5000:] + done.stderr[-5000:]
    return {"returncode": done.returncode, "log": log}


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The book, built once per test run with warnings as errors, in _build/html.

    With pytest-xdist, the browser test files run on several workers. The first worker
    to ask builds the site while it holds a file lock and leaves the result in a file in
    the run's shared temporary folder; the others wait for the lock and read that file
    (the recipe of xdist's "Making session-scoped fixtures execute only once"). So the
    run builds the book once, and every worker fails the same way if the build fails.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        result = build_site()
    else:
        shared = tmp_path_factory.getbasetemp().parent / "site_build.json"
        with FileLock(f"{shared}.lock"):
            if shared.is_file():
                result = json.loads(shared.read_text())
            else:
                result = build_site()
                shared.write_text(json.dumps(result))
    assert result["returncode"] == 0, result["log"]
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
