/**
 * Hashing of build inputs, shared by the adapters: a file, every file of a
 * folder (a Go `replace` target, a Rust path dependency), and the merge of
 * such lists into AnalysisResult.inputs, which feeds both the dist's build
 * key and every module's content key. Whatever the compile step can read
 * that changes its output must be listed, or an edit leaves a stale module
 * in the cache ("from cache" with the old code).
 *
 * Known limitation: a folder is listed up to MAX_TREE_FILES files (dcm's
 * build sandbox still shows the compiler the whole repository).
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, posix, relative, resolve } from "node:path";

export interface InputFile {
  /** Repo-relative, `/`-separated. */
  file: string;
  sha256: string;
}

/** Folders never inputs: version control, build outputs, package stores. */
const SKIP_DIRS = new Set([".git", ".hg", ".svn", "target", "node_modules", ".dcm"]);
export const MAX_TREE_FILES = 20_000;

export function sha256File(abs: string): string | undefined {
  try {
    return createHash("sha256").update(readFileSync(abs)).digest("hex");
  } catch {
    return undefined;
  }
}

/** The repo-relative form of an absolute path, or undefined when it lies outside the repository. */
export function insideRepo(repo: string, abs: string): string | undefined {
  const rel = relative(resolve(repo), resolve(abs));
  if (rel.startsWith("..") || isAbsolute(rel)) return undefined;
  return rel.split("\\").join("/");
}

/** The files that exist among repo-relative `files`, hashed. */
export function hashFiles(repo: string, files: Iterable<string>): InputFile[] {
  const out: InputFile[] = [];
  for (const file of files) {
    const sha256 = sha256File(join(repo, file));
    if (sha256) out.push({ file, sha256 });
  }
  return out;
}

/**
 * Repo-relative paths of the files under a repo-relative folder ("" = the
 * root) that `keep` accepts, sorted; folders that `skipDir` names (default:
 * version control, build output, node_modules) are not entered. At most
 * MAX_TREE_FILES files.
 */
export function listTree(
  repo: string,
  dir: string,
  keep: (name: string) => boolean = () => true,
  skipDir: (name: string) => boolean = (name) => SKIP_DIRS.has(name),
): string[] {
  const files: string[] = [];
  const walk = (rel: string) => {
    if (files.length >= MAX_TREE_FILES) return;
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(join(repo, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = rel === "" ? e.name : posix.join(rel, e.name);
      if (e.isDirectory()) {
        if (!skipDir(e.name)) walk(p);
      } else if (e.isFile() && keep(e.name) && files.length < MAX_TREE_FILES) files.push(p);
    }
  };
  walk(dir === "." ? "" : dir);
  return files.sort();
}

/** Every file under a repo-relative folder ("" = the root), hashed, sorted. */
export function hashTree(repo: string, dir: string): InputFile[] {
  return hashFiles(repo, listTree(repo, dir));
}

/** The union of input lists, one entry per file, in the order files first appear (deterministic lists stay so). */
export function mergeInputs(...lists: InputFile[][]): InputFile[] {
  const byFile = new Map<string, InputFile>();
  for (const list of lists) for (const i of list) if (!byFile.has(i.file)) byFile.set(i.file, i);
  return [...byFile.values()];
}
