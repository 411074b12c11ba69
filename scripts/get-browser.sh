#!/usr/bin/env bash
# Make sure a Chromium is there for the browser tests and the PDF (Playwright drives it; it
# never downloads a browser of its own). Only targets that drive a browser call this script.
#   CHROMIUM=/path/to/chrome   use that binary (any Chrome or Chromium) and install nothing;
#   otherwise                  Debian's chromium package, installed as root with apt-get.
# A second run only checks.
# It also installs poppler-utils (pdftoppm, pdfinfo, pdftotext): tests/browser/test_pdf.py
# renders the printed book's pages with pdftoppm to look for empty code boxes.
set -euo pipefail

# apt_install: as root, or through a sudo that asks no password (scripts/apt-install.sh)
source "$(dirname "$0")/apt-install.sh"

if ! command -v pdftoppm >/dev/null; then
    apt_install poppler-utils || {
        echo "pdftoppm is missing: install your system's poppler-utils package (e.g. sudo apt-get" \
             "install poppler-utils); the PDF test renders pages with it." >&2
        exit 1
    }
fi

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
if [ "$(id -u)" = 0 ] && apt_install chromium; then
    exit 0
fi
echo "Chromium is missing: install your system's chromium package (e.g. sudo apt-get install" \
     "chromium) or set CHROMIUM=/path/to/chrome; the browser tests and 'make pdf' need it." >&2
exit 1
