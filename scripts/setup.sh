#!/usr/bin/env bash
# README command 1: set everything up, build the example app, and serve it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

example=examples/go-shop
echo "== dcm build $example"
node bin/dcm.js build "$example" --cfd "$example/dcm.yaml" --out "$example/dist"

echo "== the same fragments on both sides"
for on in client server; do
  printf '%-7s GetHash("dcm")       = ' "$on"; node bin/dcm.js invoke "$example/dist" 1 --args '["dcm"]' --on "$on"
  printf '%-7s Fibonacci(93)        = ' "$on"; node bin/dcm.js invoke "$example/dist" 4 --args '[93]' --on "$on"
done

echo "== dcm run $example/dist (Ctrl-C stops it); open the page it prints"
exec node bin/dcm.js run "$example/dist" --port "${PORT:-8080}"
