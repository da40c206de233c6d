#!/usr/bin/env bash
# Installs Debian's HAProxy, the load balancer of `python -m bot up --bridges N` (N > 1), unless
# one is there (on PATH, or HAPROXY_PATH). One bridge (the default) does not need it.
set -euo pipefail

if [ -n "${HAPROXY_PATH:-}" ] && [ -x "$HAPROXY_PATH" ]; then
  exit 0
fi
if command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ]; then  # Debian's is off a user's PATH
  exit 0
fi

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  cat >&2 <<'MSG'
Several bridges (`python -m bot up --bridges N`) run behind HAProxy, which is not installed, and
this user cannot install it. Install it once, then run this again:
  sudo apt-get install haproxy
or point to an installed one:  HAPROXY_PATH=/path/to/haproxy python -m bot up --bridges 2
MSG
  exit 1
fi

echo "Installing HAProxy for several bridges (apt-get install haproxy)..."
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends haproxy >/dev/null
# Debian's package enables a system-wide service on its own config; `bot up` runs its own
# haproxy in the foreground instead, so that one is left as the package set it up.
/usr/sbin/haproxy -v | head -1
