/**
 * What the registry knows of Go without loading it (src/languages/registry.ts):
 * the adapter (tree-sitter-go, generators, the Go toolchain driver) is
 * imported on first use.
 */
import { fileURLToPath } from "node:url";
import type { LanguageDescriptor } from "../../src/languages/adapter-types.js";

/** Glue is loaded by path at run time, from source (vitest) or from build/. */
const glue = (name: string): string =>
  fileURLToPath(new URL(`./runtime/${name}${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));

const go: LanguageDescriptor = {
  id: "go",
  displayName: "Go",
  extensions: [".go"],
  targets: { client: ["wasm"], server: ["native", "wasm"] },
  runtimeGlue: { wasm: glue("wasm-glue"), native: glue("native-glue") },
  load: async () => (await import("./adapter.js")).default,
};

export default go;
