/** Small helpers every adapter's analysis uses: CFD positions for diagnostics and repository probes. */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { CfdFragment } from "../../cfd/cfd-types.js";
import type { Diagnostic, SourcePos } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { ParseCache } from "../adapter-types.js";

/** The CFD position of the first of `keys` the fragment has (e.g. `name`, `location.filepath`), else the fragment's own. */
export function cfdPos(frag: Pick<CfdFragment, "positions">, ...keys: string[]): SourcePos {
  for (const k of keys) {
    const p = frag.positions[k];
    if (p) return p;
  }
  return frag.positions.fragment;
}

/**
 * The diagnostics of one analysis, each reported once: several fragments
 * reaching the same broken file or type would otherwise repeat the same
 * error (same code, fragment, place and message).
 */
export function diagnosticSink(): { diagnostics: Diagnostic[]; emit: (d: Diagnostic) => void } {
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const emit = (d: Diagnostic) => {
    const key = `${d.code}|${d.fragment}|${d.pos?.file}:${d.pos?.line}|${d.message}`;
    if (!seen.has(key)) diagnostics.push(d);
    seen.add(key);
  };
  return { diagnostics, emit };
}

export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The files one analysis reads: each read once, parsed into a summary at most
 * once per content (also across analyses, through the build's shared parse
 * cache), and counted (benchmarks check that few files are parsed).
 */
export class RepoFiles<S> {
  filesParsed = 0;
  private readonly texts = new Map<string, string>();
  private readonly summaries = new Map<string, S>();

  constructor(
    readonly repo: string,
    /** Prefix of this language's keys in the shared cache. */
    private readonly cacheTag: string,
    private readonly summarize: (file: string, text: string) => S,
    private readonly cache?: ParseCache,
  ) {}

  /** The text of a repo-relative file; throws when it cannot be read. */
  text(file: string): string {
    let t = this.texts.get(file);
    if (t === undefined) {
      t = readFileSync(join(this.repo, file), "utf8");
      this.texts.set(file, t);
    }
    return t;
  }

  sha256(file: string): string {
    return createHash("sha256").update(this.text(file)).digest("hex");
  }

  /** The summary of a repo-relative file; throws when it cannot be read. */
  summary(file: string): S {
    const have = this.summaries.get(file);
    if (have) return have;
    const text = this.text(file);
    const key = `${this.cacheTag}:${file}:${createHash("sha256").update(text).digest("hex")}`;
    let s = this.cache?.get(key) as S | undefined;
    if (!s) {
      s = this.summarize(file, text);
      this.filesParsed++;
      this.cache?.set(key, s);
    }
    this.summaries.set(file, s);
    return s;
  }
}
