/**
 * Real builds of fixtures/mod1: generate + compile both targets, then call the
 * WebAssembly module directly (a tiny WASI stub, hand-encoded arguments, exact
 * result-frame bytes) and check the native plugin's exported symbols (and make
 * a few calls through koffi).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import koffi from "koffi";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { generateGo } from "../../../languages/go/generate/generate-go.js";
import { compileGo } from "../../../languages/go/toolchain/compile-go.js";
import { goToolchain } from "../../../languages/go/toolchain/go-toolchain.js";
import type { CompileResult, GeneratedProject } from "../../../src/languages/adapter-types.js";
import { MOD1, mod1Analysis } from "./fixture-analysis.js";
import { wasiStub } from "./wasi-stub.js";
import { frame, hex, w } from "./wire.js";

const haveGo = (await goToolchain.detect()) !== null;

type Exports = Record<string, (...a: unknown[]) => unknown> & { memory: WebAssembly.Memory };

let work: string;
const projects: Partial<Record<"wasm" | "native", GeneratedProject>> = {};
const results: Partial<Record<"wasm" | "native", CompileResult>> = {};
let ex: Exports;

function fnv1a(s: string): number {
  let h = 2166136261;
  for (const c of new TextEncoder().encode(s)) {
    h ^= c;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h >>> 0;
}

/** Calls a buffer-ABI export: write args, call, copy the result frame. */
function callBuffer(name: string, args: Uint8Array): Uint8Array {
  const ptr = (ex.dcm_in!(args.length) as number) >>> 0;
  new Uint8Array(ex.memory.buffer, ptr, args.length).set(args);
  const n = ex[name]!(args.length) as number;
  const out = (ex.dcm_out!() as number) >>> 0;
  return new Uint8Array(ex.memory.buffer, out, n).slice();
}

function status(): number {
  const p = (ex.dcm_status_ptr!() as number) >>> 0;
  return new DataView(ex.memory.buffer).getInt32(p, true);
}

function exportOf(id: string): string {
  const name = projects.wasm!.exports[id];
  if (!name) throw new Error(`no export for ${id}`);
  return name;
}

/** An Employee record on the wire (fields: name, Age, Salary, Tags, Manager, Home{street, Zip}). */
function employee(
  x: ReturnType<typeof w>,
  e: {
    name: string;
    age?: bigint;
    salary?: number;
    tags?: string[];
    manager?: (x: ReturnType<typeof w>) => void;
    street?: string;
    zip?: number[];
  },
) {
  x.str(e.name)
    .i64(e.age ?? 0n)
    .f64(e.salary ?? 0);
  x.u32(e.tags?.length ?? 0);
  for (const t of e.tags ?? []) x.str(t);
  if (e.manager) {
    x.u8(1);
    e.manager(x);
  } else x.u8(0);
  x.str(e.street ?? "").raw(e.zip ?? [0, 0, 0]);
  return x;
}

