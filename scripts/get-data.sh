#!/usr/bin/env bash
# Make sure Fashion-MNIST is on this machine. A second run only checks.
#  1. already there ($LECNOTES_DATA, the cache folder, or Debian's folder): done;
#  2. root with apt-get: Debian's dataset-fashion-mnist package;
#  3. otherwise `python -m lecnotes.data --download` into the cache folder (needs internet;
#     every file is checked against its recorded SHA-256).
set -euo pipefail
if found=$(python -c "from lecnotes.data import main; raise SystemExit(main())" 2>&1); then
    echo "$found"
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's dataset-fashion-mnist ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 \
             && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null; } \
        || echo "apt-get could not install dataset-fashion-mnist; downloading it instead."
fi
python -c "from lecnotes.data import main; raise SystemExit(main(['--download']))"
