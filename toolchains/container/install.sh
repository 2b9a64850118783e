#!/usr/bin/env bash
# Makes sure the container driver (`dcm build --driver container`,
# docs/build-container.md) can run: Podman with runc (crun fails on hybrid
# cgroup v1 layouts; runc works on all), and mmdebstrap to make dcm's base
# image from Debian packages. Idempotent and quiet when all are present.
# Missing tools only fail this script when DCM_CONTAINER_REQUIRED=1: the
# default driver is the bubblewrap sandbox, which needs none of them.
# The image itself is built on first use (or `node build/toolchains/container/build-image.js`).
set -uo pipefail

missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || [ -x /usr/sbin/runc ] || missing+=(runc)
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
if [ ${#missing[@]} -eq 0 ]; then
  echo "container: podman, runc, mmdebstrap (ok)"
  exit 0
fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "container: installing ${missing[*]} (apt-get)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || true
  fi
fi

still=()
command -v podman >/dev/null 2>&1 || still+=(podman)
command -v runc >/dev/null 2>&1 || [ -x /usr/sbin/runc ] || still+=(runc)
command -v mmdebstrap >/dev/null 2>&1 || still+=(mmdebstrap)
if [ ${#still[@]} -eq 0 ]; then
  echo "container: podman, runc, mmdebstrap (installed)"
  exit 0
fi
echo "container: ${still[*]} not found; \`dcm build --driver container\` needs them: apt-get install -y podman runc mmdebstrap" >&2
[ "${DCM_CONTAINER_REQUIRED:-0}" = 1 ] && exit 1
exit 0
