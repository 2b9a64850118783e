// Lists, maps, a fixed-size array (a plain array in TypeScript) and two results (a tuple).
import type { i32, i64 } from "./widths.js";

/** Adds the elements with wrap-around. */
export function sumList(xs: i64[]): i64 {
  let s = 0n;
  for (const x of xs) s = BigInt.asIntN(64, s + x);
  return s;
}

/** The elements in ascending order. */
export function sortInts(xs: i64[]): i64[] {
  return [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The rows in reverse order, each row with its length appended. */
export function nestedLists(rows: i32[][]): i32[][] {
  const out: i32[][] = [];
  for (let i = rows.length - 1; i >= 0; i--) out.push([...rows[i]!, rows[i]!.length]);
  return out;
}

/** Counts how often each word occurs. */
export function mapCount(words: string[]): Map<string, i32> {
  const m = new Map<string, i32>();
  for (const w of words) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/** Swaps keys and values; when several keys share a value the smallest key (UTF-16 order) wins. */
export function mapInvert(m: Map<string, i32>): Map<i32, string> {
  const out = new Map<i32, string>();
  for (const [k, v] of m) {
    const old = out.get(v);
    if (old === undefined || k < old) out.set(v, k);
  }
  return out;
}

/** Reverses an array of four. */
export function arrayRev(a: i32[]): i32[] {
  return [a[3]!, a[2]!, a[1]!, a[0]!];
}

/** The minimum and maximum of xs, [0, 0] when empty. */
export function multiResult(xs: i32[]): [i32, i32] {
  if (xs.length === 0) return [0, 0];
  return [Math.min(...xs), Math.max(...xs)];
}
