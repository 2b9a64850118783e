/**
 * Module-level state of AssemblyScript fragments (issue 12, docs/state.md):
 * which module `let`/`var`/`const` variables the code reachable from each
 * fragment changes, and which ones each fragment's closure touches.
 *
 * A variable is state when reachable code assigns it (`=`, `+=`, `++`), or
 * assigns an element or field through it (`a[i] = …`, `o.f.g = …`, `a[i]++`),
 * or calls a mutating method on it or on something reached through it
 * (`push`, `set`, `clear`, `sort`…, MUTATORS). A variable only read is not
 * state: both sides initialise it from the same code.
 *
 * Code reached: the functions a fragment calls (declared, imported,
 * re-exported, through a namespace import, or module `const f = () => …`
 * values), every method of every class it names, and for a method its class.
 *
 * Known limitations (also in languages/assemblyscript/README.md, "State"):
 * - Names, not types: a method call on a value (`x.f()`) is followed only as
 *   far as "every method of every class the code names" (classes referenced
 *   by value or as a type); a module instance changed only by one of its own
 *   methods whose name is not in MUTATORS (`acc.bump()`) is not seen.
 * - Aliases are not tracked: `const l = entries; l.push(x)` or passing the
 *   variable to a function that changes its parameter is not seen.
 * - Class `static` fields, `export * from` re-exports and variables of
 *   namespaces are not followed.
 * - A local of the same name anywhere in a function hides the module-level
 *   variable in the whole function (as in deps.ts).
 */
import type Parser from "tree-sitter";
import type { CrossingProblem, StateVar } from "../../../src/languages/adapter-types.js";
import type { AsStateDetail, AsType } from "../as-types.js";
import type { Problem, TypeMapper } from "./map-types.js";
import { toVType } from "./vtypes.js";
import { asQuery } from "./ts-parser.js";
import { type AsDecl, type AsWorkspace, col, type FileSummary, line } from "./workspace.js";

/** Methods that change the array, typed array, Map, Set or object they are called on. */
export const MUTATORS: ReadonlySet<string> = new Set([
  "push",
  "pop",
  "shift",
  "unshift",
  "splice",
  "set",
  "delete",
  "clear",
  "add",
  "sort",
  "reverse",
  "fill",
  "copyWithin",
]);

/** Expressions that pass their operand's identity through (`(x)`, `x!`, `x as T`, `<T>x`). */
const TRANSPARENT: ReadonlySet<string> = new Set([
  "parenthesized_expression",
  "non_null_expression",
  "as_expression",
  "type_assertion",
]);

/** Calls whose arguments are addresses: a `usize` variable passed to them holds a raw pointer. */
const POINTER_USE = /^(load|store|changetype|memory\.|heap\.|__new|__alloc|__pin|__unpin|atomic\.)/;

/** Initial values that make a `usize` an address. */
const POINTER_INIT = /\b(changetype|heap\.alloc|heap\.realloc|memory\.data|__new|__alloc|dataStart)\b/;

/** The code of one function, method or class, and what it reaches by name. */
interface Unit {
  calls: string[];
  /** Variable keys (`file#name`) it reads or writes. */
  touches: string[];
  writes: string[];
  /** Variable key -> whether the unit passes it to an address-taking builtin. */
  pointerUses: string[];
}

interface VarDecl {
  file: string;
  decl: AsDecl;
}

export interface StateAnalysis {
  /** Fragment id -> sorted StateVar keys its closure touches (absent: none). */
  byFragment: Map<string, string[]>;
  vars: StateVar[];
}

type Resolved = { file: string; decl: AsDecl } | { namespace: string } | undefined;

export class StateFinder {
  private readonly units = new Map<string, Unit>();
  private readonly varDecls = new Map<string, VarDecl>();

  constructor(
    private readonly ws: AsWorkspace,
    private readonly mapper: TypeMapper,
  ) {}

