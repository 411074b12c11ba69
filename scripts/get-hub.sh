#!/usr/bin/env bash
# Install the class hub's proxy, configurable-http-proxy, from the npm registry into the venv
# (.venv/hub-proxy/), at the release that chapters/assignments/hub/package-lock.json pins.
# JupyterHub itself and nbgitpuller come with the venv's `test` extra (pyproject.toml).
# A second run only checks.
set -euo pipefail
# As root, the hub walk test makes Unix users for the class; where the venv's Python sits in a
# folder they cannot enter (pyenv under /root), it lets them pass with an ACL entry: setfacl.
source "$(dirname "$0")/apt-install.sh"
if [ "$(id -u)" = 0 ] && ! command -v setfacl >/dev/null; then
    apt_install acl || true  # without it the walk test says what is missing
fi
here=chapters/assignments/hub
dest=${VENV:-.venv}/hub-proxy
if [ -x "$dest/node_modules/.bin/configurable-http-proxy" ] \
   && cmp -s "$here/package-lock.json" "$dest/package-lock.json"; then
    exit 0
fi
# npm on the PATH, or else the copy that NodeSource's Node.js keeps beside itself: an npm
# upgrade that stops half-way can leave lib/node_modules/npm in place with no bin/npm link.
npm=(npm)
if ! command -v npm >/dev/null; then
    cli=$(dirname "$(readlink -f "$(command -v node || echo /nonexistent)")")/../lib/node_modules/npm/bin/npm-cli.js
    if [ -f "$cli" ]; then
        npm=(node "$cli")
    else
        echo "npm is missing: the class hub (make hub, the hub walk test) needs Node.js 20 or" \
             "later and npm, e.g. Debian's nodejs and npm packages." >&2
        exit 1
    fi
fi
mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$dest/"
(cd "$dest" && "${npm[@]}" ci --no-audit --no-fund --loglevel=error >/dev/null)
echo "configurable-http-proxy $("$dest/node_modules/.bin/configurable-http-proxy" --version) in $dest"
