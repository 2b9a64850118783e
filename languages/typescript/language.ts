/**
 * What the registry knows of TypeScript without loading it
 * (src/languages/registry.ts): the adapter (tree-sitter-typescript, esbuild,
 * the TypeScript compiler for `check`) is imported on first use.
 * AssemblyScript also uses `.ts`; it claims its files (`assembly/`) with a
 * claimsFile hook, which the registry asks first.
 */
import { fileURLToPath } from "node:url";
import type { LanguageDescriptor } from "../../src/languages/adapter-types.js";

/** Glue is loaded by path at run time, from source (vitest) or from build/. */
const glue = (name: string): string =>
  fileURLToPath(new URL(`./runtime/${name}${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));

const typescript: LanguageDescriptor = {
  id: "typescript",
  displayName: "TypeScript/JavaScript",
  extensions: [".ts", ".mts"],
  targets: { client: ["js"], server: ["js"] },
  runtimeGlue: { js: glue("js-glue") },
  load: async () => (await import("./adapter.js")).default,
};

export default typescript;
