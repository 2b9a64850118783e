/**
 * The print macros of a generated crate (docs/abi.md, "Output"): the crate
 * root gets `macro_rules!` definitions of print!, println!, eprint!,
 * eprintln! and dbg! that write into dcm's per-call capture
 * (templates/output.rs.tmpl). A `macro_rules!` macro is in textual scope
 * for everything after it in the root file and in every module declared
 * after it, and a textual scope wins over the std prelude's macros, so
 * the user's calls need no change.
 *
 * They go right after the root's inner attributes (`#![…]`, `//!` and block inner doc comments),
 * which must come first in a file, and before any item, comment or outer
 * doc comment, all on that one line: no line of the user's file moves (a
 * column on that line may; after a `//!` line the definitions start the
 * next line).
 *
 * Known limits: `std::println!` spelled out, writes to `std::io::stdout()`,
 * and a dependency crate's own prints are not captured.
 */

const ABI = "$crate::zz_dcm_abi";

/** The definitions, one line. */
export const PRINT_MACROS = [
  "#[allow(unused_macros)] macro_rules! print { ($($a:tt)*) => { " + ABI + "::dcm_print(1, format_args!($($a)*), false) }; }",
  "#[allow(unused_macros)] macro_rules! println { () => { " + ABI + "::dcm_print(1, format_args!(\"\"), true) }; ($($a:tt)*) => { " + ABI + "::dcm_print(1, format_args!($($a)*), true) }; }",
  "#[allow(unused_macros)] macro_rules! eprint { ($($a:tt)*) => { " + ABI + "::dcm_print(2, format_args!($($a)*), false) }; }",
  "#[allow(unused_macros)] macro_rules! eprintln { () => { " + ABI + "::dcm_print(2, format_args!(\"\"), true) }; ($($a:tt)*) => { " + ABI + "::dcm_print(2, format_args!($($a)*), true) }; }",
  "#[allow(unused_macros)] macro_rules! dbg { () => { eprintln!(\"[{}:{}]\", file!(), line!()) }; ($v:expr $(,)?) => { match $v { tmp => { eprintln!(\"[{}:{}] {} = {:#?}\", file!(), line!(), stringify!($v), &tmp); tmp } } }; ($($v:expr),+ $(,)?) => { ($(dbg!($v)),+,) }; }",
].join(" ");

/** Offset just past a `[...]` starting at `i` (brackets balanced, strings and chars skipped), or -1. */
function skipBrackets(text: string, i: number): number {
  let depth = 0;
  for (let p = i; p < text.length; p++) {
    const c = text[p];
    if (c === '"') {
      for (p++; p < text.length && text[p] !== '"'; p++) if (text[p] === "\\") p++;
    } else if (c === "[") depth++;
    else if (c === "]" && --depth === 0) return p + 1;
  }
  return -1;
}

/** Offset just past a block comment starting at `i` (nested, as Rust's are), or -1. */
function skipBlockComment(text: string, i: number): number {
  let depth = 0;
  for (let p = i; p < text.length - 1; p++) {
    if (text[p] === "/" && text[p + 1] === "*") {
      depth++;
      p++;
    } else if (text[p] === "*" && text[p + 1] === "/") {
      p++;
      if (--depth === 0) return p + 1;
    }
  }
  return -1;
}

/** Where the definitions go in the crate root's text: after its last inner attribute, else at the start. */
export function printMacrosOffset(text: string): number {
  let p = text.startsWith("\uFEFF") ? 1 : 0;
  if (text.startsWith("#!", p) && !text.startsWith("#![", p)) p = text.indexOf("\n", p) + 1 || text.length; // a shebang line
  let at = p;
  for (;;) {
    while (p < text.length && /\s/.test(text[p]!)) p++;
    if (text.startsWith("//!", p)) {
      const nl = text.indexOf("\n", p);
      p = nl < 0 ? text.length : nl + 1;
      at = p;
    } else if (text.startsWith("///", p) && !text.startsWith("////", p)) {
      return at;
    } else if (text.startsWith("//", p)) {
      const nl = text.indexOf("\n", p);
      p = nl < 0 ? text.length : nl + 1;
    } else if (text.startsWith("/*!", p)) {
      const end = skipBlockComment(text, p);
      if (end < 0) return at;
      p = at = end;
    } else if (text.startsWith("/**", p) && !text.startsWith("/**/", p) && !text.startsWith("/***", p)) {
      return at;
    } else if (text.startsWith("/*", p)) {
      const end = skipBlockComment(text, p);
      if (end < 0) return at;
      p = end;
    } else if (text.startsWith("#!", p) && /^#!\s*\[/.test(text.slice(p, p + 16))) {
      const end = skipBrackets(text, text.indexOf("[", p));
      if (end < 0) return at;
      p = at = end;
    } else return at;
  }
}

/** The crate root's text with the print macros in place (no line added). */
export function withPrintMacros(text: string): string {
  const at = printMacrosOffset(text);
  // After an inner doc comment `at` starts a line; elsewhere it ends an attribute: keep a space either side.
  return `${text.slice(0, at)}${at > 0 && text[at - 1] !== "\n" ? " " : ""}${PRINT_MACROS} ${text.slice(at)}`;
}
