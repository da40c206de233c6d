#!/usr/bin/env bash
# Installs Debian packages for the project's scripts (setup-browser.sh, setup-balancer.sh): as root,
# or with sudo when it needs no password; otherwise says how to do it by hand and fails.
# Usage: apt-install.sh "<what they are for>" "<another way, if any>" package...
set -euo pipefail
purpose=$1 alternative=$2
shift 2

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  {
    echo "${purpose^} need $*, which this user cannot install. Install it once, then run this again:"
    echo "  sudo apt-get install $*"
    [ -n "$alternative" ] && echo "$alternative"
  } >&2
  exit 1
fi

echo "Installing $* for $purpose (apt-get install)..."
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
