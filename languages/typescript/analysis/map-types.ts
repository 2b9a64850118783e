/**
 * TypeScript type nodes -> value-model types (runtime/abi/value-types.ts),
 * with the LiftSpec (ts-types.ts) telling the glue where a null must become
 * `undefined`. Interfaces and object type aliases become records; other
 * aliases are transparent. Names are resolved in the file, then through its
 * relative imports (and their re-exports), then among the built-ins.
 *
 * Integer widths and float32 the AssemblyScript way: an alias the user
 * declares as `type u32 = number;` (in the file or imported) is int<32,
 * unsigned>, and so on for i8…u32, f32, f64; `type i64 = bigint;` /
 * `type u64 = bigint;` are int<64>. The name decides, so a declaration of
 * such a name as anything else (`type u64 = number`) is refused rather than
 * read as float<64>. The glue range-checks these values (runtime/js-glue.ts).
 *
 * Known limitations: no type checker, so `typeof x`, mapped, conditional and
 * indexed types, namespaces (`ns.T`), string/number literal unions, enums,
 * classes and generics are refused; interfaces may extend other interfaces
 * (fields of the bases first) but not generic instantiations.
 */
import type Parser from "tree-sitter";
import { typeName } from "../../../runtime/abi/value-errors.js";
import type { RecordField, TypeTable, VType } from "../../../runtime/abi/value-types.js";
import type { LiftSpec, RecordLift } from "../ts-types.js";
import type { TsDecl } from "./summarize.js";
import { lineOf } from "./ts-parser.js";
import type { TsWorkspace } from "./workspace.js";

export interface Problem {
  code: "DCM_UNSUPPORTED_TYPE" | "DCM_UNSUPPORTED_CONSTRUCT" | "DCM_TYPE_NOT_FOUND";
  message: string;
  file: string;
  line: number;
  /** 1-based column, when known. */
  col?: number;
  suggestion?: string;
}

export interface Mapped {
  t: VType;
  lift: LiftSpec;
}

interface RecordEntry {
  key: string;
  source: string;
  file: string;
  fields: Array<RecordField & { undef: boolean; lift: LiftSpec }>;
  /** Every VType / LiftSpec object naming this record, renamed once names are final. */
  refs: Array<{ name: string } | { rec?: string }>;
  done: boolean;
}

const NUMBER: VType = { kind: "float", bits: 64 };
const BIGINT: VType = { kind: "int", bits: 64, signed: true };
const MAP_KEYS = new Set(["string", "float", "int"]);

/** Alias names with a width (AssemblyScript's spelling) -> what they must alias and what they mean. */
interface WidthAlias {
  base: "number" | "bigint";
  t: VType;
}

const WIDTH_ALIASES: Readonly<Record<string, WidthAlias>> = {
  i8: { base: "number", t: { kind: "int", bits: 8, signed: true } },
  i16: { base: "number", t: { kind: "int", bits: 16, signed: true } },
  i32: { base: "number", t: { kind: "int", bits: 32, signed: true } },
  u8: { base: "number", t: { kind: "int", bits: 8, signed: false } },
  u16: { base: "number", t: { kind: "int", bits: 16, signed: false } },
  u32: { base: "number", t: { kind: "int", bits: 32, signed: false } },
  f32: { base: "number", t: { kind: "float", bits: 32 } },
  f64: { base: "number", t: { kind: "float", bits: 64 } },
  i64: { base: "bigint", t: { kind: "int", bits: 64, signed: true } },
  u64: { base: "bigint", t: { kind: "int", bits: 64, signed: false } },
};

function widthAlias(name: string): WidthAlias | undefined {
  return Object.hasOwn(WIDTH_ALIASES, name) ? WIDTH_ALIASES[name] : undefined;
}

