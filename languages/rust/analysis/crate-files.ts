/**
 * The files of the user's crate that the generated crate copies: every `.rs`
 * file in the folder of the crate root (recursively), plus Cargo.toml and
 * Cargo.lock. They are the analysis's build inputs (hashed, not parsed).
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";

const SKIP = new Set(["target", ".git", "node_modules"]);

/** Repo-relative paths of the `.rs` files under the crate root's folder, sorted. */
export function crateSourceFiles(repo: string, rootFile: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(join(repo, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = rel === "" ? e.name : posix.join(rel, e.name);
      if (e.isDirectory()) {
        if (!SKIP.has(e.name) && !e.name.startsWith(".")) walk(p);
      } else if (e.isFile() && e.name.endsWith(".rs")) out.push(p);
    }
  };
  const dir = posix.dirname(rootFile);
  walk(dir === "." ? "" : dir);
  return out.sort();
}

export function hashFiles(repo: string, files: string[]): Array<{ file: string; sha256: string }> {
  const out: Array<{ file: string; sha256: string }> = [];
  for (const file of files) {
    try {
      out.push({ file, sha256: createHash("sha256").update(readFileSync(join(repo, file))).digest("hex") });
    } catch {
      // absent (Cargo.lock)
    }
  }
  return out;
}
