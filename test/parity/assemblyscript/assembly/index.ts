// AssemblyScript side of dcm's cross-language parity suite: the same functions
// exist in Go, Rust and TypeScript next to this folder (../../README.md lists
// their semantics). Integer types wrap like the WebAssembly instructions they
// compile to; strings are UTF-16 inside, UTF-8 at the boundary.
import { Line, MinMax, Person, Point, point } from "./records";

/** Adds with two's-complement wrap-around: i64.MAX_VALUE + 1 is i64.MIN_VALUE. */
export function addI64(a: i64, b: i64): i64 {
  return a + b;
}

/** Adds two i8 values with wrap-around: 127 + 1 is -128. */
export function wrapAddI8(a: i8, b: i8): i8 {
  return a + b;
}

/** Returns -x; the negation of i64.MIN_VALUE wraps to itself. */
export function negateI64(x: i64): i64 {
  return -x;
}

/** The larger of a and b. */
export function maxU64(a: u64, b: u64): u64 {
  return a > b ? a : b;
}

/** Limits x to [lo, hi]; with lo > hi the result is hi. */
export function clampI16(x: i16, lo: i16, hi: i16): i16 {
  return min(max(x, lo), hi);
}

/** Multiplies modulo 2^32. */
export function wrapMulU32(a: u32, b: u32): u32 {
  return a * b;
}

/** Writes x in decimal. */
export function formatI64(x: i64): string {
  return x.toString();
}

/** IEEE 754 division: 1/0 is +Infinity, 0/0 is NaN, 1/-Infinity is -0. */
export function divF64(a: f64, b: f64): f64 {
  return a / b;
}

/** Rounds an f64 to the nearest f32 (overflow gives ±Infinity). */
export function toF32(x: f64): f32 {
  return <f32>x;
}

/** Returns its argument unchanged. */
export function f32RoundTrip(x: f32): f32 {
  return x;
}

/** Multiplies in f32 arithmetic. */
export function mulF32(a: f32, b: f32): f32 {
  return a * b;
}

/** Exclusive or. */
export function boolLogic(a: bool, b: bool): bool {
  return a !== b;
}

/** Tests n by trial division. */
export function isPrime(n: u32): bool {
  if (n < 2) return false;
  const m = <u64>n;
  for (let d: u64 = 2; d * d <= m; d++) {
    if (m % d === 0) return false;
  }
  return true;
}

/** The n-th Fibonacci number modulo 2^64 (exact up to n = 93). */
export function fibU64(n: u32): u64 {
  let a: u64 = 0;
  let b: u64 = 1;
  for (let i: u32 = 0; i < n; i++) {
    const next = a + b;
    a = b;
    b = next;
  }
  return a;
}

/** Does nothing and returns nothing. */
export function noResult(x: i32): void {}

/** Joins two strings. */
export function concat(a: string, b: string): string {
  return a + b;
}

/** Reverses s by code point (combining marks and emoji sequences are split). */
export function reverseString(s: string): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i);
    out = String.fromCodePoint(cp) + out;
    i += cp > 0xffff ? 2 : 1;
  }
  return out;
}

/** The length of s in UTF-8 bytes. */
export function utf8Len(s: string): i32 {
  return String.UTF8.byteLength(s);
}

/** The number of code points of s. */
export function codePoints(s: string): i32 {
  let n = 0;
  let i = 0;
  while (i < s.length) {
    i += s.codePointAt(i) > 0xffff ? 2 : 1;
    n++;
  }
  return n;
}

/** Upper-cases a–z and leaves every other character as it is. */
export function upperAscii(s: string): string {
  const units = new Array<i32>(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    units[i] = c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
  }
  return String.fromCharCodes(units);
}

/** Counts runs of characters other than space, tab, CR and LF. */
export function countWords(s: string): i32 {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const space = c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

/** XORs every byte with key. */
export function bytesXor(data: Uint8Array, key: u8): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ key;
  return out;
}

/** Adds the elements with wrap-around. */
export function sumList(xs: i64[]): i64 {
  let s: i64 = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s;
}

/** The elements in ascending order. */
export function sortInts(xs: i64[]): i64[] {
  return xs.slice(0).sort();
}

/** The rows in reverse order, each row with its length appended. */
export function nestedLists(rows: i32[][]): i32[][] {
  const out: i32[][] = [];
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i].slice(0);
    row.push(rows[i].length);
    out.push(row);
  }
  return out;
}

/** Counts how often each word occurs. */
export function mapCount(words: string[]): Map<string, i32> {
  const m = new Map<string, i32>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    m.set(w, m.has(w) ? m.get(w) + 1 : 1);
  }
  return m;
}

/** Swaps keys and values; when several keys share a value the smallest key (UTF-16 order) wins. */
export function mapInvert(m: Map<string, i32>): Map<i32, string> {
  const out = new Map<i32, string>();
  const keys = m.keys();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const v = m.get(k);
    if (!out.has(v) || out.get(v) > k) out.set(v, k);
  }
  return out;
}

/** Reverses an array of four (AssemblyScript has no fixed-size array type: a list). */
export function arrayRev(a: i32[]): i32[] {
  return [a[3], a[2], a[1], a[0]];
}

/** The minimum and maximum of xs, {0, 0} when empty. */
export function multiResult(xs: i32[]): MinMax {
  const r = new MinMax();
  if (xs.length === 0) return r;
  r.min = xs[0];
  r.max = xs[0];
  for (let i = 1; i < xs.length; i++) {
    r.min = min(r.min, xs[i]);
    r.max = max(r.max, xs[i]);
  }
  return r;
}

/** Builds a Point. */
export function recordMake(x: i32, y: i32): Point {
  return point(x, y);
}

/** Moves both ends of l by (dx, dy), with i32 wrap-around. */
export function recordMove(l: Line, dx: i32, dy: i32): Line {
  const out = new Line();
  out.from = point(l.from.x + dx, l.from.y + dy);
  out.to = point(l.to.x + dx, l.to.y + dy);
  return out;
}

/** Builds a Person from its parts. */
export function recordFields(name: string, age: u8, tags: string[], home: Point | null): Person {
  const p = new Person();
  p.name = name;
  p.age = age;
  p.tags = tags;
  p.home = home;
  return p;
}

/** p, or fallback when p is null. */
export function optionalOr(p: Point | null, fallback: Point): Point {
  return p != null ? p : fallback;
}

/** The first point with the given x, or null. */
export function optionalRecord(points: Point[], x: i32): Point | null {
  for (let i = 0; i < points.length; i++) {
    if (points[i].x === x) return points[i];
  }
  return null;
}

/** Divides a by b; throws on b == 0. i64.MIN_VALUE / -1 wraps to i64.MIN_VALUE (i64.div_s would trap). */
export function divideChecked(a: i64, b: i64): i64 {
  if (b === 0) throw new Error("division by zero");
  if (b === -1) return -a;
  return a / b;
}

/** Returns xs[i]; out of range aborts with ~lib's "Index out of range". */
export function indexPanic(xs: i32[], i: i32): i32 {
  return xs[i];
}

export { printLines } from "./output";
