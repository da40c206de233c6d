#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the pinned dependencies (only when they changed).
set -euo pipefail
cd "$(dirname "$0")/.."

is_python310() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

find_python310() {
  local pyenv_root candidate
  pyenv_root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
  for candidate in "${PYTHON:-}" python3.10 "$pyenv_root"/versions/3.10*/bin/python3.10 \
                   /usr/local/bin/python3.10 /usr/bin/python3.10; do
    if is_python310 "$candidate"; then command -v "$candidate" || echo "$candidate"; return 0; fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! is_python310 .venv/bin/python; then
  if ! python310="$(find_python310)"; then
    cat >&2 <<'MSG'
Kuzey Destek needs Python 3.10 (Rasa 3.6 runs on Python 3.8-3.10 only), and none was found.
Get one, then run this again:
  - with pyenv:   pyenv install 3.10.13
  - on Debian/Ubuntu with the deadsnakes PPA or a distribution that ships it:
                  sudo apt-get install python3.10 python3.10-venv
  - or point to one you have:  PYTHON=/path/to/python3.10 make run
MSG
    exit 1
  fi
  echo "Creating .venv with $python310"
  rm -rf .venv
  "$python310" -m venv .venv
fi

stamp=".venv/.requirements.sha256"
wanted="$(sha256sum requirements.lock | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "Installing pinned dependencies (requirements.lock); the first time takes a few minutes..."
  .venv/bin/python -m pip install --quiet "pip==24.2" "setuptools==70.3.0" "wheel==0.45.1"
  .venv/bin/python -m pip install --quiet --no-deps -r requirements.lock
  .venv/bin/python -m pip check
  echo "$wanted" > "$stamp"
fi
