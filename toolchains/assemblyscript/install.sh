#!/usr/bin/env bash
# Checks AssemblyScript's compiler, asc: the npm dependency `assemblyscript`
# of dcm (package.json pins it), run with this Node (>= 20). Idempotent and
# quiet when present. Nothing is downloaded here: when the package is missing,
# this script says how to get it and fails.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v node >/dev/null 2>&1; then
  echo "asc: Node.js is not installed; dcm and asc need Node.js >= 20 (https://nodejs.org/)" >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "asc: Node.js $(node -v) is too old; asc 0.28 needs Node.js >= 20" >&2
  exit 1
fi

pkg="$root/node_modules/assemblyscript/package.json"
if [ -f "$pkg" ] && [ -f "$root/node_modules/assemblyscript/bin/asc.js" ]; then
  version=$(node -p "require('$pkg').version")
  echo "asc: assemblyscript $version in node_modules (ok)"
  exit 0
fi

cat >&2 <<MSG
asc: node_modules/assemblyscript is missing.
dcm compiles AssemblyScript fragments with the assemblyscript npm package it depends on.
Install dcm's dependencies in $root:
  npm ci            (or: npm install assemblyscript@0.28.20)
then run this script again.
MSG
exit 1
