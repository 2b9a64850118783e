/**
 * The CLI's canonical JSON for value-model values (docs/values-json.md):
 * `parseJsonArgs` reads arguments exactly by the signature's types, and
 * `toCanonicalJson` writes results so that every value round-trips.
 */
import { FragmentCallError } from "./call-error.js";
import type { JsValue } from "./js-values.js";
import { decimalToBigInt, formatFloat32, fromBase64, parseFloat32, toBase64 } from "./json-numbers.js";
import { type JNode, JsonSyntaxError, parseJson } from "./json-parse.js";
import {
  badArgument,
  fieldSegment,
  isPlainObject,
  keySegment,
  typeName,
  ValueError,
  withPath,
} from "./value-errors.js";
import type { Signature, TypeTable, VType } from "./value-types.js";

const SPECIAL_FLOATS: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Infinity,
  "-Infinity": -Infinity,
  "-0": -0,
};

function nodeName(n: JNode): string {
  switch (n.k) {
    case "num":
      return `number ${n.text}`;
    case "str":
      return "string";
    case "arr":
      return "array";
    case "obj":
      return "object";
    case "bool":
      return "boolean";
    default:
      return "null";
  }
}

const mismatch = (t: VType, n: JNode) => new ValueError(`expected ${typeName(t)}, got ${nodeName(n)}`);

function intFromText(t: VType & { kind: "int" }, text: string, n: JNode): JsValue {
  const v = decimalToBigInt(text);
  if (v === null) throw new ValueError(`expected ${typeName(t)}, got ${nodeName(n)}`);
  const bits = BigInt(t.bits);
  const min = t.signed ? -(1n << (bits - 1n)) : 0n;
  const max = t.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (v < min || v > max) throw new ValueError(`${v} out of range for ${typeName(t)}`);
  return t.bits === 64 ? v : Number(v);
}

function floatFromText(t: VType & { kind: "float" }, text: string): number {
  const special = SPECIAL_FLOATS[text];
  if (special !== undefined) return special;
  if (!/^-?\d/.test(text)) throw new ValueError(`expected ${typeName(t)}, got string ${JSON.stringify(text)}`);
  const v = t.bits === 32 ? parseFloat32(text) : Number(text);
  if (!Number.isFinite(v)) throw new ValueError(`${text} out of range for ${typeName(t)}`);
  return v;
}

/** Converts a map key given as JSON object key text. */
function keyFromText(t: VType, key: string, types: TypeTable): JsValue {
  switch (t.kind) {
    case "string":
      return key;
    case "bool":
      if (key === "true" || key === "false") return key === "true";
      throw new ValueError(`expected ${typeName(t)}, got ${JSON.stringify(key)}`);
    case "int":
      return intFromText(t, key, { k: "str", v: key });
    case "float":
      return floatFromText(t, key);
    default: {
      // Compound keys are written as their canonical JSON text.
      let node: JNode;
      try {
        node = parseJson(key);
      } catch {
        throw new ValueError(`expected ${typeName(t)} as JSON text, got ${JSON.stringify(key)}`);
      }
      return fromJson(node, t, types);
    }
  }
}

function fromJson(n: JNode, t: VType, types: TypeTable): JsValue {
  switch (t.kind) {
    case "bool":
      if (n.k === "bool") return n.v;
      throw mismatch(t, n);
    case "int":
      if (n.k === "num") return intFromText(t, n.text, n);
      if (n.k === "str" && /^-?\d+$/.test(n.v)) return intFromText(t, n.v, n);
      throw mismatch(t, n);
    case "float":
      if (n.k === "num") return floatFromText(t, n.text);
      if (n.k === "str" && SPECIAL_FLOATS[n.v] !== undefined) return SPECIAL_FLOATS[n.v]!;
      throw mismatch(t, n);
    case "string":
      if (n.k === "str") return n.v;
      throw mismatch(t, n);
    case "bytes": {
      if (n.k !== "str") throw mismatch(t, n);
      const b = fromBase64(n.v);
      if (!b) throw new ValueError("expected bytes as a base64 string");
      return b;
    }
    case "list":
    case "array": {
      if (n.k !== "arr") throw mismatch(t, n);
      if (t.kind === "array" && n.items.length !== t.length) {
        throw new ValueError(`expected ${typeName(t)}, got an array of length ${n.items.length}`);
      }
      return n.items.map((item, i) => {
        try {
          return fromJson(item, t.elem, types);
        } catch (e) {
          return withPath(e, `[${i}]`);
        }
      });
    }
    case "map": {
      if (n.k !== "obj") throw mismatch(t, n);
      const m = new Map<JsValue, JsValue>();
      for (const [key, vn] of n.entries) {
        let k: JsValue;
        try {
          k = keyFromText(t.key, key, types);
        } catch (e) {
          if (e instanceof ValueError) e.message = `map key: ${e.message}`;
          return withPath(e, keySegment(key));
        }
        if (m.has(k)) throw withPath(new ValueError("duplicate map key"), keySegment(key));
        try {
          m.set(k, fromJson(vn, t.value, types));
        } catch (e) {
          withPath(e, keySegment(key));
        }
      }
      return m;
    }
    case "record": {
      if (n.k !== "obj") throw mismatch(t, n);
      const def = types[t.name];
      if (!def) throw new Error(`record type ${t.name} is not in the type table`);
      const given = new Map(n.entries);
      const o: { [field: string]: JsValue } = {};
      for (const f of def.fields) {
        const fn = given.get(f.jsonName);
        given.delete(f.jsonName);
        try {
          if (fn === undefined) {
            if (f.type.kind !== "optional") throw new ValueError(`missing field (expected ${typeName(f.type)})`);
            o[f.jsonName] = null;
          } else {
            o[f.jsonName] = fromJson(fn, f.type, types);
          }
        } catch (e) {
          withPath(e, fieldSegment(f.jsonName));
        }
      }
      const extra = [...given.keys()];
      if (extra.length > 0) {
        throw new ValueError(`unknown field(s) ${extra.map((k) => JSON.stringify(k)).join(", ")} for ${typeName(t)}`);
      }
      return o;
    }
    case "optional":
      return n.k === "null" ? null : fromJson(n, t.inner, types);
  }
}

