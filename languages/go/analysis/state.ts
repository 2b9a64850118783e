/**
 * Module-level state of Go fragments (issue 12, docs/state.md): the package
 * `var`s of the repository that code reachable from a fragment may change,
 * and, per fragment, the keys of those its closure reads or writes.
 *
 * A var is written where reachable code (a function, method or var
 * initializer of the module that some fragment's closure reaches, other
 * fragments included) has it at the root of:
 *   `x = …`, `x op= …`, `x, y = …`, `x++`/`x--`, `x[k] = …`, `x.f = …`,
 *   `*x = …`, `&x`, `delete(x, k)`, `clear(x)`, `copy(x, …)`,
 *   or calls on it a method of a module type declared with a pointer receiver.
 * `init()` functions are not reachable from fragments (both sides run them).
 *
 * Known limitations (languages/go/README.md, "State"):
 * - No type checker: a var changed only through an opaque method of a type
 *   outside the module (`sync.Map.Store`, `bytes.Buffer.Write`,
 *   `strings.Builder`) or through a pointer copied into a local
 *   (`p := &x.f; *p = 1` is seen, `p := x.ptr; p.f = 1` is not) is not
 *   found; `var mu sync.Mutex` only locked is, rightly, not state.
 * - A var with no written type is typed from its initializer: literals,
 *   composite literals, `&T{…}`, `make(T, …)`, `new(T)` and conversions to a
 *   basic or module type; anything else is refused with a hint to write the
 *   type.
 * - Snapshots are values: a pointer var is restored as a fresh value
 *   (aliasing with other vars is not kept), unexported struct fields and
 *   fields tagged `json:"-"` are not part of the record (refused, so that
 *   nothing is silently lost).
 */
import type { SourcePos } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { CrossingProblem } from "../../../src/languages/adapter-types.js";
import type { GoPackageRef, GoType } from "../go-types.js";
import { ReferenceWalker } from "./deps.js";
import { dirOfImport } from "./go-mod.js";
import { importTable } from "./imports.js";
import type { FileCtx, Problem, TypeMapper } from "./map-types.js";
import type { Found, GoWorkspace } from "./workspace.js";

/** StateVar.detail of a Go state var: what the generator needs to reach and encode it. */
export interface GoStateVarDetail {
  pkg: GoPackageRef;
  name: string;
  /** Absent when the var cannot be encoded. */
  goType?: GoType;
}

/** A state var before value-model types are known (record names are assigned last). */
export interface FoundStateVar {
  key: string;
  name: string;
  unit: string;
  pos: SourcePos;
  goType?: GoType;
  cannotEncode?: CrossingProblem;
  detail: GoStateVarDetail;
}

export interface StateAnalysis {
  /** Fragment id -> sorted state keys its closure touches (only fragments that touch some). */
  byFragment: Map<string, string[]>;
  vars: FoundStateVar[];
}

interface VarRef {
  found: Found;
  ctx: FileCtx;
}

const varKey = (ctx: FileCtx, name: string) => `${ctx.pkgPath}.${name}`;

/**
 * roots: the function and method fragments (their declarations). Every one
 * gets its closure walked; vars written anywhere in any closure are state.
 */
export function analyzeState(
  ws: GoWorkspace,
  mapper: TypeMapper,
  roots: Array<{ id: string; found: Found; ctx: FileCtx }>,
): StateAnalysis {
  const written = new Map<string, VarRef>();
  const reachedVars = new Map<string, Map<string, VarRef>>();
  const scanned = new Set<string>();
  const declKey = (f: Found) => `${f.file}#${f.decl.start}#${f.decl.name}`;

  for (const root of roots) {
    const vars = new Map<string, VarRef>();
    reachedVars.set(root.id, vars);
    const seen = new Set<string>([declKey(root.found)]);
    const visit = (found: Found, ctx: FileCtx) => {
      if (found.decl.kind === "variable") vars.set(varKey(ctx, found.decl.name), { found, ctx });
      if (found.decl.kind === "type" || found.decl.kind === "const") return;
      const k = declKey(found);
      if (!scanned.has(k)) {
        scanned.add(k);
        for (const w of writesOf(ws, mapper, found, ctx)) written.set(varKey(w.ctx, w.found.decl.name), w);
      }
    };
    const walker: ReferenceWalker = new ReferenceWalker(
      ws,
      mapper,
      {
        reached: (found, ctx) => {
          const k = declKey(found);
          if (seen.has(k)) return;
          seen.add(k);
          visit(found, ctx);
          walker.follow(found, ctx);
        },
      },
      { allVariants: true, guessMethods: true },
    );
    visit(root.found, root.ctx);
    walker.follow(root.found, root.ctx);
    walker.run();
  }

  const byFragment = new Map<string, string[]>();
  for (const [id, vars] of reachedVars) {
    const keys = [...vars.keys()].filter((k) => written.has(k)).sort();
    if (keys.length) byFragment.set(id, keys);
  }
  const used = new Set([...byFragment.values()].flat());
  const vars = [...written.entries()]
    .filter(([k]) => used.has(k))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([key, ref]) => describeVar(ws, mapper, key, ref));
  return { byFragment, vars };
}

