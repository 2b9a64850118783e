#!/usr/bin/env bash
# Installs what the browser tests (test/client/browser.spec.ts) need:
# Debian's Chromium at /usr/bin/chromium (driven by playwright-core through
# executablePath; no browser download from npm). Idempotent: does nothing
# when the binary is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present) at /usr/bin/chromium"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-browser: need root (or sudo) to apt-get install chromium" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends chromium; then
  echo "install-browser: install failed; refreshing the package lists and retrying" >&2
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends chromium
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "install-browser: chromium installed but /usr/bin/chromium is missing" >&2
  exit 1
fi
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null) at /usr/bin/chromium"
