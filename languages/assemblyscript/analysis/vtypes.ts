/** AsType -> value-model VType, the record table, and the ABI choice. */
import type { Signature, TypeTable, VType } from "../../../runtime/abi/value-types.js";
import type { AsClass, AsFragmentDetail, AsType } from "../as-types.js";

const TYPED_ELEM: Record<string, VType> = {
  Int8Array: { kind: "int", bits: 8, signed: true },
  Uint8ClampedArray: { kind: "int", bits: 8, signed: false },
  Int16Array: { kind: "int", bits: 16, signed: true },
  Uint16Array: { kind: "int", bits: 16, signed: false },
  Int32Array: { kind: "int", bits: 32, signed: true },
  Uint32Array: { kind: "int", bits: 32, signed: false },
  Int64Array: { kind: "int", bits: 64, signed: true },
  Uint64Array: { kind: "int", bits: 64, signed: false },
  Float32Array: { kind: "float", bits: 32 },
  Float64Array: { kind: "float", bits: 64 },
};

export function toVType(t: AsType, classes: Record<string, AsClass>): VType {
  switch (t.k) {
    case "prim": {
      const n = t.name;
      if (n === "bool") return { kind: "bool" };
      if (n === "f32") return { kind: "float", bits: 32 };
      if (n === "f64") return { kind: "float", bits: 64 };
      return { kind: "int", bits: Number(n.slice(1)) as 8 | 16 | 32 | 64, signed: n[0] === "i" };
    }
    case "string":
      return { kind: "string" };
    case "array":
      return { kind: "list", elem: toVType(t.elem, classes) };
    case "typed":
      return t.name === "Uint8Array" ? { kind: "bytes" } : { kind: "list", elem: TYPED_ELEM[t.name]! };
    case "map":
      return { kind: "map", key: toVType(t.key, classes), value: toVType(t.value, classes) };
    case "class":
      return { kind: "record", name: classes[t.key]!.name };
    case "nullable":
      return { kind: "optional", inner: toVType(t.inner, classes) };
    case "set":
      return { kind: "list", elem: toVType(t.elem, classes) };
  }
}

export function signatureOf(d: AsFragmentDetail, classes: Record<string, AsClass>): Signature {
  const params: Signature["params"] = [];
  if (d.receiver)
    params.push({ name: "this", type: toVType({ k: "class", key: d.receiver }, classes), receiver: true });
  for (const p of d.params) params.push({ name: p.name, type: toVType(p.type, classes) });
  return { params, results: d.result ? [toVType(d.result, classes)] : [], error: false };
}

/** The ABI choice is the kit's (docs/abi.md), the same for every language. */
export { chooseAbi } from "../../../src/languages/kit/abi-exports.js";

/** Record table keyed by class name; a second class of the same name in another file is a clash (returned). */
export function recordTable(classes: Record<string, AsClass>): {
  types: TypeTable;
  clashes: Array<[AsClass, AsClass]>;
} {
  const types: TypeTable = {};
  const owner = new Map<string, AsClass>();
  const clashes: Array<[AsClass, AsClass]> = [];
  for (const key of Object.keys(classes).sort()) {
    const c = classes[key]!;
    const prev = owner.get(c.name);
    if (prev) {
      clashes.push([prev, c]);
      continue;
    }
    owner.set(c.name, c);
    types[c.name] = {
      name: c.name,
      origin: `${c.file}#${c.name}`,
      fields: c.fields.map((f) => ({ name: f.name, jsonName: f.name, type: toVType(f.type, classes) })),
    };
  }
  return { types, clashes };
}
