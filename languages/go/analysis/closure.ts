/**
 * The module-wide closure of a module's fragments: every declaration of the
 * Go module that their code reaches. languages/go/generate compiles these
 * declarations (pruned copies of the user's files) instead of whole packages,
 * so unrelated code of a fragment's package can never break the build.
 *
 * Over-approximation is safe (more code compiles), under-approximation breaks
 * the build, so the closure keeps more than the references alone:
 *  - roots: every fragment of the module, callable or not, plus what the
 *    caller adds (types the generated code names);
 *  - references, walked by deps.ts's ReferenceWalker, reach every declaration
 *    of a name in its package (one per build variant: `x_linux.go` and
 *    `x_wasip1.go` both keep their `x`);
 *  - a kept type keeps all its methods (interface satisfaction and fmt's
 *    `String()`/`Error()` must not change), and a kept method its type;
 *  - a const group is kept whole (iota, implicit repetition), a var spec with
 *    several names whole;
 *  - `init()` functions that refer to a kept package-level variable of their
 *    package are kept;
 *  - a file with a dot import or `import "C"` is kept whole once anything in
 *    it is kept, and a dot-imported package of the module whole; a package
 *    with non-Go sources (assembly, C) is kept whole.
 *
 * Known limitations:
 *  - no type checker: method calls are covered by the "all methods of a kept
 *    type" rule (any value's type is named by some kept declaration), not by
 *    resolving `x.M()`;
 *  - names are found through the workspace's text index, so a declaration
 *    that does not start a line is not found; languages/go/toolchain/
 *    compile-go.ts falls back to whole packages when such a gap breaks the
 *    build;
 *  - only `init` functions of the variable's own package are considered;
 *  - dot imports and cgo are handled by keeping more, not by resolving them:
 *    a file with a dot import or `import "C"` is kept whole (all its
 *    declarations and what they reach), a dot-imported package of the
 *    module whole, a package with assembly or C sources whole. Such a file
 *    can still pull in a module that does not build for the target.
 */
import { readdirSync } from "node:fs";
import { extname, join } from "node:path";
import { ReferenceWalker } from "./deps.js";
import { dirOfImport } from "./go-mod.js";
import type { FileCtx, TypeMapper } from "./map-types.js";
import type { Decl } from "./summary-types.js";
import type { Found, GoWorkspace } from "./workspace.js";

export interface ClosurePackage {
  /** Repo-relative directory. */
  dir: string;
  /** Compile every file of the package as it is (non-Go sources, or dot-imported). */
  whole: boolean;
  /** Repo-relative file -> its kept declarations, in source order. */
  files: Map<string, Decl[]>;
  /** Files kept whole (a dot import or cgo). */
  wholeFiles: Set<string>;
}

export interface GoClosure {
  /** Repo-relative package directory -> what is kept of it (only packages with something kept). */
  packages: Map<string, ClosurePackage>;
  /** Number of declarations kept. */
  declCount: number;
}

/** Files whose presence makes Go compile a package with tools that see every Go declaration. */
const NON_GO_SOURCES = new Set([
  ".s",
  ".S",
  ".sx",
  ".c",
  ".cc",
  ".cxx",
  ".cpp",
  ".m",
  ".h",
  ".hh",
  ".hpp",
  ".hxx",
  ".f",
  ".F",
  ".for",
  ".f90",
  ".swig",
  ".swigcxx",
]);

/** The declaration of a fragment: by symbol, on its line when several declare it (build variants). */
export function findDecl(ws: GoWorkspace, file: string, symbol: string, line?: number): Found | undefined {
  let summary: Found["summary"];
  try {
    summary = ws.summary(file);
  } catch {
    return undefined;
  }
  const all = summary.decls.filter((d) => d.symbol === symbol);
  const decl = all.find((d) => line === undefined || d.line === line) ?? all[0];
  return decl && { decl, file, summary };
}

