/**
 * Errors raised while converting values, and the names used in their
 * messages. A ValueError carries the path below the parameter (`.Address.Zip`,
 * `[3]`); compound converters prepend their segment as it unwinds, so the hot
 * path never builds path strings.
 */
import { FragmentCallError } from "./call-error.js";
import type { VType } from "./value-types.js";

/**
 * How deep records may nest inside one value, in every converter of untrusted
 * input (binary decoding, wire JSON): deeper input is refused with a typed
 * error instead of overflowing the stack. JSON text is limited to 512 levels
 * already (json-parse.ts).
 */
export const MAX_NESTING = 1000;

export class ValueError extends Error {
  path = "";
  constructor(message: string) {
    super(message);
    this.name = "ValueError";
  }
}

/** Thrown when bytes do not decode; callers map it to a FragmentCallError code. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

/** Rethrows `e` with `segment` prepended to its path when it is a ValueError. */
export function withPath(e: unknown, segment: string): never {
  if (e instanceof ValueError) e.path = segment + e.path;
  throw e;
}

export function keySegment(key: unknown): string {
  return typeof key === "string" ? `[${JSON.stringify(key)}]` : `[${String(key)}]`;
}

export function fieldSegment(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** Turns a ValueError raised below parameter `param` into DCM_BAD_ARGUMENTS. */
export function badArgument(e: unknown, param: string, fragment: string): never {
  if (e instanceof ValueError) {
    throw new FragmentCallError("DCM_BAD_ARGUMENTS", `${param}${e.path}: ${e.message}`, fragment);
  }
  throw e;
}

export function typeName(t: VType): string {
  switch (t.kind) {
    case "int":
      return `int<${t.bits},${t.signed ? "signed" : "unsigned"}>`;
    case "float":
      return `float<${t.bits}>`;
    case "list":
      return `list<${typeName(t.elem)}>`;
    case "array":
      return `array<${typeName(t.elem)},${t.length}>`;
    case "map":
      return `map<${typeName(t.key)},${typeName(t.value)}>`;
    case "record":
      return `record ${t.name}`;
    case "optional":
      return `optional<${typeName(t.inner)}>`;
    default:
      return t.kind;
  }
}

/** A short description of a JS value for "got …" in messages. */
export function describeJs(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `array of length ${v.length}`;
  if (v instanceof Uint8Array) return "Uint8Array";
  if (v instanceof Map) return "Map";
  switch (typeof v) {
    case "number":
      return Number.isInteger(v) ? `number ${v}` : `number ${String(v)}`;
    case "bigint":
      return `bigint ${v}`;
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    case "object":
      return "object";
    default:
      return typeof v;
  }
}

export function expected(t: VType, got: unknown): ValueError {
  return new ValueError(`expected ${typeName(t)}, got ${describeJs(got)}`);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