/**
 * Arguments from a JSON array, one element per parameter; a variadic
 * parameter takes the remaining elements. Every mismatch is DCM_BAD_ARGUMENTS
 * naming the parameter and the path inside it.
 */
export function parseJsonArgs(text: string, sig: Signature, types: TypeTable, fragment = ""): JsValue[] {
  let root: JNode;
  try {
    root = parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError)
      throw new FragmentCallError("DCM_BAD_ARGUMENTS", `arguments: ${e.message}`, fragment);
    throw e;
  }
  return jsonNodeArgs(root, sig, types, fragment);
}

/** The arguments of a call from an already parsed JSON array (`dcm invoke --batch` parses a whole file once). */
export function jsonNodeArgs(root: JNode, sig: Signature, types: TypeTable, fragment = ""): JsValue[] {
  if (root.k !== "arr") {
    throw new FragmentCallError(
      "DCM_BAD_ARGUMENTS",
      `arguments must be a JSON array, one element per parameter; got ${nodeName(root)}`,
      fragment,
    );
  }
  const params = sig.params;
  const last = params[params.length - 1];
  const variadic = last?.variadic ? last : undefined;
  const fixed = params.length - (variadic ? 1 : 0);
  const items = root.items;
  if (variadic ? items.length < fixed : items.length !== fixed) {
    const names = params.map((p) => (p.variadic ? `...${p.name}` : p.name)).join(", ");
    const want = variadic ? `at least ${fixed}` : `${fixed}`;
    throw new FragmentCallError(
      "DCM_BAD_ARGUMENTS",
      `expected ${want} argument(s) (${names}), got ${items.length}`,
      fragment,
    );
  }
  return items.map((item, i) => {
    const p = i < fixed ? params[i]! : variadic!;
    const t = i < fixed || p.type.kind !== "list" ? p.type : p.type.elem;
    try {
      return fromJson(item, t, types);
    } catch (e) {
      return badArgument(e, i < fixed ? p.name : `${p.name}[${i - fixed}]`, fragment);
    }
  });
}

function floatJson(v: number, bits: 32 | 64): string {
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  if (Object.is(v, -0)) return "-0";
  return bits === 32 ? formatFloat32(v) : String(v);
}

function bad(t: VType, v: unknown): Error {
  return new TypeError(`toCanonicalJson: value ${String(v)} does not fit ${typeName(t)}`);
}

/** A map key as JSON object key text (before quoting). */
function keyText(k: unknown, t: VType, types: TypeTable): string {
  switch (t.kind) {
    case "string":
      if (typeof k !== "string") throw bad(t, k);
      return k;
    case "float": {
      const s = floatJson(k as number, t.bits);
      return s.startsWith('"') ? s.slice(1, -1) : s;
    }
    default:
      return write(k, t, types);
  }
}

function write(v: unknown, t: VType, types: TypeTable): string {
  switch (t.kind) {
    case "bool":
      if (typeof v !== "boolean") throw bad(t, v);
      return v ? "true" : "false";
    case "int":
      if (typeof v === "bigint") return v.toString();
      if (typeof v === "number" && Number.isInteger(v)) return String(v);
      throw bad(t, v);
    case "float":
      if (typeof v !== "number") throw bad(t, v);
      return floatJson(v, t.bits);
    case "string":
      if (typeof v !== "string") throw bad(t, v);
      return JSON.stringify(v);
    case "bytes":
      if (!(v instanceof Uint8Array)) throw bad(t, v);
      return `"${toBase64(v)}"`;
    case "list":
    case "array":
      if (!Array.isArray(v)) throw bad(t, v);
      return `[${v.map((x) => write(x, t.elem, types)).join(",")}]`;
    case "map": {
      const entries = v instanceof Map ? [...v] : isPlainObject(v) ? Object.entries(v) : null;
      if (!entries) throw bad(t, v);
      return `{${entries.map(([k, x]) => `${JSON.stringify(keyText(k, t.key, types))}:${write(x, t.value, types)}`).join(",")}}`;
    }
    case "record": {
      const def = types[t.name];
      if (!def) throw new Error(`record type ${t.name} is not in the type table`);
      if (typeof v !== "object" || v === null) throw bad(t, v);
      const o = v as Record<string, unknown>;
      return `{${def.fields.map((f) => `${JSON.stringify(f.jsonName)}:${write(o[f.jsonName] ?? null, f.type, types)}`).join(",")}}`;
    }
    case "optional":
      return v === null || v === undefined ? "null" : write(v, t.inner, types);
  }
}

/**
 * Canonical JSON of a value of type `type`; an array of types stands for a
 * tuple of results (none: null, one: that value, several: a JSON array).
 */
export function toCanonicalJson(value: JsValue, type: VType | VType[], types: TypeTable): string {
  if (!Array.isArray(type)) return write(value, type, types);
  if (type.length === 0) return "null";
  if (type.length === 1) return write(value, type[0]!, types);
  if (!Array.isArray(value) || value.length !== type.length)
    throw new TypeError(`toCanonicalJson: expected ${type.length} results`);
  return `[${type.map((t, i) => write(value[i], t, types)).join(",")}]`;
}

/** `{"error":{"code":…,"message":…}}` */
export function errorJson(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}
