/**
 * The build's inputs: the fragment files and every repository file they
 * reach through relative imports (found by a text scan, not parsed), plus the
 * package.json / tsconfig.json files esbuild consults for them (the folders
 * of those files up to the repository root) and package-lock.json.
 *
 * Known limitation: the contents of node_modules packages a fragment bundles
 * are not inputs of the analysis (the module's content key covers them: it
 * hashes every file esbuild read).
 */
import { posix } from "node:path";
import { scanSpecifiers, type TsWorkspace } from "./workspace.js";

const CONFIG_FILES = ["package.json", "tsconfig.json", "package-lock.json"];

/** Repo-relative files reachable from `file` through relative imports (sorted, `file` included). */
export function reachableFiles(ws: TsWorkspace, file: string): string[] {
  const seen = new Set<string>();
  const queue = [file];
  while (queue.length > 0) {
    const f = queue.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    let text: string;
    try {
      text = ws.read(f);
    } catch {
      continue;
    }
    for (const spec of scanSpecifiers(text)) {
      const target = ws.resolve(f, spec);
      if (target && !seen.has(target)) queue.push(target);
    }
  }
  return [...seen].sort();
}

export function collectInputs(ws: TsWorkspace, roots: string[]): Array<{ file: string; sha256: string }> {
  const files = new Set<string>();
  for (const r of new Set(roots)) for (const f of reachableFiles(ws, r)) if (ws.isFile(f)) files.add(f);
  const dirs = new Set<string>();
  for (const f of files) {
    for (let d = posix.dirname(f); ; d = posix.dirname(d)) {
      dirs.add(d);
      if (d === "." || d === "/" || d === "") break;
    }
  }
  for (const d of dirs) {
    for (const name of CONFIG_FILES) {
      const f = d === "." ? name : `${d}/${name}`;
      if (ws.isFile(f)) files.add(f);
    }
  }
  return [...files].sort().map((file) => ({ file, sha256: ws.sha256(file) }));
}
