#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/browser) and `make screenshots`.
# Playwright drives /usr/bin/chromium; krav never runs `playwright install` (no browser download).
# Idempotent and quiet: does nothing when /usr/bin/chromium is already there.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-browser: $CHROMIUM is missing and this is not root." >&2
    echo "  Install Debian's Chromium yourself: sudo apt-get install -y chromium" >&2
    echo "  (without it the browser tests are skipped locally; with CI=true they fail)." >&2
    exit 0
fi
echo "install-browser: installing Debian's chromium (apt-get) ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
"$CHROMIUM" --version >&2
