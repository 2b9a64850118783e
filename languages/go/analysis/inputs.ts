/**
 * The build's inputs: every non-test .go file of the fragment packages and of
 * the in-module packages they import transitively, plus go.mod and go.sum.
 * Imports are read with a regex over the import block: these files are
 * hashed, never parsed.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
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
  return [...files].sort().map((file) => ({ file, sha256: ws.sha256(file) }));
}
