/**
 * GoType -> value-model VType, record naming and the call ABI choice. Runs
 * after every fragment's signature is mapped, because a record's name depends
 * on whether another package defines a struct of the same name.
 */
import type { RecordDef, Signature, TypeTable, VType } from "../../../runtime/abi/value-types.js";
import type { GoBasicName, GoFragmentDetail, GoNamedType, GoType } from "../go-types.js";

/** Sets recordName on every named struct type: `Name`, or `pkgName.Name` when the name is taken twice. */
export function assignRecordNames(named: Record<string, GoNamedType>): void {
  const structs = Object.values(named).filter((n) => n.underlying.k === "struct");
  const count = (f: (n: GoNamedType) => string) => {
    const m = new Map<string, number>();
    for (const n of structs) m.set(f(n), (m.get(f(n)) ?? 0) + 1);
    return m;
  };
  const byName = count((n) => n.name);
  const byPkgName = count((n) => `${n.pkgName}.${n.name}`);
  for (const n of structs) {
    if (byName.get(n.name) === 1) n.recordName = n.name;
    else if (byPkgName.get(`${n.pkgName}.${n.name}`) === 1) n.recordName = `${n.pkgName}.${n.name}`;
    else n.recordName = `${n.pkgPath}.${n.name}`;
  }
}

export function basicVType(name: GoBasicName): VType {
  switch (name) {
    case "bool":
      return { kind: "bool" };
    case "string":
      return { kind: "string" };
    case "int":
    case "int64":
      return { kind: "int", bits: 64, signed: true };
    case "int8":
      return { kind: "int", bits: 8, signed: true };
    case "int16":
      return { kind: "int", bits: 16, signed: true };
    case "int32":
    case "rune":
      return { kind: "int", bits: 32, signed: true };
    case "uint":
    case "uint64":
      return { kind: "int", bits: 64, signed: false };
    case "uint8":
    case "byte":
      return { kind: "int", bits: 8, signed: false };
    case "uint16":
      return { kind: "int", bits: 16, signed: false };
    case "uint32":
      return { kind: "int", bits: 32, signed: false };
    case "float32":
      return { kind: "float", bits: 32 };
    case "float64":
      return { kind: "float", bits: 64 };
  }
}

export function toVType(t: GoType, named: Record<string, GoNamedType>): VType {
  switch (t.k) {
    case "basic":
      return basicVType(t.name);
    case "named": {
      const n = named[`${t.pkgPath}.${t.name}`];
      if (!n) throw new Error(`dcm: named type ${t.pkgPath}.${t.name} missing from the analysis table`);
      return n.recordName ? { kind: "record", name: n.recordName } : toVType(n.underlying, named);
    }
    case "slice":
      return t.elem.k === "basic" && (t.elem.name === "byte" || t.elem.name === "uint8")
        ? { kind: "bytes" }
        : { kind: "list", elem: toVType(t.elem, named) };
    case "array":
      return { kind: "array", elem: toVType(t.elem, named), length: t.len };
    case "map":
      return { kind: "map", key: toVType(t.key, named), value: toVType(t.value, named) };
    case "pointer":
      return { kind: "optional", inner: toVType(t.elem, named) };
    case "struct":
      throw new Error("dcm: anonymous struct types have no value-model type");
  }
}

export function recordTable(named: Record<string, GoNamedType>): TypeTable {
  const table: TypeTable = {};
  for (const [origin, n] of Object.entries(named)) {
    if (!n.recordName || n.underlying.k !== "struct") continue;
    const def: RecordDef = {
      name: n.recordName,
      origin,
      fields: n.underlying.fields.map((f) => ({ name: f.name, jsonName: f.jsonName, type: toVType(f.type, named) })),
    };
    table[n.recordName] = def;
  }
  return table;
}

/**
 * The value-model signature. GoFragmentDetail.params hold the Go parameters
 * only; the receiver becomes the first parameter here, typed by its named type
 * even for pointer receivers (a call always has a receiver value, never nil).
 */
export function signatureOf(d: GoFragmentDetail, receiverName: string, named: Record<string, GoNamedType>): Signature {
  const params: Signature["params"] = [];
  if (d.receiver) {
    const recv: GoType = { k: "named", pkgPath: d.pkg.pkgPath, name: d.receiver.typeName };
    params.push({ name: receiverName, type: toVType(recv, named), receiver: true });
  }
  for (const p of d.params) {
    // A variadic parameter is a list of its elements, even `...byte` (callers pass the elements one by one).
    const type: VType =
      p.variadic && p.type.k === "slice" ? { kind: "list", elem: toVType(p.type.elem, named) } : toVType(p.type, named);
    params.push({ name: p.name, type, ...(p.variadic ? { variadic: true } : {}) });
  }
  return { params, results: d.results.map((r) => toVType(r, named)), error: d.hasError };
}

/** The ABI choice is the kit's (docs/abi.md), the same for every language. */
export { chooseAbi } from "../../../src/languages/kit/abi-exports.js";

/** Keys of every named type a GoType reaches, through struct fields. */
export function reachableNamed(t: GoType, named: Record<string, GoNamedType>, into: Set<string>): void {
  switch (t.k) {
    case "named": {
      const key = `${t.pkgPath}.${t.name}`;
      if (into.has(key)) return;
      into.add(key);
      const n = named[key];
      if (n) reachableNamed(n.underlying, named, into);
      return;
    }
    case "slice":
    case "array":
    case "pointer":
      reachableNamed(t.elem, named, into);
      return;
    case "map":
      reachableNamed(t.key, named, into);
      reachableNamed(t.value, named, into);
      return;
    case "struct":
      for (const f of t.fields) reachableNamed(f.type, named, into);
      return;
    default:
      return;
  }
}
