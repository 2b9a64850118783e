#!/usr/bin/env bash
# Installs the Python host (hosts/python, package dcm_host) and pytest into a venv
# under dcm's cache dir, for its test suite (test/hosts/python-host.spec.ts).
# Idempotent: reinstalls only when the package (pyproject.toml, src/) or the Python interpreter changed.
# Prints the venv's python on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian ships python3 without ensurepip (the python3-venv package): install it the way
# install-redis.sh installs redis-server, when root or sudo is at hand.
if ! { command -v python3 >/dev/null && python3 -c 'import ensurepip, venv' 2>/dev/null; } && command -v apt-get >/dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null 2>&1 ||
      { $SUDO apt-get update -qq >/dev/null 2>&1 || true; $SUDO apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null 2>&1 || true; }
  fi
fi

venv="${DCM_PYTHON_HOST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dcm/python-host-venv}"
py=$(command -v python3 || true)
if [ -z "$py" ] || ! "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
  echo "install-python-host: the Python host needs python3 >= 3.9 with venv (found: ${py:-none}); install python3 and python3-venv" >&2
  exit 1
fi

want=$( { "$py" -c 'import sys; print(sys.version)'; { echo hosts/python/pyproject.toml; find hosts/python/src -type f \( -name '*.py' -o -name py.typed \); } | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -d' ' -f1)
stamp="$venv/.dcm-python-host-sha"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi

[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
# pip builds in a temp copy; --force-reinstall because the version number does not change with the sources.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./hosts/python >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check ./hosts/python pytest >&2
echo "$want" > "$stamp"
echo "$venv/bin/python"
