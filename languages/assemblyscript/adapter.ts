/**
 * The AssemblyScript language adapter: tree-sitter-typescript analysis, a
 * generated entry module around copies of the user's files, and asc to one
 * WASM module that both sides run (no native target).
 * Its id, extensions and `assembly/` claim are in language.ts (loaded
 * without this file); its module follows docs/abi.md, so core's glue loads it.
 */
import { defineAdapter } from "../../src/languages/kit/define-adapter.js";
import { analyzeAs } from "./analysis/analyze-as.js";
import { generateAs } from "./generate/generate-as.js";
import { ascToolchain } from "./toolchain/asc-toolchain.js";
import { compileAs } from "./toolchain/compile-as.js";
import assemblyscript from "./language.js";

const assemblyscriptAdapter = defineAdapter<"wasm">(assemblyscript, {
  analyze: (req) => analyzeAs(req),
  async generate(req) {
    const asc = await ascToolchain.detect();
    return generateAs(req, { ascVersion: asc?.version ?? "asc: not installed" });
  },
  compile: (project, _target, outFile) => compileAs(project, outFile),
  toolchains: [ascToolchain],
  support: {
    grammar: "tree-sitter-typescript 0.23 (`typescript` grammar)",
    builds: { wasm: "asc -O3, `--runtime incremental`, no imports; the server runs the same module" },
    toolchains: "asc 0.28 (npm `assemblyscript`, tested 0.28.20), Node.js ≥ 20",
  },
});

export default assemblyscriptAdapter;