/** `type u32 = number;` and the like: spellings of value-model primitives, not type definitions a fragment carries. */
export function isWidthAlias(d: TsDecl): boolean {
  const width = widthAlias(d.name);
  const value = d.kind === "alias" && !d.node.childForFieldName("type_parameters") ? d.node.childForFieldName("value") : null;
  return !!width && !!value && (value.type === "predefined_type" || value.type === "type_identifier") && value.text === width.base;
}

export class TypeMapper {
  private records = new Map<string, RecordEntry>();
  private aliasStack: string[] = [];

  constructor(private readonly ws: TsWorkspace) {}

  /** Maps a type node (or its type_annotation wrapper) found in `file`. */
  map(node: Parser.SyntaxNode, file: string, problems: Problem[]): Mapped | undefined {
    const n = unwrap(node);
    const fail = (code: Problem["code"], message: string, suggestion?: string): undefined => {
      problems.push({ code, message, file, line: lineOf(n), ...(suggestion ? { suggestion } : {}) });
      return undefined;
    };
    switch (n.type) {
      case "predefined_type":
        switch (n.text) {
          case "number":
            return { t: NUMBER, lift: 0 };
          case "bigint":
            return { t: BIGINT, lift: 0 };
          case "boolean":
            return { t: { kind: "bool" }, lift: 0 };
          case "string":
            return { t: { kind: "string" }, lift: 0 };
          case "any":
          case "unknown":
          case "object":
            return fail(
              "DCM_UNSUPPORTED_TYPE",
              `\`${n.text}\` has no value-model type`,
              "declare the exact type (an interface for objects)",
            );
          default:
            return fail("DCM_UNSUPPORTED_TYPE", `\`${n.text}\` cannot cross the boundary here`);
        }
      case "type_identifier":
        return this.named(n, n.text, [], file, problems);
      case "generic_type": {
        const name = n.childForFieldName("name");
        const args = n.childForFieldName("type_arguments")?.namedChildren ?? [];
        if (name?.type !== "type_identifier") return fail("DCM_UNSUPPORTED_TYPE", `\`${n.text}\` is not supported`);
        return this.named(n, name.text, args, file, problems);
      }
      case "array_type": {
        const elem = n.namedChildren[0];
        const e = elem && this.map(elem, file, problems);
        return e && { t: { kind: "list", elem: e.t }, lift: e.lift ? { list: e.lift } : 0 };
      }
      case "readonly_type":
      case "parenthesized_type": {
        const inner = n.namedChildren[0];
        return inner && this.map(inner, file, problems);
      }
      case "union_type":
        return this.union(n, file, problems);
      case "function_type":
      case "constructor_type":
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `function-typed values (\`${short(n.text)}\`) cannot cross the boundary`,
          "pass data and call the function inside the fragment",
        );
      case "object_type":
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `anonymous object type \`${short(n.text)}\``,
          "declare it as `interface Name { … }` (or `type Name = { … }`) and use the name",
        );
      case "tuple_type":
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `tuple \`${short(n.text)}\` is only supported as a function's return type (multiple results)`,
          "use an interface",
        );
      case "literal_type":
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `literal type \`${short(n.text)}\``,
          "use `string`, `number` or `boolean` and check the value inside the fragment",
        );
      case "nested_type_identifier":
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `qualified type name \`${n.text}\``,
          `import the type by name: \`import type { ${n.childForFieldName("name")?.text ?? "T"} } from "…"\``,
        );
      default:
        return fail("DCM_UNSUPPORTED_TYPE", `type \`${short(n.text)}\` (${n.type.replaceAll("_", " ")}) is not supported`);
    }
  }

  private union(n: Parser.SyntaxNode, file: string, problems: Problem[]): Mapped | undefined {
    const members: Parser.SyntaxNode[] = [];
    const flatten = (x: Parser.SyntaxNode) => {
      const u = unwrap(x);
      if (u.type === "union_type") for (const c of u.namedChildren) flatten(c);
      else members.push(u);
    };
    flatten(n);
    let hasNull = false;
    let hasUndefined = false;
    const rest = members.filter((m) => {
      const t = m.type === "literal_type" ? (m.namedChildren[0]?.type ?? m.text) : m.type === "predefined_type" ? m.text : "";
      if (t === "null") hasNull = true;
      else if (t === "undefined") hasUndefined = true;
      else return true;
      return false;
    });
    if (rest.length !== 1) {
      problems.push({
        code: "DCM_UNSUPPORTED_TYPE",
        message: `union \`${short(n.text)}\`: only \`T | null\` and \`T | undefined\` are supported`,
        file,
        line: lineOf(n),
        suggestion: "use one type (an interface with optional fields for variants)",
      });
      return undefined;
    }
    const inner = this.map(rest[0]!, file, problems);
    if (!inner) return undefined;
    return optionalOf(inner, hasUndefined && !hasNull);
  }

  /**
   * The type of `new Name<Args>(…)` (a module variable's initial value, for
   * state): mapped as the annotation `Name<Args>` would be, so
   * `new Map<string, number>()` is a map and `new Uint8Array(n)` bytes.
   */
  constructed(n: Parser.SyntaxNode, name: string, args: Parser.SyntaxNode[], file: string, problems: Problem[]): Mapped | undefined {
    return this.named(n, name, args, file, problems);
  }

  private named(
    n: Parser.SyntaxNode,
    name: string,
    args: Parser.SyntaxNode[],
    file: string,
    problems: Problem[],
  ): Mapped | undefined {
    const fail = (code: Problem["code"], message: string, suggestion?: string): undefined => {
      problems.push({ code, message, file, line: lineOf(n), ...(suggestion ? { suggestion } : {}) });
      return undefined;
    };
    // tree-sitter-typescript 0.23 parses `bigint` as a type name, not a predefined type.
    if (name === "bigint" && args.length === 0) return { t: BIGINT, lift: 0 };
    const found = this.lookup(file, name);
    if (found) {
      if (args.length > 0) return fail("DCM_UNSUPPORTED_CONSTRUCT", `generic type \`${short(n.text)}\` is not supported`);
      return this.declType(found.decl, found.file, n, file, problems);
    }
    const arg = (i: number) => (args[i] ? this.map(args[i]!, file, problems) : undefined);
    const arity = (k: number): boolean => {
      if (args.length === k) return true;
      fail("DCM_UNSUPPORTED_TYPE", `\`${name}\` needs ${k} type argument(s): \`${short(n.text)}\``);
      return false;
    };
    switch (name) {
      case "Uint8Array":
        return args.length === 0 ? { t: { kind: "bytes" }, lift: 0 } : fail("DCM_UNSUPPORTED_TYPE", `\`${n.text}\``);
      case "Array":
      case "ReadonlyArray": {
        if (!arity(1)) return undefined;
        const e = arg(0);
        return e && { t: { kind: "list", elem: e.t }, lift: e.lift ? { list: e.lift } : 0 };
      }
      case "Map":
      case "ReadonlyMap": {
        if (!arity(2)) return undefined;
        const k = arg(0);
        const v = arg(1);
        if (!k || !v) return undefined;
        if (!MAP_KEYS.has(k.t.kind)) {
          return fail(
            "DCM_UNSUPPORTED_TYPE",
            `map keys must be string, number or bigint: \`${short(n.text)}\``,
            "key the map by a string",
          );
        }
        return { t: { kind: "map", key: k.t, value: v.t }, lift: v.lift ? { map: v.lift } : 0 };
      }
      case "Promise":
        return fail(
          "DCM_UNSUPPORTED_CONSTRUCT",
          `\`${short(n.text)}\`: fragment calls are synchronous`,
          "make the function synchronous (no `async`, no Promise)",
        );
      case "Set":
      case "ReadonlySet":
      case "Date":
      case "Object":
      case "Function":
      case "Symbol":
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `the built-in \`${name}\` has no value-model type`,
          name.endsWith("Set") ? "use an array" : name === "Date" ? "pass the time as a number (ms since the epoch) or an ISO string" : "declare an interface",
        );
      case "Record":
        return fail("DCM_UNSUPPORTED_TYPE", `\`${short(n.text)}\``, "use `Map<string, V>` (it crosses as a map)");
      default: {
        const width = widthAlias(name);
        return fail(
          "DCM_TYPE_NOT_FOUND",
          `type \`${name}\` is not declared in ${file} or imported from a relative module, and is not a supported built-in`,
          width
            ? `declare \`type ${name} = ${width.base};\` (dcm reads it as ${typeName(width.t)}) or import it from a file of the repository`
            : "declare it (interface or type alias) or import it from a file of the repository",
        );
      }
    }
  }

  /** The declaration a type name means in `file`: local, then imported (relative modules only). */
  lookup(file: string, name: string): { decl: TsDecl; file: string } | undefined {
    const s = this.ws.summary(file);
    const local = s.decls.find((d) => d.name === name && TYPE_DECLS.has(d.kind));
    if (local) return { decl: local, file };
    for (const imp of s.imports) {
      const spec = imp.names.find((x) => x.local === name);
      if (!spec) continue;
      const target = this.ws.resolve(file, imp.source);
      return target ? this.exported(target, spec.imported, 0) : undefined;
    }
    return undefined;
  }

  /** The type declaration exported from `file` as `name`, following re-exports. */
  private exported(file: string, name: string, depth: number): { decl: TsDecl; file: string } | undefined {
    if (depth > 8) return undefined;
    const s = this.ws.summary(file);
    const d = s.decls.find((x) => TYPE_DECLS.has(x.kind) && x.exportedAs.includes(name));
    if (d) return { decl: d, file };
    for (const r of s.reexports) {
      const spec = r.names ? r.names.find((x) => x.exported === name) : { imported: name };
      if (!spec) continue;
      const target = this.ws.resolve(file, r.source);
      const hit = target && this.exported(target, spec.imported, depth + 1);
      if (hit) return hit;
    }
    // `import { P } from "./a"; export { P };`
    const imp = s.imports.find((i) => i.names.some((x) => x.local === name));
    if (imp) {
      const target = this.ws.resolve(file, imp.source);
      const spec = imp.names.find((x) => x.local === name)!;
      return target ? this.exported(target, spec.imported, depth + 1) : undefined;
    }
    return undefined;
  }

  private declType(
    d: TsDecl,
    declFile: string,
    use: Parser.SyntaxNode,
    useFile: string,
    problems: Problem[],
  ): Mapped | undefined {
    const fail = (code: Problem["code"], message: string, suggestion?: string): undefined => {
      problems.push({ code, message, file: useFile, line: lineOf(use), ...(suggestion ? { suggestion } : {}) });
      return undefined;
    };
    if (d.node.childForFieldName("type_parameters")) {
      return fail("DCM_UNSUPPORTED_CONSTRUCT", `generic type \`${d.name}\` (${declFile}:${d.line}) is not supported`);
    }
    const width = widthAlias(d.name);
    if (width) return this.width(d, declFile, width, problems);
    switch (d.kind) {
      case "enum":
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `enum \`${d.name}\` (${declFile}:${d.line}) cannot cross the boundary`,
          "use `string` or `number` in the signature",
        );
      case "class":
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `class \`${d.name}\` (${declFile}:${d.line}) cannot cross the boundary (instances lose their prototype)`,
          `declare \`interface ${d.name}Data { … }\` with the fields and use it in the signature`,
        );
      case "interface":
        return this.record(d, declFile, problems);
      case "alias": {
        const value = d.node.childForFieldName("value");
        if (!value) return undefined;
        if (value.type === "object_type") return this.record(d, declFile, problems);
        const key = `${declFile}#${d.name}`;
        if (this.aliasStack.includes(key)) {
          return fail("DCM_UNSUPPORTED_TYPE", `type alias \`${d.name}\` refers to itself without an interface in between`);
        }
        this.aliasStack.push(key);
        try {
          return this.map(value, declFile, problems);
        } finally {
          this.aliasStack.pop();
        }
      }
      default:
        return fail("DCM_TYPE_NOT_FOUND", `\`${d.name}\` is not a type`);
    }
  }

  /** `type u32 = number;` and the like; any other declaration of such a name is refused at its own line. */
  private width(d: TsDecl, declFile: string, width: WidthAlias, problems: Problem[]): Mapped | undefined {
    if (isWidthAlias(d)) return { t: width.t, lift: 0 };
    const value = d.kind === "alias" ? d.node.childForFieldName("value") : null;
    // tree-sitter-typescript 0.23 parses `bigint` as a type name, `number` as a predefined type.
    const base = value && (value.type === "predefined_type" || value.type === "type_identifier") ? value.text : undefined;
    const what = value ? `\`${short(value.text)}\`` : `${/^[aeiou]/.test(d.kind) ? "an" : "a"} ${d.kind}`;
    const why =
      width.base === "bigint"
        ? " (JavaScript holds 64-bit integers exactly only as bigint)"
        : base === "bigint"
          ? " (a 64-bit integer is `i64`/`u64`)"
          : "";
    problems.push({
      code: "DCM_UNSUPPORTED_TYPE",
      message:
        `\`${d.name}\` is declared as ${what}, but dcm reads a type named \`${d.name}\` ` +
        `as ${typeName(width.t)}, which must be an alias of \`${width.base}\`${why}`,
      file: declFile,
      line: d.line,
      suggestion: `declare \`type ${d.name} = ${width.base};\`, or give the type another name`,
    });
    return undefined;
  }

  private record(d: TsDecl, file: string, problems: Problem[]): Mapped | undefined {
    const key = `${file}#${d.name}`;
    let entry = this.records.get(key);
    if (!entry) {
      entry = { key, source: d.name, file, fields: [], refs: [], done: false };
      this.records.set(key, entry);
      const before = problems.length;
      entry.fields = this.fields(d, file, problems, new Set([key]));
      entry.done = problems.length === before;
      if (!entry.done) this.records.delete(key);
    }
    if (!this.records.has(key)) return undefined;
    const t = { kind: "record" as const, name: key };
    entry.refs.push(t);
    // Always a spec: a recursive record's fields are not known yet here; the glue drops specs of records without lifting.
    const lift = { rec: key };
    entry.refs.push(lift);
    return { t, lift };
  }

  private fields(d: TsDecl, file: string, problems: Problem[], seen: Set<string>): RecordEntry["fields"] {
    const out: RecordEntry["fields"] = [];
    const push = (message: string, node: Parser.SyntaxNode, suggestion?: string) =>
      problems.push({
        code: "DCM_UNSUPPORTED_CONSTRUCT",
        message: `\`${d.name}\`: ${message}`,
        file,
        line: lineOf(node),
        ...(suggestion ? { suggestion } : {}),
      });
    if (d.kind === "interface") {
      for (const clause of d.node.namedChildren.filter((c) => c.type === "extends_type_clause")) {
        for (const base of clause.namedChildren) {
          const hit = base.type === "type_identifier" ? this.lookup(file, base.text) : undefined;
          const key = hit && `${hit.file}#${hit.decl.name}`;
          if (!hit || !key || hit.decl.kind !== "interface" || seen.has(key)) {
            push(`extends \`${short(base.text)}\`, which is not an interface of the repository`, base);
            continue;
          }
          out.push(...this.fields(hit.decl, hit.file, problems, new Set([...seen, key])));
        }
      }
    }
    const body = d.kind === "interface" ? d.node.childForFieldName("body") : d.node.childForFieldName("value");
    for (const member of body?.namedChildren ?? []) {
      if (member.type === "comment") continue;
      if (member.type !== "property_signature") {
        push(
          `${member.type.replaceAll("_", " ")} \`${short(member.text)}\` is not data`,
          member,
          "records may only hold fields (`name: Type`)",
        );
        continue;
      }
      const nameNode = member.childForFieldName("name");
      const typeNode = member.childForFieldName("type");
      const name = nameNode?.type === "string" ? (nameNode.namedChildren[0]?.text ?? "") : (nameNode?.text ?? "");
      if (!typeNode) {
        push(`field \`${name}\` has no type annotation`, member, `write \`${name}: <type>\``);
        continue;
      }
      const m = this.map(typeNode, file, problems);
      if (!m) continue;
      const question = member.children.some((c) => c.type === "?");
      const field = question ? optionalOf(m, m.t.kind !== "optional") : m;
      const undef = question ? m.t.kind !== "optional" : isUndefOnly(field.lift);
      out.push({ name, jsonName: name, type: field.t, undef, lift: stripU(field.lift) });
    }
    return out;
  }

  /**
   * Final record names (the source name, or `dir/file.Name` when two files
   * declare the same name), the type table and the lift table.
   */
  finish(): { types: TypeTable; recordLift: Record<string, RecordLift> } {
    const count = new Map<string, number>();
    for (const e of this.records.values()) count.set(e.source, (count.get(e.source) ?? 0) + 1);
    const names = new Map<string, string>();
    for (const e of this.records.values()) {
      const name = count.get(e.source) === 1 ? e.source : `${e.file.replace(/\.m?ts$/, "")}.${e.source}`;
      names.set(e.key, name);
    }
    for (const e of this.records.values()) {
      for (const r of e.refs) {
        if ("name" in r) r.name = names.get(e.key)!;
        else r.rec = names.get(e.key)!;
      }
    }
    const types: TypeTable = {};
    const recordLift: Record<string, RecordLift> = {};
    for (const e of [...this.records.values()].sort((a, b) => cmp(names.get(a.key)!, names.get(b.key)!))) {
      const name = names.get(e.key)!;
      types[name] = {
        name,
        origin: `${e.file}#${e.source}`,
        fields: e.fields.map((f) => ({ name: f.name, jsonName: f.jsonName, type: f.type })),
      };
      const undef = e.fields.filter((f) => f.undef).map((f) => f.jsonName);
      const nested: Record<string, LiftSpec> = {};
      for (const f of e.fields) if (f.lift) nested[f.jsonName] = f.lift;
      if (undef.length || Object.keys(nested).length) recordLift[name] = { undef, nested };
    }
    return { types, recordLift };
  }
}

const TYPE_DECLS = new Set(["interface", "alias", "enum", "class"]);

/** optional<inner>; `undef`: a null must arrive as undefined. */
export function optionalOf(inner: Mapped, undef: boolean): Mapped {
  if (inner.t.kind === "optional") return inner;
  const lift: LiftSpec = undef || inner.lift ? { ...(undef ? { u: 1 as const } : {}), ...(inner.lift ? { opt: inner.lift } : {}) } : 0;
  return { t: { kind: "optional", inner: inner.t }, lift };
}

function isUndefOnly(l: LiftSpec): boolean {
  return l !== 0 && l.u === 1;
}

/** A field's own `u` is carried by RecordLift.undef; keep only what lies below it. */
function stripU(l: LiftSpec): LiftSpec {
  if (l === 0 || !l.u) return l;
  return l.opt ?? 0;
}

function unwrap(n: Parser.SyntaxNode): Parser.SyntaxNode {
  return n.type === "type_annotation" && n.namedChildren[0] ? n.namedChildren[0] : n;
}

function short(text: string): string {
  const one = text.replace(/\s+/g, " ");
  return one.length > 60 ? `${one.slice(0, 60)}…` : one;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
