/**
 * The Go language adapter: tree-sitter analysis, generated shims around the
 * user's packages, `go build` to a wasip1 reactor (client, and the server's
 * second path) and to a c-shared native plugin (server).
 */
import { defineAdapter } from "../../src/languages/kit/define-adapter.js";
import { analyzeGo } from "./analysis/analyze-go.js";
import { generateGo } from "./generate/generate-go.js";
import type { GoTarget } from "./generate/build-spec.js";
import { compileGo } from "./toolchain/compile-go.js";
import { goExtraction } from "./toolchain/extraction-switch.js";
import { createGoToolchain } from "./toolchain/go-toolchain.js";
import go from "./language.js";

// DCM_GO points dcm at one Go installation (and lets tests simulate a missing one).
const goToolchain = createGoToolchain(process.env.DCM_GO ? { candidates: [process.env.DCM_GO] } : {});

const goAdapter = defineAdapter<GoTarget>(go, {
  analyze: (req) => analyzeGo(req),
  generate: (req, target) => generateGo(req, target, { driver: goToolchain }),
  compile: (project, target, outFile) => compileGo(project, target, outFile, { driver: goToolchain }),
  // go-extract names closure extraction on or off, so that the build key (and a dist's freshness) follow it.
  toolchains: [goToolchain, goExtraction],
  support: {
    grammar: "tree-sitter-go 0.25",
    builds: { wasm: "`GOOS=wasip1` reactor, `//go:wasmexport`", native: "`-buildmode=c-shared` plugin" },
    toolchains: "Go ≥ 1.24 (tested with 1.26), gcc for cgo",
  },
});

export default goAdapter;
