/**
 * What the registry knows of Rust without loading it (src/languages/registry.ts):
 * the adapter (tree-sitter-rust, generators, cargo and wasm-bindgen drivers)
 * is imported on first use.
 */
import type { LanguageDescriptor } from "../../src/languages/adapter-types.js";

const rust: LanguageDescriptor = {
  id: "rust",
  displayName: "Rust",
  extensions: [".rs"],
  targets: { client: ["wasm"], server: ["native", "wasm"] },
  load: async () => (await import("./adapter.js")).default,
};

export default rust;
