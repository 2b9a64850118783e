/**
 * dcm-wasm-instance and the WASI shim against a real Go wasip1 reactor built
 * from fixtures/abi-go.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { FragmentCallError } from "../../../runtime/abi/call-error.js";
import { type DcmWasmInstance, loadWasmInstance } from "../../../runtime/abi/dcm-wasm-instance.js";
import type { JsValue } from "../../../runtime/abi/js-values.js";
import { buildFixture, loadRequest, NOT_CALLABLE_REASON } from "./abi-go-fixture.js";

let wasmPath = "";
let inst: DcmWasmInstance;

beforeAll(async () => {
  wasmPath = buildFixture("wasm");
  inst = await loadWasmInstance(loadRequest("wasm", wasmPath));
});

function failure(f: () => unknown): FragmentCallError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FragmentCallError);
    return e as FragmentCallError;
  }
  throw new Error("expected a FragmentCallError");
}

describe("scalar ABI", () => {
  it("passes and returns 64-bit integers", () => {
    expect(inst.call("add", [2n, 3])).toBe(5n);
    expect(inst.call("add", [-(2n ** 62n), -(2n ** 62n)])).toBe(-(2n ** 63n));
    expect(inst.call("add", [2n ** 62n, 2n ** 62n])).toBe(-(2n ** 63n)); // Go wraps
  });

  it("converts bool, unsigned and float parameters and unsigned results", () => {
    expect(inst.call("mix", [true, 4294967295, 1.5, 2.5])).toBe(4294967298n);
    expect(inst.call("mix", [false, 0, 0, 0])).toBe(2n ** 64n - 1n);
    expect(inst.call("not_u32", [0])).toBe(4294967295);
    expect(inst.call("not_u32", [4294967295n])).toBe(0);
  });

  it("turns a panic into DCM_FRAGMENT_PANIC and keeps working", () => {
    const e = failure(() => inst.call("boom", [-3]));
    expect(e.code).toBe("DCM_FRAGMENT_PANIC");
    expect(e.message).toBe("negative: -3");
    expect(e.fragment).toBe("boom");
    expect(inst.call("boom", [4])).toBe(8);
    expect(inst.call("add", [1n, 1n])).toBe(2n);
  });

  it("rejects bad arguments before calling", () => {
    expect(failure(() => inst.call("add", ["x", 1])).message).toBe("a: expected int<64,signed>, got string");
    expect(failure(() => inst.call("add", [1n])).message).toBe("expected 2 argument(s) (a, b), got 1");
    expect(failure(() => inst.call("not_u32", [-1])).message).toBe("u: -1 out of range for int<32,unsigned>");
    expect(failure(() => inst.call("mix", [1, 0, 0, 0])).message).toBe("b: expected bool, got number 1");
  });
});

describe("buffer ABI", () => {
  it("round-trips strings and reports errors and panics", () => {
    for (const s of ["héllo 😀", "x".repeat(100), "e\u0301"]) expect(inst.call("echo", [s])).toBe(s);
    const err = failure(() => inst.call("echo", [""]));
    expect([err.code, err.message]).toEqual(["DCM_FRAGMENT_ERROR", "empty input"]);
    const panic = failure(() => inst.call("echo", ["panic"]));
    expect(panic.code).toBe("DCM_FRAGMENT_PANIC");
    expect(panic.message).toMatch(/nil map/);
    expect(inst.call("echo", ["still alive"])).toBe("still alive");
    const bad = failure(() => inst.call("echo", [3]));
    expect([bad.code, bad.message]).toEqual(["DCM_BAD_ARGUMENTS", "s: expected string, got number 3"]);
  });

  it("passes variadic arguments as a list", () => {
    expect(inst.call("sum", [1, 2, 3])).toBe(6n);
    expect(inst.call("sum", [])).toBe(0n);
    expect(inst.call("sum", Array.from({ length: 1000 }, (_, i) => i) as JsValue[])).toBe(499500n);
  });

  it("survives memory growth during a call", () => {
    const before = (inst as unknown as { ex: { memory: WebAssembly.Memory } }).ex.memory.buffer.byteLength;
    expect((inst.call("repeat", ["abc", 5_000_000]) as string).length).toBe(15_000_000);
    expect((inst as unknown as { ex: { memory: WebAssembly.Memory } }).ex.memory.buffer.byteLength).toBeGreaterThan(
      before,
    );
    expect(inst.call("echo", ["after growth"])).toBe("after growth");
    expect(inst.call("add", [1n, 2n])).toBe(3n);
    expect(failure(() => inst.call("boom", [-1])).message).toBe("negative: -1");
  });

  it("gives the module stdout, stderr, sleep and randomness through the WASI shim", () => {
    inst.takeOutput();
    expect(inst.call("chatter", ["x"])).toBe("slept=true nonzero=true");
    expect(inst.takeOutput()).toEqual({
      chunks: [
        { stream: "stdout", text: "out:x\n" },
        { stream: "stderr", text: "err:x\n" },
      ],
      dropped: 0,
    });
    expect(inst.call("add", [1n, 2n])).toBe(3n);
    expect(inst.takeOutput()).toBeNull();
  });

  it("calls onStdout/onStderr as the module writes", async () => {
    const { readFileSync } = await import("node:fs");
    const seen: string[] = [];
    const req = loadRequest("wasm", wasmPath);
    req.bytes = new Uint8Array(readFileSync(wasmPath));
    const other = await loadWasmInstance(req, {
      onStdout: (t) => seen.push(`1:${t}`),
      onStderr: (t) => seen.push(`2:${t}`),
    });
    other.call("chatter", ["y"]);
    expect(seen).toEqual(["1:out:y\n", "2:err:y\n"]);
  });
});

describe("instance errors", () => {
  it("reports unknown and non-callable fragments", () => {
    expect(failure(() => inst.call("nope", [])).code).toBe("DCM_UNKNOWN_FRAGMENT");
    expect(failure(() => inst.call("Config", [])).code).toBe("DCM_NOT_CALLABLE");
    const helper = failure(() => inst.call("helper", []));
    expect([helper.code, helper.message]).toEqual(["DCM_NOT_CALLABLE", NOT_CALLABLE_REASON]);
  });

  it("marks the instance dead after the module exits", async () => {
    const doomed = await loadWasmInstance(loadRequest("wasm", wasmPath));
    expect(doomed.call("add", [1n, 1n])).toBe(2n);
    const e = failure(() => doomed.call("crash", []));
    expect(e.code).toBe("DCM_FRAGMENT_PANIC");
    // Go prints the panic, then exits (proc_exit) or traps, depending on where it dies.
    expect(e.message).toMatch(/(exited with code 2|trapped: unreachable)[\s\S]*panic: bye/);
    const after = failure(() => doomed.call("add", [1n, 1n]));
    expect(after.message).toMatch(/unusable/);
    expect(inst.call("add", [1n, 1n])).toBe(2n);
  });

  it("refuses a module without the dcm exports", async () => {
    // (module (memory (export "memory") 1))
    const bytes = new Uint8Array([
      0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1, 7, 10, 1, 6, 109, 101, 109, 111, 114, 121, 2, 0,
    ]);
    const req = { ...loadRequest("wasm", wasmPath), bytes };
    await expect(loadWasmInstance(req)).rejects.toMatchObject({ code: "DCM_MODULE_CORRUPT" });
  });
});
