#!/usr/bin/env bash
# Installs (or checks) every toolchain dcm uses. Idempotent and quiet when
# everything is present. Runs each toolchains/<name>/install.sh, then makes
# sure a C compiler exists (the native Go plugin is built with cgo), and
# bubblewrap (the build sandbox, docs/build-sandbox.md).
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

# bubblewrap: `dcm build` runs every toolchain inside it (no network while
# compiling, only the repository and the toolchains visible; docs/build-sandbox.md)
# and refuses to build without it unless --no-sandbox. Installed and checked.
if ! command -v bwrap >/dev/null 2>&1; then
  apt_install bubblewrap || true
fi
if ! command -v bwrap >/dev/null 2>&1; then
  echo "bwrap: not found; dcm build needs bubblewrap for its sandbox: apt-get install -y bubblewrap (or build trusted code with --no-sandbox)" >&2
  status=1
elif ! bwrap --die-with-parent --unshare-net --ro-bind / / -- true >/dev/null 2>&1; then
  echo "bwrap: installed but cannot create a sandbox here (user namespaces disabled? in a container, run it with --privileged or allow unprivileged user namespaces)" >&2
  status=1
fi

exit $status
