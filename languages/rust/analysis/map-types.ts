/**
 * Rust type syntax → RustType, resolving named types to the crate's structs
 * and data-less enums (through `use` declarations and module paths), and
 * reporting what cannot cross the boundary with its line.
 *
 * Known limitations: no trait or macro expansion; a type named through a
 * `pub use` chain is followed up to 8 hops; type aliases are followed in the
 * file that declares them; array lengths must be integer literals.
 */
import type { ErrorCode } from "../../../runtime/diagnostics/catalog.js";
import type { SourcePos } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { RustCrateInfo, RustNamedType, RustPrim, RustType } from "../rust-types.js";
import { colOf, lineOf, type Node } from "./rust-parser.js";
import {
  type Decl,
  type FileSummary,
  fileOfModPath,
  modPathOf,
  pathSegments,
  type RustWorkspace,
} from "./workspace.js";

export interface Problem {
  code: ErrorCode;
  message: string;
  pos: SourcePos;
  suggestion?: string;
}

export interface FileCtx {
  file: string;
  modPath: string[];
  summary: FileSummary;
  /** Inside an impl: what `Self` means. */
  self?: { text: string; type: RustType };
}

export type Position = "param" | "result" | "field";

const PRIMS = new Set(["bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64"]);
const STD_ROOTS = new Set(["std", "alloc", "core"]);

export class TypeMapper {
  readonly named: Record<string, RustNamedType> = {};
  private readonly declaring = new Set<string>();

  constructor(
    readonly ws: RustWorkspace,
    readonly crate: RustCrateInfo,
  ) {}

  ctxFor(file: string): FileCtx | undefined {
    const modPath = modPathOf(file, this.crate.root);
    if (!modPath) return undefined;
    return { file, modPath, summary: this.ws.summary(file) };
  }

  map(n: Node, ctx: FileCtx, where: Position, problems: Problem[]): RustType | undefined {
    const bad = (code: ErrorCode, what: string, suggestion?: string): undefined => {
      problems.push({
        code,
        message: `${what} (\`${n.text}\` at line ${lineOf(n)})`,
        pos: { file: ctx.file, line: lineOf(n), col: colOf(n) },
        ...(suggestion ? { suggestion } : {}),
      });
      return undefined;
    };
    switch (n.type) {
      case "primitive_type": {
        const t = n.text;
        if (PRIMS.has(t)) return { k: "prim", name: t as RustPrim };
        if (t === "usize" || t === "isize")
          return bad(
            "DCM_UNSUPPORTED_TYPE",
            `\`${t}\` is 32 bits on wasm32 and 64 bits on x86_64, so it cannot cross the boundary with the same range`,
            `use ${t === "usize" ? "u32 or u64" : "i32 or i64"} in the signature (convert with \`as\` inside the function)`,
          );
        if (t === "str") return bad("DCM_UNSUPPORTED_TYPE", "a bare `str` has no size; use `&str` or `String`");
        return bad("DCM_UNSUPPORTED_TYPE", `\`${t}\` has no value-model type`, "use i64/u64, f64, bool or String");
      }
      case "type_identifier": {
        if (n.text === "String") return { k: "prim", name: "String" };
        if (n.text === "Self" && ctx.self) return ctx.self.type;
        return this.resolve([n.text], n, ctx, problems);
      }
      case "scoped_type_identifier": {
        const segs = pathSegments(n);
        if (segs[segs.length - 1] === "String" && STD_ROOTS.has(segs[0]!)) return { k: "prim", name: "String" };
        return this.resolve(segs, n, ctx, problems);
      }
      case "generic_type": {
        const head = n.childForFieldName("type")!;
        const segs = pathSegments(head);
        const name = segs[segs.length - 1]!;
        const args = (n.childForFieldName("type_arguments")?.namedChildren ?? []).filter((a) => a.type !== "lifetime");
        if ((n.childForFieldName("type_arguments")?.namedChildren ?? []).some((a) => a.type === "lifetime"))
          return bad("DCM_UNSUPPORTED_CONSTRUCT", "lifetime arguments in a signature are not supported");
        const arg = (i: number) => (args[i] ? this.map(args[i]!, ctx, where === "param" ? "field" : where, problems) : undefined);
        const stdOk = segs.length === 1 || STD_ROOTS.has(segs[0]!);
        if (stdOk && name === "Vec" && args.length === 1) {
          const e = arg(0);
          return e && { k: "vec", elem: e };
        }
        if (stdOk && name === "Option" && args.length === 1) {
          const e = arg(0);
          return e && { k: "option", inner: e };
        }
        if (stdOk && name === "Box" && args.length === 1) {
          const e = arg(0);
          return e && { k: "box", inner: e };
        }
        if (stdOk && (name === "HashMap" || name === "BTreeMap") && args.length === 2) {
          const key = arg(0);
          const value = arg(1);
          if (!key || !value) return undefined;
          if (!(key.k === "prim" && key.name !== "f32" && key.name !== "f64" && key.name !== "str"))
            return bad("DCM_UNSUPPORTED_TYPE", "map keys must be String, an integer or bool", "use String keys");
          return { k: "map", which: name, key, value };
        }
        if (stdOk && name === "Result")
          return bad("DCM_UNSUPPORTED_TYPE", "`Result` is only supported as the whole return type of a fragment");
        return bad(
          "DCM_UNSUPPORTED_TYPE",
          `the generic type \`${name}\` cannot cross the boundary`,
          "use Vec, Option, Box, HashMap/BTreeMap or a non-generic struct",
        );
      }
      case "reference_type": {
        if (n.namedChildren.some((c) => c.type === "lifetime" && c.text !== "'static"))
          return bad(
            "DCM_UNSUPPORTED_CONSTRUCT",
            "explicit lifetimes in a signature are not supported",
            "leave the lifetime out (elided) or take an owned value",
          );
        const mut = n.namedChildren.some((c) => c.type === "mutable_specifier");
        const inner = n.childForFieldName("type")!;
        if (inner.type === "primitive_type" && inner.text === "str") return { k: "ref", mut, inner: { k: "prim", name: "str" } };
        if (inner.type === "array_type" && !inner.childForFieldName("length")) {
          const e = this.map(inner.childForFieldName("element")!, ctx, "field", problems);
          return e && { k: "ref", mut, inner: { k: "slice", elem: e } };
        }
        if (inner.type === "dynamic_type" || inner.type === "abstract_type")
          return bad("DCM_UNSUPPORTED_CONSTRUCT", "trait objects cannot cross the boundary", "take a concrete type");
        if (where === "field") return bad("DCM_UNSUPPORTED_TYPE", "references inside values are not supported", "use an owned type");
        const t = this.map(inner, ctx, "field", problems);
        return t && { k: "ref", mut, inner: t };
      }
      case "array_type": {
        const len = n.childForFieldName("length");
        if (!len) return bad("DCM_UNSUPPORTED_TYPE", "a bare slice `[T]` has no size; use `&[T]` or `Vec<T>`");
        if (len.type !== "integer_literal")
          return bad("DCM_UNSUPPORTED_TYPE", "array lengths must be integer literals", "write the length as a number");
        const e = this.map(n.childForFieldName("element")!, ctx, "field", problems);
        return e && { k: "array", elem: e, len: Number(len.text.replace(/_|usize|u32|i32/g, "")) };
      }
      case "dynamic_type":
      case "abstract_type":
        return bad("DCM_UNSUPPORTED_CONSTRUCT", "trait objects (`dyn Trait` / `impl Trait`) cannot cross the boundary", "take a concrete type");
      case "function_type":
        return bad("DCM_UNSUPPORTED_CONSTRUCT", "closures and function pointers cannot cross the boundary");
      case "pointer_type":
        return bad("DCM_UNSUPPORTED_CONSTRUCT", "raw pointers cannot cross the boundary", "take an owned value");
      case "tuple_type":
        return bad("DCM_UNSUPPORTED_TYPE", "tuples are only supported as the whole return type (several results)");
      case "unit_type":
        return bad("DCM_UNSUPPORTED_TYPE", "`()` is only supported as a return type");
      default:
        return bad("DCM_UNSUPPORTED_TYPE", `this type cannot cross the boundary`);
    }
  }

