/**
 * What the registry knows of Rust without loading it (src/languages/registry.ts):
 * the adapter (tree-sitter-rust, generators, cargo and wasm-bindgen drivers)
 * is imported on first use.
 */
import { fileURLToPath } from "node:url";
import type { LanguageDescriptor } from "../../src/languages/adapter-types.js";

/** Glue is loaded by path at run time, from source (vitest) or from build/. */
const glue = (name: string): string =>
  fileURLToPath(new URL(`./runtime/${name}${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));

const rust: LanguageDescriptor = {
  id: "rust",
  displayName: "Rust",
  extensions: [".rs"],
  targets: { client: ["wasm"], server: ["native", "wasm"] },
  runtimeGlue: { wasm: glue("wasm-glue"), native: glue("native-glue") },
  load: async () => (await import("./adapter.js")).default,
};

export default rust;
