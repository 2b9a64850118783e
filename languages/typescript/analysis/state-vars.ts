/**
 * Module-level state of TypeScript fragments (issue 12, docs/state.md):
 * which module `let`/`var`/`const` variables the code reachable from each
 * fragment changes, and which ones each fragment's closure touches.
 *
 * A variable is state when reachable code assigns it (`=`, `+=`, `++`),
 * assigns or deletes an element or property through it (`a[i] = …`,
 * `o.f = …`, `delete o.k`), or calls a mutating method on it or on
 * something reached through it (`push`, `set`, `clear`, `sort`…, MUTATORS).
 * A variable only read is not state: both sides initialise it from the same
 * code.
 *
 * Code reached: the functions a fragment calls by name (declared in its
 * file, imported from a relative module, re-exported, or through a
 * namespace import) and module `const f = () => …` values, transitively.
 *
 * Known limitations (also in languages/typescript/README.md, "State"):
 * - No scope analysis: a local or parameter with the name of a module
 *   variable counts as that variable (this can only over-report).
 * - Aliases are not tracked: `const l = entries; l.push(x)`, or passing the
 *   variable to a function that changes its parameter, is not seen.
 * - Methods of classes and object literals are not followed; a state
 *   change made only inside one is not seen.
 * - A variable without a type annotation must start as a number, bigint,
 *   string or boolean literal, or `new Name<Args>(…)` / `new Uint8Array(…)`
 *   (typed as the annotation `Name<Args>`); else annotate it.
 * - A changed variable declared by destructuring (`let [a, b] = …`) is
 *   refused at its name: declare it on its own.
 */
import type Parser from "tree-sitter";
import type { CrossingProblem, StateVar } from "../../../src/languages/adapter-types.js";
import type { LiftSpec, TsStateDetail } from "../ts-types.js";
import type { Problem, TypeMapper } from "./map-types.js";
import type { FileSummary, TsDecl } from "./summarize.js";
import { tsQuery } from "./ts-parser.js";
import type { TsWorkspace } from "./workspace.js";
import { isWrite, sameNode as same } from "../../../src/languages/kit/js-state-writes.js";

interface Unit {
  calls: string[];
  /** Variable keys (`file#name`) the unit reads or writes. */
  touches: string[];
  writes: string[];
}

export interface StateAnalysis {
  /** Fragment id -> sorted StateVar keys its closure touches (absent: none). */
  byFragment: Map<string, string[]>;
  vars: StateVar[];
}

type Resolved = { file: string; decl: TsDecl } | { namespace: string } | undefined;

export class StateFinder {
  private readonly units = new Map<string, Unit>();
  private readonly varDecls = new Map<string, { file: string; decl: TsDecl }>();
  private readonly lifts = new Map<TsDecl, LiftSpec>();

  constructor(
    private readonly ws: TsWorkspace,
    private readonly mapper: TypeMapper,
  ) {}

  /** `fragments`: each analysed function fragment with its file and declaration. */
  analyze(fragments: Array<{ id: string; file: string; decl: TsDecl }>): StateAnalysis {
    const closures = new Map<string, Set<string>>();
    const written = new Set<string>();
    for (const f of fragments) {
      const touched = new Set<string>();
      const seen = new Set<string>();
      const stack = [this.unitKey(f.file, f.decl)];
      while (stack.length) {
        const k = stack.pop()!;
        if (seen.has(k)) continue;
        seen.add(k);
        const u = this.units.get(k)!;
        for (const v of u.touches) touched.add(v);
        for (const v of u.writes) written.add(v);
        stack.push(...u.calls);
      }
      closures.set(f.id, touched);
    }
    const vars = [...written].sort().map((k) => this.stateVar(k));
    const byFragment = new Map<string, string[]>();
    for (const [id, touched] of closures) {
      const keys = [...touched].filter((k) => written.has(k)).map(stateKey);
      if (keys.length) byFragment.set(id, keys.sort());
    }
    return { byFragment, vars };
  }

  private unitKey(file: string, decl: TsDecl): string {
    const key = `${file}#${decl.name}@${decl.node.startIndex}`;
    if (!this.units.has(key)) {
      const unit: Unit = { calls: [], touches: [], writes: [] };
      this.units.set(key, unit);
      this.scan(file, decl, unit);
    }
    return key;
  }