  /** `fragments`: each analysed function or method with its file and declaration. */
  analyze(fragments: Array<{ id: string; file: string; decl: AsDecl }>): StateAnalysis {
    const closures = new Map<string, Set<string>>();
    const written = new Set<string>();
    const pointerUsed = new Set<string>();
    for (const f of fragments) {
      if (f.decl.kind !== "function" && f.decl.kind !== "method") continue;
      const start = [this.unitKey(f.file, f.decl)];
      // A method's class is reached with it: `this.m()` calls are not followed by name.
      if (f.decl.className) {
        const cls = this.ws.summary(f.file).decls.find((d) => d.kind === "class" && d.name === f.decl.className);
        if (cls) start.push(this.unitKey(f.file, cls));
      }
      const touched = new Set<string>();
      const seen = new Set<string>();
      const stack = [...start];
      while (stack.length) {
        const k = stack.pop()!;
        if (seen.has(k)) continue;
        seen.add(k);
        const u = this.units.get(k)!;
        for (const v of u.touches) touched.add(v);
        for (const v of u.writes) written.add(v);
        for (const v of u.pointerUses) pointerUsed.add(v);
        stack.push(...u.calls);
      }
      closures.set(f.id, touched);
    }
    const vars: StateVar[] = [...written].sort().map((k) => this.stateVar(k, pointerUsed.has(k)));
    const byFragment = new Map<string, string[]>();
    const keyOf = new Map([...written].map((k) => [k, stateKey(k)]));
    for (const [id, touched] of closures) {
      const keys = [...touched].filter((k) => written.has(k)).map((k) => keyOf.get(k)!);
      if (keys.length) byFragment.set(id, keys.sort());
    }
    return { byFragment, vars };
  }

  /** Registers the unit of a declaration (scanned once) and returns its key. */
  private unitKey(file: string, decl: AsDecl): string {
    const key = `${file}#${decl.symbol}`;
    if (!this.units.has(key)) {
      this.units.set(key, { calls: [], touches: [], writes: [], pointerUses: [] });
      this.scan(file, decl.node, this.units.get(key)!);
    }
    return key;
  }

  private scan(file: string, node: Parser.SyntaxNode, unit: Unit): void {
    const locals = new Set<string>();
    const refs: Array<{ node: Parser.SyntaxNode; asType: boolean }> = [];
    for (const c of asQuery("references").captures(node)) {
      if (c.name === "local.definition") locals.add(c.node.text);
      else if (c.name === "reference.value") refs.push({ node: c.node, asType: false });
      else if (c.name === "reference.type") refs.push({ node: c.node, asType: true });
    }
    const calls = new Set<string>();
    const touches = new Set<string>();
    const writes = new Set<string>();
    const pointers = new Set<string>();
    for (const { node: ref, asType } of refs) {
      if (!asType && locals.has(ref.text)) continue;
      let r = this.resolve(file, ref.text);
      let at = ref;
      if (r && "namespace" in r) {
        // `ns.name`: the member of the namespace import is the reference.
        const p = ref.parent;
        const prop = p?.type === "member_expression" && same(p.childForFieldName("object"), ref) ? p.childForFieldName("property") : null;
        if (!p || !prop) continue;
        r = this.resolve(r.namespace, prop.text);
        at = p;
      }
      if (!r || "namespace" in r) continue;
      const d = r.decl;
      if (d === undefined) continue;
      if (d.kind === "function" || d.kind === "class") {
        if (!same(d.node, node)) calls.add(this.unitKey(r.file, d));
      } else if (!asType && (d.kind === "variable" || d.kind === "const")) {
        // A module function value (`const tick = (): i32 => …`) is code the caller reaches.
        const init = d.node.childForFieldName("value")?.type;
        if ((init === "arrow_function" || init === "function_expression") && !same(d.node, node)) calls.add(this.unitKey(r.file, d));
        const k = `${r.file}#${d.name}`;
        this.varDecls.set(k, { file: r.file, decl: d });
        touches.add(k);
        if (isWrite(at)) writes.add(k);
        if (passedAsAddress(at)) pointers.add(k);
      }
    }
    unit.calls = [...calls];
    unit.touches = [...touches];
    unit.writes = [...writes];
    unit.pointerUses = [...pointers];
  }