  /** A path naming a type of the crate → the named type (struct/enum) or an alias's target. */
  private resolve(segs: string[], n: Node, ctx: FileCtx, problems: Problem[]): RustType | undefined {
    const pos = { file: ctx.file, line: lineOf(n), col: colOf(n) };
    const found = this.locate(segs, ctx, 0);
    if (found === "external") {
      problems.push({
        code: "DCM_UNSUPPORTED_TYPE",
        message: `\`${n.text}\` (line ${lineOf(n)}) is a type of another crate; only the crate's own structs and enums cross the boundary`,
        pos,
      });
      return undefined;
    }
    if (!found) {
      problems.push({
        code: "DCM_TYPE_NOT_FOUND",
        message: `type \`${n.text}\` (line ${lineOf(n)}) is not declared in ${ctx.file} nor found through its \`use\` declarations`,
        pos,
        suggestion: "declare the struct or enum in the crate (files of `mod x;` are followed), or import it with `use crate::…`",
      });
      return undefined;
    }
    const { decl, fctx } = found;
    if (decl.item === "alias") {
      const key = `alias ${fctx.file}:${decl.line}`;
      if (this.declaring.has(key)) return undefined;
      this.declaring.add(key);
      const t = decl.node.childForFieldName("type");
      const r = t ? this.map(t, fctx, "field", problems) : undefined;
      this.declaring.delete(key);
      return r;
    }
    const key = ["crate", ...fctx.modPath, decl.name].join("::");
    if (!this.named[key] && !this.declaring.has(key)) this.declare(key, decl, fctx, problems);
    return { k: "named", key, text: n.text };
  }

