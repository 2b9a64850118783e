//! The Rust part of the polyglot example: text and geometry.

pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// Euclidean distance between two points.
pub fn distance(a: Point, b: Point) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// FNV-1a 64-bit hash of some bytes.
pub fn fnv1a(data: Vec<u8>) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Words separated by whitespace.
pub fn word_count(s: String) -> u32 {
    s.split_whitespace().count() as u32
}

/// The n-th Fibonacci number, wrapping at 2^64.
pub fn fib(n: u32) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        let t = a.wrapping_add(b);
        a = b;
        b = t;
    }
    a
}
