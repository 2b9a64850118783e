/**
 * Renders Go source for the generated main package: type names, and one
 * encoder/decoder pair per distinct non-trivial Go type (dcmEnc_<T>/dcmDec_<T>).
 * Basic types (and named basic types, and byte slices) are encoded inline.
 */
import type { TypeTable } from "../../../runtime/abi/value-types.js";
import type { GoField, GoType } from "../go-types.js";
import { compareStrings, uniqueNames } from "./naming.js";
import {
  basicUnder,
  canonicalBasic,
  isByteSlice,
  isExported,
  lookupNamed,
  type NamedTable,
  typeKey,
  underlyingOf,
  wireFields,
} from "./type-model.js";

/**
 * A type the codec handles: a Go type, or `vlist`, the list a variadic `...byte`
 * parameter arrives as (a list of numbers on the wire, not `bytes`).
 */
export type CType = GoType | { k: "vlist"; elem: GoType };

function ckey(t: CType): string {
  return t.k === "vlist" ? `v(${typeKey(t.elem)})` : typeKey(t);
}

/** Maps a package path to the identifier the generated file imports it as, recording use. */
export interface ImportTable {
  /** Qualifier for a package path (marks the import as used). */
  qualify(pkgPath: string): string;
}

export interface CodecOptions {
  named: NamedTable;
  types: TypeTable;
  imports: ImportTable;
  /** Package path as the generated code imports it (package main is reached through a copy). */
  effectivePath(pkgPath: string): string;
}

/** Renders Go types and generates the codec functions they need. */
export class Codec {
  readonly named: NamedTable;
  private readonly types: TypeTable;
  private readonly imports: ImportTable;
  private readonly effectivePath: (p: string) => string;
  /** canonical key → type, for every type that gets functions. */
  private readonly fnTypes = new Map<string, CType>();
  private suffixes: Map<string, string> | null = null;
  private recursive: Set<string> | null = null;

  constructor(o: CodecOptions) {
    this.named = o.named;
    this.types = o.types;
    this.imports = o.imports;
    this.effectivePath = o.effectivePath;
  }

  /** Go source of a type. Unexported named types are reached through their `DcmT_` alias. */
  render(t: CType): string {
    switch (t.k) {
      case "vlist":
        return `[]${this.render(t.elem)}`;
      case "basic":
        return t.name;
      case "named": {
        const n = lookupNamed(this.named, t);
        const q = this.imports.qualify(this.effectivePath(n.pkgPath));
        return `${q}.${isExported(n.name) ? n.name : `DcmT_${n.name}`}`;
      }
      case "slice":
        return `[]${this.render(t.elem)}`;
      case "array":
        return `[${t.len}]${this.render(t.elem)}`;
      case "map":
        return `map[${this.render(t.key)}]${this.render(t.value)}`;
      case "pointer":
        return `*${this.render(t.elem)}`;
      case "struct":
        throw new Error("dcm go generator: an unnamed struct type cannot cross the boundary");
    }
  }

  /** Is t encoded inline (no function of its own)? */
  private inline(t: CType): boolean {
    if (t.k === "vlist") return false;
    return basicUnder(t, this.named) !== null || isByteSlice(underlyingOf(t, this.named));
  }

  /** Registers t and every type it contains. Call for every parameter and result before rendering. */
  use(t: CType): void {
    if (this.suffixes) throw new Error("dcm go generator: types registered after rendering started");
    if (this.inline(t)) return;
    const key = ckey(t);
    if (this.fnTypes.has(key)) return;
    this.fnTypes.set(key, t);
    for (const c of this.children(t)) this.use(c);
  }

  /** The types a function for t calls into. */
  private children(t: CType): GoType[] {
    switch (t.k) {
      case "named": {
        const n = lookupNamed(this.named, t);
        if (n.underlying.k === "struct") return this.fields(t).map((f) => f.type);
        return [n.underlying];
      }
      case "vlist":
      case "slice":
      case "array":
      case "pointer":
        return [t.elem];
      case "map":
        return [t.key, t.value];
      default:
        return [];
    }
  }

  private fields(t: GoType & { k: "named" }): GoField[] {
    const n = lookupNamed(this.named, t);
    if (n.underlying.k !== "struct") return [];
    return wireFields(n, n.underlying.fields, this.types);
  }

  private suffix(t: CType): string {
    if (!this.suffixes) throw new Error("dcm go generator: codec not finished");
    const s = this.suffixes.get(ckey(t));
    if (s === undefined) throw new Error(`dcm go generator: type ${ckey(t)} was not registered`);
    return s;
  }

