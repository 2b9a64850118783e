/**
 * The Go language adapter: tree-sitter analysis, generated shims around the
 * user's packages, `go build` to a wasip1 reactor (client, and the server's
 * second path) and to a c-shared native plugin (server).
 */
import { fileURLToPath } from "node:url";
import type { LanguageAdapter } from "../../src/languages/adapter-types.js";
import { analyzeGo } from "./analysis/analyze-go.js";
import { generateGo } from "./generate/generate-go.js";
import type { ModuleTarget } from "../../runtime/abi/manifest-types.js";
import type { GoTarget } from "./generate/build-spec.js";
import { compileGo } from "./toolchain/compile-go.js";
import { goExtraction } from "./toolchain/extraction-switch.js";
import { createGoToolchain } from "./toolchain/go-toolchain.js";

// DCM_GO points dcm at one Go installation (and lets tests simulate a missing one).
const goToolchain = createGoToolchain(process.env.DCM_GO ? { candidates: [process.env.DCM_GO] } : {});

/** Glue is loaded by path at run time, from source (vitest) or from build/. */
const glue = (name: string): string => {
  const url = new URL(`./runtime/${name}${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);
  return fileURLToPath(url);
};

function goTarget(target: ModuleTarget): GoTarget {
  if (target === "js") throw new Error("Go builds no `js` modules (targets are wasm and native).");
  return target;
}

const goAdapter: LanguageAdapter = {
  id: "go",
  displayName: "Go",
  extensions: [".go"],
  targets: { client: ["wasm"], server: ["native", "wasm"] },
  analyze: (req) => analyzeGo(req),
  generate: (req, target) => generateGo(req, goTarget(target), { driver: goToolchain }),
  compile: (project, target, outFile) => compileGo(project, goTarget(target), outFile, { driver: goToolchain }),
  // go-extract names closure extraction on or off, so that the build key (and a dist's freshness) follow it.
  toolchains: [goToolchain, goExtraction],
  runtimeGlue: { wasm: glue("wasm-glue"), native: glue("native-glue") },
  support: {
    grammar: "tree-sitter-go 0.25",
    builds: { wasm: "`GOOS=wasip1` reactor, `//go:wasmexport`", native: "`-buildmode=c-shared` plugin" },
    toolchains: "Go ≥ 1.24 (tested with 1.26), gcc for cgo",
  },
};

export default goAdapter;
