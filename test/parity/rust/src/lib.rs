//! Rust side of dcm's cross-language parity suite: the same functions exist in
//! Go, AssemblyScript and TypeScript next to this folder (../README.md lists
//! their semantics). Integer arithmetic that must wrap says so explicitly
//! (`wrapping_*`), as debug builds panic on overflow.

mod output;
mod records;

pub use output::*;
pub use records::*;

/// Adds with two's-complement wrap-around: i64::MAX + 1 is i64::MIN.
pub fn add_i64(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}

/// Adds two i8 values with wrap-around: 127 + 1 is -128.
pub fn wrap_add_i8(a: i8, b: i8) -> i8 {
    a.wrapping_add(b)
}

/// Returns -x; the negation of i64::MIN wraps to itself.
pub fn negate_i64(x: i64) -> i64 {
    x.wrapping_neg()
}

/// The larger of a and b.
pub fn max_u64(a: u64, b: u64) -> u64 {
    a.max(b)
}

/// Limits x to [lo, hi]; with lo > hi the result is hi (`i16::clamp` would panic).
pub fn clamp_i16(x: i16, lo: i16, hi: i16) -> i16 {
    x.max(lo).min(hi)
}

/// Multiplies modulo 2^32.
pub fn wrap_mul_u32(a: u32, b: u32) -> u32 {
    a.wrapping_mul(b)
}

/// Writes x in decimal.
pub fn format_i64(x: i64) -> String {
    x.to_string()
}

/// IEEE 754 division: 1/0 is +inf, 0/0 is NaN, 1/-inf is -0.
pub fn div_f64(a: f64, b: f64) -> f64 {
    a / b
}

/// Rounds an f64 to the nearest f32 (overflow gives ±inf).
pub fn to_f32(x: f64) -> f32 {
    x as f32
}

/// Returns its argument unchanged.
pub fn f32_round_trip(x: f32) -> f32 {
    x
}

/// Multiplies in f32 arithmetic.
pub fn mul_f32(a: f32, b: f32) -> f32 {
    a * b
}

/// Exclusive or.
pub fn bool_logic(a: bool, b: bool) -> bool {
    a != b
}

/// Tests n by trial division.
pub fn is_prime(n: u32) -> bool {
    if n < 2 {
        return false;
    }
    let n = n as u64;
    let mut d: u64 = 2;
    while d * d <= n {
        if n % d == 0 {
            return false;
        }
        d += 1;
    }
    true
}

/// The n-th Fibonacci number modulo 2^64 (exact up to n = 93).
pub fn fib_u64(n: u32) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        let next = a.wrapping_add(b);
        a = b;
        b = next;
    }
    a
}

/// Does nothing and returns nothing.
pub fn no_result(_x: i32) {}

/// Joins two strings.
pub fn concat(a: String, b: String) -> String {
    a + &b
}

/// Reverses s by code point (combining marks and emoji sequences are split).
pub fn reverse_string(s: String) -> String {
    s.chars().rev().collect()
}

/// The length of s in UTF-8 bytes.
pub fn utf8_len(s: String) -> i32 {
    s.len() as i32
}

/// The number of code points of s.
pub fn code_points(s: String) -> i32 {
    s.chars().count() as i32
}

/// Upper-cases a–z and leaves every other character as it is.
pub fn upper_ascii(s: String) -> String {
    s.to_ascii_uppercase()
}

/// Counts runs of characters other than space, tab, CR and LF.
pub fn count_words(s: String) -> i32 {
    let mut n = 0;
    let mut in_word = false;
    for c in s.chars() {
        let space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        if !space && !in_word {
            n += 1;
        }
        in_word = !space;
    }
    n
}

/// XORs every byte with key.
pub fn bytes_xor(data: Vec<u8>, key: u8) -> Vec<u8> {
    data.iter().map(|c| c ^ key).collect()
}

/// Adds the elements with wrap-around.
pub fn sum_list(xs: Vec<i64>) -> i64 {
    let mut s: i64 = 0;
    for x in xs {
        s = s.wrapping_add(x);
    }
    s
}

/// The elements in ascending order.
pub fn sort_ints(xs: Vec<i64>) -> Vec<i64> {
    let mut out = xs;
    out.sort();
    out
}

/// The rows in reverse order, each row with its length appended.
pub fn nested_lists(rows: Vec<Vec<i32>>) -> Vec<Vec<i32>> {
    let mut out = Vec::new();
    for row in rows.iter().rev() {
        let mut r = row.clone();
        r.push(row.len() as i32);
        out.push(r);
    }
    out
}

/// Divides a by b; fails on b == 0. i64::MIN / -1 wraps to i64::MIN.
pub fn divide_checked(a: i64, b: i64) -> Result<i64, String> {
    if b == 0 {
        return Err("division by zero".to_string());
    }
    Ok(a.wrapping_div(b))
}

/// Returns xs[i] and panics when i is out of range.
pub fn index_panic(xs: Vec<i32>, i: i32) -> i32 {
    xs[i as usize]
}
