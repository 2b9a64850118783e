/**
 * CFD + repository -> per-language analysis. The first half of every command:
 * validate, analyze and build all start here.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { CfdFragment, Cfd } from "../cfd/cfd-types.js";
import { compareWithDetected } from "../cfd/compare-detected.js";
import { loadCfdFile } from "../cfd/load-cfd.js";
import { listRepoFiles, resolveFragmentFiles } from "../cfd/resolve-files.js";
import { diag } from "../diagnostics/catalog.js";
import type { Diagnostic } from "../diagnostics/diagnostic-types.js";
import type { AnalysisResult, LanguageAdapter } from "../languages/adapter-types.js";
import { adapterById, adapterForFile, allAdapters, allExtensions } from "../languages/registry.js";

export interface LanguageAnalysis {
  adapter: LanguageAdapter;
  result: AnalysisResult;
}

export interface ProjectAnalysis {
  repo: string;
  cfd: Cfd | null;
  cfdText?: string;
  languages: LanguageAnalysis[];
  diagnostics: Diagnostic[];
  timings: { cfdMs: number; filesMs: number; analysisMs: number };
}

export function hasErrors(diags: Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** Parse caches survive across calls in one process (a watch loop or the build service). */
const parseCaches = new Map<string, Map<string, unknown>>();

export interface AnalyzeOptions {
  /** Also run the adapters' `check` (the languages' own checkers): `dcm validate` and `dcm build` do. */
  check?: boolean;
  /** dcm's cache folder for the checkers' results (default: defaultCacheDir()). */
  cacheDir?: string;
}

export async function analyzeProject(repoArg: string, cfdPath: string, opts: AnalyzeOptions = {}): Promise<ProjectAnalysis> {
  const repo = resolve(repoArg);
  const diagnostics: Diagnostic[] = [];
  const t0 = performance.now();
  const repoStat = await stat(repo).catch(() => null);
  if (!repoStat?.isDirectory()) {
    diagnostics.push(diag("DCM_REPO_NOT_FOUND", `Repository folder \`${repoArg}\` does not exist or is not a folder.`));
    return { repo, cfd: null, languages: [], diagnostics, timings: { cfdMs: 0, filesMs: 0, analysisMs: 0 } };
  }
  const loaded = await loadCfdFile(cfdPath);
  diagnostics.push(...loaded.diagnostics);
  const t1 = performance.now();
  const cfd = loaded.cfd;
  if (!cfd) return { repo, cfd, languages: [], diagnostics, timings: { cfdMs: t1 - t0, filesMs: 0, analysisMs: 0 } };

  const files = await listRepoFiles(repo, allExtensions());
  const resolved = resolveFragmentFiles(cfd, files);
  diagnostics.push(...resolved.diagnostics);
  const t2 = performance.now();

  // Group fragments by language: the CFD's `language` wins, else the file extension.
  const groups = new Map<LanguageAdapter, Array<CfdFragment & { file: string }>>();
  for (const f of cfd.fragments) {
    const file = resolved.resolved.get(f.id);
    if (!file) continue;
    const lang = f.language ?? cfd.defaults?.language;
    const adapter = lang ? adapterById(lang) : adapterForFile(file);
    if (!adapter) {
      const known = allAdapters().map((a) => a.id).join(", ");
      diagnostics.push(
        diag("DCM_CFD_UNKNOWN_LANGUAGE", `Fragment \`${f.id}\`: no language adapter for ${lang ? `language \`${lang}\`` : `file \`${file}\``}.`, {
          pos: f.positions.language ?? f.positions["location.filepath"] ?? f.positions.fragment,
          suggestion: `Supported languages: ${known}.`,
          fragment: f.id,
        }),
      );
      continue;
    }
    const list = groups.get(adapter) ?? [];
    list.push({ ...f, file });
    groups.set(adapter, list);
  }

  const languages: LanguageAnalysis[] = [];
  for (const [adapter, fragments] of groups) {
    const cache = parseCaches.get(adapter.id) ?? new Map<string, unknown>();
    parseCaches.set(adapter.id, cache);
    const result = await adapter.analyze({ repo, fragments, cache });
    diagnostics.push(...result.diagnostics);
    languages.push({ adapter, result });
  }
  if (opts.check) {
    for (const { adapter, result } of languages) {
      if (adapter.check) diagnostics.push(...(await adapter.check({ repo, analysis: result, cacheDir: opts.cacheDir })));
    }
  }

  // Hints for what the code uses but the CFD does not list (fixed by `dcm validate --fix`).
  diagnostics.push(...compareWithDetected(cfd, detectedDeps(languages)));
  const t3 = performance.now();
  return { repo, cfd, languages, diagnostics, timings: { cfdMs: t1 - t0, filesMs: t2 - t1, analysisMs: t3 - t2 } };
}

export function detectedDeps(
  languages: LanguageAnalysis[],
): Map<string, { libs: string[]; fragments: string[]; globalVars: string[]; typeDefs: string[] }> {
  const out = new Map<string, { libs: string[]; fragments: string[]; globalVars: string[]; typeDefs: string[] }>();
  for (const { result } of languages) for (const f of result.fragments) out.set(f.id, f.deps);
  return out;
}