  private readable(t: CType): string {
    switch (t.k) {
      case "vlist":
        return `ls_${this.readable(t.elem)}`;
      case "basic":
        return canonicalBasic(t.name);
      case "named": {
        const n = lookupNamed(this.named, t);
        return `${n.pkgName}_${n.name}`;
      }
      case "slice":
        return isByteSlice(t) ? "bytes" : `sl_${this.readable(t.elem)}`;
      case "array":
        return `ar${t.len}_${this.readable(t.elem)}`;
      case "map":
        return `mp_${this.readable(t.key)}_${this.readable(t.value)}`;
      case "pointer":
        return `pt_${this.readable(t.elem)}`;
      case "struct":
        return "struct";
    }
  }

  /** Fixes function names (in canonical key order) and finds recursive struct types. */
  finish(): void {
    const keys = [...this.fnTypes.keys()].sort(compareStrings);
    this.suffixes = uniqueNames(keys, (k) => this.readable(this.fnTypes.get(k)!));
    this.recursive = new Set();
    for (const [key, t] of this.fnTypes) {
      if (t.k === "named" && this.reaches(t, key, new Set())) this.recursive.add(key);
    }
  }

  private reaches(from: CType, target: string, seen: Set<string>): boolean {
    for (const c of this.children(from)) {
      const k = typeKey(c);
      if (k === target) return true;
      if (seen.has(k) || this.inline(c)) continue;
      seen.add(k);
      if (this.reaches(c, target, seen)) return true;
    }
    return false;
  }

  /** Statement that encodes the Go expression x of type t into e. */
  enc(t: CType, x: string): string {
    if (t.k === "vlist") return `dcmEnc_${this.suffix(t)}(e, ${x})`;
    const b = basicUnder(t, this.named);
    const isNamed = t.k === "named";
    if (b !== null) {
      const c = canonicalBasic(b);
      const conv = (goType: string, method: string): string =>
        !isNamed && c === goType ? `e.${method}(${x})` : `e.${method}(${goType}(${x}))`;
      switch (c) {
        case "bool":
          return conv("bool", "bool");
        case "string":
          return conv("string", "str");
        case "float32":
          return conv("float32", "f32");
        case "float64":
          return conv("float64", "f64");
        case "int8":
        case "uint8":
          return conv("uint8", "u8");
        case "int16":
        case "uint16":
          return conv("uint16", "u16");
        case "int32":
        case "uint32":
          return conv("uint32", "u32");
        default:
          return conv("uint64", "u64");
      }
    }
    if (isByteSlice(underlyingOf(t, this.named))) return isNamed ? `e.bytes([]byte(${x}))` : `e.bytes(${x})`;
    return `dcmEnc_${this.suffix(t)}(e, ${x})`;
  }

  /** Expression that decodes a value of type t from d. */
  dec(t: CType): string {
    if (t.k === "vlist") return `dcmDec_${this.suffix(t)}(d)`;
    const b = basicUnder(t, this.named);
    const isNamed = t.k === "named";
    if (b !== null) {
      const c = canonicalBasic(b);
      const wrap = (expr: string, natural: string): string =>
        !isNamed && c === natural ? expr : `${this.render(t)}(${expr})`;
      switch (c) {
        case "bool":
          return wrap("d.bool()", "bool");
        case "string":
          return wrap("d.str()", "string");
        case "float32":
          return wrap("d.f32()", "float32");
        case "float64":
          return wrap("d.f64()", "float64");
        case "int8":
        case "uint8":
          return wrap("d.u8()", "uint8");
        case "int16":
        case "uint16":
          return wrap("d.u16()", "uint16");
        case "int32":
        case "uint32":
          return wrap("d.u32()", "uint32");
        default:
          return wrap("d.u64()", "uint64");
      }
    }
    if (isByteSlice(underlyingOf(t, this.named))) return isNamed ? `${this.render(t)}(d.bytes())` : "d.bytes()";
    return `dcmDec_${this.suffix(t)}(d)`;
  }

  /** The fewest bytes a value of type t takes on the wire. */
  minSize(t: GoType, seen: Set<string> = new Set()): number {
    const u = underlyingOf(t, this.named);
    switch (u.k) {
      case "basic": {
        const c = canonicalBasic(u.name);
        if (c === "bool" || c === "int8" || c === "uint8") return 1;
        if (c === "int16" || c === "uint16") return 2;
        if (c === "string" || c === "int32" || c === "uint32" || c === "float32") return 4;
        return 8;
      }
      case "slice":
      case "map":
        return 4;
      case "pointer":
        return 1;
      case "array":
        return u.len * this.minSize(u.elem, seen);
      case "struct": {
        if (t.k !== "named") return 0;
        const key = typeKey(t);
        if (seen.has(key)) return 0;
        seen.add(key);
        let sum = 0;
        for (const f of this.fields(t)) sum += this.minSize(f.type, seen);
        seen.delete(key);
        return sum;
      }
    }
  }

  /** All codec functions, in canonical key order. */
  functions(): string {
    if (!this.suffixes) this.finish();
    const out: string[] = [];
    for (const key of [...this.fnTypes.keys()].sort(compareStrings)) {
      out.push(this.functionPair(this.fnTypes.get(key)!));
    }
    return out.join("\n");
  }

