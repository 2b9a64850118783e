/**
 * One run of the TypeScript compiler's type checker over the fragments'
 * files and what they import (the compiler follows the imports itself,
 * tsconfig `paths` included), with the repository's tsconfig.json or dcm's
 * defaults. Returns plain data (positions, TS codes, messages, the files read
 * with their hashes, the import graph) so that a run can be cached and its
 * errors attributed to fragments without loading the compiler again.
 *
 * `typescript` is loaded here, lazily, and only when a CFD has TypeScript
 * fragments whose check is not cached: loading it and the ES library costs
 * about a second.
 *
 * Known limitations: only `.ts`/`.mts`/`.cts`/`.tsx` files are reported
 * (imported JavaScript is read for its types, never checked); the
 * tsconfig's `include`/`files` are ignored (the fragments decide what is
 * checked); `noEmit` is forced.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import type * as TS from "typescript";
import { HOST_GLOBALS, HOST_GLOBALS_PATH } from "./host-globals.js";

type Ts = typeof TS;

/** A compiler diagnostic, positions 1-based; `file` repo-relative (absent: about the options). */
export interface RawTsDiagnostic {
  file?: string;
  line?: number;
  col?: number;
  /** TS error number (2322 for TS2322). */
  code: number;
  message: string;
  /** The diagnostic is about the tsconfig, not about code. */
  config?: boolean;
}

export interface CheckRun {
  diagnostics: RawTsDiagnostic[];
  /** Every file the checker read except its own libraries (repo-relative inside the repository, else absolute), with its sha256. */
  files: Array<{ file: string; sha256: string }>;
  /** Repository files module resolution looked for and did not find: one appearing changes what an import means. */
  absent: string[];
  /** Repo-relative file -> the repository files it imports, as the compiler resolved them. */
  imports: Record<string, string[]>;
}

/**
 * Used when the repository has no tsconfig.json above the fragment: strict,
 * ES2022 without DOM or Node types (host-globals.ts adds what both hosts
 * have), module resolution as esbuild bundles (extension-less and `.ts`
 * imports), JavaScript imports read but not checked.
 */
export const DEFAULT_OPTIONS = {
  strict: true,
  target: "ES2022",
  lib: ["ES2022"],
  module: "ESNext",
  moduleResolution: "Bundler",
  types: [],
  skipLibCheck: true,
  allowImportingTsExtensions: true,
  allowJs: true,
  checkJs: false,
  esModuleInterop: true,
  resolveJsonModule: true,
} as const;

const REPORTED = /\.(c|m)?tsx?$/;
/** "No inputs were found in config file": the tsconfig's `include` does not matter here. */
const IGNORED_CONFIG_ERRORS = new Set([18003]);

let loaded: Promise<Ts> | undefined;

function loadTypescript(): Promise<Ts> {
  loaded ??= import("typescript").then((m) => (m as unknown as { default?: Ts }).default ?? (m as unknown as Ts));
  return loaded;
}

/** The installed compiler's version, read without loading it (part of the cache key). */
export function typescriptVersion(): string {
  const require = createRequire(import.meta.url);
  return (JSON.parse(readFileSync(require.resolve("typescript/package.json"), "utf8")) as { version: string }).version;
}

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Checks `roots` (repo-relative) with `config` (repo-relative tsconfig.json,
 * or undefined for DEFAULT_OPTIONS).
 */
