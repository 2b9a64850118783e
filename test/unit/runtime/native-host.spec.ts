/**
 * The native host against a real Go c-shared plugin built from
 * fixtures/abi-go, called from its worker thread, async and sync.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import nativeGlue from "../../../runtime/native/native-glue.js";
import { FragmentCallError } from "../../../runtime/abi/call-error.js";
import type { JsValue } from "../../../runtime/abi/js-values.js";
import { type NativeHost, startNativeHost } from "../../../runtime/native/native-host.js";
import { buildFixture, loadRequest, NOT_CALLABLE_REASON } from "./abi-go-fixture.js";

let host: NativeHost;
let soPath = "";

beforeAll(async () => {
  soPath = buildFixture("native");
  host = await startNativeHost(loadRequest("native", soPath));
});

afterAll(async () => {
  await host?.close();
});

async function failure(p: Promise<unknown> | (() => unknown)): Promise<FragmentCallError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(FragmentCallError);
    return e as FragmentCallError;
  }
  throw new Error("expected a FragmentCallError");
}

type Call = (id: string, args: JsValue[]) => Promise<JsValue>;
const modes: Array<[string, () => Call]> = [
  ["call", () => (id, args) => host.call(id, args)],
  ["callSync", () => async (id, args) => host.callSync(id, args)],
];

describe.each(modes)("native host %s", (_name, mode) => {
  it("runs scalar fragments with 64-bit, unsigned, bool and float values", async () => {
    const call = mode();
    expect(await call("add", [2n, 3])).toBe(5n);
    expect(await call("add", [2n ** 62n, 2n ** 62n])).toBe(-(2n ** 63n));
    expect(await call("mix", [true, 4294967295, 1.5, 2.5])).toBe(4294967298n);
    expect(await call("mix", [false, 0, 0, 0])).toBe(2n ** 64n - 1n);
    expect(await call("not_u32", [0])).toBe(4294967295);
  });

  it("turns panics and errors into typed errors and keeps working", async () => {
    const call = mode();
    const p = await failure(call("boom", [-3]));
    expect([p.code, p.message, p.fragment]).toEqual(["DCM_FRAGMENT_PANIC", "negative: -3", "boom"]);
    expect(await call("boom", [4])).toBe(8);
    const e = await failure(call("echo", [""]));
    expect([e.code, e.message]).toEqual(["DCM_FRAGMENT_ERROR", "empty input"]);
    expect((await failure(call("echo", ["panic"]))).code).toBe("DCM_FRAGMENT_PANIC");
    expect(await call("echo", ["héllo 😀"])).toBe("héllo 😀");
    const bad = await failure(call("echo", [3]));
    expect([bad.code, bad.message]).toEqual(["DCM_BAD_ARGUMENTS", "s: expected string, got number 3"]);
    expect((await failure(call("nope", []))).code).toBe("DCM_UNKNOWN_FRAGMENT");
    expect((await failure(call("Config", []))).code).toBe("DCM_NOT_CALLABLE");
    const helper = await failure(call("helper", []));
    expect([helper.code, helper.message]).toEqual(["DCM_NOT_CALLABLE", NOT_CALLABLE_REASON]);
  });

  it("passes variadic lists and large results", async () => {
    const call = mode();
    expect(await call("sum", [1, 2, 3])).toBe(6n);
    expect(await call("sum", [])).toBe(0n);
    expect(((await call("repeat", ["abc", 1_000_000])) as string).length).toBe(3_000_000);
    expect(await call("echo", ["x".repeat(200_000)])).toBe("x".repeat(200_000));
  });
});

describe("native host", () => {
  it("pipelines many concurrent calls and answers each one", async () => {
    const n = 2000;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => host.call("add", [BigInt(i), 1n])));
    expect(results).toEqual(Array.from({ length: n }, (_, i) => BigInt(i + 1)));
    const mixed = await Promise.allSettled([
      host.call("boom", [-1]),
      host.call("echo", ["ok"]),
      host.call("boom", [1]),
    ]);
    expect(mixed.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
  });

  it("interleaves sync and async calls", async () => {
    const pending = host.call("echo", ["async"]);
    expect(host.callSync("echo", ["sync"])).toBe("sync");
    expect(await pending).toBe("async");
  });

  it("rejects arguments that cannot be cloned", async () => {
    const e = await failure(host.call("echo", [(() => 1) as unknown as JsValue]));
    expect(e.code).toBe("DCM_BAD_ARGUMENTS");
  });

  it("fails to start on a missing plugin, and refuses calls once closed", async () => {
    const req = loadRequest("native", "/nonexistent/plugin.so");
    await expect(startNativeHost(req)).rejects.toMatchObject({ name: "FragmentCallError" });
    const other = await startNativeHost(loadRequest("native", soPath));
    expect(await other.call("add", [1n, 1n])).toBe(2n);
    await other.close();
    expect((await failure(other.call("add", [1n, 1n]))).message).toMatch(/closed/);
    expect((await failure(() => other.callSync("add", [1n, 1n]))).message).toMatch(/closed/);
  });

  it("is what the Go native glue loads", async () => {
    const g = await nativeGlue.load(loadRequest("native", soPath));
    expect(await g.call("echo", ["glue"])).toBe("glue");
    await g.close();
  });
});
