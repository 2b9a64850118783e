
import { existsSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { type FileSummary, summarize } from "./summarize.js";
import type { ParseCache } from "../../../src/languages/adapter-types.js";
import { RepoFiles } from "../../../src/languages/kit/analysis-kit.js";

/** Extensions tried for an extension-less relative specifier, in esbuild's order for TS sources. */
const TRY_EXT = [".ts", ".mts", ".js", ".mjs"];
/** `./x.js` in TypeScript ESM source names `./x.ts`. */
const JS_TO_TS: Record<string, string[]> = { ".js": [".ts"], ".mjs": [".mts"] };

export class TsWorkspace extends RepoFiles<FileSummary> {
  touched = new Set<string>();

  constructor(repo: string, cache?: ParseCache) {
    super(repo, "ts", (_file, text) => summarize(text), cache);
  }

  read(file: string): string {
    return this.text(file);
  }

  /** The parsed summary of a repo-relative file (throws when it cannot be read). */
  override summary(file: string): FileSummary {
    this.touched.add(file);
    return super.summary(file);
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