  private functionPair(t: CType): string {
    const s = this.suffix(t);
    const r = this.render(t);
    const enc: string[] = [];
    const dec: string[] = [];
    const comment = `// dcmEnc_${s} and dcmDec_${s}: ${r}.`;
    switch (t.k) {
      case "named": {
        const n = lookupNamed(this.named, t);
        if (n.underlying.k === "struct") {
          const rec = this.recursive!.has(typeKey(t));
          const fields = this.fields(t);
          if (rec) enc.push("\te.enter()");
          for (const f of fields) enc.push(`\t${this.enc(f.type, `v.${f.name}`)}`);
          if (rec) enc.push("\te.leave()");
          if (rec) dec.push("\tif !d.enter() {", "\t\treturn", "\t}");
          for (const f of fields) dec.push(`\tv.${f.name} = ${this.dec(f.type)}`);
          if (rec) dec.push("\td.leave()");
          dec.push("\treturn");
          return [
            comment,
            `func dcmEnc_${s}(e *dcm_enc, v ${r}) {`,
            ...enc,
            "}",
            "",
            `func dcmDec_${s}(d *dcm_dec) (v ${r}) {`,
            ...dec,
            "}",
            "",
          ].join("\n");
        }
        const u = n.underlying;
        return [
          comment,
          `func dcmEnc_${s}(e *dcm_enc, v ${r}) {`,
          `\t${this.enc(u, `${parenType(this.render(u))}(v)`)}`,
          "}",
          "",
          `func dcmDec_${s}(d *dcm_dec) ${r} {`,
          `\treturn ${r}(${this.dec(u)})`,
          "}",
          "",
        ].join("\n");
      }
      case "vlist":
      case "slice":
        return [
          comment,
          `func dcmEnc_${s}(e *dcm_enc, v ${r}) {`,
          "\te.count(len(v))",
          "\tfor _, x := range v {",
          `\t\t${this.enc(t.elem, "x")}`,
          "\t}",
          "}",
          "",
          `func dcmDec_${s}(d *dcm_dec) ${r} {`,
          `\tv := make(${r}, d.count(${this.minSize(t.elem)}))`,
          "\tfor i := range v {",
          `\t\tv[i] = ${this.dec(t.elem)}`,
          "\t}",
          "\treturn v",
          "}",
          "",
        ].join("\n");
      case "array":
        return [
          comment,
          `func dcmEnc_${s}(e *dcm_enc, v ${r}) {`,
          "\tfor _, x := range v {",
          `\t\t${this.enc(t.elem, "x")}`,
          "\t}",
          "}",
          "",
          `func dcmDec_${s}(d *dcm_dec) (v ${r}) {`,
          "\tfor i := range v {",
          `\t\tv[i] = ${this.dec(t.elem)}`,
          "\t}",
          "\treturn",
          "}",
          "",
        ].join("\n");
      case "map": {
        const kb = basicUnder(t.key, this.named);
        if (kb === null) {
          throw new Error(`dcm go generator: map key type ${r} is not a bool, integer, float or string`);
        }
        const sorter = canonicalBasic(kb) === "bool" ? "dcm_sortedBoolMap" : "dcm_sortedMap";
        return [
          comment,
          `func dcmEnc_${s}(e *dcm_enc, v ${r}) {`,
          "\te.count(len(v))",
          `\tfor _, kv := range ${sorter}(v) {`,
          `\t\t${this.enc(t.key, "kv.k")}`,
          `\t\t${this.enc(t.value, "kv.v")}`,
          "\t}",
          "}",
          "",
          `func dcmDec_${s}(d *dcm_dec) ${r} {`,
          `\tn := d.count(${this.minSize(t.key) + this.minSize(t.value)})`,
          `\tv := make(${r}, n)`,
          "\tfor range n {",
          `\t\tk := ${this.dec(t.key)}`,
          `\t\tv[k] = ${this.dec(t.value)}`,
          "\t}",
          "\treturn v",
          "}",
          "",
        ].join("\n");
      }
      case "pointer":
        return [
          comment,
          `func dcmEnc_${s}(e *dcm_enc, v ${r}) {`,
          "\tif v == nil {",
          "\t\te.u8(0)",
          "\t\treturn",
          "\t}",
          "\te.u8(1)",
          `\t${this.enc(t.elem, "*v")}`,
          "}",
          "",
          `func dcmDec_${s}(d *dcm_dec) ${r} {`,
          "\tif !d.present() {",
          "\t\treturn nil",
          "\t}",
          `\tx := ${this.dec(t.elem)}`,
          "\treturn &x",
          "}",
          "",
        ].join("\n");
      default:
        throw new Error(`dcm go generator: no codec for ${r}`);
    }
  }
}

/** A type used in a conversion needs parentheses when it starts with `*` (or is a func/chan type). */
function parenType(t: string): string {
  return t.startsWith("*") ? `(${t})` : t;
}
