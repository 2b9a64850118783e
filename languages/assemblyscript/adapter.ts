/**
 * The AssemblyScript language adapter: tree-sitter-typescript analysis, a
 * generated entry module around copies of the user's files, and asc to one
 * WASM module that both sides run (no native target).
 * Its id, extensions, `assembly/` claim and glue are in language.ts
 * (loaded without this file).
 */
import type { LanguageAdapter } from "../../src/languages/adapter-types.js";
import { analyzeAs } from "./analysis/analyze-as.js";
import { generateAs } from "./generate/generate-as.js";
import { ascToolchain } from "./toolchain/asc-toolchain.js";
import { compileAs } from "./toolchain/compile-as.js";
import assemblyscript from "./language.js";

const { load: _load, ...info } = assemblyscript;

const assemblyscriptAdapter: LanguageAdapter = {
  ...info,
  analyze: (req) => analyzeAs(req),
  async generate(req, target) {
    if (target !== "wasm") throw new Error(`AssemblyScript builds only wasm modules, not ${target}`);
    const asc = await ascToolchain.detect();
    return generateAs(req, { ascVersion: asc?.version ?? "asc: not installed" });
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
};

export default assemblyscriptAdapter;
