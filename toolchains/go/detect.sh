#!/usr/bin/env bash
# Prints the Go toolchain dcm would use ("<path> <version>") and exits 0 when
# it is Go >= 1.24; exits 1 (with the reason on stderr) otherwise.
set -uo pipefail

MIN_MAJOR=1
MIN_MINOR=24

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go; return 0; fi
  for g in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    if [ -x "$g" ]; then echo "$g"; return 0; fi
  done
  return 1
}

go_bin=$(find_go) || { echo "go: not found (PATH, /usr/local/go/bin, /usr/lib/go/bin)" >&2; exit 1; }
version=$(GOTOOLCHAIN=local "$go_bin" version 2>/dev/null | sed -n 's/^go version go\([0-9][0-9.]*\).*/\1/p')
if [ -z "$version" ]; then
  echo "go: $go_bin does not report a version" >&2
  exit 1
fi
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
if [ "$major" -lt "$MIN_MAJOR" ] || { [ "$major" -eq "$MIN_MAJOR" ] && [ "$minor" -lt "$MIN_MINOR" ]; }; then
  echo "go: $go_bin is go$version; dcm needs go$MIN_MAJOR.$MIN_MINOR or newer" >&2
  exit 1
fi
echo "$go_bin go$version"