  private scan(file: string, decl: TsDecl, unit: Unit): void {
    const calls = new Set<string>();
    const touches = new Set<string>();
    const writes = new Set<string>();
    for (const c of tsQuery("references").captures(decl.node)) {
      if (c.name !== "ref.value") continue;
      let r = this.resolve(file, c.node.text);
      let at = c.node;
      if (r && "namespace" in r) {
        // `ns.name`: the namespace import's member is the reference.
        const p = at.parent;
        const prop = p?.type === "member_expression" && same(p.childForFieldName("object"), at) ? p.childForFieldName("property") : null;
        if (!p || !prop) continue;
        r = this.resolve(r.namespace, prop.text);
        at = p;
      }
      if (!r || "namespace" in r) continue;
      const d = r.decl;
      if (same(d.node, decl.node)) continue;
      if (d.kind === "function" || d.kind === "generator" || d.kind === "default") {
        calls.add(this.unitKey(r.file, d));
      } else if (d.kind === "variable") {
        const init = d.node.childForFieldName("value")?.type;
        // A module function value (`const tick = () => …`) is code the caller reaches.
        if (init === "arrow_function" || init === "function_expression" || init === "function") calls.add(this.unitKey(r.file, d));
        const k = `${r.file}#${d.name}`;
        this.varDecls.set(k, { file: r.file, decl: d });
        touches.add(k);
        if (isWrite(at)) writes.add(k);
      }
    }
    unit.calls = [...calls];
    unit.touches = [...touches];
    unit.writes = [...writes];
  }

  /** A module-level name as seen from `file`: its own declaration, or the one a relative import (or re-export) names. */
  private resolve(file: string, name: string, depth = 0): Resolved {
    let summary: FileSummary;
    try {
      summary = this.ws.summary(file);
    } catch {
      return undefined;
    }
    const own = summary.decls.find((d) => d.name === name && d.kind !== "overload") ?? destructured(summary, name);
    if (own) return { file, decl: own };
    if (depth > 16) return undefined;
    for (const imp of summary.imports) {
      const target = this.ws.resolve(file, imp.source);
      if (imp.namespace === name) return target ? { namespace: target } : undefined;
      const spec = imp.names.find((x) => x.local === name);
      if (!spec) continue;
      return target ? this.exported(target, spec.imported, depth + 1) : undefined;
    }
    return undefined;
  }

  /** What `file` exports as `name` (its own declaration, or a re-export). */
  private exported(file: string, name: string, depth: number): Resolved {
    let summary: FileSummary;
    try {
      summary = this.ws.summary(file);
    } catch {
      return undefined;
    }
    const own =
      summary.decls.find((d) => d.kind !== "overload" && d.exportedAs.includes(name)) ?? destructured(summary, name, true);
    if (own) return { file, decl: own };
    if (depth > 16) return undefined;
    for (const re of summary.reexports) {
      const target = this.ws.resolve(file, re.source);
      if (!target) continue;
      const hit = re.names?.find((n) => n.exported === name);
      if (hit) return this.exported(target, hit.imported, depth + 1);
    }
    return this.resolve(file, name, depth + 1);
  }

  private stateVar(k: string): StateVar {
    const { file, decl } = this.varDecls.get(k)!;
    const nameNode = decl.node.childForFieldName("name") ?? decl.node;
    const pos = { file, line: nameNode.startPosition.row + 1, col: nameNode.startPosition.column + 1 };
    const base = { key: stateKey(k), name: decl.name, unit: file, pos };
    const refuse = (what: string, suggestion: string, at = pos): StateVar => {
      const cannotEncode: CrossingProblem = { what, pos: at, suggestion };
      return { ...base, cannotEncode };
    };
    if (decl.node.type !== "variable_declarator") {
      // A name bound by a destructuring pattern: the accessors could not assign it as a whole.
      return refuse(
        `\`${decl.name}\` is declared by destructuring (\`${decl.keyword ?? "let"} ${patternText(decl.node)} = …\`), which dcm cannot snapshot and restore`,
        `declare it on its own: \`${decl.keyword ?? "let"} ${decl.name}: <type> = …\``,
      );
    }
    const typed = this.typeOf(file, decl);
    if ("problem" in typed) {
      const p = typed.problem;
      const at = { file: p.file, line: p.line, col: p.col ?? pos.col };
      return refuse(p.message.replace(" cannot cross the boundary", " cannot be encoded"), p.suggestion ?? "keep only data the value model encodes in module state", at);
    }
    const isConst = decl.keyword === "const";
    const mode: TsStateDetail["mode"] | undefined = !isConst
      ? "assign"
      : typed.kind === "list"
        ? "array"
        : typed.kind === "map"
          ? "map"
          : typed.kind === "bytes"
            ? "bytes"
            : typed.kind === "record"
              ? "fields"
              : undefined;
    if (!mode) {
      return refuse(
        `\`const ${decl.name}\` is changed in place, but a ${typed.kind} cannot be refilled in place`,
        `declare it with \`let\``,
      );
    }
    const lift = this.lifts.get(decl);
    const detail: TsStateDetail = { file, name: decl.name, mode, ...(lift ? { lift } : {}) };
    return { ...base, type: typed, detail };
  }

