#!/usr/bin/env bash
# Checks the esbuild that the TypeScript adapter bundles with. esbuild is an
# npm dependency of dcm (package.json pins esbuild@0.28.2), so nothing is
# downloaded here: the script checks dcm's node_modules and says what to run
# when it is missing or of another version.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
want="0.28.2"

if ! command -v node >/dev/null 2>&1; then
  echo "esbuild: node not found; dcm needs Node.js 20 or newer" >&2
  exit 1
fi

found=$(cd "$root" && node -e 'try { process.stdout.write(require("esbuild/package.json").version) } catch { process.exit(1) }' 2>/dev/null)
if [ -z "$found" ]; then
  echo "esbuild: not installed in $root/node_modules; run \`npm ci\` in $root (package.json pins esbuild@$want)" >&2
  exit 1
fi
# The platform binary is a separate optional package: check that it runs.
if ! (cd "$root" && node -e 'require("esbuild").transformSync("let x = 1")' >/dev/null 2>&1); then
  echo "esbuild: $found is installed but its binary for this platform does not run; run \`npm ci\` in $root again" >&2
  exit 1
fi
if [ "$found" != "$want" ]; then
  echo "esbuild: $found (dcm is tested with $want; \`npm ci\` installs it)"
  exit 0
fi
echo "esbuild: $found (ok)"
