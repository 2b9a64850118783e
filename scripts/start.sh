#!/usr/bin/env bash
# `npm start`: serve the polyglot example (Go, Rust, AssemblyScript and
# TypeScript fragments in one dist) with `dcm run`, as `npm run setup` ends.
# Builds what is missing first: everything (scripts/ensure-deps.sh) on a fresh
# clone, else only the example's dist, which `dcm build` leaves alone when it
# is up to date. Port: $PORT (default 8080); extra arguments go to `dcm run`
# (`npm start -- --target wasm`).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ ! -f build/src/cli/main.js ]; then
  bash scripts/ensure-deps.sh
fi

poly=examples/polyglot
node bin/dcm.js build "$poly" --cfd "$poly/dcm.yaml" --out "$poly/dist"
echo "== dcm run $poly/dist (Ctrl-C stops it); open the page it prints"
exec node bin/dcm.js run "$poly/dist" --port "${PORT:-8080}" "$@"