  /** The variable's value-model type, from its annotation or a literal initial value. */
  private typeOf(file: string, decl: TsDecl): StateVar["type"] & object | { problem: Problem } {
    const n = decl.node;
    const line = n.startPosition.row + 1;
    const col = n.startPosition.column + 1;
    const noType = (why: string): { problem: Problem } => ({
      problem: {
        code: "DCM_UNSUPPORTED_TYPE",
        message: `\`${decl.name}\` ${why}, so dcm cannot tell the type of the state it holds`,
        file,
        line,
        col,
        suggestion: `annotate it: \`${decl.keyword ?? "let"} ${decl.name}: <type> = …\``,
      },
    });
    const annotation = n.childForFieldName("type");
    if (annotation) {
      const problems: Problem[] = [];
      const typeNode = annotation.namedChildren[0] ?? annotation;
      const mapped = this.mapper.map(typeNode, file, problems);
      if (!mapped || problems.length) return { problem: problems[0] ?? noType("has a type that is not supported").problem };
      if (mapped.lift) this.lifts.set(decl, mapped.lift);
      return mapped.t;
    }
    const value = n.childForFieldName("value");
    if (!value) return noType("has no type annotation and no initial value");
    const ctor = value.type === "new_expression" ? value.childForFieldName("constructor") : null;
    const typeArgs = value.childForFieldName("type_arguments")?.namedChildren ?? [];
    if (ctor?.type === "identifier" && (typeArgs.length > 0 || ctor.text === "Uint8Array")) {
      // `new Map<string, number>()`, `new Array<string>()`, `new Uint8Array(n)`: typed as the annotation would be.
      const problems: Problem[] = [];
      const mapped = this.mapper.constructed(value, ctor.text, typeArgs, file, problems);
      if (!mapped || problems.length) return { problem: problems[0] ?? noType("has a type that is not supported").problem };
      if (mapped.lift) this.lifts.set(decl, mapped.lift);
      return mapped.t;
    }
    const text = value.text.replaceAll("_", "");
    if (/^-?(0|[1-9]\d*|0[xXbBoO][\da-fA-F]+)n$/.test(text)) return { kind: "int", bits: 64, signed: true };
    if (value.type === "number") return { kind: "float", bits: 64 };
    if (value.type === "string" || value.type === "template_string") return { kind: "string" };
    if (value.type === "true" || value.type === "false") return { kind: "bool" };
    if (value.type === "arrow_function" || value.type === "function_expression" || value.type === "function") {
      return {
        problem: {
          code: "DCM_UNSUPPORTED_TYPE",
          message: `it holds a function: a function value means nothing on the other side`,
          file,
          line,
          col,
          suggestion: "keep data in module state (a mode, a name) and pick the function from it inside the fragment",
        },
      };
    }
    return noType(`has no type annotation and its initial value \`${value.text.slice(0, 40)}\` is not a number, bigint, string or boolean literal`);
  }
}

/**
 * A module variable bound inside a destructuring pattern (`let [lo, hi] = …`,
 * `let { count } = …`), as a declaration of its own name whose node is the
 * binding identifier (so that stateVar() refuses it at that name instead of
 * the variable being missed). `exportedOnly`: only from an exported statement.
 */
function destructured(summary: FileSummary, name: string, exportedOnly = false): TsDecl | undefined {
  for (const d of summary.decls) {
    if (d.kind !== "variable" || (exportedOnly && d.exportedAs.length === 0)) continue;
    const pattern = d.node.childForFieldName("name");
    if (!pattern || pattern.type === "identifier") continue;
    const id = binding(pattern, name);
    if (id) return { ...d, name, node: id, exportedAs: d.exportedAs.length ? [name] : [] };
  }
  return undefined;
}

/** The identifier that binds `name` in a pattern (default values and property keys are not bindings). */
function binding(n: Parser.SyntaxNode, name: string): Parser.SyntaxNode | undefined {
  if ((n.type === "identifier" || n.type === "shorthand_property_identifier_pattern") && n.text === name) return n;
  for (const c of n.namedChildren) {
    if ((n.type === "assignment_pattern" || n.type === "object_assignment_pattern") && same(n.childForFieldName("right"), c)) continue;
    if (n.type === "pair_pattern" && same(n.childForFieldName("key"), c)) continue;
    const hit = binding(c, name);
    if (hit) return hit;
  }
  return undefined;
}

/** The whole pattern a binding identifier sits in, for messages. */
function patternText(id: Parser.SyntaxNode): string {
  let n = id;
  while (n.parent && n.parent.type !== "variable_declarator") n = n.parent;
  return n.text.length > 40 ? `${n.text.slice(0, 37)}…` : n.text;
}

/** StateVar.key: `<repo-relative file>.<name>`. */
function stateKey(k: string): string {
  const i = k.lastIndexOf("#");
  return `${k.slice(0, i)}.${k.slice(i + 1)}`;
}
