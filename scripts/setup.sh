#!/usr/bin/env bash
# README command 1: set everything up, build the example apps, and serve the
# polyglot one (Go, Rust, AssemblyScript and TypeScript fragments in one dist).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

shop=examples/go-shop
echo "== dcm build $shop"
node bin/dcm.js build "$shop" --cfd "$shop/dcm.yaml" --out "$shop/dist"

poly=examples/polyglot
echo "== dcm build $poly (four languages, one dist)"
node bin/dcm.js build "$poly" --cfd "$poly/dcm.yaml" --out "$poly/dist"

echo "== the same fragments on both sides"
for on in client server; do
  printf '%-7s go   GetHash("dcm")   = ' "$on"; node bin/dcm.js invoke "$shop/dist" 1 --args '["dcm"]' --on "$on"
  for lang in go rust as ts; do
    printf '%-7s %-4s fib(93)          = ' "$on" "$lang"; node bin/dcm.js invoke "$poly/dist" "fib-$lang" --args '[93]' --on "$on"
  done
done

echo "== \`node bin/dcm.js run $shop/dist\` serves the Go shop; \`npm start\` serves polyglot again later"
exec bash scripts/start.sh
