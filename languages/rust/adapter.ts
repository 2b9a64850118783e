/**
 * The Rust language adapter: tree-sitter analysis of a Cargo crate, a
 * generated copy of the crate with one export per fragment, and
 * `cargo build --release` to a wasm32-unknown-unknown cdylib (client, and
 * the server's second path) and to a native cdylib (server).
 */
import { fileURLToPath } from "node:url";
import type { ModuleTarget } from "../../runtime/abi/manifest-types.js";
import type { LanguageAdapter } from "../../src/languages/adapter-types.js";
import { analyzeRust } from "./analysis/analyze-rust.js";
import type { RustTarget } from "./generate/build-spec.js";
import { generateRust } from "./generate/generate-rust.js";
import { compileRust } from "./toolchain/compile-rust.js";
import { rustToolchain } from "./toolchain/rust-toolchain.js";

const glue = (name: string): string => {
  const url = new URL(`./runtime/${name}${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);
  return fileURLToPath(url);
};

function rustTarget(target: ModuleTarget): RustTarget {
  if (target === "js") throw new Error("Rust builds no `js` modules (targets are wasm and native).");
  return target;
}

const rustAdapter: LanguageAdapter = {
  id: "rust",
  displayName: "Rust",
  extensions: [".rs"],
  targets: { client: ["wasm"], server: ["native", "wasm"] },
  analyze: (req) => analyzeRust(req),
  generate: (req, target) => generateRust(req, rustTarget(target), { driver: rustToolchain }),
  compile: (project, target, outFile) => compileRust(project, rustTarget(target), outFile, { driver: rustToolchain }),
  toolchains: [rustToolchain],
  runtimeGlue: { wasm: glue("wasm-glue"), native: glue("native-glue") },
  support: {
    grammar: "tree-sitter-rust 0.24",
    builds: { wasm: "`cargo` cdylib, `wasm32-unknown-unknown`, `panic=abort`", native: "`cargo` cdylib, C ABI, `catch_unwind`" },
    toolchains: "Rust ≥ 1.63 (tested with 1.95; Debian's 1.63 as the wasm32 fallback)",
  },
};

export default rustAdapter;
