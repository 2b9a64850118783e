/**
 * What the registry knows of Go without loading it (src/languages/registry.ts):
 * the adapter (tree-sitter-go, generators, the Go toolchain driver) is
 * imported on first use.
 */
import type { LanguageDescriptor } from "../../src/languages/adapter-types.js";

const go: LanguageDescriptor = {
  id: "go",
  displayName: "Go",
  extensions: [".go"],
  targets: { client: ["wasm"], server: ["native", "wasm"] },
  load: async () => (await import("./adapter.js")).default,
};

export default go;
