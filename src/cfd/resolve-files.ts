/**
 * Maps each fragment's `location.filepath` to one file of the repository.
 * A filepath is a path suffix on whole segments, so a CFD written for a
 * checkout at one depth keeps working when the code moves under `pkg/`.
 */
import { type Dirent, readdirSync } from "node:fs";
import { editDistance } from "../core/did-you-mean.js";
import { dcmError, diag } from "../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../runtime/diagnostics/diagnostic-types.js";
import type { Cfd } from "./cfd-types.js";

export interface ResolveResult {
  /** Fragment id → repo-relative posix path. Only fragments whose file was found unambiguously. */
  resolved: Map<string, string>;
  diagnostics: Diagnostic[];
}

// `target` is Cargo's build output and `dist` dcm's own default --out: both may hold copies of sources.
const SKIP_DIRS = new Set([".git", "node_modules", "vendor", "testdata", "target", "dist"]);
const MAX_LISTED = 5;

/** `./a/b.go`, `/a/b.go`, `a\b.go` and `a//b.go` all mean `a/b.go`. */
export function normaliseFilepath(filepath: string): string {
  return filepath
    .trim()
    .replace(/\\/g, "/")
    .split("/")
    .filter((seg) => seg !== "" && seg !== ".")
    .join("/");
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Last `n` segments of a path. */
function suffix(path: string, n: number): string {
  const segs = path.split("/");
  return segs.slice(Math.max(0, segs.length - n)).join("/");
}

/** Repo files indexed by basename: suffix matching then only looks at same-named files. */
class FileIndex {
  private readonly byBase = new Map<string, string[]>();
  constructor(readonly files: string[]) {
    for (const f of files) {
      const b = basename(f);
      const list = this.byBase.get(b);
      if (list) list.push(f);
      else this.byBase.set(b, [f]);
    }
  }

  sameBase(path: string): string[] {
    return this.byBase.get(basename(path)) ?? [];
  }

  /**
   * Files the (normalised) filepath matches. An exact repo-relative path wins
   * over longer paths ending with it, otherwise a root-level `a/b.go` could
   * never be told apart from `x/a/b.go`.
   */
  match(fp: string): string[] {
    const same = this.sameBase(fp);
    if (same.includes(fp)) return [fp];
    return same.filter((f) => f.endsWith(`/${fp}`));
  }

  /** Shortest suffix of `file` that resolves to it alone. */
  shortestUnique(file: string): string {
    const n = file.split("/").length;
    for (let k = 1; k <= n; k++) {
      const s = suffix(file, k);
      const m = this.match(s);
      if (m.length === 1 && m[0] === file) return s;
    }
    return file;
  }
}

export function resolveFragmentFiles(cfd: Cfd, repoFiles: string[]): ResolveResult {
  const index = new FileIndex(repoFiles.map(normaliseFilepath));
  const resolved = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  for (const f of cfd.fragments) {
    const fp = normaliseFilepath(f.location.filepath);
    const pos = f.positions["location.filepath"] ?? f.positions.location ?? f.positions.fragment;
    const matches = fp === "" ? [] : index.match(fp);
    if (matches.length === 1) {
      resolved.set(f.id, matches[0]!);
      continue;
    }
    if (matches.length === 0) {
      const near = nearestFiles(index, fp);
      const suggestion = near.length
        ? `did you mean ${near.map((p) => `\`${p}\``).join(" or ")}?`
        : "give the path of the source file relative to the repository root (or any ending of it on whole folders)";
      diagnostics.push(
        diag(
          "DCM_CFD_FILE_NOT_FOUND",
          `fragment ${f.id}: no file in the repository matches \`location.filepath: ${f.location.filepath}\``,
          {
            pos,
            suggestion,
            fragment: f.id,
          },
        ),
      );
      continue;
    }
    const sorted = [...matches].sort((a, b) => a.length - b.length || a.localeCompare(b));
    const shown = sorted.slice(0, MAX_LISTED);
    const more = sorted.length > shown.length ? ` and ${sorted.length - shown.length} more` : "";
    const options = shown.map((m) => `\`${index.shortestUnique(m)}\``);
    diagnostics.push(
      diag(
        "DCM_CFD_FILE_AMBIGUOUS",
        `fragment ${f.id}: \`location.filepath: ${f.location.filepath}\` matches ${matches.length} files: ${shown.join(", ")}${more}`,
        { pos, suggestion: `write a longer path to pick one: ${options.join(" or ")}`, fragment: f.id },
      ),
    );
  }
  return { resolved, diagnostics };
}

/** Files with the same name first (the folder is wrong); else paths within a few typos. */
function nearestFiles(index: FileIndex, fp: string): string[] {
  if (fp === "") return [];
  const same = index.sameBase(fp);
  if (same.length) return [...same].sort((a, b) => a.length - b.length || a.localeCompare(b)).slice(0, 3);
  const n = fp.split("/").length;
  const limit = Math.max(2, Math.floor(fp.length / 3));
  const scored: Array<[string, number]> = [];
  for (const f of index.files) {
    // Compare like with like: the file's ending of as many segments as the filepath has.
    const d = editDistance(fp, suffix(f, n));
    if (d <= limit) scored.push([f, d]);
  }
  return scored
    .sort((x, y) => x[1] - y[1] || x[0].length - y[0].length || x[0].localeCompare(y[0]))
    .slice(0, 3)
    .map(([f]) => f);
}

/**
 * Repo-relative posix paths of the files with one of the extensions (`.rs` or
 * `rs`; none given = every file). Skips dependency, build-output, VCS and
 * Go-ignored folders (`.x`, `_x`, `testdata`, `vendor`, `node_modules`,
 * Cargo's `target`, `dist`) and symlinks, which could loop.
 */
export async function listRepoFiles(repo: string, extensions: string[]): Promise<string[]> {
  const exts = extensions.map((e) => (e.startsWith(".") ? e : `.${e}`));
  const wanted = (name: string) => exts.length === 0 || exts.some((e) => name.endsWith(e));
  const out: string[] = [];
  // Synchronous readdir: for thousands of small folders it is several times
  // faster than the promise API, whose per-call thread-pool hop dominates.
  const walk = (abs: string, rel: string, isRoot: boolean): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (e) {
      if (isRoot)
        throw dcmError(
          "DCM_REPO_NOT_FOUND",
          `cannot read the repository folder ${repo} (${(e as NodeJS.ErrnoException).code ?? e})`,
        );
      return; // an unreadable subfolder holds nothing we can build
    }
    for (const ent of entries) {
      const name = ent.name;
      if (ent.isDirectory()) {
        if (SKIP_DIRS.has(name) || name.startsWith(".") || name.startsWith("_")) continue;
        walk(`${abs}/${name}`, rel ? `${rel}/${name}` : name, false);
      } else if (ent.isFile() && wanted(name)) {
        out.push(rel ? `${rel}/${name}` : name);
      }
    }
  };
  walk(repo.replace(/[\\/]+$/, "") || "/", "", true);
  return out.sort();
}
