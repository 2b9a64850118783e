/**
 * The Rust language adapter: tree-sitter analysis of a Cargo crate, a
 * generated copy of the crate with one export per fragment, and
 * `cargo build --release` to a wasm32-unknown-unknown cdylib (client, and
 * the server's second path) and to a native cdylib (server). With
 * wasm-bindgen-cli installed the wasm32 crate is a wasm-bindgen crate and
 * the module ships with the glue made from wasm-bindgen's output
 * (toolchain/bindgen-glue.ts); DCM_RUST_BINDGEN=0 or no CLI: the plain cdylib.
 */
import { defineAdapter } from "../../src/languages/kit/define-adapter.js";
import { analyzeRust } from "./analysis/analyze-rust.js";
import type { RustTarget } from "./generate/build-spec.js";
import { generateRust } from "./generate/generate-rust.js";
import { compileRust } from "./toolchain/compile-rust.js";
import { WASM_BINDGEN_VERSION } from "./toolchain/bindgen-version.js";
import { rustToolchain } from "./toolchain/rust-toolchain.js";
import { wasmBindgenToolchain } from "./toolchain/wasm-bindgen-tools.js";
import rust from "./language.js";

const rustAdapter = defineAdapter<RustTarget>(rust, {
  analyze: (req) => analyzeRust(req),
  generate: (req, target) => generateRust(req, target, { driver: rustToolchain }),
  compile: (project, target, outFile) => compileRust(project, target, outFile, { driver: rustToolchain }),
  // wasm-bindgen is optional (its detect() never fails): listed so that the manifest and the build key name the client path.
  toolchains: [rustToolchain, wasmBindgenToolchain],
  support: {
    grammar: "tree-sitter-rust 0.24",
    builds: {
      wasm: "`cargo` cdylib, `wasm32-unknown-unknown`, `panic=abort`: a wasm-bindgen crate + its JS glue (`wasm-bindgen --target bundler`, or `wasm-pack build`) when wasm-bindgen-cli is installed, else plain `extern \"C\"` exports",
      native: "`cargo` cdylib, C ABI, `catch_unwind`",
    },
    toolchains: `Rust ≥ 1.63 (tested with 1.95; Debian's 1.63 as the wasm32 fallback); wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (optional, pinned)`,
  },
});

export default rustAdapter;