  /** A module-level name as seen from `file`: its own declaration, or the one a relative import (or re-export) names. */
  private resolve(file: string, name: string, depth = 0): Resolved {
    let summary: FileSummary;
    try {
      summary = this.ws.summary(file);
    } catch {
      return undefined;
    }
    const own = summary.decls.find((d) => d.name === name && d.kind !== "method" && d.kind !== "ambient");
    if (own) return { file, decl: own };
    if (depth > 16) return undefined;
    for (const imp of summary.imports) {
      const target = this.ws.resolve(file, imp.spec);
      if (imp.namespace === name) return target ? { namespace: target } : undefined;
      const spec = imp.names.find((x) => x.local === name);
      if (!spec) continue;
      if (!target) return undefined;
      return this.resolve(target, spec.imported, depth + 1);
    }
    return undefined;
  }

  private stateVar(k: string, pointerUsed: boolean): StateVar {
    const { file, decl } = this.varDecls.get(k)!;
    const nameNode = decl.node.childForFieldName("name") ?? decl.node;
    const pos = { file, line: line(nameNode), col: col(nameNode) };
    const base = { key: stateKey(k), name: decl.name, unit: file, pos };
    const refuse = (what: string, suggestion: string, at = pos): StateVar => {
      const cannotEncode: CrossingProblem = { what, pos: at, suggestion };
      return { ...base, cannotEncode };
    };
    const typed = this.typeOf(file, decl);
    // `what` completes core's DCM_STATE_NOT_ENCODABLE sentence ("… cannot be moved between client and
    // server: <what> (<pos>)"), which also offers `stateful: false`; pos is the construct's own place.
    if ("problem" in typed) {
      const p = typed.problem;
      const fn = /function type/.test(p.message);
      const what = p.message
        .replace(" (a closure parameter)", "")
        .replace(/ at line \d+/, "")
        .replace(" cannot cross the boundary", " cannot be encoded");
      return refuse(
        fn ? `it holds a function (${what}): a function value means nothing on the other side` : what,
        fn
          ? "keep data in module state (an enum, an i32 mode or a name) and pick the function from it"
          : (p.suggestion ?? "keep only data the value model encodes in module state"),
        p.pos,
      );
    }
    const { type, text } = typed;
    const init = decl.node.childForFieldName("value")?.text ?? "";
    if ((text === "usize" || text === "isize") && (pointerUsed || POINTER_INIT.test(init))) {
      return refuse(
        `\`${text}\` used as a raw pointer (passed to load/store/changetype…, or set from heap.alloc/changetype/memory.data): an address means nothing in the other side's memory`,
        "keep the data itself in module state (an array, a Uint8Array or a class)",
      );
    }
    const isConst = decl.kind === "const";
    const mode = isConst ? constMode(type) : "assign";
    if (!mode) {
      return refuse(
        `\`const ${decl.name}: ${text}\` is changed through a field, but a \`${text}\` cannot be refilled in place (a const keeps its object)`,
        `declare it with \`let\``,
      );
    }
    const detail: AsStateDetail = { file, name: decl.name, typeText: text, type, mode };
    return { ...base, type: toVType(type, this.mapper.classes), detail };
  }

