//! Native reference for dcm's parity suite: reads `[{"id": ..., "args": [...]}, ...]`
//! on stdin, calls the parity crate's function for each case and writes its
//! result as canonical JSON (docs/values-json.md), one line per case, to the
//! file named by the first argument (stdout is the functions' own, they may print):
//! the value, or {"error":{"code":"DCM_FRAGMENT_ERROR"|"DCM_FRAGMENT_PANIC"|"DCM_BAD_ARGUMENTS","message":...}}.
//! Decoding and printing are written here by hand so that nothing of dcm's own codecs is trusted.

use parity::*;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::panic;

type Out = Result<String, (String, String)>;

fn bad(msg: String) -> (String, String) {
    ("DCM_BAD_ARGUMENTS".to_string(), msg)
}

// ---------------- decoding (canonical JSON -> Rust values) ----------------

fn int(v: &Value) -> Result<i128, (String, String)> {
    match v {
        Value::Number(n) => n.to_string().parse::<i128>().map_err(|e| bad(format!("{}: {}", n, e))),
        _ => Err(bad(format!("expected an integer, got {}", v))),
    }
}
fn i8_(v: &Value) -> Result<i8, (String, String)> { i8::try_from(int(v)?).map_err(|e| bad(e.to_string())) }
fn u8_(v: &Value) -> Result<u8, (String, String)> { u8::try_from(int(v)?).map_err(|e| bad(e.to_string())) }
fn i16_(v: &Value) -> Result<i16, (String, String)> { i16::try_from(int(v)?).map_err(|e| bad(e.to_string())) }
fn i32_(v: &Value) -> Result<i32, (String, String)> { i32::try_from(int(v)?).map_err(|e| bad(e.to_string())) }
fn u32_(v: &Value) -> Result<u32, (String, String)> { u32::try_from(int(v)?).map_err(|e| bad(e.to_string())) }
fn i64_(v: &Value) -> Result<i64, (String, String)> { i64::try_from(int(v)?).map_err(|e| bad(e.to_string())) }
fn u64_(v: &Value) -> Result<u64, (String, String)> { u64::try_from(int(v)?).map_err(|e| bad(e.to_string())) }

fn float_text(v: &Value) -> Result<String, (String, String)> {
    match v {
        Value::Number(n) => Ok(n.to_string()),
        Value::String(s) if s == "NaN" || s == "Infinity" || s == "-Infinity" || s == "-0" => Ok(s.replace("Infinity", "inf")),
        _ => Err(bad(format!("expected a float, got {}", v))),
    }
}
fn f64_(v: &Value) -> Result<f64, (String, String)> {
    float_text(v)?.parse::<f64>().map_err(|e| bad(e.to_string()))
}
// Parsed straight from the text: rounded once, to f32.
fn f32_(v: &Value) -> Result<f32, (String, String)> {
    float_text(v)?.parse::<f32>().map_err(|e| bad(e.to_string()))
}
fn bool_(v: &Value) -> Result<bool, (String, String)> {
    v.as_bool().ok_or_else(|| bad(format!("expected a bool, got {}", v)))
}
fn str_(v: &Value) -> Result<String, (String, String)> {
    v.as_str().map(|s| s.to_string()).ok_or_else(|| bad(format!("expected a string, got {}", v)))
}
fn list<T>(v: &Value, f: fn(&Value) -> Result<T, (String, String)>) -> Result<Vec<T>, (String, String)> {
    v.as_array().ok_or_else(|| bad(format!("expected an array, got {}", v)))?.iter().map(f).collect()
}
fn bytes_(v: &Value) -> Result<Vec<u8>, (String, String)> {
    let s = str_(v)?;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=') {
        let d = alphabet.iter().position(|&a| a == c).ok_or_else(|| bad(format!("bad base64 {}", s)))? as u32;
        acc = (acc << 6) | d;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}
fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, (String, String)> {
    v.get(name).ok_or_else(|| bad(format!("missing field {} in {}", name, v)))
}
fn point(v: &Value) -> Result<Point, (String, String)> {
    Ok(Point { x: i32_(field(v, "x")?)?, y: i32_(field(v, "y")?)? })
}
fn opt_point(v: &Value) -> Result<Option<Point>, (String, String)> {
    if v.is_null() { Ok(None) } else { point(v).map(Some) }
}
fn line(v: &Value) -> Result<Line, (String, String)> {
    Ok(Line { from: point(field(v, "from")?)?, to: point(field(v, "to")?)? })
}
fn rect(v: &Value) -> Result<Rect, (String, String)> {
    Ok(Rect { width: f64_(field(v, "width")?)?, height: f64_(field(v, "height")?)? })
}
fn map_str_i32(v: &Value) -> Result<HashMap<String, i32>, (String, String)> {
    let o = v.as_object().ok_or_else(|| bad(format!("expected an object, got {}", v)))?;
    o.iter().map(|(k, x)| Ok((k.clone(), i32_(x)?))).collect()
}

// ---------------- canonical JSON (Rust values -> text) ----------------

fn j_str(s: &str) -> String { serde_json::to_string(s).unwrap() }
fn j_float(x: f64, shortest: String, exp: String) -> String {
    if x.is_nan() { return "\"NaN\"".into(); }
    if x.is_infinite() { return if x > 0.0 { "\"Infinity\"".into() } else { "\"-Infinity\"".into() }; }
    if x == 0.0 { return if x.is_sign_negative() { "-0".into() } else { "0".into() }; }
    // Display never uses an exponent; switch to it where JS would.
    if x.abs() >= 1e21 || x.abs() < 1e-6 { exp } else { shortest }
}
fn j_f64(x: f64) -> String { j_float(x, format!("{}", x), format!("{:e}", x)) }
fn j_f32(x: f32) -> String { j_float(x as f64, format!("{}", x), format!("{:e}", x)) }
fn j_list<T>(xs: &[T], f: fn(&T) -> String) -> String {
    format!("[{}]", xs.iter().map(f).collect::<Vec<_>>().join(","))
}
fn j_bytes(b: &[u8]) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in b.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &c)| acc | (c as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() { s.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char) } else { s.push('=') }
        }
    }
    j_str(&s)
}
fn j_point(p: &Point) -> String { format!("{{\"x\":{},\"y\":{}}}", p.x, p.y) }
fn j_opt_point(p: &Option<Point>) -> String { p.as_ref().map(j_point).unwrap_or_else(|| "null".into()) }

