#!/usr/bin/env bash
# Installs the Python host (hosts/python, package dcm_host) and pytest into a venv
# under dcm's cache dir, for its test suite (test/hosts/python-host.spec.ts).
# Idempotent: reinstalls only when hosts/python or the Python interpreter changed.
# Prints the venv's python on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${DCM_PYTHON_HOST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dcm/python-host-venv}"
py=$(command -v python3 || true)
if [ -z "$py" ] || ! "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
  echo "install-python-host: the Python host needs python3 >= 3.9 with venv (found: ${py:-none}); install it (apt-get install python3 python3-venv)" >&2
  exit 1
fi

want=$( { "$py" -c 'import sys; print(sys.version)'; find hosts/python -path hosts/python/build -prune -o -type f \( -name '*.py' -o -name '*.toml' -o -name py.typed \) -print | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -d' ' -f1)
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
