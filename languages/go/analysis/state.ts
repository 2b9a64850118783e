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
import type Parser from "tree-sitter";
import type { SourcePos } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { CrossingProblem } from "../../../src/languages/adapter-types.js";
import type { GoPackageRef, GoType } from "../go-types.js";
import { ReferenceWalker } from "./deps.js";
import { dirOfImport } from "./go-mod.js";
import { importTable } from "./imports.js";
import type { FileCtx, Problem, TypeMapper } from "./map-types.js";
import { LocalScopes } from "./scopes.js";
import type { TypeExpr } from "./summary-types.js";
import { posOf, typeExpr } from "./type-expr.js";
import type { Found, GoWorkspace } from "./workspace.js";

type Node = Parser.SyntaxNode;

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

/** The package vars of the module that one declaration writes. */
function writesOf(ws: GoWorkspace, mapper: TypeMapper, found: Found, ctx: FileCtx): VarRef[] {
  const tree = ws.tree(found.file);
  let node: Node | null = tree.rootNode.descendantForIndex(found.decl.start, found.decl.end);
  while (node && (node.startIndex !== found.decl.start || node.endIndex !== found.decl.end)) node = node.parent;
  if (!node) return [];
  const locals = LocalScopes.of(node);
  const imports = importTable(found.summary, ws, ctx.mod);
  const out: VarRef[] = [];
  const resolve = (target: Node | null | undefined) => {
    const r = target && rootOf(target);
    if (!r) return;
    let dir: string | undefined = ctx.dir;
    let name = r.name;
    if (r.pkg !== undefined) {
      // `pkg.X`: a var of another package of the module (or a field of a local/package var named like an import).
      if (!locals.isLocal(r.pkg, r.node) && imports.byName.has(r.pkg)) {
        dir = dirOfImport(ctx.mod, imports.byName.get(r.pkg)!);
      } else name = r.pkg;
    }
    if (dir === undefined) return; // the standard library or a dependency: not the user's state
    if (r.pkg === undefined || name === r.pkg) {
      if (locals.isLocal(name, r.node) || (r.pkg === undefined && imports.byName.has(name))) return;
    }
    const v = ws.findTopLevel(dir, name);
    const vctx = v?.decl.kind === "variable" ? mapper.ctxFor(v.file, v.summary) : undefined;
    if (v && vctx) out.push({ found: v, ctx: vctx });
  };

  for (const n of node.descendantsOfType([
    "assignment_statement",
    "inc_statement",
    "dec_statement",
    "unary_expression",
    "call_expression",
  ])) {
    switch (n.type) {
      case "assignment_statement":
        for (const t of n.childForFieldName("left")?.namedChildren ?? []) resolve(t);
        break;
      case "inc_statement":
      case "dec_statement":
        resolve(n.namedChildren[0]);
        break;
      case "unary_expression":
        if (n.childForFieldName("operator")?.text === "&") resolve(n.childForFieldName("operand"));
        break;
      case "call_expression": {
        const fn = n.childForFieldName("function");
        const args = n.childForFieldName("arguments")?.namedChildren ?? [];
        if (
          fn?.type === "identifier" &&
          ["delete", "clear", "copy"].includes(fn.text) &&
          !locals.isLocal(fn.text, fn)
        ) {
          resolve(args[0]);
        } else if (fn?.type === "selector_expression") {
          const operand = fn.childForFieldName("operand");
          const method = fn.childForFieldName("field")?.text;
          if (operand && method && pointerMethodOfVar(ws, ctx, operand, method, locals, imports.byName))
            resolve(operand);
        }
        break;
      }
    }
  }
  return out;
}

/**
 * `v.M(…)` with v a package var (of this package) whose declared type is a
 * module type with a pointer-receiver method M: the call may change v.
 */
function pointerMethodOfVar(
  ws: GoWorkspace,
  ctx: FileCtx,
  operand: Node,
  method: string,
  locals: LocalScopes,
  imports: Map<string, string>,
): boolean {
  if (operand.type !== "identifier" || locals.isLocal(operand.text, operand) || imports.has(operand.text)) return false;
  const v = ws.findTopLevel(ctx.dir, operand.text);
  if (v?.decl.kind !== "variable") return false;
  const t = v.decl.type;
  const base = t?.k === "pointer" ? t.elem : t;
  if (base?.k !== "name") return false;
  return ws.findMethods(ctx.dir, method, base.name).some((m) => m.decl.recv?.pointer);
}

