/**
 * AssemblyScript type expressions (tree-sitter nodes) -> AsType, resolving
 * class, alias and enum names through the file's declarations and its
 * relative imports.
 *
 * Known limitations:
 * - Records are classes without `extends`, type parameters, constructor
 *   parameter properties, or private/protected/readonly fields, and every
 *   field has a type annotation: the generated decoder builds the object
 *   without calling its constructor and assigns each field.
 * - Interfaces, type unions other than `T | null`, function types, tuples,
 *   object literal types, `any`/`unknown`, `Set` and `Map` with a key other
 *   than a string or an integer are refused.
 * - `isize`/`usize` are 32 bits (AssemblyScript's wasm32 target).
 */
import type Parser from "tree-sitter";
import type { ErrorCode } from "../../../runtime/diagnostics/catalog.js";
import type { SourcePos } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { AsClass, AsPrim, AsType, AsTypedArray } from "../as-types.js";
import { type AsDecl, type AsWorkspace, col, type FileSummary, line } from "./workspace.js";

export interface Problem {
  code: ErrorCode;
  message: string;
  pos: SourcePos;
  suggestion?: string;
}

const PRIMS: Record<string, AsPrim> = {
  bool: "bool",
  i8: "i8",
  i16: "i16",
  i32: "i32",
  i64: "i64",
  u8: "u8",
  u16: "u16",
  u32: "u32",
  u64: "u64",
  f32: "f32",
  f64: "f64",
  isize: "i32",
  usize: "u32",
};

const TYPED: ReadonlySet<string> = new Set<AsTypedArray>([
  "Uint8Array",
  "Int8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Int64Array",
  "Uint64Array",
  "Float32Array",
  "Float64Array",
]);

export class TypeMapper {
  /** Classes reached by any signature, keyed `file#Name`. */
  readonly classes: Record<string, AsClass> = {};
  private readonly inProgress = new Set<string>();
  /**
   * Also maps `Set<T>` (to `list<T>`): on while typing module state (a Set is
   * refilled element by element), off for signatures, which keep refusing it.
   */
  allowSets = false;

  constructor(private readonly ws: AsWorkspace) {}

  /** The type of the object a `new` expression (`new Map<string, i32>()`, `new Foo()`, `new ns.Foo()`) makes. */
  mapConstructed(n: Parser.SyntaxNode, file: string, problems: Problem[]): AsType | undefined {
    const ctor = n.childForFieldName("constructor")!;
    const args = n.childForFieldName("type_arguments")?.namedChildren ?? [];
    const pos = { file, line: line(n), col: col(n) };
    const fail = (code: ErrorCode, message: string, suggestion?: string): undefined => {
      problems.push({ code, message, pos, ...(suggestion ? { suggestion } : {}) });
      return undefined;
    };
    if (ctor.type === "member_expression") {
      const ns = ctor.childForFieldName("object")?.text ?? "";
      const imp = this.ws.summary(file).imports.find((i) => i.namespace === ns);
      const target = imp && this.ws.resolve(file, imp.spec);
      if (!target) return fail("DCM_TYPE_NOT_FOUND", `type \`${ctor.text}\` at line ${pos.line} is not found`);
      return this.declared(ctor.childForFieldName("property")?.text ?? "", target, ctor, problems, fail);
    }
    if (args.length) return this.genericOf(ctor.text, args, n, file, problems, fail);
    return this.named(ctor.text, ctor, file, problems, fail);
  }

