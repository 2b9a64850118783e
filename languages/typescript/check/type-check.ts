/**
 * The TypeScript adapter's check step (LanguageAdapter.check): type-checks
 * what the build bundles — the fragments' files and the repository files
 * they import — with the TypeScript compiler, and reports each error at its
 * file:line:col as DCM_TS_TYPE_ERROR, naming the fragment whose code holds
 * it, or the fragments that need the file it is in. esbuild only strips
 * types, so without this a `const n: number = "str"` would build and fail
 * when called.
 *
 * Each fragment file is checked with the nearest tsconfig.json above it
 * inside the repository (one compiler program per tsconfig), or with
 * DEFAULT_OPTIONS (ts-program.ts) when there is none. Results are cached by
 * the content of every file the compiler read (check-cache.ts).
 *
 * Known limitations: an error outside every fragment's lines is attributed at
 * file granularity (every fragment whose file is, or imports, that file);
 * a "cannot find module" for a Node built-in is left to the bundler, whose
 * message says why fragments cannot use it.
 */

import { existsSync } from "node:fs";
import { builtinModules } from "node:module";
import { isAbsolute, join, posix } from "node:path";
import { defaultCacheDir } from "../../../src/build/cache-dir.js";
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { AnalyzedFragment, CheckRequest } from "../../../src/languages/adapter-types.js";
import { readCachedRun, writeCachedRun } from "./check-cache.js";
import { HOST_GLOBALS } from "./host-globals.js";
import {
  type CheckRun,
  DEFAULT_OPTIONS,
  type RawTsDiagnostic,
  runTypeCheck,
  sha256,
  typescriptVersion,
} from "./ts-program.js";

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** TS2307 / TS2792: "Cannot find module 'x'…". */
const MODULE_NOT_FOUND = new Set([2307, 2792]);
const MAX_NAMED = 5;

export async function typeCheckTs(req: CheckRequest): Promise<Diagnostic[]> {
  const fragments = req.analysis.fragments;
  if (fragments.length === 0) return [];
  const cacheDir = req.cacheDir ?? defaultCacheDir();
  const groups = new Map<string | undefined, string[]>();
  for (const file of [...new Set(fragments.map((f) => f.file))].sort()) {
    const config = nearestTsconfig(req.repo, file);
    groups.set(config, [...(groups.get(config) ?? []), file]);
  }
  const out: Diagnostic[] = [];
  for (const [config, roots] of groups) {
    const key = sha256(
      JSON.stringify({
        ts: typescriptVersion(),
        repo: req.repo,
        config: config ?? null,
        defaults: config ? null : sha256(JSON.stringify(DEFAULT_OPTIONS) + HOST_GLOBALS),
        roots,
      }),
    );
    let run = readCachedRun(cacheDir, key, req.repo);
    if (!run) {
      run = await runTypeCheck(req.repo, roots, config);
      writeCachedRun(cacheDir, key, run);
    }
    out.push(...toDiagnostics(run, roots, config, req));
  }
  return out;
}

/** The repo-relative tsconfig.json nearest above `file`, not looking outside the repository. */
function nearestTsconfig(repo: string, file: string): string | undefined {
  for (let d = posix.dirname(file); ; d = posix.dirname(d)) {
    const candidate = d === "." ? "tsconfig.json" : `${d}/tsconfig.json`;
    if (existsSync(join(repo, candidate))) return candidate;
    if (d === "." || d === "/" || d === "") return undefined;
  }
}