  /** Finds the declaration a path names, seen from ctx. */
  locate(
    segs: string[],
    ctx: FileCtx,
    hops: number,
  ): { decl: Decl; fctx: FileCtx } | "external" | undefined {
    if (hops > 8 || segs.length === 0) return undefined;
    const [first, ...rest] = segs as [string, ...string[]];
    if (rest.length === 0) {
      const d = ctx.summary.decls.find(
        (x) => x.name === first && (x.item === "struct" || x.item === "enum" || x.item === "alias"),
      );
      if (d) return { decl: d, fctx: ctx };
      const u = ctx.summary.uses.find((x) => x.alias === first);
      if (u) return this.absolute(u.path, ctx, hops + 1);
      for (const g of ctx.summary.uses.filter((x) => x.alias === "*")) {
        const r = this.absolute([...g.path, first], ctx, hops + 1);
        if (r) return r;
      }
      return undefined;
    }
    const u = ctx.summary.uses.find((x) => x.alias === first);
    if (u && !["crate", "self", "super"].includes(first)) return this.absolute([...u.path, ...rest], ctx, hops + 1);
    return this.absolute(segs, ctx, hops + 1);
  }

  /** A path relative to ctx's module (`crate::`, `self::`, `super::`, a child module, another crate). */
  private absolute(segs: string[], ctx: FileCtx, hops: number): { decl: Decl; fctx: FileCtx } | "external" | undefined {
    let mod: string[];
    let i = 0;
    if (segs[0] === "crate") {
      mod = [];
      i = 1;
    } else if (segs[0] === "self" || segs[0] === "super") {
      mod = [...ctx.modPath];
      while (segs[i] === "self" || segs[i] === "super") {
        if (segs[i] === "super") mod.pop();
        i++;
      }
    } else if (ctx.summary.mods.includes(segs[0]!)) {
      mod = [...ctx.modPath];
    } else if (segs[0] === this.crate.name.replaceAll("-", "_") && segs.length > 1) {
      mod = [];
      i = 1;
    } else if (segs.length > 1) {
      return "external";
    } else {
      return undefined;
    }
    const modSegs = segs.slice(i, -1);
    const name = segs[segs.length - 1]!;
    const file = fileOfModPath(this.ws, this.crate.root, [...mod, ...modSegs]);
    if (!file) return undefined;
    const fctx = this.ctxFor(file);
    if (!fctx) return undefined;
    return this.locate([name], fctx, hops);
  }

  private declare(key: string, decl: Decl, fctx: FileCtx, problems: Problem[]): void {
    this.declaring.add(key);
    const node = decl.node;
    const pos = { file: fctx.file, line: decl.line, col: colOf(node) };
    const base: RustNamedType = {
      key,
      name: decl.name,
      modPath: fctx.modPath,
      file: fctx.file,
      line: decl.line,
      kind: decl.item === "enum" ? "enum" : "struct",
    };
    if (node.childForFieldName("type_parameters")) {
      problems.push({
        code: "DCM_UNSUPPORTED_CONSTRUCT",
        message: `generic type \`${decl.name}\` (${fctx.file}:${decl.line}) cannot cross the boundary`,
        pos,
        suggestion: "use a non-generic struct",
      });
    }
    const body = node.childForFieldName("body");
    if (decl.item === "enum") {
      base.variants = [];
      for (const v of body?.namedChildren.filter((c) => c.type === "enum_variant") ?? []) {
        const vname = v.childForFieldName("name")?.text ?? "";
        if (v.childForFieldName("body")) {
          problems.push({
            code: "DCM_UNSUPPORTED_CONSTRUCT",
            message: `enum \`${decl.name}\` has a variant with data (\`${vname}\`, ${fctx.file}:${lineOf(v)}); only enums without data cross the boundary (as their variant names)`,
            pos: { file: fctx.file, line: lineOf(v), col: colOf(v) },
            suggestion: "use a struct with an enum field, or an enum without data",
          });
        }
        base.variants.push({ name: vname, wire: serdeRename(v) ?? vname });
      }
    } else if (!body) {
      base.unit = true;
      base.fields = [];
    } else if (body.type === "ordered_field_declaration_list") {
      problems.push({
        code: "DCM_UNSUPPORTED_CONSTRUCT",
        message: `tuple struct \`${decl.name}\` (${fctx.file}:${decl.line}) has no field names; only structs with named fields cross the boundary`,
        pos,
        suggestion: "give the fields names",
      });
    } else {
      base.fields = [];
      for (const f of body.namedChildren.filter((c) => c.type === "field_declaration")) {
        const fname = f.childForFieldName("name")?.text ?? "";
        const t = this.map(f.childForFieldName("type")!, fctx, "field", problems);
        if (t) base.fields.push({ name: fname, jsonName: serdeRename(f) ?? fname, type: t });
      }
    }
    this.named[key] = base;
    this.declaring.delete(key);
  }
}

/** `#[serde(rename = "x")]` on the attribute items right before a field or variant. */
function serdeRename(n: Node): string | undefined {
  for (let p = n.previousNamedSibling; p && p.type === "attribute_item"; p = p.previousNamedSibling) {
    const m = /serde\s*\([^)]*\brename\s*=\s*"([^"]*)"/.exec(p.text);
    if (m) return m[1];
  }
  return undefined;
}
