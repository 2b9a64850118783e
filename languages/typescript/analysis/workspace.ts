/**
 * The files of one analysis: reads, hashes and parses repository files on
 * demand (only the files a fragment reaches), resolves relative module
 * specifiers the way esbuild does for TypeScript sources, and records which
 * files each step touched (for DCM_SOURCE_SYNTAX).
 *
 * Known limitations: tsconfig `paths`/`baseUrl` aliases and package
 * `exports` maps are not followed by the analysis (the bundler follows them);
 * such imports count as libraries.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { type FileSummary, summarize } from "./summarize.js";

/** Extensions tried for an extension-less relative specifier, in esbuild's order for TS sources. */
const TRY_EXT = [".ts", ".mts", ".js", ".mjs"];
/** `./x.js` in TypeScript ESM source names `./x.ts`. */
const JS_TO_TS: Record<string, string[]> = { ".js": [".ts"], ".mjs": [".mts"] };

export class TsWorkspace {
  filesParsed = 0;
  touched = new Set<string>();
  private texts = new Map<string, string>();
  private summaries = new Map<string, FileSummary>();

  constructor(
    readonly repo: string,
    private readonly cache?: Map<string, unknown>,
  ) {}

  read(file: string): string {
    let t = this.texts.get(file);
    if (t === undefined) {
      t = readFileSync(join(this.repo, file), "utf8");
      this.texts.set(file, t);
    }
    return t;
  }

  sha256(file: string): string {
    return createHash("sha256").update(this.read(file)).digest("hex");
  }

  /** The parsed summary of a repo-relative file (throws when it cannot be read). */
  summary(file: string): FileSummary {
    this.touched.add(file);
    let s = this.summaries.get(file);
    if (s) return s;
    const text = this.read(file);
    const key = `ts-summary:${createHash("sha256").update(text).digest("hex")}`;
    s = this.cache?.get(key) as FileSummary | undefined;
    if (!s) {
      s = summarize(text);
      this.filesParsed++;
      this.cache?.set(key, s);
    }
    this.summaries.set(file, s);
    return s;
  }

  /** The repo-relative file a relative specifier names, or undefined (bare specifiers, missing files). */
  resolve(importer: string, spec: string): string | undefined {
    if (!spec.startsWith("./") && !spec.startsWith("../")) return undefined;
    const base = posix.normalize(posix.join(posix.dirname(importer), spec));
    if (base.startsWith("../")) return undefined;
    const ext = posix.extname(base);
    const candidates: string[] = [];
    if (JS_TO_TS[ext]) for (const e of JS_TO_TS[ext]!) candidates.push(base.slice(0, -ext.length) + e);
    candidates.push(base);
    for (const e of TRY_EXT) candidates.push(base + e);
    for (const e of TRY_EXT) candidates.push(`${base}/index${e}`);
    return candidates.find((c) => this.isFile(c));
  }

  isFile(file: string): boolean {
    try {
      return statSync(join(this.repo, file)).isFile();
    } catch {
      return false;
    }
  }

  exists(file: string): boolean {
    return existsSync(join(this.repo, file));
  }
}

const RE_SPECIFIER = /(?:^|[;\s}])(?:import|export)\s[^'"`;]*?from\s*["']([^"']+)["']|(?:^|[;\s])import\s*["']([^"']+)["']/g;

/** Module specifiers of a source text, by a text scan (the file is hashed, not parsed). */
export function scanSpecifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.replace(/\/\*[\s\S]*?\*\//g, "").matchAll(RE_SPECIFIER)) out.push((m[1] ?? m[2])!);
  return out;
}