export async function runTypeCheck(repo: string, roots: string[], config: string | undefined): Promise<CheckRun> {
  const ts = await loadTypescript();
  const toRel = (abs: string): string => {
    const r = relative(repo, abs);
    return r.startsWith("..") || isAbsolute(r) ? abs : r.split(sep).join("/");
  };
  const inRepo = (abs: string) => {
    const rel = toRel(abs);
    return !isAbsolute(rel) && !rel.split("/").includes("node_modules");
  };
  const diagnostics: RawTsDiagnostic[] = [];
  // Warnings and suggestions are the editor's business: tsc fails only on errors.
  const add = (list: readonly TS.Diagnostic[], isConfig = false) => {
    for (const d of list) if (d.category === ts.DiagnosticCategory.Error) diagnostics.push(toRaw(d, isConfig));
  };
  const toRaw = (d: TS.Diagnostic, isConfig: boolean): RawTsDiagnostic => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n").replace(/\n\s*/g, " ");
    const raw: RawTsDiagnostic = { code: d.code, message, ...(isConfig ? { config: true } : {}) };
    if (d.file && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      Object.assign(raw, { file: toRel(d.file.fileName), line: line + 1, col: character + 1 });
    } else if (isConfig && config) {
      raw.file = config;
    }
    return raw;
  };

  const configFiles: string[] = [];
  let options: TS.CompilerOptions;
  let rootNames = roots.map((r) => join(repo, r));
  if (config) {
    const path = join(repo, config);
    const source = ts.readJsonConfigFile(path, ts.sys.readFile);
    const parsed = ts.parseJsonSourceFileConfigFileContent(source, ts.sys, dirname(path), undefined, path);
    configFiles.push(path, ...(source.extendedSourceFiles ?? []));
    add(
      parsed.errors.filter((e) => !IGNORED_CONFIG_ERRORS.has(e.code)),
      true,
    );
    options = parsed.options;
  } else {
    const converted = ts.convertCompilerOptionsFromJson(DEFAULT_OPTIONS, repo);
    options = converted.options;
    rootNames = [HOST_GLOBALS_PATH, ...rootNames];
  }
  // Nothing is written; options that only make sense with output would be refused next to noEmit.
  options = { ...options, noEmit: true };
  for (const k of [
    "composite",
    "incremental",
    "declaration",
    "declarationMap",
    "emitDeclarationOnly",
    "tsBuildInfoFile",
    "outFile",
    "rootDir",
  ]) {
    delete options[k];
  }

  const host = ts.createCompilerHost(options, true);
  const absent = new Set<string>();
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => {
    if (f === HOST_GLOBALS_PATH) return true;
    const yes = fileExists(f);
    if (!yes && inRepo(f)) absent.add(toRel(f));
    return yes;
  };
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, onError, create) =>
    f === HOST_GLOBALS_PATH ? ts.createSourceFile(f, HOST_GLOBALS, lang) : getSourceFile(f, lang, onError, create);
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => (f === HOST_GLOBALS_PATH ? HOST_GLOBALS : readFile(f));

  const program = ts.createProgram({ rootNames, options, host });
  add(program.getOptionsDiagnostics(), true);
  add(program.getGlobalDiagnostics());

  const files: CheckRun["files"] = configFiles.map((f) => ({ file: toRel(f), sha256: sha256(readFileSync(f)) }));
  const imports: Record<string, string[]> = {};
  const resolutionCache = ts.createModuleResolutionCache(host.getCurrentDirectory(), (s) => s, options);
  for (const sf of program.getSourceFiles()) {
    if (sf.fileName === HOST_GLOBALS_PATH || program.isSourceFileDefaultLibrary(sf)) continue;
    files.push({ file: toRel(sf.fileName), sha256: sha256(sf.text) });
    if (!inRepo(sf.fileName)) continue;
    const rel = toRel(sf.fileName);
    const targets = new Set<string>();
    for (const spec of ts.preProcessFile(sf.text, true, true).importedFiles) {
      const res = ts.resolveModuleName(
        spec.fileName,
        sf.fileName,
        options,
        host,
        resolutionCache,
        undefined,
        sf.impliedNodeFormat,
      );
      const target = res.resolvedModule?.resolvedFileName;
      if (target && inRepo(target)) targets.add(toRel(target));
    }
    imports[rel] = [...targets].sort();
    if (!REPORTED.test(sf.fileName)) continue;
    add(program.getSyntacticDiagnostics(sf));
    add(program.getSemanticDiagnostics(sf));
  }
  files.sort((a, b) => a.file.localeCompare(b.file));
  return {
    diagnostics,
    files,
    absent: [...absent].sort(),
    imports,
  };
}
