/**
 * The wasm-bindgen version dcm installs (toolchains/rust/install.sh reads the
 * string below with grep: keep it on one line, double-quoted). The generated
 * crate depends on `wasm-bindgen = "=<version of the CLI found>"`, since the
 * CLI only reads modules made by the very same crate version.
 */
export const WASM_BINDGEN_VERSION = "0.2.130";

/** The `rust-version` of the wasm-bindgen crate at that version: an older wasm32 rustc (Debian's 1.63) builds the plain module. */
export const WASM_BINDGEN_MIN_RUSTC: [number, number] = [1, 81];

/** Whether `rustc 1.95.0` (RustToolchainInfo.version) can build the wasm-bindgen crate. */
export function rustcFitsBindgen(version: string): boolean {
  const m = /(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > WASM_BINDGEN_MIN_RUSTC[0] || (major === WASM_BINDGEN_MIN_RUSTC[0] && minor >= WASM_BINDGEN_MIN_RUSTC[1]);
}
