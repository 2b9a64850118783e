/**
 * What languages/rust/generate hands to languages/rust/toolchain through
 * GeneratedProject.buildSpec (opaque to core).
 */
export type RustTarget = "wasm" | "native";

export const WASM_TRIPLE = "wasm32-unknown-unknown";

/** The generated crate's library name: the module file is dcm_module.wasm / libdcm_module.so. */
export const LIB_NAME = "dcm_module";

export interface RustBuildSpec {
  kind: "rust";
  specVersion: 1;
  target: RustTarget;
  repo: string;
  /** Absolute folder of the generated crate (a copy of the user's crate plus dcm's files). */
  crateDir: string;
  /** Stable identity of the user's crate (repo path + crate folder): names the warm build folders in dcm's cache. */
  crateHash: string;
  /** dcm's cache folder of the build: the warm cargo-src/cargo-target folders live there. */
  cacheDir?: string;
  exports: Record<string, string>;
  fragments: Array<{ id: string; file: string; line: number; endLine: number }>;
  /**
   * Crate-relative path → repo-relative path and the number of lines that
   * are the user's (dcm appends below them), for every copied user file.
   */
  userFiles: Record<string, { repoFile: string; lines: number }>;
  /** Crate-relative paths of files dcm wrote itself. */
  generated: string[];
  /**
   * Set when the wasm module is a wasm-bindgen crate: the wasm-bindgen-cli
   * version it is pinned to (and wasm-pack's, when `wasm-pack build` runs).
   */
  bindgen?: { version: string; wasmPack?: string };
}

export function isRustBuildSpec(x: unknown): x is RustBuildSpec {
  return typeof x === "object" && x !== null && (x as { kind?: unknown }).kind === "rust";
}
