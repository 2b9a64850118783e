/**
 * What the registry knows of AssemblyScript without loading it
 * (src/languages/registry.ts): the adapter (tree-sitter-typescript, the asc
 * driver) is imported on first use.
 *
 * AssemblyScript shares `.ts` with TypeScript: it claims files with an
 * `assembly` path segment (the `assembly/index.ts` convention); a CFD
 * `language: assemblyscript` selects it for any file.
 */
import type { LanguageDescriptor } from "../../src/languages/adapter-types.js";

export function claimsAsFile(file: string): boolean {
  return file.endsWith(".ts") && !file.endsWith(".d.ts") && file.split(/[\\/]/).slice(0, -1).includes("assembly");
}

const assemblyscript: LanguageDescriptor = {
  id: "assemblyscript",
  displayName: "AssemblyScript",
  extensions: [".ts"],
  claimsFile: claimsAsFile,
  targets: { client: ["wasm"], server: ["wasm"] },
  load: async () => (await import("./adapter.js")).default,
};

export default assemblyscript;
