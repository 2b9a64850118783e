/**
 * The `scalar` ABI's value conversions (docs/abi.md): JS value to WASM/C
 * number and back. Shared by the WASM instance and the native plugin.
 */
import { int64Value, intRange, MAX64, MAXU64, MIN64, smallIntSlow } from "./int-checks.js";
import type { JsValue } from "./js-values.js";
import { expected } from "./value-errors.js";
import type { Signature, VType } from "./value-types.js";

export type ToScalar = (v: unknown) => number | bigint;
export type FromScalar = (r: unknown) => JsValue;

/** Argument conversion; throws ValueError for values that do not fit. */
export function toScalar(t: VType): ToScalar {
  switch (t.kind) {
    case "bool":
      return (v) => {
        if (typeof v !== "boolean") throw expected(t, v);
        return v ? 1 : 0;
      };
    case "float":
      return (v) => {
        if (typeof v !== "number") throw expected(t, v);
        return v;
      };
    case "int": {
      if (t.bits === 64) {
        // In-range bigints pass through: WASM (ToBigInt64) and koffi's uint64_t take them as they are.
        const [lo, hi] = t.signed ? [MIN64, MAX64] : [0n, MAXU64];
        return (v) => (typeof v === "bigint" && v >= lo && v <= hi ? v : int64Value(t, v));
      }
      const [min, max] = intRange(t.bits, t.signed);
      return (v) =>
        typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? v : smallIntSlow(t, v, min, max);
    }
    default:
      throw new Error(`type ${t.kind} cannot use the scalar ABI`);
  }
}

/** Result conversion. Native (koffi) already returns unsigned values; WASM returns them as signed i32/i64. */
export function fromScalar(t: VType): FromScalar {
  switch (t.kind) {
    case "bool":
      return (r) => r !== 0;
    case "float":
      return (r) => r as number;
    case "int":
      if (t.bits === 64) {
        return t.signed
          ? (r) => (typeof r === "bigint" ? r : BigInt(r as number))
          : (r) => BigInt.asUintN(64, BigInt(r as bigint | number));
      }
      if (!t.signed) return (r) => (r as number) >>> 0;
      return (r) => r as number;
    default:
      throw new Error(`type ${t.kind} cannot use the scalar ABI`);
  }
}

/** Whether a signature can use the scalar ABI (docs/abi.md). */
export function isScalarSignature(sig: Signature): boolean {
  const scalar = (t: VType) => t.kind === "bool" || t.kind === "int" || t.kind === "float";
  return (
    !sig.error &&
    sig.results.length <= 1 &&
    sig.params.every((p) => !p.variadic && scalar(p.type)) &&
    sig.results.every(scalar)
  );
}
