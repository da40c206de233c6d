#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/browser), unless one is there.
# Playwright drives it (executable path below); Playwright's own browser download is not used.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

"$(dirname "$0")/apt-install.sh" "the browser tests" \
  "or point to an installed Chromium/Chrome:  CHROMIUM_PATH=/path/to/chromium make test" chromium
"$CHROMIUM" --version
