/** Shared steps of the TypeScript generate/glue specs: analyse a fixture, generate, bundle, load with the glue. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import typescriptAdapter from "../../../languages/typescript/adapter.js";
import glue from "../../../languages/typescript/runtime/js-glue.js";
import type { FragmentInstance } from "../../../runtime/abi/module-types.js";
import type { ManifestFragment } from "../../../runtime/abi/manifest-types.js";
import { analyzeProject } from "../../../src/build/analyze-project.js";
import type { AnalysisResult, GeneratedProject } from "../../../src/languages/adapter-types.js";

export const TS_FIXTURES = join(import.meta.dirname, "..", "..", "..", "languages", "typescript", "fixtures");
export const E2E_APP = join(TS_FIXTURES, "e2e", "app");

/** The TypeScript part of a real project analysis (CFD at <repo>/<cfd>). */
export async function tsAnalysis(repo: string, cfd = "dcm.yaml"): Promise<AnalysisResult> {
  const p = await analyzeProject(repo, join(repo, cfd));
  const lang = p.languages.find((l) => l.adapter.id === "typescript");
  if (!lang) throw new Error(`no TypeScript fragments in ${repo}: ${JSON.stringify(p.diagnostics)}`);
  return lang.result;
}

export async function generate(repo: string, analysis: AnalysisResult): Promise<{ project: GeneratedProject; workDir: string }> {
  const workDir = mkdtempSync(join(tmpdir(), "dcm-ts-gen-"));
  const project = await typescriptAdapter.generate(
    { repo, analysis, fragments: analysis.fragments, side: "client", workDir },
    "js",
  );
  return { project, workDir };
}

export function manifestFragments(analysis: AnalysisResult, exports: Record<string, string>): ManifestFragment[] {
  return analysis.fragments.map((f) => ({
    id: f.id,
    language: "typescript",
    kind: f.kind,
    symbol: f.symbol,
    source: { file: f.file, line: f.line },
    runOn: "client",
    ...(f.signature ? { signature: f.signature, abi: f.abi ?? "buffer" } : {}),
    ...(exports[f.id] ? { export: exports[f.id] } : {}),
    flags: { idempotent: false, stateful: false },
    deps: f.deps,
  }));
}

/** Analyse, generate, bundle with the real esbuild, and load the module with the glue. */
export async function loadFixture(repo: string, cfd = "dcm.yaml") {
  const analysis = await tsAnalysis(repo, cfd);
  const { project, workDir } = await generate(repo, analysis);
  const out = join(workDir, "typescript.js");
  const compiled = await typescriptAdapter.compile(project, "js", out);
  if (compiled.diagnostics.length) throw new Error(JSON.stringify(compiled.diagnostics));
  const bytes = new Uint8Array(readFileSync(out));
  const fragments = manifestFragments(analysis, project.exports);
  const instance: FragmentInstance = await glue.load({
    module: {
      language: "typescript",
      target: "js",
      sides: ["client", "server"],
      file: "client/typescript.js",
      sha256: "",
      size: bytes.length,
      abiVersion: 1,
      toolchain: compiled.toolchain,
      fragments: fragments.map((f) => f.id),
    },
    bytes,
    fragments,
    types: analysis.types,
  });
  return { analysis, project, workDir, bytes, fragments, instance };
}
