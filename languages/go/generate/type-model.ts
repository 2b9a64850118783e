/**
 * Go types as the generator sees them: resolving named types, the value-model
 * (wire) type of a Go type, and which Go types are plain numbers (scalar ABI).
 * The wire rules here are the ones docs/abi.md states for Go:
 *   int/uint → 64 bits, byte → int<8,unsigned>, rune → int<32,signed>,
 *   []byte (unnamed byte element) → bytes, *T → optional<T>,
 *   a named struct → record (only exported fields; the TypeTable entry, when
 *   present, decides which fields and their order).
 */
import type { RecordDef, TypeTable, VType } from "../../../runtime/abi/value-types.js";
import type { GoAnalysisDetail, GoBasicName, GoField, GoNamedType, GoType } from "../go-types.js";

export type NamedTable = GoAnalysisDetail["named"];

export function namedKey(pkgPath: string, name: string): string {
  return `${pkgPath}.${name}`;
}

export function lookupNamed(named: NamedTable, t: { pkgPath: string; name: string }): GoNamedType {
  const n = named[namedKey(t.pkgPath, t.name)];
  if (!n) throw new Error(`dcm go generator: named type ${t.pkgPath}.${t.name} is missing from the analysis`);
  return n;
}

/** Follows named types to the first type that is not named. */
export function underlyingOf(t: GoType, named: NamedTable): Exclude<GoType, { k: "named" }> {
  let cur: GoType = t;
  for (let i = 0; cur.k === "named"; i++) {
    if (i > 100) throw new Error(`dcm go generator: named type cycle at ${cur.pkgPath}.${cur.name}`);
    cur = lookupNamed(named, cur).underlying;
  }
  return cur;
}

/** Canonical spelling of a basic type (byte → uint8, rune → int32). */
export function canonicalBasic(name: GoBasicName): Exclude<GoBasicName, "byte" | "rune"> {
  if (name === "byte") return "uint8";
  if (name === "rune") return "int32";
  return name;
}

/** True for `[]byte`/`[]uint8` with an unnamed element: the wire type `bytes`. */
export function isByteSlice(t: GoType): boolean {
  return t.k === "slice" && t.elem.k === "basic" && canonicalBasic(t.elem.name) === "uint8";
}

/** The basic type under t when t is basic or a named basic type, else null. */
export function basicUnder(t: GoType, named: NamedTable): GoBasicName | null {
  const u = underlyingOf(t, named);
  return u.k === "basic" ? u.name : null;
}

/** The record name of a named struct type (its TypeTable key). */
export function recordNameOf(n: GoNamedType): string {
  return n.recordName ?? n.name;
}

/** Is the first character an upper-case letter (an exported Go identifier)? */
export function isExported(name: string): boolean {
  return /^\p{Lu}/u.test(name);
}

/**
 * The fields of a named struct that cross the boundary, in wire order. When the
 * TypeTable holds the record, its field list decides (so the JS side and the Go
 * side agree); otherwise every exported Go field, in declaration order.
 */
export function wireFields(n: GoNamedType, fields: GoField[], types: TypeTable): GoField[] {
  const rec: RecordDef | undefined = n.recordName !== undefined ? types[n.recordName] : undefined;
  if (!rec) return fields.filter((f) => isExported(f.name) && f.jsonName !== "-");
  return rec.fields.map((rf) => {
    const f = fields.find((g) => g.name === rf.name);
    if (!f) {
      throw new Error(
        `dcm go generator: record ${rec.name} has field ${rf.name}, which struct ${n.pkgPath}.${n.name} does not declare`,
      );
    }
    return f;
  });
}

/** Structural equality of value-model types; record names are not compared. */
export function sameWireShape(a: VType, b: VType): boolean {
  switch (a.kind) {
    case "bool":
    case "string":
    case "bytes":
    case "record":
      return a.kind === b.kind;
    case "int":
      return b.kind === "int" && a.bits === b.bits && a.signed === b.signed;
    case "float":
      return b.kind === "float" && a.bits === b.bits;
    case "list":
      return b.kind === "list" && sameWireShape(a.elem, b.elem);
    case "array":
      return b.kind === "array" && a.length === b.length && sameWireShape(a.elem, b.elem);
    case "map":
      return b.kind === "map" && sameWireShape(a.key, b.key) && sameWireShape(a.value, b.value);
    case "optional":
      return b.kind === "optional" && sameWireShape(a.inner, b.inner);
  }
}

/** A Go type that passes as a plain number in the scalar ABI (bool, integer or float, possibly named). */
export function isScalarGoType(t: GoType, named: NamedTable): boolean {
  const b = basicUnder(t, named);
  return b !== null && b !== "string";
}

/** Canonical, unambiguous key of a Go type (for dedupe and sorting). */
export function typeKey(t: GoType): string {
  switch (t.k) {
    case "basic":
      return `b:${canonicalBasic(t.name)}`;
    case "named":
      return `n:${t.pkgPath}.${t.name}`;
    case "slice":
      return `s(${typeKey(t.elem)})`;
    case "array":
      return `a${t.len}(${typeKey(t.elem)})`;
    case "map":
      return `m(${typeKey(t.key)},${typeKey(t.value)})`;
    case "pointer":
      return `p(${typeKey(t.elem)})`;
    case "struct":
      return `st{${t.fields.map((f) => `${f.name}:${typeKey(f.type)}`).join(";")}}`;
  }
}

// One mapping from Go types to the value model, shared with the analysis.
export { basicVType, toVType as goTypeToVType } from "../analysis/vtypes.js";
export { typeName as vtypeToString } from "../../../runtime/abi/value-errors.js";
