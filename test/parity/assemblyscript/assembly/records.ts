// Records of the AssemblyScript parity functions. Plain classes with field
// initialisers and no constructor, so that `asc --bindings esm` lifts them as
// JS objects; AssemblyScript has no tuples, so two results are a record (MinMax).

/** A point on an integer grid. */
export class Point {
  x: i32 = 0;
  y: i32 = 0;
}

/** Two points (a record nested in a record). */
export class Line {
  from: Point = new Point();
  to: Point = new Point();
}

/** A field of every kind: string, small int, list and optional record. */
export class Person {
  name: string = "";
  age: u8 = 0;
  tags: string[] = [];
  home: Point | null = null;
}

/** A rectangle with a method. */
export class Rect {
  width: f64 = 0;
  height: f64 = 0;

  /** width × height. */
  area(): f64 {
    return this.width * this.height;
  }
}

/** The two results of multiResult. */
export class MinMax {
  min: i32 = 0;
  max: i32 = 0;
}

/** A Point with the given coordinates. */
export function point(x: i32, y: i32): Point {
  const p = new Point();
  p.x = x;
  p.y = y;
  return p;
}
