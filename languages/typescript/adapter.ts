/**
 * The TypeScript/JavaScript language adapter: fragments are exported
 * TypeScript functions; analysis reads their annotations with
 * tree-sitter-typescript, the module is an esbuild ES-module bundle (target
 * `js`) that the glue runs as JavaScript on the client and on the server;
 * `check` type-checks what it bundles with the TypeScript compiler.
 * Its id, extensions and glue are in language.ts (loaded without this file).
 */
import { defineAdapter } from "../../src/languages/kit/define-adapter.js";
import { analyzeTs } from "./analysis/analyze-ts.js";
import { generateTs } from "./generate/generate-ts.js";
import { compileTs } from "./toolchain/compile-ts.js";
import { esbuildToolchain } from "./toolchain/esbuild-toolchain.js";
import typescript from "./language.js";

const typescriptAdapter = defineAdapter<"js">(typescript, {
  analyze: (req) => analyzeTs(req),
  // The compiler is loaded only when a CFD has TypeScript fragments to check.
  check: async (req) => (await import("./check/type-check.js")).typeCheckTs(req),
  generate: (req) => generateTs(req),
  compile: (project, _target, outFile) => compileTs(project, outFile),
  toolchains: [esbuildToolchain],
  support: {
    grammar: "tree-sitter-typescript 0.23 (`typescript`)",
    builds: { js: "esbuild ES-module bundle, run as JavaScript" },
    toolchains: "esbuild ≥ 0.28 (npm dependency, tested with 0.28.2)",
  },
});

export default typescriptAdapter;