/** The variable at the root of an assignable expression: `x`, `x.f[i].g`, `*x`, `pkg.X.f`. */
function rootOf(e: Node): { name: string; pkg?: string; node: Node } | undefined {
  let cur: Node | null = e;
  let prevSelector: Node | undefined;
  for (let i = 0; cur && i < 64; i++) {
    switch (cur.type) {
      case "identifier":
        if (prevSelector) {
          const field = prevSelector.childForFieldName("field");
          return { name: field?.text ?? "", pkg: cur.text, node: cur };
        }
        return { name: cur.text, node: cur };
      case "selector_expression":
        prevSelector = cur;
        cur = cur.childForFieldName("operand");
        continue;
      case "index_expression":
      case "slice_expression":
        prevSelector = undefined;
        cur = cur.childForFieldName("operand");
        continue;
      case "parenthesized_expression":
        cur = cur.namedChildren[0] ?? null;
        continue;
      case "unary_expression":
        if (cur.childForFieldName("operator")?.text !== "*") return undefined;
        prevSelector = undefined;
        cur = cur.childForFieldName("operand");
        continue;
      default:
        return undefined;
    }
  }
  return undefined;
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
  const texpr = decl.type ?? inferType(ws, found);
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

const BASIC_FUNCS = new Set([
  "bool",
  "string",
  "int",
  "int8",
  "int16",
  "int32",
  "int64",
  "uint",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "byte",
  "rune",
  "float32",
  "float64",
]);

/** The type of `var x = <init>` for initializers whose type is written in them. */
function inferType(ws: GoWorkspace, found: Found): TypeExpr | undefined {
  const tree = ws.tree(found.file);
  let spec: Node | null = tree.rootNode.descendantForIndex(found.decl.start, found.decl.end);
  while (spec && spec.type !== "var_spec") spec = spec.parent;
  if (!spec) return undefined;
  const names = spec.namedChildren.filter((c) => c.type === "identifier");
  const i = names.findIndex((n) => n.text === found.decl.name);
  const value = spec.childForFieldName("value")?.namedChildren[i];
  return value ? typeOfExpr(value) : undefined;
}

function typeOfExpr(e: Node): TypeExpr | undefined {
  const pos = posOf(e);
  switch (e.type) {
    case "int_literal":
      return { k: "name", name: "int", pos };
    case "float_literal":
      return { k: "name", name: "float64", pos };
    case "rune_literal":
      return { k: "name", name: "rune", pos };
    case "interpreted_string_literal":
    case "raw_string_literal":
      return { k: "name", name: "string", pos };
    case "true":
    case "false":
      return { k: "name", name: "bool", pos };
    case "parenthesized_expression":
      return e.namedChildren[0] ? typeOfExpr(e.namedChildren[0]) : undefined;
    case "composite_literal": {
      const t = e.childForFieldName("type");
      return t ? typeExpr(t) : undefined;
    }
    case "unary_expression": {
      const operand = e.childForFieldName("operand");
      if (e.childForFieldName("operator")?.text !== "&" || operand?.type !== "composite_literal") return undefined;
      const elem = typeOfExpr(operand);
      return elem && { k: "pointer", elem, pos };
    }
    case "type_conversion_expression": {
      const t = e.childForFieldName("type");
      return t ? typeExpr(t) : undefined;
    }
    case "call_expression": {
      const fn = e.childForFieldName("function");
      const args = e.childForFieldName("arguments")?.namedChildren ?? [];
      if (fn?.type === "identifier" && (fn.text === "make" || fn.text === "new") && args[0]) {
        const t = typeExpr(args[0]);
        return fn.text === "new" ? { k: "pointer", elem: t, pos } : t;
      }
      if (fn?.type === "identifier" && BASIC_FUNCS.has(fn.text)) return { k: "name", name: fn.text, pos };
      if (fn?.type === "parenthesized_expression" || fn?.type === "slice_type" || fn?.type === "map_type") {
        return typeExpr(fn.type === "parenthesized_expression" ? fn.namedChildren[0]! : fn);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
