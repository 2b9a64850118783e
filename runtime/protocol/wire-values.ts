/**
 * Value-model values inside protocol JSON (the WireValue comment in
 * messages.ts, docs/protocol.md "Wire values"). Conversion is directed by
 * the fragment's signature, so the wire needs only four tags:
 *
 *   {"$i": "<digits>"}   a bigint, or a number that is not a safe integer
 *   {"$b": "<base64>"}   bytes
 *   {"$m": [[k, v], …]}  a map (keys of any key type, order kept)
 *   {"$f": "NaN" | "Infinity" | "-Infinity" | "-0"}   special floats
 *
 * Everything else is plain JSON. Browser-safe: no node: imports; the client
 * Code Distributor uses the same functions.
 */
import { FragmentCallError } from "../abi/call-error.js";
import { int64Value } from "../abi/int-checks.js";
import type { JsValue } from "../abi/js-values.js";
import { decimalToBigInt, fromBase64, toBase64 } from "../abi/json-numbers.js";
import {
  badArgument,
  describeJs,
  expected,
  fieldSegment,
  isPlainObject,
  keySegment,
  MAX_NESTING,
  typeName,
  ValueError,
  withPath,
} from "../abi/value-errors.js";
import type { Signature, TypeTable, VType } from "../abi/value-types.js";
import type { WireValue } from "./messages.js";

const SPECIAL: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };

