/**
 * Rust state vars (issue 12, docs/state.md) over the common state fixture
 * (languages/rust/fixtures/state): the statics the fragments' closures
 * change, each fragment's keys, the snapshot types, and the refusal of a
 * static that holds a file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeRust } from "../../../languages/rust/analysis/analyze-rust.js";
import type { AnalysisResult } from "../../../src/languages/adapter-types.js";
import { analyzeApp, FIXTURES, frag, STATE_FRAGMENTS } from "./helpers.js";

const STATE = join(FIXTURES, "state");

let res: AnalysisResult;
const stateOf = (id: string) => res.fragments.find((f) => f.id === id)?.state;

beforeAll(async () => {
  res = await analyzeRust({ repo: STATE, fragments: STATE_FRAGMENTS });
});

describe("rust analysis: state vars", () => {
  it("finds the three statics the fixture's fragments change, with their snapshot types", () => {
    expect(res.diagnostics).toEqual([]);
    expect(res.stateVars?.map(({ key, name, unit, pos, type }) => ({ key, name, unit, pos, type }))).toEqual([
      {
        key: "crate::counter.TOTAL",
        name: "TOTAL",
        unit: "crate::counter",
        pos: { file: "src/counter.rs", line: 4, col: 12 },
        type: { kind: "int", bits: 64, signed: true },
      },
      {
        key: "crate::journal::store.ENTRIES",
        name: "ENTRIES",
        unit: "crate::journal::store",
        pos: { file: "src/journal/store.rs", line: 3, col: 8 },
        type: { kind: "list", elem: { kind: "string" } },
      },
      {
        key: "crate::uploads.BUFFER",
        name: "BUFFER",
        unit: "crate::uploads",
        pos: { file: "src/uploads.rs", line: 5, col: 8 },
        type: { kind: "bytes" },
      },
    ]);
  });

  it("gives each fragment the keys of its closure: through a helper, a private submodule, or directly", () => {
    expect(stateOf("counter-add")).toEqual(["crate::counter.TOTAL"]);
    expect(stateOf("counter-get")).toEqual(["crate::counter.TOTAL"]);
    expect(stateOf("log-append")).toEqual(["crate::journal::store.ENTRIES"]);
    expect(stateOf("log-join")).toEqual(["crate::journal::store.ENTRIES"]);
    expect(stateOf("blob-put")).toEqual(["crate::uploads.BUFFER"]);
    expect(stateOf("blob-size")).toEqual(["crate::uploads.BUFFER"]);
    expect(stateOf("pure-double")).toBeUndefined();
  });

  it("does not take a read-only static for state (the app fixture's GREETING)", async () => {
    const app = await analyzeApp();
    expect(app.stateVars).toBeUndefined();
    expect(app.fragments.filter((f) => f.state?.length)).toEqual([]);
  });

  it("marks a static holding a file as not encodable, at the variable, with a way out", async () => {
    const refused = await analyzeRust({ repo: join(FIXTURES, "state-refused"), fragments: [frag("write-line", "src/lib.rs", "write_line")] });
    expect(refused.fragments[0]!.state).toEqual(["crate.OUT"]);
    const v = refused.stateVars![0]!;
    expect(v).toMatchObject({ key: "crate.OUT", pos: { file: "src/lib.rs", line: 7, col: 8 } });
    expect(v.type).toBeUndefined();
    expect(v.cannotEncode!.what).toMatch(/^static `OUT: Mutex<Option<File>>`: `File` \(line 7\) is a type of another crate/);
    expect(v.cannotEncode!.pos).toEqual({ file: "src/lib.rs", line: 7, col: 8 });
    expect(v.cannotEncode!.suggestion).toMatch(/open files, sockets and handles anew/);
  });
});

/** A throw-away crate: Cargo.toml plus the given files. */
function crate(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "dcm-rust-state-unit-"));
  dirs.push(dir);
  writeFileSync(join(dir, "Cargo.toml"), '[package]\nname = "t"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("rust analysis: what is state and what is not", () => {
  it("follows paths, use imports, macros, Self:: and method calls to the statics they change", async () => {
    const repo = crate({
      "src/lib.rs": [
        "mod store;",
        "use crate::store::HITS;",
        "use std::sync::atomic::Ordering;",
        "pub struct Tally;",
        "impl Tally {",
        "    fn bump(&self) { store::COUNT.fetch_add(1, Ordering::SeqCst); }",
        "    fn twice() { let t = Tally; t.bump(); Self::log(); }",
        "    fn log() { println!(\"{}\", store::NOTES.lock().unwrap().len()); }",
        "}",
        "pub fn hit() -> u32 { HITS.fetch_add(1, Ordering::SeqCst) }",
        "pub fn tally() { Tally::twice(); }",
        "pub fn both() -> u32 { tally(); hit() }",
        "pub fn peek() -> u32 { HITS.load(Ordering::SeqCst) }",
        "",
      ].join("\n"),
      "src/store.rs": [
        "use std::sync::atomic::{AtomicU32, AtomicI64};",
        "use std::sync::Mutex;",
        "pub static HITS: AtomicU32 = AtomicU32::new(0);",
        "pub static COUNT: AtomicI64 = AtomicI64::new(0);",
        "pub static NOTES: Mutex<Vec<String>> = Mutex::new(Vec::new());",
        "",
      ].join("\n"),
    });
    const r = await analyzeRust({ repo, fragments: ["hit", "tally", "both", "peek"].map((n) => frag(n, "src/lib.rs", n)) });
    expect(r.diagnostics).toEqual([]);
    const s = (id: string) => r.fragments.find((f) => f.id === id)?.state;
    expect(s("hit")).toEqual(["crate::store.HITS"]);
    expect(s("tally")).toEqual(["crate::store.COUNT", "crate::store.NOTES"]);
    expect(s("both")).toEqual(["crate::store.COUNT", "crate::store.HITS", "crate::store.NOTES"]);
    // Only reads HITS, which other code changes: it shares the group's state.
    expect(s("peek")).toEqual(["crate::store.HITS"]);
    expect(r.stateVars!.map((v) => [v.key, v.type])).toEqual([
      ["crate::store.COUNT", { kind: "int", bits: 64, signed: true }],
      ["crate::store.HITS", { kind: "int", bits: 32, signed: false }],
      ["crate::store.NOTES", { kind: "list", elem: { kind: "string" } }],
    ]);
  });

  it("does not count statics that reachable code only reads", async () => {
    const repo = crate({
      "src/lib.rs": [
        "use std::cell::Cell;",
        "use std::sync::atomic::{AtomicUsize, Ordering};",
        "use std::fs::File;",
        "use std::sync::Mutex;",
        "static mut LIMIT: i32 = 10;",
        "static NAME: &str = \"n\";",
        "static CALLS: AtomicUsize = AtomicUsize::new(0);",
        "static LOG: Mutex<Option<File>> = Mutex::new(None);",
        "thread_local! { static STEP: Cell<i32> = Cell::new(1); }",
        "pub fn read() -> i32 { let n = NAME.len() as i32; unsafe { LIMIT + n + STEP.with(|c| c.get()) + CALLS.load(Ordering::SeqCst) as i32 } }",
        "fn never() { unsafe { LIMIT = 1; } CALLS.fetch_add(1, Ordering::SeqCst); let _ = LOG.lock(); }",
        "",
      ].join("\n"),
    });
    const r = await analyzeRust({ repo, fragments: [frag("read", "src/lib.rs", "read")] });
    expect(r.diagnostics).toEqual([]);
    expect(r.stateVars).toBeUndefined();
    expect(r.fragments[0]!.state).toBeUndefined();
  });

  it("refuses AtomicUsize and raw pointers, takes thread_local RefCell, once_cell's Lazy and renamed std imports, ignores parking_lot; refuses a changing static inside a function", async () => {
    const repo = crate({
      "src/lib.rs": [
        "use std::cell::RefCell;",
        "use std::sync::atomic::{AtomicUsize, Ordering};",
        "use parking_lot::Mutex as PlMutex;",
        "static CALLS: AtomicUsize = AtomicUsize::new(0);",
        "static mut CURSOR: *mut u8 = std::ptr::null_mut();",
        "static CACHE: once_cell::sync::Lazy<std::sync::Mutex<Vec<u16>>> = once_cell::sync::Lazy::new(Default::default);",
        "static PL: PlMutex<i32> = PlMutex::new(0);",
        "use std::sync::RwLock as Guarded;",
        "static RENAMED: Guarded<bool> = Guarded::new(false);",
        "thread_local! {",
        "    pub static SEEN: RefCell<Vec<String>> = RefCell::new(Vec::new());",
        "}",
        "pub fn go(s: String) -> u32 {",
        "    CALLS.fetch_add(1, Ordering::SeqCst);",
        "    unsafe { CURSOR = std::ptr::null_mut(); }",
        "    CACHE.lock().unwrap().push(1);",
        "    *PL.lock() += 1;",
        "    *RENAMED.write().unwrap() = true;",
        "    static mut CALLS_HERE: u32 = 0;",
        "    static INIT: std::sync::Once = std::sync::Once::new();",
        "    INIT.call_once(|| {});",
        "    unsafe { CALLS_HERE += 1; }",
        "    SEEN.with(|v| v.borrow_mut().push(s));",
        "    0",
        "}",
        "",
      ].join("\n"),
    });
    const r = await analyzeRust({ repo, fragments: [frag("go", "src/lib.rs", "go")] });
    const byKey = Object.fromEntries((r.stateVars ?? []).map((v) => [v.key, v]));
    expect(Object.keys(byKey)).toEqual(["crate.CACHE", "crate.CALLS", "crate.CURSOR", "crate.RENAMED", "crate.SEEN", "crate.go::CALLS_HERE"]);
    expect(byKey["crate.go::CALLS_HERE"]!.cannotEncode).toMatchObject({ pos: { file: "src/lib.rs", line: 19, col: 16 } });
    expect(byKey["crate.go::CALLS_HERE"]!.cannotEncode!.suggestion).toMatch(/declare `CALLS_HERE` at module level/);
    expect(byKey["crate.RENAMED"]).toMatchObject({ type: { kind: "bool" }, detail: { access: "rwlock" } });
    expect(byKey["crate.CALLS"]!.cannotEncode).toMatchObject({ pos: { file: "src/lib.rs", line: 4, col: 8 } });
    expect(byKey["crate.CALLS"]!.cannotEncode!.suggestion).toMatch(/AtomicU64/);
    expect(byKey["crate.CURSOR"]!.cannotEncode!.what).toMatch(/raw pointers/);
    expect(byKey["crate.CACHE"]!.type).toEqual({ kind: "list", elem: { kind: "int", bits: 16, signed: false } });
    expect(byKey["crate.CACHE"]!.detail).toMatchObject({ access: "mutex", lazy: true });
    expect(byKey["crate.SEEN"]).toMatchObject({ pos: { line: 11, col: 16 }, type: { kind: "list", elem: { kind: "string" } } });
    expect(byKey["crate.SEEN"]!.detail).toMatchObject({ access: "refcell", threadLocal: true, typeText: "Vec<String>" });
  });
});
