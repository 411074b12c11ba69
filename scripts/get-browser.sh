#!/usr/bin/env bash
# Make sure a Chromium is there for the browser tests and the PDF (Playwright drives it; it
# never downloads a browser of its own). Only targets that drive a browser call this script.
#   CHROMIUM=/path/to/chrome   use that binary (any Chrome or Chromium) and install nothing;
#   otherwise                  Debian's chromium package, installed as root with apt-get.
# A second run only checks.
set -euo pipefail
if [ -n "${CHROMIUM:-}" ]; then
    if [ -x "$CHROMIUM" ]; then
        exit 0
    fi
    echo "CHROMIUM=$CHROMIUM is not an executable file: point it at a Chrome or Chromium" \
         "binary, or unset it to use the system's chromium." >&2
    exit 1
fi
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
