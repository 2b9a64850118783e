#!/usr/bin/env bash
# Installs everything dcm needs, idempotently: npm packages, toolchains, the compiled CLI.
# Sourced by scripts/setup.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "dcm needs Node.js 20 or newer (found: $(node -v 2>/dev/null || echo none))." >&2
  exit 1
fi

# npm ci only when the lock changed since the last install (keeps reruns fast).
stamp=node_modules/.dcm-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

bash toolchains/install.sh
# Debian's Chromium drives the browser tests (playwright-core never downloads a browser).
bash scripts/install-browser.sh
# redis-server: the build service's Redis mode and its tests.
bash scripts/install-redis.sh
# The Python host (hosts/python) and pytest in a venv under dcm's cache dir, for its tests.
bash scripts/install-python-host.sh >/dev/null || echo "ensure-deps: the Python host is not installed; test/hosts/python-host.spec.ts will fail until it is" >&2

npm run --silent build
