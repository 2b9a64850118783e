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
set -uo pipefail

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

if report; then exit 0; fi

# 1. rustup: add the target (and install a stable toolchain when rustup has none).
rustup_bin=$(command -v rustup 2>/dev/null || true)
[ -z "$rustup_bin" ] && [ -x "$HOME/.cargo/bin/rustup" ] && rustup_bin="$HOME/.cargo/bin/rustup"
if [ -n "$rustup_bin" ]; then
  "$rustup_bin" show active-toolchain >/dev/null 2>&1 || "$rustup_bin" toolchain install stable --profile minimal || true
  echo "rust: rustup target add wasm32-unknown-unknown"
  "$rustup_bin" target add wasm32-unknown-unknown || echo "rust: rustup could not add the wasm32 target" >&2
  if report; then exit 0; fi
fi

# 2. Debian's packages (as root): rustc, cargo and the wasm32 standard library.
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "rust: installing rustc cargo libstd-rust-dev-wasm32 (apt-get)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc cargo libstd-rust-dev-wasm32 >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc cargo libstd-rust-dev-wasm32 >/dev/null || true
  fi
  if report; then exit 0; fi
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