  /** Maps a type node (or a type_annotation) seen in `file`; problems are appended, undefined on failure. */
  map(node: Parser.SyntaxNode, file: string, problems: Problem[]): AsType | undefined {
    const n = node.type === "type_annotation" ? node.namedChildren[0]! : node;
    const pos = { file, line: line(n), col: col(n) };
    const fail = (code: ErrorCode, message: string, suggestion?: string): undefined => {
      problems.push({ code, message, pos, ...(suggestion ? { suggestion } : {}) });
      return undefined;
    };
    switch (n.type) {
      case "parenthesized_type":
        return this.map(n.namedChildren[0]!, file, problems);
      case "predefined_type":
        if (n.text === "string") return { k: "string" };
        if (n.text === "boolean") return { k: "prim", name: "bool" };
        if (n.text === "number") return { k: "prim", name: "f64" };
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `type \`${n.text}\` at line ${pos.line} cannot cross the boundary`,
          "use a concrete type: bool, i8…u64, f32/f64, string, arrays, Map<string, T>, or a class",
        );
      case "array_type": {
        const elem = this.map(n.namedChildren[0]!, file, problems);
        return elem && { k: "array", of: "Array", elem };
      }
      case "union_type":
        return this.union(n, file, problems, fail);
      case "type_identifier":
        return this.named(n.text, n, file, problems, fail);
      case "nested_type_identifier": {
        const ns = n.childForFieldName("module")?.text ?? "";
        const name = n.childForFieldName("name")?.text ?? "";
        const imp = this.ws.summary(file).imports.find((i) => i.namespace === ns);
        const target = imp && this.ws.resolve(file, imp.spec);
        if (!target) return fail("DCM_TYPE_NOT_FOUND", `type \`${n.text}\` at line ${pos.line} is not found`);
        return this.declared(name, target, n, problems, fail);
      }
      case "generic_type":
        return this.generic(n, file, problems, fail);
      case "function_type":
        return fail(
          "DCM_UNSUPPORTED_CONSTRUCT",
          `function type \`${n.text}\` (a closure parameter) at line ${pos.line} cannot cross the boundary`,
          "pass data instead of a function, or leave this function out of the CFD",
        );
      case "literal_type":
        return fail("DCM_UNSUPPORTED_TYPE", `literal type \`${n.text}\` at line ${pos.line} is not supported`);
      default:
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `type \`${n.text}\` (${n.type.replaceAll("_", " ")}) at line ${pos.line} cannot cross the boundary`,
        );
    }
  }

  private union(
    n: Parser.SyntaxNode,
    file: string,
    problems: Problem[],
    fail: (code: ErrorCode, message: string, suggestion?: string) => undefined,
  ): AsType | undefined {
    const members: Parser.SyntaxNode[] = [];
    const flat = (u: Parser.SyntaxNode) => {
      for (const c of u.namedChildren) (c.type === "union_type" ? flat : (x: Parser.SyntaxNode) => members.push(x))(c);
    };
    flat(n);
    const isNull = (c: Parser.SyntaxNode) => c.type === "literal_type" && c.text === "null";
    const rest = members.filter((c) => !isNull(c));
    if (rest.length !== 1 || rest.length === members.length) {
      return fail(
        "DCM_UNSUPPORTED_TYPE",
        `union type \`${n.text}\` at line ${line(n)} is not supported (only \`T | null\`)`,
        "use one type, or `T | null` for an optional value",
      );
    }
    const inner = this.map(rest[0]!, file, problems);
    if (!inner) return undefined;
    if (inner.k === "prim") {
      return fail(
        "DCM_UNSUPPORTED_TYPE",
        `\`${n.text}\` at line ${line(n)}: AssemblyScript has no nullable ${inner.name}`,
        "wrap the number in a class, or use a sentinel value",
      );
    }
    if (inner.k === "nullable") return inner;
    return { k: "nullable", inner };
  }

  private generic(
    n: Parser.SyntaxNode,
    file: string,
    problems: Problem[],
    fail: (code: ErrorCode, message: string, suggestion?: string) => undefined,
  ): AsType | undefined {
    const name = n.childForFieldName("name")?.text ?? "";
    const args = n.childForFieldName("type_arguments")?.namedChildren ?? [];
    return this.genericOf(name, args, n, file, problems, fail);
  }

  private genericOf(
    name: string,
    args: Parser.SyntaxNode[],
    n: Parser.SyntaxNode,
    file: string,
    problems: Problem[],
    fail: (code: ErrorCode, message: string, suggestion?: string) => undefined,
  ): AsType | undefined {
    if (name === "Set" && this.allowSets && args.length === 1) {
      const elem = this.map(args[0]!, file, problems);
      return elem && { k: "set", elem };
    }
    if ((name === "Array" || name === "StaticArray") && args.length === 1) {
      const elem = this.map(args[0]!, file, problems);
      return elem && { k: "array", of: name, elem };
    }
    if (name === "Map" && args.length === 2) {
      const key = this.map(args[0]!, file, problems);
      const value = this.map(args[1]!, file, problems);
      if (!key || !value) return undefined;
      if (key.k !== "string" && !(key.k === "prim" && key.name !== "bool" && key.name[0] !== "f")) {
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `map key type \`${args[0]!.text}\` at line ${line(n)} is not supported (string or integer keys only)`,
        );
      }
      return { k: "map", key, value };
    }
    return fail(
      "DCM_UNSUPPORTED_TYPE",
      `generic type \`${n.type === "generic_type" ? n.text : `${name}<${args.map((a) => a.text).join(", ")}>`}\` at line ${line(n)} is not supported`,
      "use Array<T>, StaticArray<T>, Map<string, T>, or a non-generic class",
    );
  }

  private named(
    name: string,
    n: Parser.SyntaxNode,
    file: string,
    problems: Problem[],
    fail: (code: ErrorCode, message: string, suggestion?: string) => undefined,
  ): AsType | undefined {
    const prim = PRIMS[name];
    if (prim) return { k: "prim", name: prim };
    if (name === "String") return { k: "string" };
    if (TYPED.has(name)) return { k: "typed", name: name as AsTypedArray };
    if (name === "Array" || name === "Map" || name === "StaticArray")
      return fail("DCM_UNSUPPORTED_TYPE", `\`${name}\` at line ${line(n)} needs type arguments`);
    return this.declared(name, file, n, problems, fail);
  }

  /** A name declared in `file` or imported into it. */
  private declared(
    name: string,
    file: string,
    n: Parser.SyntaxNode,
    problems: Problem[],
    fail: (code: ErrorCode, message: string, suggestion?: string) => undefined,
  ): AsType | undefined {
    const found = this.lookup(name, file);
    if (!found) {
      return fail(
        "DCM_TYPE_NOT_FOUND",
        `type \`${name}\` at line ${line(n)} is not declared in ${file} or imported from a relative file`,
      );
    }
    const { decl, summary } = found;
    switch (decl.kind) {
      case "enum":
        return { k: "prim", name: "i32" };
      case "alias": {
        const key = `${summary.file}#${name}`;
        if (this.inProgress.has(key)) return fail("DCM_UNSUPPORTED_TYPE", `type alias \`${name}\` is recursive`);
        this.inProgress.add(key);
        try {
          if (decl.node.childForFieldName("type_parameters"))
            return fail("DCM_UNSUPPORTED_TYPE", `generic type alias \`${name}\` at line ${line(n)} is not supported`);
          return this.map(decl.node.childForFieldName("value")!, summary.file, problems);
        } finally {
          this.inProgress.delete(key);
        }
      }
      case "class":
        return this.classType(decl, summary, n, problems, fail);
      case "interface":
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `interface \`${name}\` at line ${line(n)} cannot cross the boundary (${summary.file}:${decl.line})`,
          "use a class with typed fields instead of an interface",
        );
      default:
        return fail("DCM_TYPE_NOT_FOUND", `\`${name}\` at line ${line(n)} is a ${decl.kind}, not a type`);
    }
  }

  /** Finds a type declaration by local name in a file, following named imports. */
  lookup(name: string, file: string, depth = 0): { decl: AsDecl; summary: FileSummary } | undefined {
    const summary = this.ws.summary(file);
    const decl = summary.decls.find((d) => d.name === name && d.kind !== "method");
    if (decl) return { decl, summary };
    if (depth > 16) return undefined;
    for (const imp of summary.imports) {
      const spec = imp.names.find((x) => x.local === name);
      if (!spec) continue;
      const target = this.ws.resolve(file, imp.spec);
      if (!target) return undefined;
      const r = this.lookup(spec.imported, target, depth + 1);
      return r?.decl.exported ? r : undefined;
    }
    return undefined;
  }

  private classType(
    decl: AsDecl,
    summary: FileSummary,
    n: Parser.SyntaxNode,
    problems: Problem[],
    fail: (code: ErrorCode, message: string, suggestion?: string) => undefined,
  ): AsType | undefined {
    const key = `${summary.file}#${decl.name}`;
    if (this.classes[key] || this.inProgress.has(key)) return { k: "class", key };
    const where = `class \`${decl.name}\` (${summary.file}:${decl.line})`;
    if (!decl.exported)
      return fail("DCM_UNSUPPORTED_CONSTRUCT", `${where} is not exported`, `write \`export class ${decl.name}\``);
    const c = decl.node;
    if (c.childForFieldName("type_parameters"))
      return fail("DCM_UNSUPPORTED_CONSTRUCT", `generic ${where} cannot be a record`);
    if (c.namedChildren.some((x) => x.type === "class_heritage"))
      return fail("DCM_UNSUPPORTED_CONSTRUCT", `${where} extends another class; records cannot inherit fields`);
    this.inProgress.add(key);
    const fields: AsClass["fields"] = [];
    const before = problems.length;
    const pos = (x: Parser.SyntaxNode) => ({ file: summary.file, line: line(x), col: col(x) });
    for (const m of c.childForFieldName("body")?.namedChildren ?? []) {
      if (m.type === "method_definition" && m.childForFieldName("name")?.text === "constructor") {
        const props = m
          .childForFieldName("parameters")
          ?.namedChildren.filter((p) =>
            p.children.some((x) => x.type === "accessibility_modifier" || x.type === "readonly"),
          );
        if (props?.length)
          problems.push({
            code: "DCM_UNSUPPORTED_CONSTRUCT",
            message: `${where}: constructor parameter property \`${props[0]!.text}\` at line ${line(props[0]!)}`,
            pos: pos(props[0]!),
            suggestion: "declare the field in the class body",
          });
      }
      if (m.type !== "public_field_definition") continue;
      if (m.children.some((x) => x.type === "static" || x.type === "declare")) continue;
      const fname = m.childForFieldName("name")?.text ?? "";
      const mod = m.children.find((x) => x.type === "accessibility_modifier" || x.type === "readonly");
      if (mod && mod.text !== "public") {
        problems.push({
          code: "DCM_UNSUPPORTED_CONSTRUCT",
          message: `${where}: field \`${fname}\` at line ${line(m)} is ${mod.text}; record fields must be public and writable`,
          pos: pos(m),
        });
        continue;
      }
      const t = m.childForFieldName("type");
      if (!t) {
        problems.push({
          code: "DCM_UNSUPPORTED_CONSTRUCT",
          message: `${where}: field \`${fname}\` at line ${line(m)} has no type annotation`,
          pos: pos(m),
          suggestion: `write \`${fname}: <type>\``,
        });
        continue;
      }
      const ft = this.map(t, summary.file, problems);
      if (ft) fields.push({ name: fname, type: ft });
    }
    this.inProgress.delete(key);
    if (problems.length > before) return undefined;
    this.classes[key] = { name: decl.name, file: summary.file, line: decl.line, fields };
    return { k: "class", key };
  }
}
