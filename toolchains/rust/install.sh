#!/usr/bin/env bash
# Makes sure Rust can build dcm modules: cargo + rustc for the native server
# plugin, and the wasm32-unknown-unknown standard library for the client.
# Idempotent: does nothing when both are present.
#
# Preferred: rustup's toolchain (~/.cargo/bin) with
# `rustup target add wasm32-unknown-unknown`. When rustup is missing, or
# cannot download the target, Debian's rustc + cargo + libstd-rust-dev-wasm32
# (rustc 1.63 on Debian 12) are installed with apt; dcm then builds wasm32
# with them (see languages/rust/README.md for what that old rustc cannot build).
#
# Then wasm-bindgen-cli, pinned to the version in
# languages/rust/toolchain/bindgen-version.ts (the one place it is written),
# with `cargo install` when `wasm-bindgen --version` is not exactly that.
# Optional: when it cannot be installed dcm builds the plain wasm32 client.
# wasm-pack is only detected (dcm runs `wasm-pack build` when it is there).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BINDGEN_VERSION=$(grep -o 'WASM_BINDGEN_VERSION = "[^"]*"' "$HERE/../../languages/rust/toolchain/bindgen-version.ts" 2>/dev/null | cut -d'"' -f2)

bindgen_version() { # $1 = wasm-bindgen executable → its version, or nothing
  "$1" --version 2>/dev/null | sed -n 's/^wasm-bindgen \([0-9][^ ]*\).*/\1/p' | head -n1
}

# wasm-bindgen-cli =BINDGEN_VERSION; a failure is a warning (dcm then uses the plain wasm32 path).
ensure_bindgen() {
  if [ -z "$BINDGEN_VERSION" ]; then
    echo "rust: warning: cannot read the wasm-bindgen version from languages/rust/toolchain/bindgen-version.ts" >&2
    return 0
  fi
  local wb v cargo=""
  for wb in "$HOME/.cargo/bin/wasm-bindgen" "$(command -v wasm-bindgen 2>/dev/null)"; do
    [ -n "$wb" ] && [ -x "$wb" ] || continue
    v=$(bindgen_version "$wb")
    if [ "$v" = "$BINDGEN_VERSION" ]; then
      echo "rust: wasm-bindgen $v ($wb) (ok)"
      report_wasm_pack
      return 0
    fi
  done
  for r in $(find_rustc); do cargo="$(dirname "$r")/cargo"; break; done
  if [ -z "$cargo" ]; then
    echo "rust: warning: no cargo to install wasm-bindgen-cli with; dcm builds the plain wasm32 client" >&2
    return 0
  fi
  # Not --locked: the lock file of wasm-bindgen-cli may name versions a crates.io mirror lacks.
  echo "rust: $cargo install wasm-bindgen-cli --version =$BINDGEN_VERSION (a few minutes of compiling)"
  if "$cargo" install wasm-bindgen-cli --version "=$BINDGEN_VERSION" --quiet; then
    echo "rust: wasm-bindgen $(bindgen_version "$HOME/.cargo/bin/wasm-bindgen") installed"
  else
    echo "rust: warning: could not install wasm-bindgen-cli $BINDGEN_VERSION; dcm builds the plain wasm32 client" >&2
  fi
  report_wasm_pack
  return 0
}

report_wasm_pack() {
  local wp
  for wp in "$HOME/.cargo/bin/wasm-pack" "$(command -v wasm-pack 2>/dev/null)"; do
    if [ -n "$wp" ] && [ -x "$wp" ]; then
      echo "rust: $("$wp" --version 2>/dev/null) ($wp) (dcm runs wasm-pack build)"
      return 0
    fi
  done
}

wasm_ok() { # $1 = rustc
  local sysroot
  sysroot=$("$1" --print sysroot 2>/dev/null) || return 1
  [ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ]
}

find_rustc() {
  for r in "$HOME/.cargo/bin/rustc" "$(command -v rustc 2>/dev/null)" /usr/bin/rustc; do
    if [ -n "$r" ] && [ -x "$r" ] && [ -x "$(dirname "$r")/cargo" ]; then echo "$r"; fi
  done
}

report() {
  local native="" wasm=""
  for r in $(find_rustc); do
    [ -z "$native" ] && native="$r"
    if [ -z "$wasm" ] && wasm_ok "$r"; then wasm="$r"; fi
  done
  [ -n "$native" ] && [ -n "$wasm" ] || return 1
  echo "rust: native $("$native" --version) ($native), wasm32 $("$wasm" --version) ($wasm) (ok)"
}

if report; then ensure_bindgen; exit 0; fi

# 1. rustup: add the target (and install a stable toolchain when rustup has none).
rustup_bin=$(command -v rustup 2>/dev/null || true)
[ -z "$rustup_bin" ] && [ -x "$HOME/.cargo/bin/rustup" ] && rustup_bin="$HOME/.cargo/bin/rustup"
if [ -n "$rustup_bin" ]; then
  "$rustup_bin" show active-toolchain >/dev/null 2>&1 || "$rustup_bin" toolchain install stable --profile minimal || true
  echo "rust: rustup target add wasm32-unknown-unknown"
  "$rustup_bin" target add wasm32-unknown-unknown || echo "rust: rustup could not add the wasm32 target" >&2
  if report; then ensure_bindgen; exit 0; fi
fi

# 2. Debian's packages (as root): rustc, cargo and the wasm32 standard library.
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "rust: installing rustc cargo libstd-rust-dev-wasm32 (apt-get)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc cargo libstd-rust-dev-wasm32 >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc cargo libstd-rust-dev-wasm32 >/dev/null || true
  fi
  if report; then ensure_bindgen; exit 0; fi
fi

cat >&2 <<MSG
rust: no Rust toolchain with the wasm32-unknown-unknown target was found.
Install rustup (https://rustup.rs), then run:
  rustup toolchain install stable --profile minimal
  rustup target add wasm32-unknown-unknown
or, on Debian/Ubuntu as root: apt-get install rustc cargo libstd-rust-dev-wasm32
then run this script again.
MSG
exit 1
