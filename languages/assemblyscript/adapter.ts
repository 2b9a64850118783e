/**
 * The AssemblyScript language adapter: tree-sitter-typescript analysis, a
 * generated entry module around copies of the user's files, and asc to one
 * WASM module that both sides run (no native target).
 *
 * AssemblyScript shares `.ts` with TypeScript: it claims files with an
 * `assembly` path segment (the `assembly/index.ts` convention); a CFD
 * `language: assemblyscript` selects it for any file.
 */
import { fileURLToPath } from "node:url";
import type { LanguageAdapter } from "../../src/languages/adapter-types.js";
import { analyzeAs } from "./analysis/analyze-as.js";
import { generateAs } from "./generate/generate-as.js";
import { ascToolchain } from "./toolchain/asc-toolchain.js";
import { compileAs } from "./toolchain/compile-as.js";

/** Glue is loaded by path at run time, from source (vitest) or from build/. */
const glue = (name: string): string =>
  fileURLToPath(new URL(`./runtime/${name}${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));

export function claimsAsFile(file: string): boolean {
  return file.endsWith(".ts") && !file.endsWith(".d.ts") && file.split(/[\\/]/).slice(0, -1).includes("assembly");
}

const assemblyscriptAdapter: LanguageAdapter = {
  id: "assemblyscript",
  displayName: "AssemblyScript",
  extensions: [".ts"],
  claimsFile: claimsAsFile,
  targets: { client: ["wasm"], server: ["wasm"] },
  analyze: (req) => analyzeAs(req),
  async generate(req, target) {
    if (target !== "wasm") throw new Error(`AssemblyScript builds only wasm modules, not ${target}`);
    const info = await ascToolchain.detect();
    return generateAs(req, { ascVersion: info?.version ?? "asc: not installed" });
  },
  compile(project, target, outFile) {
    if (target !== "wasm") throw new Error(`AssemblyScript builds only wasm modules, not ${target}`);
    return compileAs(project, outFile);
  },
  toolchains: [ascToolchain],
  support: {
    grammar: "tree-sitter-typescript 0.23 (`typescript` grammar)",
    builds: { wasm: "asc -O3, `--runtime incremental`, no imports; the server runs the same module" },
    toolchains: "asc 0.28 (npm `assemblyscript`, tested 0.28.20), Node.js ≥ 20",
  },
  runtimeGlue: { wasm: glue("wasm-glue") },
};

export default assemblyscriptAdapter;
