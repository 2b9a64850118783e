/**
 * The build's inputs: every non-test .go file of the fragment packages and of
 * the in-module packages they import transitively, plus go.mod and go.sum.
 * Imports are read with a regex over the import block: these files are
 * hashed, never parsed. The folders that `replace` directives (of those
 * go.mod files and of the repository's go.work) point at inside the
 * repository are inputs too, every file of them: `go build` reads them.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { hashTree, insideRepo, mergeInputs } from "../../../src/languages/kit/input-files.js";
import { dirOfImport, type GoMod, type GoModFinder } from "./go-mod.js";
import type { GoWorkspace } from "./workspace.js";

const RE_IMPORT_BLOCK = /^import\s*\(([\s\S]*?)^\s*\)/gm;
const RE_IMPORT_LINE = /^import\s+(?:[\p{L}_.][\p{L}\p{N}_]*\s+)?["`]([^"`]+)["`]/gmu;
const RE_QUOTED = /["`]([^"`]+)["`]/g;

/** Import paths of a Go source text, comments inside the import block stripped. */
export function scanImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(RE_IMPORT_LINE)) out.push(m[1]!);
  for (const block of text.matchAll(RE_IMPORT_BLOCK)) {
    const body = block[1]!.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    for (const m of body.matchAll(RE_QUOTED)) out.push(m[1]!);
  }
  return out;
}

export function collectInputs(
  ws: GoWorkspace,
  mods: GoModFinder,
  packageDirs: Iterable<string>,
): Array<{ file: string; sha256: string }> {
  const files = new Set<string>();
  const modules = new Map<string, GoMod>();
  const seen = new Set<string>();
  const queue = [...packageDirs];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    const mod = mods.forDir(dir);
    if (!mod) continue;
    modules.set(mod.dir, mod);
    for (const file of ws.packageFiles(dir)) {
      files.add(file);
      for (const path of scanImports(ws.read(file))) {
        const target = dirOfImport(mod, path);
        if (target !== undefined && !seen.has(target)) queue.push(target);
      }
    }
  }
  for (const mod of modules.values()) {
    for (const name of ["go.mod", "go.sum"]) {
      const file = mod.dir === "" ? name : `${mod.dir}/${name}`;
      if (existsSync(join(ws.repo, file))) files.add(file);
    }
  }
  const own = [...files].sort().map((file) => ({ file, sha256: ws.sha256(file) }));
  const modFiles = [...modules.values()].map((m) => join(ws.repo, m.dir, "go.mod"));
  const replaced = localReplaceDirs([...modFiles, join(ws.repo, "go.work")], ws.repo);
  return mergeInputs(own, ...replaced.map((dir) => hashTree(ws.repo, dir)));
}

/** Repo-relative folders that `replace … => ./local/path` directives of these go.mod / go.work files name inside the repository. */
export function localReplaceDirs(files: string[], repo: string): string[] {
  const out = new Set<string>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const m of text.replace(/\/\/.*$/gm, "").matchAll(/=>\s*("[^"]+"|`[^`]+`|\S+)/g)) {
      const target = m[1]!.replace(/^["`]|["`]$/g, "");
      if (!/^(\.{1,2}(\/|$)|\/)/.test(target)) continue; // a module path, not a folder
      const rel = insideRepo(repo, resolve(dirname(file), target));
      if (rel !== undefined) out.add(rel);
    }
  }
  return [...out].sort();
}
