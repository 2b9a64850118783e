/**
 * Canonical JSON (docs/values-json.md) <-> the JS values that languages' own
 * glue uses (64-bit integers as bigint, narrower as number, bytes as
 * Uint8Array, maps as Map, records as plain objects, absent optionals as
 * null). Written here rather than taken from runtime/abi so that the native
 * references do not share code with what they check.
 */
import { type JsonNode, parseJsonWithSource } from "../../e2e/harness/go-native-harness.js";
import { parseType, RECORDS, type T } from "./signatures.js";

const SPECIAL: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };

/** Reads one canonical JSON value as type t. Throws on a value that does not fit. */
export function fromJson(node: JsonNode, t: T): unknown {
  const fail = (): never => {
    throw new Error(`parity: ${JSON.stringify(node)} is not a ${JSON.stringify(t)}`);
  };
  switch (t.k) {
    case "bool":
      return node.t === "bool" ? node.v : fail();
    case "string":
      return node.t === "str" ? node.v : fail();
    case "bytes":
      return node.t === "str" ? new Uint8Array(Buffer.from(node.v, "base64")) : fail();
    case "int": {
      if (node.t !== "num") return fail();
      const n = BigInt(node.text);
      const lo = t.signed ? -(1n << BigInt(t.bits - 1)) : 0n;
      const hi = (t.signed ? 1n << BigInt(t.bits - 1) : 1n << BigInt(t.bits)) - 1n;
      if (n < lo || n > hi) fail();
      return t.bits === 64 ? n : Number(n);
    }
    case "float": {
      const x = node.t === "num" ? Number(node.text) : node.t === "str" && node.v in SPECIAL ? SPECIAL[node.v]! : fail();
      return t.bits === 32 ? Math.fround(x) : x;
    }
    case "list":
    case "array":
      if (node.t !== "arr" || (t.k === "array" && node.items.length !== t.length)) return fail();
      return node.items.map((n) => fromJson(n, t.elem));
    case "map": {
      if (node.t !== "obj") return fail();
      return new Map(node.entries.map(([k, v]) => [fromJson(keyNode(k, t.key), t.key), fromJson(v, t.value)]));
    }
    case "opt":
      return node.t === "null" ? null : fromJson(node, t.inner);
    case "record": {
      if (node.t !== "obj") return fail();
      const fields = new Map(node.entries);
      const out: Record<string, unknown> = {};
      for (const [name, type] of RECORDS[t.name]!) {
        const f = fields.get(name);
        out[name] = f === undefined ? null : fromJson(f, parseType(type));
      }
      return out;
    }
  }
}

function keyNode(key: string, t: T): JsonNode {
  const at = { start: 0, end: 0 };
  if (t.k === "string") return { t: "str", v: key, ...at };
  if (t.k === "bool") return { t: "bool", v: key === "true", ...at };
  return key in SPECIAL ? { t: "str", v: key, ...at } : { t: "num", text: key, ...at };
}

/** Parses a case's raw argument array by the parameter types. */
export function argsFromJson(raw: string, params: string[]): unknown[] {
  const node = parseJsonWithSource(raw);
  if (node.t !== "arr" || node.items.length !== params.length) {
    throw new Error(`parity: case ${raw} does not have ${params.length} arguments`);
  }
  return node.items.map((n, i) => fromJson(n, parseType(params[i]!)));
}

function floatText(x: number): string {
  if (Number.isNaN(x)) return '"NaN"';
  if (x === Infinity) return '"Infinity"';
  if (x === -Infinity) return '"-Infinity"';
  return Object.is(x, -0) ? "-0" : String(x);
}

function keyText(k: unknown, t: T): string {
  if (t.k === "float") return JSON.stringify(floatText(k as number).replace(/"/g, ""));
  return JSON.stringify(t.k === "string" ? (k as string) : String(k));
}

function compareKeys(a: unknown, b: unknown, t: T): number {
  if (t.k === "string") return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string));
  if (t.k === "bool") return Number(a) - Number(b);
  const x = a as number | bigint;
  const y = b as number | bigint;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Writes a JS value of type t as canonical JSON; a value of the wrong shape is written as is, to show in a mismatch. */
export function toJson(v: unknown, t: T): string {
  switch (t.k) {
    case "bool":
      return typeof v === "boolean" ? String(v) : `"<not a bool: ${String(v)}>"`;
    case "string":
      return JSON.stringify(v);
    case "bytes":
      return v instanceof Uint8Array ? JSON.stringify(Buffer.from(v).toString("base64")) : `"<not bytes>"`;
    case "int":
      return typeof v === "bigint" || typeof v === "number" ? (Object.is(v, -0) ? "0" : String(v)) : `"<not an int>"`;
    case "float":
      return typeof v === "number" ? floatText(v) : `"<not a float: ${String(v)}>"`;
    case "list":
    case "array":
      return Array.isArray(v) || ArrayBuffer.isView(v)
        ? `[${Array.from(v as ArrayLike<unknown>, (x) => toJson(x, t.elem)).join(",")}]`
        : `"<not a list>"`;
    case "map": {
      if (!(v instanceof Map)) return `"<not a Map>"`;
      const entries = [...v.entries()].sort(([a], [b]) => compareKeys(a, b, t.key));
      return `{${entries.map(([k, x]) => `${keyText(k, t.key)}:${toJson(x, t.value)}`).join(",")}}`;
    }
    case "opt":
      return v === null || v === undefined ? "null" : toJson(v, t.inner);
    case "record": {
      const o = v as Record<string, unknown>;
      if (o === null || typeof o !== "object") return `"<not a record>"`;
      return `{${RECORDS[t.name]!.map(([name, type]) => `${JSON.stringify(name)}:${toJson(o[name], parseType(type))}`).join(",")}}`;
    }
  }
}

/** A function's results as canonical JSON: none -> null, one -> the value, several (a JS array/tuple) -> an array. */
export function resultToJson(v: unknown, results: string[]): string {
  if (results.length === 0) return "null";
  if (results.length === 1) return toJson(v, parseType(results[0]!));
  const list = Array.isArray(v) ? v : [];
  return `[${results.map((r, i) => toJson(list[i], parseType(r))).join(",")}]`;
}

export function errorLine(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}