/** The single tag of `{"$x": …}`, or undefined for any other value. */
function tagOf(v: unknown, tag: "$i" | "$b" | "$m" | "$f"): unknown {
  if (!isPlainObject(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === tag ? v[tag] : undefined;
}

function intRangeBig(t: VType & { kind: "int" }): [bigint, bigint] {
  const bits = BigInt(t.bits);
  return t.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

function intFromWire(w: unknown, t: VType & { kind: "int" }): JsValue {
  let v: bigint;
  if (typeof w === "number") {
    if (!Number.isInteger(w)) throw expected(t, w);
    if (!Number.isSafeInteger(w)) {
      throw new ValueError(`expected ${typeName(t)}, got number ${w} (not a safe integer: send {"$i": "<digits>"})`);
    }
    v = BigInt(w);
  } else {
    const digits = tagOf(w, "$i");
    if (typeof digits !== "string" || !/^-?\d{1,40}$/.test(digits)) {
      throw new ValueError(`expected ${typeName(t)} (a number or {"$i": "<digits>"}), got ${describeWire(w)}`);
    }
    v = decimalToBigInt(digits)!;
  }
  const [min, max] = intRangeBig(t);
  if (v < min || v > max) throw new ValueError(`${v} out of range for ${typeName(t)}`);
  return t.bits === 64 ? v : Number(v);
}

function floatFromWire(w: unknown, t: VType & { kind: "float" }): number {
  if (typeof w === "number") return t.bits === 32 ? Math.fround(w) : w;
  const s = tagOf(w, "$f");
  if (typeof s === "string" && SPECIAL[s] !== undefined) return SPECIAL[s]!;
  throw new ValueError(
    `expected ${typeName(t)} (a number or {"$f": "NaN"|"Infinity"|"-Infinity"|"-0"}), got ${describeWire(w)}`,
  );
}

/** A short description of a wire value for "got …". */
function describeWire(w: unknown): string {
  if (isPlainObject(w)) {
    const keys = Object.keys(w);
    return keys.length === 1 && keys[0]!.startsWith("$") ? `{"${keys[0]}": …}` : "object";
  }
  return describeJs(w);
}

/** Converts a wire value to the JS value of type `t` (docs/abi.md's JS mapping), validating as it goes. Throws ValueError. */
export function fromWire(w: WireValue, t: VType, types: TypeTable, depth = 0): JsValue {
  switch (t.kind) {
    case "bool":
      if (typeof w === "boolean") return w;
      throw expected(t, w);
    case "int":
      return intFromWire(w, t);
    case "float":
      return floatFromWire(w, t);
    case "string":
      if (typeof w === "string") return w;
      throw expected(t, w);
    case "bytes": {
      const s = tagOf(w, "$b");
      const b = typeof s === "string" ? fromBase64(s) : null;
      if (!b) throw new ValueError(`expected bytes as {"$b": "<base64>"}, got ${describeWire(w)}`);
      return b;
    }
    case "list":
    case "array": {
      if (!Array.isArray(w)) throw new ValueError(`expected ${typeName(t)}, got ${describeWire(w)}`);
      if (t.kind === "array" && w.length !== t.length) {
        throw new ValueError(`expected ${typeName(t)}, got an array of length ${w.length}`);
      }
      return w.map((x, i) => {
        try {
          return fromWire(x, t.elem, types, depth);
        } catch (e) {
          return withPath(e, `[${i}]`);
        }
      });
    }
    case "map": {
      const entries = tagOf(w, "$m");
      if (!Array.isArray(entries))
        throw new ValueError(`expected ${typeName(t)} as {"$m": [[key, value], …]}, got ${describeWire(w)}`);
      const m = new Map<JsValue, JsValue>();
      for (let i = 0; i < entries.length; i++) {
        const pair: unknown = entries[i];
        if (!Array.isArray(pair) || pair.length !== 2)
          withPath(new ValueError("expected a [key, value] pair"), `[${i}]`);
        let k: JsValue;
        try {
          k = fromWire(pair[0], t.key, types, depth);
        } catch (e) {
          if (e instanceof ValueError) e.message = `map key: ${e.message}`;
          withPath(e, `[${i}]`);
        }
        if (m.has(k)) withPath(new ValueError("duplicate map key"), keySegment(k));
        try {
          m.set(k, fromWire(pair[1], t.value, types, depth));
        } catch (e) {
          withPath(e, keySegment(k));
        }
      }
      return m;
    }
    case "record": {
      if (!isPlainObject(w)) throw new ValueError(`expected ${typeName(t)} (an object), got ${describeWire(w)}`);
      // JSON.parse takes any depth; converting it recursively must not overflow the stack (found by test/fuzz).
      if (depth >= MAX_NESTING) throw new ValueError(`values nested deeper than ${MAX_NESTING} records`);
      const def = types[t.name];
      if (!def) throw new Error(`record type ${t.name} is not in the type table`);
      const o: { [field: string]: JsValue } = {};
      for (const f of def.fields) {
        const fw = w[f.jsonName];
        try {
          if (fw === undefined) {
            if (f.type.kind !== "optional") throw new ValueError(`missing field (expected ${typeName(f.type)})`);
            o[f.jsonName] = null;
          } else o[f.jsonName] = fromWire(fw, f.type, types, depth + 1);
        } catch (e) {
          withPath(e, fieldSegment(f.jsonName));
        }
      }
      const known = new Set(def.fields.map((f) => f.jsonName));
      const extra = Object.keys(w).filter((k) => !known.has(k));
      if (extra.length > 0) {
        throw new ValueError(`unknown field(s) ${extra.map((k) => JSON.stringify(k)).join(", ")} for ${typeName(t)}`);
      }
      return o;
    }
    case "optional":
      return w === null || w === undefined ? null : fromWire(w, t.inner, types, depth);
  }
}

function intToWire(v: unknown, t: VType & { kind: "int" }): WireValue {
  if (t.bits === 64) {
    const b = int64Value(t, v);
    return { $i: b.toString() };
  }
  const [min, max] = intRangeBig(t);
  if (typeof v === "number" && Number.isInteger(v) && v >= Number(min) && v <= Number(max)) return v;
  if (typeof v === "bigint" && v >= min && v <= max) return Number(v);
  if (typeof v === "number" && Number.isInteger(v)) throw new ValueError(`${v} out of range for ${typeName(t)}`);
  throw expected(t, v);
}

function floatToWire(v: unknown, t: VType & { kind: "float" }): WireValue {
  if (typeof v !== "number") throw expected(t, v);
  if (Number.isNaN(v)) return { $f: "NaN" };
  if (v === Infinity) return { $f: "Infinity" };
  if (v === -Infinity) return { $f: "-Infinity" };
  if (Object.is(v, -0)) return { $f: "-0" };
  return t.bits === 32 ? Math.fround(v) : v;
}

/** Converts a JS value of type `t` to its wire form, validating it. Throws ValueError. */
export function toWire(v: unknown, t: VType, types: TypeTable): WireValue {
  switch (t.kind) {
    case "bool":
      if (typeof v === "boolean") return v;
      throw expected(t, v);
    case "int":
      return intToWire(v, t);
    case "float":
      return floatToWire(v, t);
    case "string":
      if (typeof v === "string") return v;
      throw expected(t, v);
    case "bytes":
      if (v instanceof Uint8Array) return { $b: toBase64(v) };
      throw expected(t, v);
    case "list":
    case "array": {
      if (!Array.isArray(v)) throw expected(t, v);
      if (t.kind === "array" && v.length !== t.length) {
        throw new ValueError(`expected ${typeName(t)}, got an array of length ${v.length}`);
      }
      return v.map((x, i) => {
        try {
          return toWire(x, t.elem, types);
        } catch (e) {
          return withPath(e, `[${i}]`);
        }
      });
    }
    case "map": {
      const entries = v instanceof Map ? [...v] : isPlainObject(v) ? Object.entries(v) : null;
      if (!entries) throw expected(t, v);
      return {
        $m: entries.map(([k, x]) => {
          let kw: WireValue;
          try {
            kw = toWire(k, t.key, types);
          } catch (e) {
            if (e instanceof ValueError) e.message = `map key: ${e.message}`;
            return withPath(e, keySegment(k));
          }
          try {
            return [kw, toWire(x, t.value, types)];
          } catch (e) {
            return withPath(e, keySegment(k));
          }
        }),
      };
    }
    case "record": {
      const def = types[t.name];
      if (!def) throw new Error(`record type ${t.name} is not in the type table`);
      if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Map || v instanceof Uint8Array) {
        throw expected(t, v);
      }
      const o = v as Record<string, unknown>;
      const out: Record<string, WireValue> = {};
      for (const f of def.fields) {
        try {
          out[f.jsonName] = toWire(o[f.jsonName] ?? null, f.type, types);
        } catch (e) {
          withPath(e, fieldSegment(f.jsonName));
        }
      }
      return out;
    }
    case "optional":
      return v === null || v === undefined ? null : toWire(v, t.inner, types);
  }
}

/** The parameter that takes argument `i`, and the type of that argument (a variadic parameter's element type). */
function paramFor(sig: Signature, i: number): { name: string; type: VType } | null {
  const params = sig.params;
  const last = params[params.length - 1];
  const fixed = params.length - (last?.variadic ? 1 : 0);
  if (i < fixed) return { name: params[i]!.name, type: params[i]!.type };
  if (!last?.variadic) return null;
  const t = last.type.kind === "list" ? last.type.elem : last.type;
  return { name: `${last.name}[${i - fixed}]`, type: t };
}

function checkArity(sig: Signature, n: number, fragment: string): void {
  const params = sig.params;
  const variadic = params[params.length - 1]?.variadic === true;
  const fixed = params.length - (variadic ? 1 : 0);
  if (variadic ? n >= fixed : n === fixed) return;
  const names = params.map((p) => (p.variadic ? `...${p.name}` : p.name)).join(", ");
  throw new FragmentCallError(
    "DCM_BAD_ARGUMENTS",
    `expected ${variadic ? `at least ${fixed}` : fixed} argument(s) (${names}), got ${n}`,
    fragment,
  );
}

/**
 * Arguments of a callFunction message to JS values. Wrong arity or a value
 * that does not fit throws FragmentCallError DCM_BAD_ARGUMENTS naming the
 * parameter and the path inside it (`emp.Address.Zip`, `xs[2]`).
 */
export function argsFromWire(args: unknown, sig: Signature, types: TypeTable, fragment = ""): JsValue[] {
  if (!Array.isArray(args)) {
    throw new FragmentCallError(
      "DCM_BAD_ARGUMENTS",
      `args must be an array, one element per parameter; got ${describeWire(args)}`,
      fragment,
    );
  }
  checkArity(sig, args.length, fragment);
  return args.map((a, i) => {
    const p = paramFor(sig, i)!;
    try {
      return fromWire(a, p.type, types);
    } catch (e) {
      return badArgument(e, p.name, fragment);
    }
  });
}

/** JS arguments to their wire form (the client's side of argsFromWire); the same errors. */
export function argsToWire(args: readonly unknown[], sig: Signature, types: TypeTable, fragment = ""): WireValue[] {
  checkArity(sig, args.length, fragment);
  return args.map((a, i) => {
    const p = paramFor(sig, i)!;
    try {
      return toWire(a, p.type, types);
    } catch (e) {
      return badArgument(e, p.name, fragment);
    }
  });
}

/** A fragment's result to its wire form: no result is null, one is that value, several an array. */
export function resultToWire(value: unknown, sig: Signature, types: TypeTable): WireValue {
  const rs = sig.results;
  if (rs.length === 0) return null;
  if (rs.length === 1) return toWire(value, rs[0]!, types);
  if (!Array.isArray(value) || value.length !== rs.length) throw new ValueError(`expected ${rs.length} results`);
  return rs.map((t, i) => {
    try {
      return toWire(value[i], t, types);
    } catch (e) {
      return withPath(e, `[${i}]`);
    }
  });
}

/** A functionResult value back to the JS value (the client's side of resultToWire). Throws ValueError. */
export function resultFromWire(w: WireValue, sig: Signature, types: TypeTable): JsValue {
  const rs = sig.results;
  if (rs.length === 0) return null;
  if (rs.length === 1) return fromWire(w, rs[0]!, types);
  if (!Array.isArray(w) || w.length !== rs.length) throw new ValueError(`expected an array of ${rs.length} results`);
  return rs.map((t, i) => {
    try {
      return fromWire(w[i], t, types);
    } catch (e) {
      return withPath(e, `[${i}]`);
    }
  });
}
