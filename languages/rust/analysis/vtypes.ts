/**
 * RustType → value-model VType, record naming and the call ABI choice.
 * Runs after every signature is mapped: a record's name depends on whether
 * another module declares a struct of the same name.
 */
import type { Param, RecordDef, Signature, TypeTable, VType } from "../../../runtime/abi/value-types.js";
import type { RustFragmentDetail, RustNamedType, RustPrim, RustType } from "../rust-types.js";

/** `Name`, or `module::Name` when two modules declare a struct of that name, else the full key. */
export function assignRecordNames(named: Record<string, RustNamedType>): void {
  const structs = Object.values(named).filter((n) => n.kind === "struct");
  const count = (f: (n: RustNamedType) => string) => {
    const m = new Map<string, number>();
    for (const n of structs) m.set(f(n), (m.get(f(n)) ?? 0) + 1);
    return m;
  };
  const short = (n: RustNamedType) => `${n.modPath[n.modPath.length - 1] ?? "crate"}::${n.name}`;
  const byName = count((n) => n.name);
  const byShort = count(short);
  for (const n of structs) {
    if (byName.get(n.name) === 1) n.recordName = n.name;
    else if (byShort.get(short(n)) === 1) n.recordName = short(n);
    else n.recordName = n.key;
  }
}

export function primVType(name: RustPrim): VType {
  switch (name) {
    case "bool":
      return { kind: "bool" };
    case "String":
    case "str":
      return { kind: "string" };
    case "f32":
      return { kind: "float", bits: 32 };
    case "f64":
      return { kind: "float", bits: 64 };
    default:
      return { kind: "int", bits: Number(name.slice(1)) as 8 | 16 | 32 | 64, signed: name.startsWith("i") };
  }
}

const isU8 = (t: RustType) => t.k === "prim" && t.name === "u8";

export function toVType(t: RustType, named: Record<string, RustNamedType>): VType {
  switch (t.k) {
    case "prim":
      return primVType(t.name);
    case "vec":
    case "slice":
      return isU8(t.elem) ? { kind: "bytes" } : { kind: "list", elem: toVType(t.elem, named) };
    case "array":
      return { kind: "array", elem: toVType(t.elem, named), length: t.len };
    case "option":
      return { kind: "optional", inner: toVType(t.inner, named) };
    case "box":
    case "ref":
      return toVType(t.inner, named);
    case "map":
      return { kind: "map", key: toVType(t.key, named), value: toVType(t.value, named) };
    case "named": {
      const n = named[t.key];
      if (!n) throw new Error(`dcm: Rust type ${t.key} missing from the analysis table`);
      return n.kind === "enum" ? { kind: "string" } : { kind: "record", name: n.recordName ?? n.name };
    }
  }
}

export function recordTable(named: Record<string, RustNamedType>): TypeTable {
  const table: TypeTable = {};
  for (const n of Object.values(named)) {
    if (n.kind !== "struct" || !n.recordName || !n.fields) continue;
    const def: RecordDef = {
      name: n.recordName,
      origin: n.key,
      fields: n.fields.map((f) => ({ name: f.name, jsonName: f.jsonName, type: toVType(f.type, named) })),
    };
    table[n.recordName] = def;
  }
  return table;
}

export function signatureOf(d: RustFragmentDetail, receiver: RustType | undefined, named: Record<string, RustNamedType>): Signature {
  const params: Param[] = [];
  if (receiver && d.impl && d.impl.self !== "none") params.push({ name: "self", type: toVType(receiver, named), receiver: true });
  for (const p of d.params) params.push({ name: p.name, type: toVType(p.type, named) });
  return { params, results: d.results.map((r) => toVType(r, named)), error: d.hasError };
}

/** The ABI choice is the kit's (docs/abi.md), the same for every language. */
export { chooseAbi } from "../../../src/languages/kit/abi-exports.js";

/** Keys of every named type a RustType reaches, through struct fields. */
export function reachableNamed(t: RustType, named: Record<string, RustNamedType>, into: Set<string>): void {
  switch (t.k) {
    case "named": {
      if (into.has(t.key)) return;
      into.add(t.key);
      for (const f of named[t.key]?.fields ?? []) reachableNamed(f.type, named, into);
      return;
    }
    case "vec":
    case "slice":
    case "array":
      reachableNamed(t.elem, named, into);
      return;
    case "option":
    case "box":
    case "ref":
      reachableNamed(t.inner, named, into);
      return;
    case "map":
      reachableNamed(t.key, named, into);
      reachableNamed(t.value, named, into);
      return;
    default:
      return;
  }
}
