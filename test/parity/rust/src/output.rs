//! Printing from a fragment (a module of its own, declared in lib.rs: dcm's
//! print macros reach it through the crate root).

/// Prints s on n lines to stdout, then "printed <n>" to stderr, and returns
/// the number of bytes written to stdout.
pub fn print_lines(s: String, n: i32) -> i32 {
    let mut total = 0;
    for _ in 0..n {
        println!("{}", s);
        total += s.len() as i32 + 1;
    }
    eprintln!("printed {}", n);
    total
}