fn call(id: &str, a: &[Value]) -> Out {
    let arg = |i: usize| a.get(i).ok_or_else(|| bad(format!("missing argument {}", i + 1)));
    Ok(match id {
        "add-i64" => add_i64(i64_(arg(0)?)?, i64_(arg(1)?)?).to_string(),
        "wrap-add-i8" => wrap_add_i8(i8_(arg(0)?)?, i8_(arg(1)?)?).to_string(),
        "negate-i64" => negate_i64(i64_(arg(0)?)?).to_string(),
        "max-u64" => max_u64(u64_(arg(0)?)?, u64_(arg(1)?)?).to_string(),
        "clamp-i16" => clamp_i16(i16_(arg(0)?)?, i16_(arg(1)?)?, i16_(arg(2)?)?).to_string(),
        "wrap-mul-u32" => wrap_mul_u32(u32_(arg(0)?)?, u32_(arg(1)?)?).to_string(),
        "format-i64" => j_str(&format_i64(i64_(arg(0)?)?)),
        "div-f64" => j_f64(div_f64(f64_(arg(0)?)?, f64_(arg(1)?)?)),
        "to-f32" => j_f32(to_f32(f64_(arg(0)?)?)),
        "f32-round-trip" => j_f32(f32_round_trip(f32_(arg(0)?)?)),
        "mul-f32" => j_f32(mul_f32(f32_(arg(0)?)?, f32_(arg(1)?)?)),
        "bool-logic" => bool_logic(bool_(arg(0)?)?, bool_(arg(1)?)?).to_string(),
        "is-prime" => is_prime(u32_(arg(0)?)?).to_string(),
        "fib-u64" => fib_u64(u32_(arg(0)?)?).to_string(),
        "no-result" => {
            no_result(i32_(arg(0)?)?);
            "null".into()
        }
        "concat" => j_str(&concat(str_(arg(0)?)?, str_(arg(1)?)?)),
        "reverse-string" => j_str(&reverse_string(str_(arg(0)?)?)),
        "utf8-len" => utf8_len(str_(arg(0)?)?).to_string(),
        "code-points" => code_points(str_(arg(0)?)?).to_string(),
        "upper-ascii" => j_str(&upper_ascii(str_(arg(0)?)?)),
        "count-words" => count_words(str_(arg(0)?)?).to_string(),
        "bytes-xor" => j_bytes(&bytes_xor(bytes_(arg(0)?)?, u8_(arg(1)?)?)),
        "sum-list" => sum_list(list(arg(0)?, i64_)?).to_string(),
        "sort-ints" => j_list(&sort_ints(list(arg(0)?, i64_)?), |x| x.to_string()),
        "nested-lists" => {
            let rows = list(arg(0)?, |r| list(r, i32_))?;
            j_list(&nested_lists(rows), |r| j_list(r, |x| x.to_string()))
        }
        "map-count" => {
            let m = map_count(list(arg(0)?, str_)?);
            let mut keys: Vec<_> = m.keys().collect();
            keys.sort(); // String's Ord is UTF-8 byte order
            format!("{{{}}}", keys.iter().map(|k| format!("{}:{}", j_str(k), m[*k])).collect::<Vec<_>>().join(","))
        }
        "map-invert" => {
            let m = map_invert(map_str_i32(arg(0)?)?);
            let mut keys: Vec<_> = m.keys().collect();
            keys.sort();
            format!("{{{}}}", keys.iter().map(|k| format!("\"{}\":{}", k, j_str(&m[*k]))).collect::<Vec<_>>().join(","))
        }
        "array-rev" => {
            let v = list(arg(0)?, i32_)?;
            let a: [i32; 4] = v.try_into().map_err(|_| bad("expected 4 elements".into()))?;
            j_list(&array_rev(a), |x| x.to_string())
        }
        "multi-result" => {
            let (lo, hi) = multi_result(list(arg(0)?, i32_)?);
            format!("[{},{}]", lo, hi)
        }
        "record-make" => j_point(&record_make(i32_(arg(0)?)?, i32_(arg(1)?)?)),
        "record-move" => {
            let l = record_move(line(arg(0)?)?, i32_(arg(1)?)?, i32_(arg(2)?)?);
            format!("{{\"from\":{},\"to\":{}}}", j_point(&l.from), j_point(&l.to))
        }
        "record-fields" => {
            let p = record_fields(str_(arg(0)?)?, u8_(arg(1)?)?, list(arg(2)?, str_)?, opt_point(arg(3)?)?);
            format!(
                "{{\"name\":{},\"age\":{},\"tags\":{},\"home\":{}}}",
                j_str(&p.name),
                p.age,
                j_list(&p.tags, |t| j_str(t)),
                j_opt_point(&p.home)
            )
        }
        "optional-or" => j_point(&optional_or(opt_point(arg(0)?)?, point(arg(1)?)?)),
        "optional-record" => j_opt_point(&optional_record(list(arg(0)?, point)?, i32_(arg(1)?)?)),
        "method-area" => j_f64(rect(arg(0)?)?.area()),
        "divide-checked" => match divide_checked(i64_(arg(0)?)?, i64_(arg(1)?)?) {
            Ok(q) => q.to_string(),
            Err(e) => return Err(("DCM_FRAGMENT_ERROR".into(), e)),
        },
        "index-panic" => index_panic(list(arg(0)?, i32_)?, i32_(arg(1)?)?).to_string(),
        "print-lines" => print_lines(str_(arg(0)?)?, i32_(arg(1)?)?).to_string(),
        _ => return Err(bad(format!("no fragment {}", id))),
    })
}

fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).expect("read stdin");
    let cases: Vec<Value> = serde_json::from_str(&input).expect("stdin: a JSON array of {id, args}");
    // Panics become results; keep their default report off stderr noise.
    panic::set_hook(Box::new(|_| {}));
    let path = std::env::args().nth(1).expect("usage: parity-native <results file>");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create the results file"));
    for c in &cases {
        let id = c["id"].as_str().expect("case id").to_string();
        let args = c["args"].as_array().cloned().unwrap_or_default();
        let res = panic::catch_unwind(|| call(&id, &args));
        let line = match res {
            Ok(Ok(v)) => v,
            Ok(Err((code, msg))) => format!("{{\"error\":{{\"code\":{},\"message\":{}}}}}", j_str(&code), j_str(&msg)),
            Err(p) => {
                let msg = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into());
                format!("{{\"error\":{{\"code\":\"DCM_FRAGMENT_PANIC\",\"message\":{}}}}}", j_str(&msg))
            }
        };
        writeln!(out, "{}", line).expect("write the results file");
    }
}
