/**
 * CFD + repository -> per-language analysis. The first half of every command:
 * validate, analyze and build all start here.
 *
 * One pass reports everything: a CFD with errors still has the fragments it
 * could read checked against the code (files, symbols, signatures), so the
 * user sees a misspelt key and a missing file together. `cfd` stays null then,
 * and the build refuses.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { Cfd, CfdFragment } from "../cfd/cfd-types.js";
import { compareWithDetected, type DetectedDeps } from "../cfd/compare-detected.js";
import type { LoadCfdResult } from "../cfd/load-cfd.js";
import { listRepoFiles, resolveFragmentFiles } from "../cfd/resolve-files.js";
import { diag } from "../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../runtime/diagnostics/diagnostic-types.js";
import type {
  AnalysisResult,
  AnalyzedFragment,
  AnalyzeFragment,
  LanguageAdapter,
  LanguageDescriptor,
  ParseCache,
} from "../languages/adapter-types.js";
import { allExtensions, allLanguages, languageById, languageForFile, loadAdapter } from "../languages/registry.js";
import { defaultCacheDir } from "./cache-dir.js";
import { notCallableWarnings } from "./callability.js";
import { PersistentParseCache, pruneOtherBuilds } from "./parse-cache-store.js";
import { planStateGroups, type StateGroupPlan } from "./state-groups.js";

/**
 * The identity of this dcm build (a hash of the sources and dependencies the
 * CLI bundle was made from, set by scripts/bundle-cli.mjs): persisted parse
 * results are kept per build, so that no build reads another's. Undefined when
 * running unbundled (tests from source, the library entry), which keeps its
 * parse caches in memory only.
 */
declare const __DCM_CODE_ID__: string | undefined;
const CODE_ID = typeof __DCM_CODE_ID__ === "string" ? __DCM_CODE_ID__ : undefined;

export interface LanguageAnalysis {
  adapter: LanguageAdapter;
  result: AnalysisResult;
}

export interface ProjectAnalysis {
  repo: string;
  /** Null when the CFD has errors (the fragments it could read were still analysed). */
  cfd: Cfd | null;
  cfdText?: string;
  languages: LanguageAnalysis[];
  /** The state groups (src/build/state-groups.ts); absent when the CFD has errors. */
  state?: StateGroupPlan;
  /** Sorted by file, then line and column; every `pos.file` absolute. */
  diagnostics: Diagnostic[];
  timings: { cfdMs: number; filesMs: number; analysisMs: number };
}

export { hasErrors } from "../../runtime/diagnostics/has-errors.js";

/** Parse caches survive across calls in one process (a watch loop or the build service). */
const parseCaches = new Map<string, Map<string, unknown>>();
/** Their on-disk halves, by folder (src/build/parse-cache-store.ts). */
const parseStores = new Map<string, PersistentParseCache>();

export interface AnalyzeOptions {
  /** Also run the adapters' `check` (the languages' own checkers): `dcm validate` and `dcm build` do. */
  check?: boolean;
  /** dcm's cache folder for the checkers' results and the persisted parse results (default: defaultCacheDir()). */
  cacheDir?: string;
  /**
   * Keep the adapters' persistable parse results in `<cacheDir>/parses/` across
   * runs (default: on in the bundled CLI, which knows its build's identity;
   * DCM_PARSE_CACHE=0 turns it off). Unbundled, the cache stays in memory.
   */
  persistParses?: boolean;
}

/**
 * The parse cache of a namespace (a language id, or CFD_NAMESPACE): the
 * process's memory, plus the disk when persisting.
 */
function parseCacheFor(namespace: string, opts: AnalyzeOptions): { cache: ParseCache; store?: PersistentParseCache } {
  let memory = parseCaches.get(namespace);
  if (!memory) {
    memory = new Map<string, unknown>();
    parseCaches.set(namespace, memory);
  }
  const persist = (opts.persistParses ?? true) && CODE_ID !== undefined && process.env.DCM_PARSE_CACHE !== "0";
  if (!persist) return { cache: memory };
  const dir = join(opts.cacheDir ?? defaultCacheDir(), "parses", CODE_ID!, namespace);
  let store = parseStores.get(dir);
  if (!store) {
    store = new PersistentParseCache(dir, memory);
    parseStores.set(dir, store);
  }
  return { cache: store, store };
}

/** Where loaded CFDs are kept (no language id starts with `_`). */
const CFD_NAMESPACE = "_cfd";

