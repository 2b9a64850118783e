/**
 * Closure extraction for one generated module: the closure of its fragments
 * (languages/go/analysis/closure.ts) as pruned copies of the user's files
 * (prune-source.ts), which generate-go.ts lays over the user's packages with
 * `go build -overlay`. The user's packages and import paths stay as they are;
 * only what the fragments reach is compiled, so a file of a fragment's
 * package that does not build for a target (or imports a module that does
 * not) no longer breaks the build, and modules get smaller.
 *
 * `DCM_GO_EXTRACT=0` turns extraction off: whole packages are compiled, as
 * before (the benchmarks' baseline, and an escape hatch).
 */
import { join } from "node:path";
import type { AnalysisResult, AnalyzedFragment } from "../../../src/languages/adapter-types.js";
import { findDecl, moduleClosure } from "../analysis/closure.js";
import { dirOf, dirOfImport, GoModFinder } from "../analysis/go-mod.js";
import { TypeMapper } from "../analysis/map-types.js";
import { type Found, GoWorkspace } from "../analysis/workspace.js";
import type { GoAnalysisDetail } from "../go-types.js";
import { compareStrings } from "./naming.js";
import { PackageNames } from "./package-names.js";
import { pruneGoFile } from "./prune-source.js";

export interface Extraction {
  /**
   * Repo-relative file -> its pruned text, or "" when nothing of it is kept
   * (left out of the build). Files kept whole (whole packages, unchanged
   * files) are absent: they compile as they are.
   */
  files: Map<string, string>;
  /** How much was kept, for `dcm build --verbose` and the benchmarks. */
  stats: { packages: number; filesKept: number; filesDropped: number; decls: number };
}

export function extractionEnabled(): boolean {
  return process.env.DCM_GO_EXTRACT !== "0";
}

export interface ExtractRequest {
  repo: string;
  analysis: AnalysisResult;
  fragments: AnalyzedFragment[];
  /** Named types the generated code refers to (aliases, codecs): roots too. */
  types: Array<{ file: string; name: string }>;
  /** Package vars the state accessors reach (issue 12): roots too. */
  vars?: Array<{ file: string; name: string }>;
  /** GOMODCACHE, to read the package names of third-party imports. */
  gomodcache?: string;
}

// Both targets of a build extract the same closure: computed once per analysis and fragment set.
const memo = new WeakMap<AnalysisResult, Map<string, Extraction | undefined>>();

/** The pruned files of the module; undefined when a fragment's declaration cannot be found again (whole packages then). */
export function extractClosure(req: ExtractRequest): Extraction | undefined {
  let byKey = memo.get(req.analysis);
  if (!byKey) {
    byKey = new Map();
    memo.set(req.analysis, byKey);
  }
  const key = JSON.stringify([
    req.repo,
    req.fragments.map((f) => [f.file, f.symbol, f.line]),
    req.types,
    req.vars ?? [],
    req.gomodcache ?? "",
  ]);
  if (byKey.has(key)) return byKey.get(key);
  const out = compute(req);
  byKey.set(key, out);
  return out;
}

function compute(req: ExtractRequest): Extraction | undefined {
  const detail = req.analysis.detail as GoAnalysisDetail;
  const ws = new GoWorkspace(req.repo);
  const mods = new GoModFinder(req.repo);
  const mapper = new TypeMapper(ws, mods);
  const roots: Found[] = [];
  for (const f of req.fragments) {
    const found = findDecl(ws, f.file, f.symbol, f.line);
    if (!found) return undefined;
    roots.push(found);
  }
  for (const t of req.types) {
    for (const f of ws.findAllTopLevel(dirOf(t.file), t.name)) if (f.decl.kind === "type") roots.push(f);
  }
  for (const v of req.vars ?? []) {
    for (const f of ws.findAllTopLevel(dirOf(v.file), v.name)) if (f.decl.kind === "variable") roots.push(f);
  }
  const closure = moduleClosure(ws, mapper, roots);
  const names = new PackageNames(join(req.repo, detail.module.dir), req.gomodcache);

  const files = new Map<string, string>();
  const stats = { packages: 0, filesKept: 0, filesDropped: 0, decls: closure.declCount };
  for (const p of [...closure.packages.values()].sort((a, b) => compareStrings(a.dir, b.dir))) {
    stats.packages++;
    if (p.whole) {
      stats.filesKept += ws.packageFiles(p.dir).length;
      continue;
    }
    const mod = mods.forDir(p.dir);
    const keptNames = new Set<string>();
    for (const decls of p.files.values()) for (const d of decls) keptNames.add(d.name);
    const declared = new Set(ws.declaredNames(p.dir));
    for (const file of ws.packageFiles(p.dir)) {
      const decls = p.files.get(file);
      if (!decls) {
        files.set(file, "");
        stats.filesDropped++;
        continue;
      }
      stats.filesKept++;
      if (p.wholeFiles.has(file)) continue;
      const text = pruneGoFile({
        text: ws.read(file),
        tree: ws.tree(file),
        kept: new Set(decls.map((d) => d.start)),
        keptNames,
        packageName: (path) => {
          const dir = mod && dirOfImport(mod, path);
          return dir !== undefined ? ws.pkgName(dir) || undefined : names.nameOf(path);
        },
        isPackageLevel: (name) => declared.has(name),
      });
      // An unchanged file needs no copy.
      if (text !== ws.read(file)) files.set(file, text);
    }
  }
  return { files, stats };
}
