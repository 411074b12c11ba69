# Sourced by the set-up scripts (get-browser.sh, get-hub.sh): apt_install PACKAGE installs one of
# Debian's packages as root, or through sudo when it asks no password (a CI runner), quietly, with
# one `apt-get update` and a retry if the package lists are stale. It returns 1 where it cannot
# (no apt-get, not root and no such sudo), so the caller can say what to install by hand.
apt_install() {
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else return 1; fi
    fi
    command -v apt-get >/dev/null || return 1
    echo "Installing Debian's $1 ..."
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1 \
        || { $sudo apt-get update -qq >/dev/null 2>&1 \
             && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null; }
}