/** The package vars of the module that one declaration writes (its Refs.writes, resolved). */
function writesOf(ws: GoWorkspace, mapper: TypeMapper, found: Found, ctx: FileCtx): VarRef[] {
  const refs = ws.refs(found);
  const imports = importTable(found.summary, ws, ctx.mod);
  const out: VarRef[] = [];
  const push = (dir: string | undefined, name: string) => {
    if (dir === undefined) return; // the standard library or a dependency: not the user's state
    const v = ws.findTopLevel(dir, name);
    const vctx = v?.decl.kind === "variable" ? mapper.ctxFor(v.file, v.summary) : undefined;
    if (v && vctx) out.push({ found: v, ctx: vctx });
  };
  for (const w of refs.writes) {
    if (w.pkg === undefined) {
      if (!imports.byName.has(w.name)) push(ctx.dir, w.name);
    } else if (imports.byName.has(w.pkg)) {
      push(dirOfImport(ctx.mod, imports.byName.get(w.pkg)!), w.name);
    } else {
      push(ctx.dir, w.pkg); // `v.f = …`: a field of package var v
    }
  }
  // `v.M(…)` on a package var whose module type has a pointer-receiver method M.
  for (const sel of refs.selectors) {
    if (!sel.call || sel.operand === undefined || sel.operandLocal || imports.byName.has(sel.operand)) continue;
    if (pointerMethodOfVar(ws, ctx, sel.operand, sel.name)) push(ctx.dir, sel.operand);
  }
  return out;
}

/**
 * `v.M(…)` with v a package var (of this package) whose declared type is a
 * module type with a pointer-receiver method M: the call may change v.
 */
function pointerMethodOfVar(ws: GoWorkspace, ctx: FileCtx, operand: string, method: string): boolean {
  const v = ws.findTopLevel(ctx.dir, operand);
  if (v?.decl.kind !== "variable") return false;
  const t = v.decl.type ?? v.decl.initType;
  const base = t?.k === "pointer" ? t.elem : t;
  if (base?.k !== "name") return false;
  return ws.findMethods(ctx.dir, method, base.name).some((m) => m.decl.recv?.pointer);
}

function describeVar(ws: GoWorkspace, mapper: TypeMapper, key: string, ref: VarRef): FoundStateVar {
  const { found, ctx } = ref;
  const { decl } = found;
  const pos: SourcePos = { file: found.file, line: decl.pos.line, col: decl.pos.col };
  const pkg: GoPackageRef = { pkgPath: ctx.pkgPath, pkgName: found.summary.pkgName, dir: ctx.dir };
  const base = { key, name: decl.name, unit: ctx.pkgPath, pos };
  const refuse = (what: string, suggestion?: string): FoundStateVar => ({
    ...base,
    cannotEncode: { what, pos, ...(suggestion ? { suggestion } : {}) },
    detail: { pkg, name: decl.name },
  });
  const texpr = decl.type ?? decl.initType;
  if (!texpr) {
    return refuse(
      `package variable \`${decl.name}\` whose type dcm cannot tell from its initializer`,
      `write its type: \`var ${decl.name} T = …\``,
    );
  }
  const problems: Problem[] = [];
  const goType = mapper.map(texpr, ctx, { role: "variable", name: decl.name }, problems);
  const first = problems[0];
  if (!goType || first) {
    const at =
      first && (first.pos.line !== pos.line || first.pos.file !== pos.file)
        ? ` (at ${first.pos.file}:${first.pos.line}:${first.pos.col})`
        : "";
    return refuse(
      `state variable \`${decl.name}\`: ${first?.message ?? "type that cannot be snapshotted"}${at}`,
      first?.suggestion ??
        "keep only value-model data (numbers, strings, slices, maps, exported structs) in package variables that fragments change, or mark the fragments `stateful: false` in the CFD",
    );
  }
  const lost = droppedFields(ws, mapper, goType);
  if (lost) return refuse(`state variable \`${decl.name}\`: ${lost.what}`, lost.suggestion);
  return { ...base, goType, detail: { pkg, name: decl.name, goType } };
}

/** A struct the var's value reaches whose fields a snapshot would drop (unexported or `json:"-"`). */
function droppedFields(
  ws: GoWorkspace,
  mapper: TypeMapper,
  t: GoType,
  seen = new Set<string>(),
): { what: string; suggestion: string } | undefined {
  switch (t.k) {
    case "named": {
      const key = `${t.pkgPath}.${t.name}`;
      const n = mapper.named[key];
      if (!n || seen.has(key)) return undefined;
      seen.add(key);
      if (n.underlying.k === "struct") {
        const found = ws.summary(n.file).decls.find((d) => d.kind === "type" && d.name === n.name);
        const decl = found?.type?.k === "struct" ? found.type : undefined;
        for (const f of decl?.fields ?? []) {
          for (const name of f.names) {
            if (!n.underlying.fields.some((g) => g.name === name)) {
              return {
                what: `field \`${name}\` of struct \`${n.name}\` (${n.file}:${f.pos.line}:${f.pos.col}) is unexported or tagged \`json:"-"\`, so a snapshot would lose it`,
                suggestion: `export the field (\`${name.charAt(0).toUpperCase()}${name.slice(1)}\`) and drop a \`json:"-"\` tag`,
              };
            }
          }
        }
        for (const f of n.underlying.fields) {
          const r = droppedFields(ws, mapper, f.type, seen);
          if (r) return r;
        }
        return undefined;
      }
      return droppedFields(ws, mapper, n.underlying, seen);
    }
    case "slice":
    case "array":
    case "pointer":
      return droppedFields(ws, mapper, t.elem, seen);
    case "map":
      return droppedFields(ws, mapper, t.value, seen);
    default:
      return undefined;
  }
}
