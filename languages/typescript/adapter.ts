/**
 * The TypeScript/JavaScript language adapter: fragments are exported
 * TypeScript functions; analysis reads their annotations with
 * tree-sitter-typescript, the module is an esbuild ES-module bundle (target
 * `js`) that the glue runs as JavaScript on the client and on the server;
 * `check` type-checks what it bundles with the TypeScript compiler.
 * AssemblyScript also uses `.ts`; it claims its files (`assembly/`) with a
 * claimsFile hook, which the registry asks first.
 */
import { fileURLToPath } from "node:url";
import type { ModuleTarget } from "../../runtime/abi/manifest-types.js";
import type { LanguageAdapter } from "../../src/languages/adapter-types.js";
import { analyzeTs } from "./analysis/analyze-ts.js";
import { generateTs } from "./generate/generate-ts.js";
import { compileTs } from "./toolchain/compile-ts.js";
import { esbuildToolchain } from "./toolchain/esbuild-toolchain.js";

/** Glue is loaded by path at run time, from source (vitest) or from build/. */
const glue = (name: string): string =>
  fileURLToPath(new URL(`./runtime/${name}${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));

function jsOnly(target: ModuleTarget): void {
  if (target !== "js") throw new Error(`TypeScript builds only \`js\` modules, not \`${target}\`.`);
}

const typescriptAdapter: LanguageAdapter = {
  id: "typescript",
  displayName: "TypeScript/JavaScript",
  extensions: [".ts", ".mts"],
  targets: { client: ["js"], server: ["js"] },
  analyze: (req) => analyzeTs(req),
  // The compiler is loaded only when a CFD has TypeScript fragments to check.
  check: async (req) => (await import("./check/type-check.js")).typeCheckTs(req),
  generate: async (req, target) => {
    jsOnly(target);
    return generateTs(req);
  },
  compile: async (project, target, outFile) => {
    jsOnly(target);
    return compileTs(project, outFile);
  },
  toolchains: [esbuildToolchain],
  support: {
    grammar: "tree-sitter-typescript 0.23 (`typescript`)",
    builds: { js: "esbuild ES-module bundle, run as JavaScript" },
    toolchains: "esbuild ≥ 0.28 (npm dependency, tested with 0.28.2)",
  },
  runtimeGlue: { js: glue("js-glue") },
};

export default typescriptAdapter;