/**
 * The CFD, read through the parse cache: a CFD whose text was loaded before
 * (plain data: fragments, positions, diagnostics) skips the YAML parser, and
 * its module is then not even loaded.
 */
async function loadCfd(cfdPath: string, opts: AnalyzeOptions, stores: PersistentParseCache[]): Promise<LoadCfdResult> {
  const text = await readFile(cfdPath, "utf8").catch(() => null);
  // Unreadable: loadCfdFile reports it.
  if (text === null) return (await import("../cfd/load-cfd.js")).loadCfdFile(cfdPath);
  const { cache, store } = parseCacheFor(CFD_NAMESPACE, opts);
  if (store) stores.push(store);
  // Positions in the result name the CFD as given: the path is part of the key.
  const key = `cfd:v1:${cfdPath}:${createHash("sha256").update(text).digest("hex")}`;
  const hit = cache.get(key) as LoadCfdResult | undefined;
  if (hit) return hit;
  const loaded = (await import("../cfd/load-cfd.js")).loadCfdText(text, cfdPath);
  cache.set(key, loaded, { persist: true });
  return loaded;
}

export async function analyzeProject(
  repoArg: string,
  cfdPath: string,
  opts: AnalyzeOptions = {},
): Promise<ProjectAnalysis> {
  const repo = resolve(repoArg);
  const diagnostics: Diagnostic[] = [];
  const t0 = performance.now();
  let state: StateGroupPlan | undefined;
  const done = (
    cfd: Cfd | null,
    languages: LanguageAnalysis[],
    timings: ProjectAnalysis["timings"],
  ): ProjectAnalysis => ({
    repo,
    cfd,
    languages,
    ...(state ? { state } : {}),
    diagnostics: ordered(absolutePaths(diagnostics, repo, cfdPath)),
    timings,
  });
  const repoStat = await stat(repo).catch(() => null);
  if (!repoStat?.isDirectory()) {
    diagnostics.push(diag("DCM_REPO_NOT_FOUND", `Repository folder \`${repoArg}\` does not exist or is not a folder.`));
    return done(null, [], { cfdMs: 0, filesMs: 0, analysisMs: 0 });
  }
  const stores: PersistentParseCache[] = [];
  const loaded = await loadCfd(cfdPath, opts, stores);
  diagnostics.push(...loaded.diagnostics);
  const t1 = performance.now();
  // A CFD with errors: check what could be read against the code, but hand no CFD on.
  const checked = loaded.cfd ?? loaded.partial;
  if (!checked || checked.fragments.length === 0) {
    return done(loaded.cfd, [], { cfdMs: t1 - t0, filesMs: 0, analysisMs: 0 });
  }

  const files = await listRepoFiles(repo, allExtensions());
  const resolved = resolveFragmentFiles(checked, files);
  diagnostics.push(...resolved.diagnostics);
  const t2 = performance.now();

  // Group fragments by language: the CFD's `language` wins, else the file extension.
  const nameOf = new Map(checked.fragments.map((f) => [f.id, f.name]));
  const groups = new Map<LanguageDescriptor, AnalyzeFragment[]>();
  for (const f of checked.fragments) {
    const file = resolved.resolved.get(f.id);
    if (!file) continue;
    const lang = f.language ?? checked.defaults?.language;
    const language = lang ? languageById(lang) : languageForFile(file);
    if (!language) {
      const known = allLanguages()
        .map((a) => a.id)
        .join(", ");
      diagnostics.push(
        diag(
          "DCM_CFD_UNKNOWN_LANGUAGE",
          `Fragment \`${f.id}\`: no language adapter for ${lang ? `language \`${lang}\`` : `file \`${file}\``}.`,
          {
            pos: f.positions.language ?? f.positions["location.filepath"] ?? f.positions.fragment,
            suggestion: `Supported languages: ${known}.`,
            fragment: f.id,
          },
        ),
      );
      continue;
    }
    const list = groups.get(language) ?? [];
    list.push({ ...f, file, ...receiverHints(f, nameOf) });
    groups.set(language, list);
  }

  const languages: LanguageAnalysis[] = [];
  // Only the languages the CFD uses are loaded (their parsers, generators and toolchain drivers).
  for (const [language, fragments] of groups) {
    const adapter = await loadAdapter(language.id)!;
    const { cache, store } = parseCacheFor(language.id, opts);
    const result = await adapter.analyze({ repo, fragments, cache });
    diagnostics.push(...result.diagnostics);
    languages.push({ adapter, result });
    if (store) stores.push(store);
  }
  // What the adapters filled in lazily (the Go summaries' references) is written too.
  for (const store of stores) await store.flush();
  if (stores.some((s) => s.stats.written > 0)) await pruneOtherBuilds(join(stores[0]!.dir, "..", ".."), CODE_ID!);
  if (opts.check) {
    for (const { adapter, result } of languages) {
      if (adapter.check)
        diagnostics.push(...(await adapter.check({ repo, analysis: result, cacheDir: opts.cacheDir })));
    }
  }

  const analyzed = languages.flatMap((l) => l.result.fragments);
  diagnostics.push(...flagMismatches(checked, analyzed));
  diagnostics.push(...notCallableWarnings(checked, analyzed));
  // Hints for what the code uses but the CFD does not list (fixed by `dcm validate --fix`);
  // on a CFD with errors they would only bury the errors.
  if (loaded.cfd) diagnostics.push(...compareWithDetected(loaded.cfd, detectedDeps(languages)));
  if (loaded.cfd) {
    state = planStateGroups(
      loaded.cfd.fragments,
      languages.map((l) => ({ language: l.adapter.id, result: l.result })),
    );
    diagnostics.push(...state.diagnostics);
  }
  const t3 = performance.now();
  return done(loaded.cfd, languages, { cfdMs: t1 - t0, filesMs: t2 - t1, analysisMs: t3 - t2 });
}

export function detectedDeps(languages: LanguageAnalysis[]): Map<string, DetectedDeps> {
  const out = new Map<string, DetectedDeps>();
  for (const { result } of languages) {
    for (const f of result.fragments)
      out.set(f.id, { ...f.deps, ...(f.libAliases ? { libAliases: f.libAliases } : {}) });
  }
  return out;
}

/** The `name`s of the fragments `dependsOn` lists: the receiver types a bare method name may belong to. */
function receiverHints(f: CfdFragment, nameOf: Map<string, string>): { receiverHints?: string[] } {
  const hints = (f.dependsOn ?? []).flatMap((id) => {
    const name = nameOf.get(id);
    return name === undefined ? [] : [name];
  });
  return hints.length ? { receiverHints: hints } : {};
}

/** `typeDef: true` on something that is not a type, `globalVar: true` on something that is not a variable or constant. */
function flagMismatches(cfd: Cfd, analyzed: AnalyzedFragment[]): Diagnostic[] {
  const byId = new Map(cfd.fragments.map((f) => [f.id, f]));
  const out: Diagnostic[] = [];
  for (const a of analyzed) {
    const f = byId.get(a.id);
    if (!f) continue;
    const flag = f.typeDefFlag
      ? { key: "typeDef", ok: a.kind === "type", says: "a type declaration" }
      : f.globalVarFlag
        ? {
            key: "globalVar",
            ok: a.kind === "variable" || a.kind === "const",
            says: "a package-level variable or constant",
          }
        : undefined;
    if (!flag || flag.ok) continue;
    out.push(
      diag(
        "DCM_CFD_KIND_MISMATCH",
        `\`${f.name}\` is a ${a.kind} in ${a.file}:${a.line}, but the CFD says \`${flag.key}: true\` (${flag.says})`,
        {
          pos: f.positions[flag.key] ?? f.positions.fragment,
          suggestion: `remove \`${flag.key}: true\`, or name ${flag.says} in \`name\``,
          fragment: f.id,
        },
      ),
    );
  }
  return out;
}

/**
 * Every diagnostic's file made absolute: the CFD's positions against the
 * current directory (the CFD path as the user gave it), the code's against
 * the repository. Printing makes them relative again where that is shorter.
 */
export function absolutePaths(diags: Diagnostic[], repo: string, cfdPath?: string): Diagnostic[] {
  return diags.map((d) => {
    if (!d.pos || isAbsolute(d.pos.file)) return d;
    const base = cfdPath !== undefined && d.pos.file === cfdPath ? process.cwd() : repo;
    return { ...d, pos: { ...d.pos, file: resolve(base, d.pos.file) } };
  });
}

/** By file, then position; diagnostics without a position (about the whole run) first. Stable otherwise. */
function ordered(diags: Diagnostic[]): Diagnostic[] {
  return diags
    .map((d, i) => ({ d, i }))
    .sort((x, y) => {
      const a = x.d.pos;
      const b = y.d.pos;
      if (!a || !b) return (a ? 1 : 0) - (b ? 1 : 0) || x.i - y.i;
      return (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.col - b.col || x.i - y.i;
    })
    .map((x) => x.d);
}