export function moduleClosure(ws: GoWorkspace, mapper: TypeMapper, roots: Found[]): GoClosure {
  const packages = new Map<string, ClosurePackage>();
  const kept = new Set<string>();
  const nonGo = new Map<string, boolean>();
  const keyOf = (f: Found) => `${f.file}#${f.decl.start}#${f.decl.name}#${f.decl.kind}`;

  const walker: ReferenceWalker = new ReferenceWalker(
    ws,
    mapper,
    { reached: (f, ctx) => keep(f, ctx) },
    { allVariants: true },
  );

  const keepFound = (f: Found) => {
    const ctx = mapper.ctxFor(f.file, f.summary);
    if (ctx) keep(f, ctx);
  };

  const keepPackage = (dir: string) => {
    const p = pkg(dir);
    if (p.whole && p.files.size > 0) return;
    p.whole = true;
    for (const file of ws.packageFiles(dir)) {
      const summary = ws.summary(file);
      for (const decl of summary.decls) keepFound({ decl, file, summary });
    }
  };

  const pkg = (dir: string): ClosurePackage => {
    let p = packages.get(dir);
    if (!p) {
      p = { dir, whole: false, files: new Map(), wholeFiles: new Set() };
      packages.set(dir, p);
      if (hasNonGoSources(ws.repo, dir, nonGo)) keepPackage(dir);
    }
    return p;
  };

  const firstInFile = (file: string, ctx: FileCtx, p: ClosurePackage) => {
    const imports = ctx.summary.imports;
    const dots = imports.filter((i) => i.alias === ".");
    if (dots.length === 0 && !imports.some((i) => i.path === "C")) return;
    p.wholeFiles.add(file);
    for (const decl of ctx.summary.decls) keepFound({ decl, file, summary: ctx.summary });
    for (const d of dots) {
      const dir = dirOfImport(ctx.mod, d.path);
      if (dir !== undefined) keepPackage(dir);
    }
  };

  function keep(found: Found, ctx: FileCtx): void {
    const key = keyOf(found);
    if (kept.has(key)) return;
    kept.add(key);
    const p = pkg(ctx.dir);
    let list = p.files.get(found.file);
    if (!list) {
      list = [];
      p.files.set(found.file, list);
      firstInFile(found.file, ctx, p);
    }
    list.push(found.decl);
    walker.follow(found, ctx);
    const { decl, file, summary } = found;
    switch (decl.kind) {
      case "type":
        for (const m of ws.methodsOf(ctx.dir, decl.name)) keepFound(m);
        break;
      case "method":
        for (const t of ws.findAllTopLevel(ctx.dir, decl.recv?.typeName ?? ""))
          if (t.decl.kind === "type") keepFound(t);
        break;
      case "const":
        for (const start of constGroupStarts(ws, found)) {
          for (const c of summary.decls)
            if (c.kind === "const" && c.start === start) keepFound({ decl: c, file, summary });
        }
        break;
      case "variable":
        for (const v of summary.decls)
          if (v.kind === "variable" && v.start === decl.start) keepFound({ decl: v, file, summary });
        break;
    }
  }

  for (const r of roots) keepFound(r);
  walker.run();

  // init() functions that touch a kept variable; what they reach joins the closure, so repeat until stable.
  for (;;) {
    let added = false;
    for (const p of [...packages.values()]) {
      const vars = new Set<string>();
      for (const decls of p.files.values()) for (const d of decls) if (d.kind === "variable") vars.add(d.name);
      if (vars.size === 0) continue;
      for (const init of ws.findAllTopLevel(p.dir, "init")) {
        if (init.decl.kind !== "function" || kept.has(keyOf(init))) continue;
        if (ws.refs(init).idents.some((n) => vars.has(n))) {
          keepFound(init);
          added = true;
        }
      }
    }
    if (!added) break;
    walker.run();
  }

  for (const p of packages.values()) for (const decls of p.files.values()) decls.sort((a, b) => a.start - b.start);
  return { packages, declCount: kept.size };
}

/** Start offsets of every const spec in the group of a const declaration. */
function constGroupStarts(ws: GoWorkspace, found: Found): number[] {
  const tree = ws.tree(found.file);
  let node = tree.rootNode.descendantForIndex(found.decl.start, found.decl.end);
  while (node && node.type !== "const_declaration") node = node.parent!;
  if (!node) return [found.decl.start];
  return node.namedChildren.filter((c) => c.type === "const_spec").map((c) => c.startIndex);
}

function hasNonGoSources(repo: string, dir: string, memo: Map<string, boolean>): boolean {
  let v = memo.get(dir);
  if (v === undefined) {
    try {
      v = readdirSync(join(repo, dir), { withFileTypes: true }).some(
        (e) => e.isFile() && NON_GO_SOURCES.has(extname(e.name)),
      );
    } catch {
      v = false;
    }
    memo.set(dir, v);
  }
  return v;
}
