/**
 * Map key handling: docs/abi.md writes map keys in ascending order (strings
 * by UTF-8 bytes, numbers numerically, false before true). Keys are first
 * normalised (validated, 64-bit ints as bigint) so that sorting compares
 * like with like.
 */

import { int64Value, intRange, smallIntSlow } from "./int-checks.js";
import { expected } from "./value-errors.js";
import type { VType } from "./value-types.js";

type Cmp = (a: unknown, b: unknown) => number;

/** Order of code points, which is the order of UTF-8 bytes (JS `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        // Surrogates (astral code points) sort after U+E000..U+FFFF.
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  // NaN sorts first, as in Go's slices.Sort.
  return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : 1;
}

export function compareKeys(t: VType): Cmp | null {
  switch (t.kind) {
    case "string":
      return compareCodePoints as Cmp;
    case "bool":
      return (a, b) => (a ? 1 : 0) - (b ? 1 : 0);
    case "float":
      return compareNumbers as Cmp;
    case "int":
      if (t.bits === 64) return (a, b) => ((a as bigint) < (b as bigint) ? -1 : (a as bigint) > (b as bigint) ? 1 : 0);
      return compareNumbers as Cmp;
    default:
      return null;
  }
}

/** Validates a key and returns it in the form its comparator expects; null for compound key types. */
export function keyNormalizer(t: VType): ((k: unknown) => unknown) | null {
  switch (t.kind) {
    case "string":
      return (k) => {
        if (typeof k !== "string") throw expected(t, k);
        return k;
      };
    case "bool":
      return (k) => {
        if (typeof k !== "boolean") throw expected(t, k);
        return k;
      };
    case "float":
      return (k) => {
        if (typeof k !== "number") throw expected(t, k);
        if (t.bits === 32) return Math.fround(k);
        return k;
      };
    case "int": {
      if (t.bits === 64) return (k) => int64Value(t, k);
      const [min, max] = intRange(t.bits, t.signed);
      return (k) => {
        if (typeof k === "number" && Number.isInteger(k) && k >= min && k <= max) return k;
        return smallIntSlow(t, k, min, max);
      };
    }
    default:
      return null;
  }
}
