/**
 * The files of the user's crate that the generated crate copies: every `.rs`
 * file in the folder of the crate root (recursively), plus Cargo.toml and
 * Cargo.lock. They are the analysis's build inputs (hashed, not parsed),
 * with the path dependencies and include targets (localInputs).
 */
import { readFileSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import {
  hashFiles as kitHashFiles,
  hashTree,
  type InputFile,
  insideRepo,
  listTree,
  mergeInputs,
} from "../../../src/languages/kit/input-files.js";

const SKIP = new Set(["target", ".git", "node_modules"]);

/** Repo-relative paths of the `.rs` files under the crate root's folder, sorted. */
export function crateSourceFiles(repo: string, rootFile: string): string[] {
  return listTree(
    repo,
    posix.dirname(rootFile),
    (name) => name.endsWith(".rs"),
    (name) => SKIP.has(name) || name.startsWith("."),
  );
}

/** The files that exist among `files`, hashed (Cargo.lock may be absent). */
export const hashFiles = kitHashFiles;

/**
 * Repo-relative folders of the path dependencies inside the repository, of
 * the crate and (transitively) of those dependencies: cargo builds them
 * from there, build scripts included. Path dependencies outside the
 * repository are not inputs: dcm's build sandbox hides them and the build
 * fails naming them.
 */
export function pathDependencyDirs(repo: string, crateDir: string): string[] {
  const found = new Set<string>();
  const visit = (dir: string) => {
    let text: string;
    try {
      text = readFileSync(join(repo, dir, "Cargo.toml"), "utf8");
    } catch {
      return;
    }
    let section = "";
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.replace(/#.*$/, "");
      const s = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?/.exec(line);
      if (s) {
        section = s[1]!.replace(/["'\s]/g, "");
        continue;
      }
      // [lib] / [[bin]] paths are the crate's own files; [package] has none that matter here.
      if (/^(lib|bin|test|example|bench|package)$/.test(section)) continue;
      for (const m of line.matchAll(/\bpath\s*=\s*"([^"]+)"/g)) {
        const rel = insideRepo(repo, resolve(join(repo, dir), m[1]!));
        if (rel === undefined || found.has(rel)) continue;
        found.add(rel);
        visit(rel);
      }
    }
  };
  visit(crateDir);
  found.delete(crateDir);
  return [...found].sort();
}

const INCLUDE =
  /\binclude(?:_str|_bytes)?!\s*\(\s*(concat!\s*\(\s*env!\s*\(\s*"CARGO_MANIFEST_DIR"\s*\)\s*,\s*)?(?:r#*)?"([^"]+)"/g;

/** Repo-relative files that `include_str!` / `include_bytes!` / `include!` of the given `.rs` files name inside the repository. */
export function includeTargets(repo: string, crateDir: string, rsFiles: string[]): string[] {
  const out = new Set<string>();
  for (const file of rsFiles) {
    let text: string;
    try {
      text = readFileSync(join(repo, file), "utf8");
    } catch {
      continue;
    }
    for (const m of text.matchAll(INCLUDE)) {
      const base = m[1] ? join(repo, crateDir) : dirname(join(repo, file));
      const rel = insideRepo(repo, resolve(base, m[1] ? m[2]!.replace(/^\//, "") : m[2]!));
      if (rel !== undefined) out.add(rel);
    }
  }
  return [...out].sort();
}

/** The inputs a crate's build reads besides its own sources: path dependencies (every file) and include targets. */
export function localInputs(repo: string, crateDir: string, rsFiles: string[]): InputFile[] {
  return mergeInputs(
    ...pathDependencyDirs(repo, crateDir).map((d) => hashTree(repo, d)),
    kitHashFiles(repo, includeTargets(repo, crateDir, rsFiles)),
  );
}
