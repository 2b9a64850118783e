#!/usr/bin/env bash
# Installs redis-server from Debian for the build service's Redis mode
# (`dcm serve --redis`, `dcm worker`; docs/build-service.md) and its tests,
# which start their own server on a free loopback port. Idempotent: does
# nothing when redis-server is already on the PATH. The embedded service
# (`dcm serve` alone) does not need it, so a failed install only warns.
set -uo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server: $(redis-server --version 2>/dev/null | cut -d' ' -f3) at $(command -v redis-server)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-redis: need root (or sudo) to apt-get install redis-server; Redis mode and its tests are unavailable until then" >&2
    exit 0
  fi
fi

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null; then
  echo "install-redis: install failed; refreshing the package lists and retrying" >&2
  $SUDO apt-get update -qq >/dev/null || true
  $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null || true
fi
# The Debian package starts a system-wide server on 6379; dcm's tests never use it (they start their own).
command -v redis-server >/dev/null 2>&1 || echo "install-redis: redis-server is still missing; Redis mode and its tests are unavailable" >&2
exit 0
