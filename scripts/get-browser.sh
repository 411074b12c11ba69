#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests and the PDF (Playwright drives it;
# it never downloads a browser of its own). A second run only checks.
set -euo pipefail
if command -v chromium >/dev/null; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 \
             && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
    exit 0
fi
echo "Chromium is missing: install your system's chromium package (e.g. sudo apt-get install" \
     "chromium) or set CHROMIUM=/path/to/chrome; the browser tests and 'make pdf' need it." >&2
exit 1