beforeAll(async () => {
  if (!haveGo) return;
  work = mkdtempSync(join(tmpdir(), "dcm-go-build-"));
  const analysis = mod1Analysis();
  for (const target of ["wasm", "native"] as const) {
    const project = await generateGo(
      {
        repo: MOD1,
        analysis,
        fragments: analysis.fragments,
        side: target === "wasm" ? "client" : "server",
        workDir: work,
      },
      target,
    );
    const t0 = performance.now();
    const r = await compileGo(
      project,
      target,
      join(work, "dist", target === "wasm" ? "client/go.wasm" : "server/go.so"),
    );
    // Reported by the test run: the time of a fresh build with Go's build cache warm.
    console.log(`go ${target} build: ${Math.round(performance.now() - t0)} ms, ${r.toolchain}`);
    projects[target] = project;
    results[target] = r;
  }
  const wasm = results.wasm!;
  expect(wasm.diagnostics).toEqual([]);
  const module = await WebAssembly.compile(readFileSync(wasm.file));
  const wasi = wasiStub(module);
  const instance = await WebAssembly.instantiate(module, wasi.imports);
  ex = instance.exports as unknown as Exports;
  wasi.bind(ex.memory);
  try {
    (ex._initialize as () => void)();
  } catch (e) {
    throw new Error(`_initialize failed: ${String(e)}\n${wasi.output()}`);
  }
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!haveGo)("go build of fixtures/mod1", () => {
  test("both targets compile without diagnostics", () => {
    expect(results.wasm!.diagnostics).toEqual([]);
    expect(results.native!.diagnostics).toEqual([]);
    expect(results.wasm!.toolchain).toMatch(/^go1\.\d+.* wasip1\/wasm, closure extraction$/);
    expect(results.native!.target).toBe("native");
  });

  test("the wasm module exports the ABI of docs/abi.md", () => {
    for (const name of ["_initialize", "memory", "dcm_abi_version", "dcm_status_ptr", "dcm_in", "dcm_out"]) {
      expect(ex[name], name).toBeDefined();
    }
    expect(ex.dcm_abi_version!()).toBe(1);
    for (const name of Object.values(projects.wasm!.exports)) expect(typeof ex[name], name).toBe("function");
  });

  test("export names are sanitized and unique", () => {
    expect(projects.wasm!.exports).toMatchObject({
      "get-hash": "dcm_f_get_hash",
      "6": "dcm_f_6",
      "x-y": "dcm_f_x_y",
      "x.y": "dcm_f_x_y_2",
    });
    expect(projects.native!.exports).toEqual(projects.wasm!.exports);
    expect(projects.wasm!.exports.counter).toBeUndefined();
  });

  test("scalar exports take and return plain numbers", () => {
    expect(ex[exportOf("add")]!(2n, 40n)).toBe(42n);
    expect(status()).toBe(0);
    expect(ex[exportOf("warm")]!(1.5, 2)).toBe(3.5);
    expect(ex[exportOf("is-adult")]!(20, 1)).toBe(0);
    expect(ex[exportOf("is-adult")]!(20, 0)).toBe(1);
    expect(ex[exportOf("is-adult")]!(0x1ff, 0)).toBe(1); // uint8(511) = 255
    expect(ex[exportOf("square")]!(3)).toBe(9);
    expect(ex[exportOf("x.y")]!(21n)).toBe(42n); // package main, through its copy
    expect(ex[exportOf("6")]!()).toBeUndefined();
  });

  test("a scalar panic sets the status cell and leaves a panic frame", () => {
    expect(ex[exportOf("divide")]!(1, 0)).toBe(0);
    const n = status();
    expect(n).toBeGreaterThan(0);
    const out = new Uint8Array(ex.memory.buffer, (ex.dcm_out!() as number) >>> 0, n).slice();
    expect(hex(out)).toBe(hex(frame(2, (x) => x.str("runtime error: integer divide by zero"))));
    expect(ex[exportOf("divide")]!(7, 2)).toBe(3);
    expect(status()).toBe(0);
  });

  test("buffer export: unexported function, exact frame bytes", () => {
    const out = callBuffer(exportOf("get-hash"), w().str("abc").done());
    expect(hex(out)).toBe(hex(frame(0, (x) => x.u32(fnv1a("abc")))));
  });

  test("buffer export: struct, map, bytes, variadic, two results and an error", () => {
    const args = employee(w(), { name: "Ann", age: 30n, salary: 1000.5, tags: ["a"], street: "Main", zip: [1, 2, 3] })
      .u32(2)
      .str("y")
      .i64(3n)
      .str("x")
      .i64(2n) // map in any order
      .bytes([9, 9])
      .u32(2)
      .str("p")
      .str("q")
      .done();
    const out = callBuffer(exportOf("describe"), args);
    expect(hex(out)).toBe(hex(frame(0, (x) => x.str("Ann:p,q").i64(7n))));

    const noName = employee(w(), { name: "" }).u32(0).bytes([]).u32(0).done();
    expect(hex(callBuffer(exportOf("describe"), noName))).toBe(hex(frame(1, (x) => x.str("no name"))));
  });

  test("buffer export: sorted map keys, bool and named map keys, optional struct", () => {
    const args = w()
      .u32(2)
      .f64(1.5)
      .f64(2.5)
      .u32(2)
      .bool(true)
      .str("T")
      .bool(false)
      .str("F")
      .u32(1)
      .f64(-1)
      .u16(7)
      .done();
    const out = callBuffer(exportOf("stats"), args);
    const want = frame(0, (x) => x.u32(2).str("n").f64(2).str("sum").f64(4).u8(1).str("T").raw([1, 2, 3]));
    expect(hex(out)).toBe(hex(want));

    const none = callBuffer(exportOf("stats"), w().u32(0).u32(0).u32(0).done());
    expect(hex(none)).toBe(hex(frame(0, (x) => x.u32(2).str("n").f64(0).str("sum").f64(0).u8(0))));
  });

  test("error-only results, panics and variadic bytes", () => {
    expect(hex(callBuffer(exportOf("fail"), w().str("").done()))).toBe(hex(frame(0)));
    expect(hex(callBuffer(exportOf("fail"), w().str("bad").done()))).toBe(hex(frame(1, (x) => x.str("bad"))));
    expect(hex(callBuffer(exportOf("explode"), w().str("x").done()))).toBe(hex(frame(2, (x) => x.str("explode: x"))));
    expect(hex(callBuffer(exportOf("checksum"), w().u32(3).raw([1, 2, 250]).done()))).toBe(
      hex(frame(0, (x) => x.i64(253n))),
    );
    expect(hex(callBuffer(exportOf("x-y"), w().str("you").done()))).toBe(hex(frame(0, (x) => x.str("hello you"))));
  });

  test("methods: value and pointer receivers", () => {
    const ann = employee(w(), { name: "Ann", salary: 100, tags: ["a"] }).done();
    const raised = callBuffer(exportOf("raise"), w().raw(ann).f64(10).done());
    expect(hex(raised)).toBe(
      hex(frame(0, (x) => employee(x, { name: "Ann", salary: 100 * (1 + 10 / 100), tags: ["a"] }))),
    );
    const promoted = callBuffer(exportOf("promote"), w().raw(ann).str("boss").done());
    expect(hex(promoted)).toBe(hex(frame(0, (x) => x.str("Ann is now boss"))));
  });

  test("recursive pointers, and the nesting limit", () => {
    const out = callBuffer(exportOf("chain"), w().i64(3n).done());
    const want = frame(0, (x) =>
      employee(x.u8(1), {
        name: "mmm",
        manager: (y) => employee(y, { name: "mm", manager: (z) => employee(z, { name: "m" }) }),
      }),
    );
    expect(hex(out)).toBe(hex(want));
    const deep = callBuffer(exportOf("chain"), w().i64(5000n).done());
    expect(deep[0]).toBe(2);
    expect(new TextDecoder().decode(deep.slice(5))).toContain("nested more than 1000 levels");
  });

  test("arguments that do not decode give a status 3 frame", () => {
    const short = callBuffer(exportOf("get-hash"), Uint8Array.from([3, 0]));
    expect(hex(short)).toBe(hex(frame(3, (x) => x.str("unexpected end of input at byte 0"))));
    const extra = callBuffer(exportOf("get-hash"), w().str("abc").u8(0).done());
    expect(hex(extra)).toBe(hex(frame(3, (x) => x.str("1 bytes left over after the arguments at byte 7"))));
    const badBool = callBuffer(exportOf("stats"), w().u32(0).u32(1).u8(7).str("x").u32(0).done());
    expect(badBool[0]).toBe(3);
    const huge = callBuffer(exportOf("get-hash"), w().u32(0xffffffff).done());
    expect(huge[0]).toBe(3);
  });

  test("the native plugin exports the ABI symbols", () => {
    const nm = execFileSync("nm", ["-D", "--defined-only", results.native!.file], { encoding: "utf8" });
    const symbols = new Set(
      nm
        .split("\n")
        .map((l) => l.trim().split(/\s+/)[2])
        .filter(Boolean),
    );
    for (const s of [
      "dcm_abi_version",
      "dcm_ctx_new",
      "dcm_ctx_free",
      "dcm_status_ptr",
      "dcm_in",
      "dcm_out",
      ...Object.values(projects.native!.exports),
    ]) {
      expect(symbols.has(s), s).toBe(true);
    }
  });

  test("the native plugin answers calls (koffi)", () => {
    const lib = koffi.load(results.native!.file);
    const ctxNew = lib.func("void* dcm_ctx_new(void)");
    const statusPtr = lib.func("int32_t* dcm_status_ptr(void*)");
    const dcmIn = lib.func("uint8_t* dcm_in(void*, int32_t)");
    const dcmOut = lib.func("uint8_t* dcm_out(void*)");
    const add = lib.func(`int64_t ${exportOf("add")}(void*, int64_t, int64_t)`);
    const divide = lib.func(`int32_t ${exportOf("divide")}(void*, int32_t, int32_t)`);
    const getHash = lib.func(`int32_t ${exportOf("get-hash")}(void*, int32_t)`);
    const ctx = ctxNew();
    expect(Number(add(ctx, 2, 40))).toBe(42);
    expect(divide(ctx, 1, 0)).toBe(0);
    const n = koffi.decode(statusPtr(ctx), "int32_t") as number;
    expect(hex(new Uint8Array(koffi.view(dcmOut(ctx), n)).slice())).toBe(
      hex(frame(2, (x) => x.str("runtime error: integer divide by zero"))),
    );
    const args = w().str("abc").done();
    new Uint8Array(koffi.view(dcmIn(ctx, args.length), args.length)).set(args);
    const m = getHash(ctx, args.length) as number;
    expect(hex(new Uint8Array(koffi.view(dcmOut(ctx), m)).slice())).toBe(hex(frame(0, (x) => x.u32(fnv1a("abc")))));
    expect(koffi.decode(statusPtr(ctx), "int32_t")).toBe(0);
  });
});
