import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFixture, connectReady, sleep, startServer, type TestClient, type TestServer } from "./harness.js";

let small: Awaited<ReturnType<typeof buildFixture>>;
let slow: Awaited<ReturnType<typeof buildFixture>>;
let server: TestServer;
let slowServer: TestServer;
let c: TestClient;
let s: TestClient;

beforeAll(async () => {
  [small, slow] = await Promise.all([buildFixture("small"), buildFixture("slow")]);
  server = await startServer(small.dist, { maxMessageBytes: 64 * 1024 });
  // One client may use both workers here (the default cap leaves one for other clients; see fairness.spec.ts).
  slowServer = await startServer(slow.dist, { workers: 2, maxRunningPerClient: 2 });
  c = (await connectReady(server)).client;
  s = (await connectReady(slowServer)).client;
});

/** Polls `cond` (server state changes between messages); the assertion after it says what failed. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(10);
}

afterAll(async () => {
  await Promise.all([server?.close(), slowServer?.close()]);
  await Promise.all([small?.cleanup(), slow?.cleanup()]);
});

describe("callFunction", () => {
  it("returns results matched by callId", async () => {
    const a = c.callAsync("shout", ["one"]);
    const b = c.callAsync("shout", ["two"]);
    expect(await c.result(b)).toEqual({ type: "functionResult", callId: b, ok: true, value: "TWO!" });
    expect(await c.result(a)).toEqual({ type: "functionResult", callId: a, ok: true, value: "ONE!" });
  });

  it("keeps 64-bit integers exact", async () => {
    expect(await s.call("twice", [{ $i: "9007199254740993" }])).toMatchObject({
      ok: true,
      value: { $i: "18014398509481986" },
    });
    expect(await s.call("twice", [{ $i: "18446744073709551615" }])).toMatchObject({
      ok: true,
      value: { $i: "18446744073709551614" },
    });
    expect(await s.call("twice", [21])).toMatchObject({ ok: true, value: { $i: "42" } });
    // 2^53 + 1 is not a double: send its text so that the server sees an unsafe integer.
    s.send('{"type":"callFunction","callId":"unsafe","fragment":"twice","args":[9007199254740993]}');
    const unsafe = await s.result("unsafe");
    expect(unsafe).toMatchObject({ ok: false, error: { code: "DCM_BAD_ARGUMENTS" } });
    expect(unsafe.ok === false && unsafe.error.message).toMatch(/^x: .*not a safe integer/);
    expect(await s.call("twice", [{ $i: "-1" }])).toMatchObject({
      ok: false,
      error: { code: "DCM_BAD_ARGUMENTS", message: expect.stringMatching(/^x: -1 out of range/) },
    });
  });

  it("carries bytes, maps and special floats", async () => {
    expect(await s.call("reverse", [{ $b: "AQIDBA==" }])).toMatchObject({ ok: true, value: { $b: "BAMCAQ==" } });
    expect(await s.call("reverse", [{ $b: "" }])).toMatchObject({ ok: true, value: { $b: "" } });
    expect(await s.call("count", [["b", "a", "b"]])).toMatchObject({
      ok: true,
      value: {
        $m: [
          ["a", { $i: "1" }],
          ["b", { $i: "2" }],
        ],
      },
    });
    expect(await s.call("neg", [0])).toMatchObject({ ok: true, value: { $f: "-0" } });
    expect(await s.call("neg", [{ $f: "Infinity" }])).toMatchObject({ ok: true, value: { $f: "-Infinity" } });
    expect(await s.call("neg", [{ $f: "NaN" }])).toMatchObject({ ok: true, value: { $f: "NaN" } });
    expect(await s.call("neg", [1.5])).toMatchObject({ ok: true, value: -1.5 });
    expect(await s.call("reverse", ["AQID"])).toMatchObject({
      ok: false,
      error: { code: "DCM_BAD_ARGUMENTS", message: expect.stringMatching(/^b: expected bytes/) },
    });
  });

  it("refuses wrong arity and wrong types with DCM_BAD_ARGUMENTS naming the parameter", async () => {
    const arity = await c.call("shout", []);
    expect(arity).toMatchObject({
      ok: false,
      error: { code: "DCM_BAD_ARGUMENTS", message: "expected 1 argument(s) (s), got 0" },
    });
    const type = await c.call("shout", [5]);
    expect(type).toMatchObject({
      ok: false,
      error: { code: "DCM_BAD_ARGUMENTS", message: "s: expected string, got number 5" },
    });
  });

  it("answers DCM_UNKNOWN_FRAGMENT for an unknown id", async () => {
    expect(await c.call("nope", [])).toMatchObject({ ok: false, error: { code: "DCM_UNKNOWN_FRAGMENT" } });
  });

  it("answers DCM_NOT_CALLABLE with the manifest's reason for a dependency and for a signature that cannot cross", async () => {
    const drain = await s.call("drain", [[1]]);
    expect(drain).toMatchObject({ ok: false, error: { code: "DCM_NOT_CALLABLE" } });
    expect((drain as { error: { message: string } }).error.message).toMatch(
      /fragment drain \(`Drain`\) cannot cross the client\/server boundary: channel parameter `ch chan int` at work\/work\.go:\d+:\d+/,
    );
    const half = await s.call("half", [4]);
    expect((half as { error: { message: string } }).error).toEqual({
      code: "DCM_NOT_CALLABLE",
      message:
        "fragment half (`half`) has no `runOn`: it is a dependency, not an entry point; add `runOn: client|server` to call it",
    });
    // The entry point that uses the dependency runs.
    expect(await s.call("halve", [9])).toMatchObject({ ok: true, value: { $i: "4" } });
    // A dependency is in no distribution; the control API says why each one cannot be called.
    const fresh = await connectReady(slowServer);
    const ids = fresh.update.type === "updateFragments" ? fresh.update.fragments.map((f) => f.id) : [];
    expect(ids).toContain("drain");
    expect(ids).not.toContain("half");
    await fresh.client.close();
    const control = slowServer.app.dcm.distributor;
    expect(control.notCallable("half")).toMatch(/has no `runOn`/);
    expect(control.notCallable("drain")).toMatch(/channel parameter/);
    expect(control.notCallable("halve")).toBeUndefined();
  });

  it("refuses a fragment this client runs on the client (DCM_WRONG_SIDE)", async () => {
    const r = await c.call("add", [1, 2]);
    expect(r).toMatchObject({ ok: false, error: { code: "DCM_WRONG_SIDE" } });
  });

  it("reports a panic as a typed error, and the worker keeps serving", async () => {
    const r = await s.call("boom", ["kaput"]);
    expect(r).toMatchObject({
      ok: false,
      error: { code: "DCM_FRAGMENT_PANIC", message: expect.stringContaining("boom: kaput") },
    });
    expect(await s.call("neg", [2])).toMatchObject({ ok: true, value: -2 });
  });
});

describe("protocol errors leave the connection open", () => {
  it("malformed JSON, non-objects, unknown types, missing fields, duplicate call ids", async () => {
    c.send("{not json");
    expect(await c.next((m) => m.type === "error")).toMatchObject({ code: "DCM_BAD_MESSAGE" });
    c.send("[1,2]");
    expect(await c.next((m) => m.type === "error")).toMatchObject({ code: "DCM_BAD_MESSAGE" });
    c.send({ type: "dance" });
    expect(await c.next((m) => m.type === "error")).toMatchObject({ code: "DCM_UNKNOWN_MESSAGE" });
    c.send({ type: "callFunction", callId: "m1", fragment: "shout" });
    expect(await c.next((m) => m.type === "error")).toMatchObject({ code: "DCM_BAD_MESSAGE", callId: "m1" });
    c.send({ type: "callFunction", fragment: "shout", args: ["x"] });
    expect(await c.next((m) => m.type === "error")).toMatchObject({ code: "DCM_BAD_MESSAGE" });
    c.send({ type: "callFunction", callId: "m2", fragment: "shout", args: ["x"], timeoutMs: -1 });
    expect(await c.next((m) => m.type === "error")).toMatchObject({ code: "DCM_BAD_MESSAGE", callId: "m2" });
    expect(await c.call("shout", ["alive"])).toMatchObject({ ok: true, value: "ALIVE!" });
  });

  it("oversized messages", async () => {
    c.send({ type: "callFunction", callId: "big", fragment: "shout", args: ["x".repeat(100 * 1024)] });
    expect(await c.next((m) => m.type === "error")).toMatchObject({ code: "DCM_MESSAGE_TOO_LARGE", callId: "big" });
    expect(await c.call("shout", ["small"])).toMatchObject({ ok: true, value: "SMALL!" });
  });

  it("duplicate call ids in flight", async () => {
    s.send({ type: "callFunction", callId: "dup", fragment: "nap", args: [300] });
    s.send({ type: "callFunction", callId: "dup", fragment: "nap", args: [1] });
    expect(await s.next((m) => m.type === "error")).toMatchObject({ code: "DCM_BAD_MESSAGE", callId: "dup" });
    expect(await s.result("dup")).toMatchObject({ ok: true, value: { $i: "300" } });
  });
});

describe("ping, defer, cancel, timeouts", () => {
  it("answers ping with pong carrying both clocks", async () => {
    const before = Date.now();
    c.send({ type: "ping", t: 12.5 });
    const p = await c.next((m) => m.type === "pong");
    expect(p).toMatchObject({ type: "pong", t: 12.5 });
    expect(p.type === "pong" && p.serverTime).toBeGreaterThanOrEqual(before);
  });

  it("runs non-deferred calls of one connection in order", async () => {
    const nap = s.callAsync("nap", [300]);
    const neg = s.callAsync("neg", [1]);
    await s.result(neg);
    // The nap was sent first: its result is already in.
    expect(s.messages.some((m) => m.type === "functionResult" && m.callId === nap)).toBe(true);
    await s.result(nap);
  });

  it("a deferred call does not block later calls", async () => {
    const nap = s.callAsync("nap", [2500], { defer: true });
    expect(await s.call("neg", [3])).toMatchObject({ ok: true, value: -3 });
    // Order of events: the later call was answered while the deferred one was still running.
    expect(s.messages.some((m) => m.type === "functionResult" && m.callId === nap)).toBe(false);
    expect(await s.result(nap)).toMatchObject({ ok: true, value: { $i: "2500" } });
  });

  it("cancelCall answers DCM_CALL_CANCELLED at once, and the next call proceeds", async () => {
    const busy = () => slowServer.app.dcm.distributor.executerStats().busy;
    const nap = s.callAsync("nap", [3000]);
    await until(() => busy() === 1);
    s.send({ type: "cancelCall", callId: nap });
    expect(await s.result(nap)).toMatchObject({ ok: false, error: { code: "DCM_CALL_CANCELLED" } });
    expect(await s.call("neg", [4])).toMatchObject({ ok: true, value: -4 });
    // Native code cannot be interrupted: the nap still runs on its worker, so both answers came
    // without waiting for it.
    expect(busy()).toBe(1);
    // Cancelling a finished or unknown call is a no-op.
    s.send({ type: "cancelCall", callId: "unknown" });
    await until(() => busy() === 0, 10_000);
    expect(busy()).toBe(0);
  });

  it("times out a call past its timeoutMs with DCM_CALL_TIMEOUT", async () => {
    const r = await s.call("nap", [1500], { timeoutMs: 200 });
    expect(r).toMatchObject({ ok: false, error: { code: "DCM_CALL_TIMEOUT" } });
    expect(await s.call("neg", [5])).toMatchObject({ ok: true, value: -5 });
  });
});

describe("a fragment that never returns (WASM target: the worker is terminated and replaced)", () => {
  it("times out, and the server keeps serving this and other clients", async () => {
    const w = await startServer(slow.dist, { target: "wasm", workers: 2 });
    try {
      const a = await connectReady(w);
      const b = await connectReady(w);
      const spin = { defer: true, timeoutMs: 400 };
      const spins = [a.client.callAsync("spin", [1], spin), a.client.callAsync("spin", [2], spin)];
      // Both workers are busy spinning; other clients wait, then get served by the replacements:
      // when the answer comes, at least one worker has been replaced.
      await until(() => w.app.dcm.distributor.executerStats().busy === 2);
      expect(await b.client.call("neg", [6])).toMatchObject({ ok: true, value: -6 });
      expect(w.app.dcm.distributor.executerStats().replaced).toBeGreaterThanOrEqual(1);
      for (const id of spins)
        expect(await a.client.result(id)).toMatchObject({ ok: false, error: { code: "DCM_CALL_TIMEOUT" } });
      expect(await a.client.call("reverse", [{ $b: "AAE=" }])).toMatchObject({ ok: true, value: { $b: "AQA=" } });
      const st = w.app.dcm.distributor.executerStats();
      expect(st.replaced).toBe(2);
      expect(st.workers).toBe(2);
      await sleep(100);
      expect(w.app.dcm.distributor.executerStats().stuck).toBe(0);
      await Promise.all([a.client.close(), b.client.close()]);
    } finally {
      await w.close();
    }
  });
});
