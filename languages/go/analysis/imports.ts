/**
 * A file's import names -> import paths.
 *
 * Known limitations: an unaliased import of a package outside the module is
 * named by its path (last element without a `/vN` suffix, `go-` prefix or
 * `.vN`/`.go` suffix), as `go list` is never run; a package whose clause
 * differs from that is missed unless imported with an alias. Dot imports are
 * recorded but their names are not resolved.
 */
import { dirOfImport, type GoMod } from "./go-mod.js";
import type { FileSummary } from "./summary-types.js";
import type { GoWorkspace } from "./workspace.js";

export interface ImportTable {
  /** Local name -> import path. */
  byName: Map<string, string>;
  /** Import paths imported with `.`. */
  dot: string[];
}

// Per workspace: a cached summary outlives a run, but package names of the module may change between runs.
const tablesByRun = new WeakMap<GoWorkspace, WeakMap<FileSummary, ImportTable>>();

export function importTable(summary: FileSummary, ws: GoWorkspace, mod: GoMod): ImportTable {
  let tables = tablesByRun.get(ws);
  if (!tables) {
    tables = new WeakMap();
    tablesByRun.set(ws, tables);
  }
  let t = tables.get(summary);
  if (t) return t;
  t = { byName: new Map(), dot: [] };
  for (const spec of summary.imports) {
    if (spec.alias === "_") continue;
    if (spec.alias === ".") {
      t.dot.push(spec.path);
      continue;
    }
    const dir = dirOfImport(mod, spec.path);
    const name = spec.alias ?? ((dir !== undefined ? ws.pkgName(dir) : "") || guessPkgName(spec.path));
    t.byName.set(name, spec.path);
  }
  tables.set(summary, t);
  return t;
}

export function guessPkgName(importPath: string): string {
  const parts = importPath.split("/");
  let last = parts.pop() ?? "";
  if (/^v\d+$/.test(last) && parts.length > 0) last = parts.pop() ?? last;
  return last
    .replace(/^go-/, "")
    .replace(/\.v\d+$/, "")
    .replace(/[.-]go$/, "")
    .replace(/[^\p{L}\p{N}_]/gu, "_");
}
