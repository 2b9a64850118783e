/** Integer validation shared by the codec, the scalar ABI and JSON conversion. */

import { expected, typeName, ValueError } from "./value-errors.js";
import type { IntBits, VType } from "./value-types.js";

export const MIN64 = -(2n ** 63n);
export const MAX64 = 2n ** 63n - 1n;
export const MAXU64 = 2n ** 64n - 1n;

/** The slow path of small-int encoders: bigint input, or a precise error. */
export function smallIntSlow(t: VType, v: unknown, min: number, max: number): number {
  if (typeof v === "bigint") {
    if (v >= BigInt(min) && v <= BigInt(max)) return Number(v);
    throw new ValueError(`${v} out of range for ${typeName(t)}`);
  }
  if (typeof v === "number" && Number.isInteger(v)) throw new ValueError(`${v} out of range for ${typeName(t)}`);
  throw expected(t, v);
}

/** Validates a 64-bit integer and returns it as a bigint. */
export function int64Value(t: VType & { kind: "int" }, v: unknown): bigint {
  if (typeof v === "bigint") {
    if (t.signed ? v >= MIN64 && v <= MAX64 : v >= 0n && v <= MAXU64) return v;
    throw new ValueError(`${v} out of range for ${typeName(t)}`);
  }
  if (typeof v === "number" && Number.isSafeInteger(v)) {
    if (t.signed || v >= 0) return BigInt(v);
    throw new ValueError(`${v} out of range for ${typeName(t)}`);
  }
  if (typeof v === "number" && Number.isInteger(v)) {
    throw new ValueError(`expected ${typeName(t)}, got number ${v} (not a safe integer: pass a bigint)`);
  }
  throw expected(t, v);
}

export function intRange(bits: IntBits, signed: boolean): [number, number] {
  if (bits === 64) return [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  return signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
}
