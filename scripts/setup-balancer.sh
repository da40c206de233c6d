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

"$(dirname "$0")/apt-install.sh" "several bridges (\`python -m bot up --bridges N\`)" \
  "or point to an installed one:  HAPROXY_PATH=/path/to/haproxy python -m bot up --bridges 2" haproxy
# Debian's package enables a system-wide service on its own config; `bot up` runs its own
# haproxy in the foreground instead, so that one is left as the package set it up.
/usr/sbin/haproxy -v | head -1