  /** The variable's AsType and its type's text in its own file, from the annotation or the initializer. */
  private typeOf(file: string, decl: AsDecl): { type: AsType; text: string } | { problem: Problem } {
    const n = decl.node;
    const problems: Problem[] = [];
    const pos = { file, line: line(n), col: col(n) };
    const noType = (why: string): { problem: Problem } => ({
      problem: {
        code: "DCM_UNSUPPORTED_TYPE",
        message: `${why}, so dcm cannot tell its type`,
        pos,
        suggestion: `annotate it: \`${decl.kind === "const" ? "const" : "let"} ${decl.name}: <type> = …\``,
      },
    });
    const annotation = n.childForFieldName("type");
    const value = n.childForFieldName("value");
    let typeNode: Parser.SyntaxNode | undefined;
    let text: string;
    if (annotation) {
      typeNode = annotation.namedChildren[0]!;
      text = typeNode.text;
    } else if (!value) return noType("it has no type annotation and no initial value");
    else if (value.type === "number") {
      text = /^[+-]?\d+$|^0[xXbBoO]/.test(value.text.replaceAll("_", "")) ? "i32" : "f64";
      return { type: { k: "prim", name: text === "i32" ? "i32" : "f64" }, text };
    } else if (value.type === "string" || value.type === "template_string") return { type: { k: "string" }, text: "string" };
    else if (value.type === "true" || value.type === "false") return { type: { k: "prim", name: "bool" }, text: "bool" };
    else if (value.type === "new_expression") {
      const ctor = value.childForFieldName("constructor");
      const targs = value.childForFieldName("type_arguments");
      if (!ctor || (ctor.type !== "identifier" && ctor.type !== "member_expression")) return noType("its initial value is not `new` of a named class");
      text = `${ctor.text}${targs?.text ?? ""}`;
      typeNode = value;
    } else return noType(`it has no type annotation and its initial value \`${value.text.slice(0, 40)}\` is not a literal or a \`new\``);
    this.mapper.allowSets = true;
    try {
      const type = typeNode.type === "new_expression" ? this.mapper.mapConstructed(typeNode, file, problems) : this.mapper.map(typeNode, file, problems);
      if (!type || problems.length) return { problem: problems[0] ?? noType("its type is not supported").problem };
      return { type, text };
    } finally {
      this.mapper.allowSets = false;
    }
  }
}

/** StateVar.key: `<repo-relative file>.<name>`. */
function stateKey(k: string): string {
  const i = k.lastIndexOf("#");
  return `${k.slice(0, i)}.${k.slice(i + 1)}`;
}

/** How `set` refills a `const` (which cannot be reassigned); undefined when it cannot. */
function constMode(t: AsType): AsStateDetail["mode"] | undefined {
  switch (t.k) {
    case "array":
      return t.of === "Array" ? "array" : "fixed";
    case "typed":
      return "fixed";
    case "map":
      return "map";
    case "set":
      return "set";
    case "class":
      return "fields";
    default:
      return undefined;
  }
}

function same(a: Parser.SyntaxNode | null | undefined, b: Parser.SyntaxNode): boolean {
  return !!a && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}

/** Whether the reference at `ref` changes the variable or something reached through it. */
export function isWrite(ref: Parser.SyntaxNode): boolean {
  let n = ref;
  let p = n.parent;
  while (p) {
    if (TRANSPARENT.has(p.type)) {
      n = p;
      p = p.parent;
      continue;
    }
    if ((p.type === "member_expression" || p.type === "subscript_expression") && same(p.childForFieldName("object"), n)) {
      const call = p.parent;
      if (
        p.type === "member_expression" &&
        call?.type === "call_expression" &&
        same(call.childForFieldName("function"), p) &&
        MUTATORS.has(p.childForFieldName("property")?.text ?? "")
      ) {
        return true;
      }
      n = p;
      p = p.parent;
      continue;
    }
    break;
  }
  if (!p) return false;
  if ((p.type === "assignment_expression" || p.type === "augmented_assignment_expression") && same(p.childForFieldName("left"), n)) return true;
  return p.type === "update_expression";
}

/** Whether the reference is an argument of a builtin that takes an address (load, store, changetype…). */
function passedAsAddress(ref: Parser.SyntaxNode): boolean {
  for (let p = ref.parent; p; p = p.parent) {
    if (p.type === "call_expression") return POINTER_USE.test(p.childForFieldName("function")?.text ?? "");
    if (p.type.endsWith("statement") || p.type === "statement_block") return false;
  }
  return false;
}