function toDiagnostics(run: CheckRun, roots: string[], config: string | undefined, req: CheckRequest): Diagnostic[] {
  const fragments = req.analysis.fragments.filter((f) => roots.includes(f.file));
  // Lines the analysis already reported an error at (an unannotated parameter, an undeclared
  // width alias) and files it could not parse: the compiler would only say the same again.
  const analysed = new Set<string>();
  const unparsed = new Set<string>();
  for (const d of req.analysis.diagnostics) {
    if (d.severity !== "error" || !d.pos) continue;
    analysed.add(`${d.pos.file}:${d.pos.line}`);
    if (d.code === "DCM_SOURCE_SYNTAX") unparsed.add(d.pos.file);
  }
  const needers = whoNeeds(run, fragments);
  const suggestion = config
    ? `fix the error (checked with ${config}, as tsc would: languages/typescript/README.md)`
    : "fix the error (no tsconfig.json applies, so checked strict with the ES2022 library: languages/typescript/README.md)";
  const out: Diagnostic[] = [];
  // A tsconfig the compiler refuses makes every other message a consequence (no `Array` type…).
  const configErrors = run.diagnostics.filter((d) => d.config);
  for (const raw of (configErrors.length > 0 ? configErrors : [...run.diagnostics]).sort(byPosition)) {
    const text = `TS${raw.code}: ${raw.message}`;
    const pos = raw.file && raw.line ? { pos: { file: raw.file, line: raw.line, col: raw.col ?? 1 } } : {};
    if (raw.config) {
      out.push(
        diag(
          "DCM_TS_CONFIG",
          `${raw.file ?? config ?? "tsconfig.json"} cannot be used to type-check the TypeScript fragments: ${text}`,
          {
            ...pos,
            suggestion: "correct the option the compiler names, or remove it",
          },
        ),
      );
      continue;
    }
    if (isBuiltinNotFound(raw)) continue;
    if (raw.file && (unparsed.has(raw.file) || analysed.has(`${raw.file}:${raw.line}`))) continue;
    const holder = raw.file
      ? fragments.find((f) => f.file === raw.file && raw.line! >= f.line && raw.line! <= f.endLine)
      : undefined;
    if (holder) {
      out.push(
        diag("DCM_TS_TYPE_ERROR", `fragment ${name(holder)}: ${text}`, { ...pos, suggestion, fragment: holder.id }),
      );
      continue;
    }
    const who = raw.file ? (needers.get(raw.file) ?? []) : fragments;
    const whom = who.length === 0 ? "the TypeScript fragments" : `fragment${who.length > 1 ? "s" : ""} ${list(who)}`;
    const what = raw.file
      ? `${raw.file} (needed by ${whom}) does not type-check`
      : `${whom} do${who.length === 1 ? "es" : ""} not type-check`;
    out.push(
      diag("DCM_TS_TYPE_ERROR", `${what}: ${text}`, {
        ...pos,
        suggestion,
        ...(who[0] ? { fragment: who[0].id } : {}),
      }),
    );
  }
  return out;
}

/** File -> the fragments whose file is it, or imports it (directly or not), in CFD order. */
function whoNeeds(run: CheckRun, fragments: AnalyzedFragment[]): Map<string, AnalyzedFragment[]> {
  const out = new Map<string, AnalyzedFragment[]>();
  for (const f of fragments) {
    const seen = new Set<string>();
    const queue = [f.file];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      queue.push(...(run.imports[file] ?? []));
    }
    for (const file of seen) out.set(file, [...(out.get(file) ?? []), f]);
  }
  return out;
}

function isBuiltinNotFound(raw: RawTsDiagnostic): boolean {
  if (!MODULE_NOT_FOUND.has(raw.code)) return false;
  const m = /module '([^']+)'/.exec(raw.message);
  return m !== null && BUILTINS.has(m[1]!);
}

function name(f: AnalyzedFragment): string {
  return `\`${f.id}\` (\`${f.symbol}\`)`;
}

function list(fs: AnalyzedFragment[]): string {
  const named = fs.slice(0, MAX_NAMED).map(name).join(", ");
  return fs.length > MAX_NAMED ? `${named} and ${fs.length - MAX_NAMED} more` : named;
}

function byPosition(a: RawTsDiagnostic, b: RawTsDiagnostic): number {
  const fa = a.file ?? "";
  const fb = b.file ?? "";
  if (fa !== fb) return isAbsolute(fa) === isAbsolute(fb) ? fa.localeCompare(fb) : isAbsolute(fa) ? 1 : -1;
  return (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0) || a.code - b.code;
}
