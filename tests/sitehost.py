"""Serve a folder on 127.0.0.1 and start the book's Chromium: the one place both are done.

The PDF printer (``make_pdf.py``), the site and JupyterLab browser tests and the Colab-route
test all need a static file server on the loopback interface, and the first three a headless
Chromium driven by Playwright. They share these helpers, so the flags and the server behave
the same wherever a page is opened.

* :func:`serve` yields the base URL of a folder served on a free port, quietly (no request
  log in pytest's output), and stops the server on exit.
* :data:`CHROMIUM` is the browser: ``$CHROMIUM`` when set (CI points it at the runner's own
  Chrome), else ``chromium`` on PATH, else Debian's ``/usr/bin/chromium``.
* :func:`launch_chromium` starts it from a Playwright instance with flags that keep it from
  reaching the internet on its own (updates, sync, QUIC) and that let it run as root in a
  container (``--no-sandbox``).
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

CHROMIUM_ARGS = (
    "--no-sandbox",  # root in a container has no user namespace for Chromium's sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # no update checks or field trials: nothing leaves 127.0.0.1
    "--disable-component-update",
    "--disable-sync",
)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest's and make's output clean
        pass


@contextmanager
def serve(folder: str | Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 on a free port; yields the base URL (no trailing slash).

    Raises:
        FileNotFoundError: ``folder`` is not a directory (the message names it).

    Example:
        >>> import tempfile, urllib.request
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = (Path(d) / "a.txt").write_text("hi")
        ...     with serve(d) as url:
        ...         urllib.request.urlopen(f"{url}/a.txt").read()
        b'hi'
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot serve {folder}: it is not a folder")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def launch_chromium(playwright):
    """Start :data:`CHROMIUM` headless from a running ``sync_playwright()``; returns the browser.

    Raises:
        FileNotFoundError: no browser at :data:`CHROMIUM`; the message says how to get one.
    """
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(
            f"no Chromium at {CHROMIUM}: `make setup` installs Debian's chromium package when run "
            "as root, or set CHROMIUM to the path of a Chrome or Chromium you have")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
