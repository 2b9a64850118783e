#!/usr/bin/env bash
# Installs (or checks) every toolchain dcm uses. Idempotent and quiet when
# everything is present. Runs each toolchains/<name>/install.sh, then makes
# sure a C compiler exists (the native Go plugin is built with cgo), and
# bubblewrap (sandboxed compiler runs, DCM_SANDBOX=1).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
status=0

for script in "$here"/*/install.sh; do
  [ -f "$script" ] || continue
  bash "$script" || status=1
done

apt_install() {
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing $* (apt-get)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; then
      apt-get update -qq >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    fi
  else
    return 1
  fi
}

if ! command -v "${CC:-gcc}" >/dev/null 2>&1; then
  if ! apt_install gcc libc6-dev; then
    echo "gcc: not found; the native (server) Go plugin needs it for cgo: apt-get install -y gcc" >&2
    status=1
  fi
fi

# bubblewrap runs the compiler without network and with the repository read-only
# (DCM_SANDBOX=1); installed whenever possible so the sandbox tests run too.
if ! command -v bwrap >/dev/null 2>&1; then
  if ! apt_install bubblewrap && [ "${DCM_SANDBOX:-}" = "1" ]; then
    echo "bwrap: not found; DCM_SANDBOX=1 needs bubblewrap: apt-get install -y bubblewrap" >&2
    status=1
  fi
fi

exit $status
