#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/browser), unless one is there.
# Playwright drives it (executable path below); Playwright's own browser download is not used.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  cat >&2 <<'MSG'
The browser tests need Chromium, which is not installed, and this user cannot install it.
Install it once, then run this again:
  sudo apt-get install chromium
or point to an installed Chromium/Chrome:  CHROMIUM_PATH=/path/to/chromium make test
MSG
  exit 1
fi

echo "Installing Chromium for the browser tests (apt-get install chromium)..."
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
"$CHROMIUM" --version
