#!/usr/bin/env bash
# Makes sure Go >= 1.24 is installed. Idempotent: does nothing when it is.
# Go is not downloaded here (toolchain downloads are not possible on every
# machine dcm runs on): the distribution's package is used when it is new
# enough, otherwise this script says what to install and fails.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if found=$(bash "$here/detect.sh" 2>/dev/null); then
  echo "go: $found (ok)"
  exit 0
fi

# The distribution's golang-go, when its candidate version is >= 1.24 (Debian 12 ships 1.19: too old).
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  candidate=$(apt-cache policy golang-go 2>/dev/null | sed -n 's/^ *Candidate: *\(2:\)\{0,1\}\([0-9][0-9.]*\).*/\2/p' | head -n1)
  major=${candidate%%.*}
  rest=${candidate#*.}
  minor=${rest%%.*}
  if [ -n "$candidate" ] && [ "${major:-0}" -ge 1 ] && [ "${minor:-0}" -ge 24 ] 2>/dev/null; then
    echo "go: installing golang-go $candidate from the distribution"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null && bash "$here/detect.sh" && exit 0
  fi
fi

reason=$(bash "$here/detect.sh" 2>&1 >/dev/null)
cat >&2 <<MSG
${reason}
dcm builds Go fragments with Go 1.24 or newer (for //go:wasmexport).
Install it from https://go.dev/dl/ (e.g. unpack go1.26.x.linux-amd64.tar.gz into /usr/local,
so that /usr/local/go/bin/go exists), then run this script again.
MSG
exit 1
