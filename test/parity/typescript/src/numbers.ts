// TypeScript side of dcm's cross-language parity suite (../../README.md lists
// the semantics). The signatures use the width aliases of widths.ts (`i8`,
// `u32`, `f32`, `u64`…), so they are the other languages' signatures; the
// values are still JS numbers and bigints, so the functions wrap themselves:
// 64-bit integers with BigInt.asIntN/asUintN, narrower ones with the usual
// bit tricks; float32 arithmetic uses Math.fround.
import type { f32, f64, i16, i32, i64, i8, u32, u64 } from "./widths.js";

/** Adds with two's-complement wrap-around: 2^63-1 + 1 is -2^63. */
export function addI64(a: i64, b: i64): i64 {
  return BigInt.asIntN(64, a + b);
}

/** Adds two 8-bit integers with wrap-around: 127 + 1 is -128. */
export function wrapAddI8(a: i8, b: i8): i8 {
  return ((a + b) << 24) >> 24;
}

/** Returns -x; the negation of -2^63 wraps to itself. */
export function negateI64(x: i64): i64 {
  return BigInt.asIntN(64, -x);
}

/** The larger of a and b. */
export function maxU64(a: u64, b: u64): u64 {
  return a > b ? a : b;
}

/** Limits x to [lo, hi]; with lo > hi the result is hi. */
export function clampI16(x: i16, lo: i16, hi: i16): i16 {
  return Math.min(Math.max(x, lo), hi);
}

/** Multiplies modulo 2^32. */
export function wrapMulU32(a: u32, b: u32): u32 {
  return Math.imul(a, b) >>> 0;
}

/** Writes x in decimal. */
export function formatI64(x: i64): string {
  return x.toString();
}

/** IEEE 754 division: 1/0 is Infinity, 0/0 is NaN, 1/-Infinity is -0. */
export function divF64(a: f64, b: f64): f64 {
  return a / b;
}

/** Rounds to the nearest float32 (overflow gives ±Infinity). */
export function toF32(x: f64): f32 {
  return Math.fround(x);
}

/** Returns its argument as a float32. */
export function f32RoundTrip(x: f32): f32 {
  return Math.fround(x);
}

/** Multiplies in float32 arithmetic (the double product of two float32 values is exact, so one rounding). */
export function mulF32(a: f32, b: f32): f32 {
  return Math.fround(Math.fround(a) * Math.fround(b));
}

/** Exclusive or. */
export function boolLogic(a: boolean, b: boolean): boolean {
  return a !== b;
}

/** Tests n by trial division. */
export function isPrime(n: u32): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) {
    if (n % d === 0) return false;
  }
  return true;
}

/** The n-th Fibonacci number modulo 2^64 (exact up to n = 93). */
export function fibU64(n: u32): u64 {
  let a = 0n;
  let b = 1n;
  for (let i = 0; i < n; i++) {
    const next = BigInt.asUintN(64, a + b);
    a = b;
    b = next;
  }
  return a;
}

/** Does nothing and returns nothing. */
export function noResult(_x: i32): void {}
