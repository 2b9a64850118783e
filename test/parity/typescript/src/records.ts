// Records (interfaces), optionals (`| null`), and failures.
import type { f64, i32, i64, u8 } from "./widths.js";

/** A point on an integer grid. */
export interface Point {
  x: i32;
  y: i32;
}

/** Two points (a record nested in a record). */
export interface Line {
  from: Point;
  to: Point;
}

/** A field of every kind: string, small int, list and optional record. */
export interface Person {
  name: string;
  age: u8;
  tags: string[];
  home: Point | null;
}

/** A rectangle. */
export interface Rect {
  width: f64;
  height: f64;
}

/**
 * width × height. Go, Rust and AssemblyScript make this a method (`Rect.area`,
 * receiver first); dcm's TypeScript adapter takes exported functions only
 * (class methods are DCM_UNSUPPORTED_CONSTRUCT), so here it is a function.
 */
export function rectArea(r: Rect): f64 {
  return r.width * r.height;
}

/** Builds a Point. */
export function recordMake(x: i32, y: i32): Point {
  return { x, y };
}

/** Moves both ends of l by (dx, dy), with 32-bit wrap-around. */
export function recordMove(l: Line, dx: i32, dy: i32): Line {
  return {
    from: { x: (l.from.x + dx) | 0, y: (l.from.y + dy) | 0 },
    to: { x: (l.to.x + dx) | 0, y: (l.to.y + dy) | 0 },
  };
}

/** Builds a Person from its parts. */
export function recordFields(name: string, age: u8, tags: string[], home: Point | null): Person {
  return { name, age, tags, home };
}

/** p, or fallback when p is null. */
export function optionalOr(p: Point | null, fallback: Point): Point {
  return p ?? fallback;
}

/** The first point with the given x, or null. */
export function optionalRecord(points: Point[], x: i32): Point | null {
  for (const p of points) if (p.x === x) return p;
  return null;
}

const MIN_I64 = -(2n ** 63n);

/** Divides a by b; throws an Error on b == 0. -2^63 / -1 wraps to -2^63. */
export function divideChecked(a: i64, b: i64): i64 {
  if (b === 0n) throw new Error("division by zero");
  if (a === MIN_I64 && b === -1n) return a;
  return a / b;
}

/** Returns xs[i]; out of range throws a RangeError (a JS array would give undefined). */
export function indexPanic(xs: i32[], i: i32): i32 {
  if (i < 0 || i >= xs.length) throw new RangeError(`index out of range [${i}] with length ${xs.length}`);
  return xs[i]!;
}
