//! Records, maps, fixed arrays, optionals and several results.

use std::collections::HashMap;

/// A point on an integer grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

/// Two points (a record nested in a record).
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub from: Point,
    pub to: Point,
}

/// A field of every kind: string, small int, list and optional record.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    pub name: String,
    pub age: u8,
    pub tags: Vec<String>,
    pub home: Option<Point>,
}

/// A rectangle with a method.
#[derive(Clone, Debug, PartialEq)]
pub struct Rect {
    pub width: f64,
    pub height: f64,
}

impl Rect {
    /// width × height.
    pub fn area(&self) -> f64 {
        self.width * self.height
    }
}

/// Counts how often each word occurs.
pub fn map_count(words: Vec<String>) -> HashMap<String, i32> {
    let mut m = HashMap::new();
    for w in words {
        *m.entry(w).or_insert(0) += 1;
    }
    m
}

/// Swaps keys and values; when several keys share a value the smallest key (byte order) wins.
pub fn map_invert(m: HashMap<String, i32>) -> HashMap<i32, String> {
    let mut out: HashMap<i32, String> = HashMap::new();
    for (k, v) in m {
        let replace = match out.get(&v) {
            Some(old) => k < *old,
            None => true,
        };
        if replace {
            out.insert(v, k);
        }
    }
    out
}

/// Reverses a fixed array of four.
pub fn array_rev(a: [i32; 4]) -> [i32; 4] {
    [a[3], a[2], a[1], a[0]]
}

/// The minimum and maximum of xs, (0, 0) when empty.
pub fn multi_result(xs: Vec<i32>) -> (i32, i32) {
    if xs.is_empty() {
        return (0, 0);
    }
    let mut lo = xs[0];
    let mut hi = xs[0];
    for &x in &xs[1..] {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    (lo, hi)
}

/// Builds a Point.
pub fn record_make(x: i32, y: i32) -> Point {
    Point { x, y }
}

/// Moves both ends of l by (dx, dy), with i32 wrap-around.
pub fn record_move(l: Line, dx: i32, dy: i32) -> Line {
    Line {
        from: Point { x: l.from.x.wrapping_add(dx), y: l.from.y.wrapping_add(dy) },
        to: Point { x: l.to.x.wrapping_add(dx), y: l.to.y.wrapping_add(dy) },
    }
}

/// Builds a Person from its parts.
pub fn record_fields(name: String, age: u8, tags: Vec<String>, home: Option<Point>) -> Person {
    Person { name, age, tags, home }
}

/// p, or fallback when p is None.
pub fn optional_or(p: Option<Point>, fallback: Point) -> Point {
    p.unwrap_or(fallback)
}

/// The first point with the given x, or None.
pub fn optional_record(points: Vec<Point>, x: i32) -> Option<Point> {
    points.into_iter().find(|p| p.x == x)
}
