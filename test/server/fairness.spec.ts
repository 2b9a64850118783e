/**
 * Fair, bounded executer pools on a real server (loopback): per-client
 * round-robin, the per-client running cap, the per-client queue bound, the
 * server's timeout as an upper bound, and what happens to the queued calls
 * of a client that disconnects. The `hold` fragment blocks until the test
 * creates its gate file, so the tests order events without clocks.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DcmServerOptions } from "../../runtime/server/create-server.js";
import { buildFixture, connectReady, sleep, startServer, type TestServer } from "./harness.js";

let gate: Awaited<ReturnType<typeof buildFixture>>;
let gates: string;
const servers: TestServer[] = [];

beforeAll(async () => {
  gate = await buildFixture("gate");
  gates = await mkdtemp(join(tmpdir(), "dcm-gates-"));
});

/** Releases every hold of the test (so no worker stays blocked), then stops its servers. */
afterEach(async () => {
  await Promise.all(held.splice(0).map((g) => release(g)));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await rm(gates, { recursive: true, force: true });
  await gate?.cleanup();
});

const held: string[] = [];
let nextGate = 0;
/** A fresh gate file path; `hold` blocks until it exists. */
function newGate(): string {
  const g = join(gates, `g${nextGate++}`);
  held.push(g);
  return g;
}
const release = (g: string) => writeFile(g, "go");
const started = (g: string) => existsSync(`${g}.started`);

async function serve(opts: Partial<DcmServerOptions>): Promise<TestServer> {
  const s = await startServer(gate.dist, { workers: 2, ...opts });
  servers.push(s);
  return s;
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const stats = (s: TestServer) => s.app.dcm.distributor.executerStats();

describe("fair executer pools", () => {
  it("a free worker goes to the next client in turn, not to the backlog of the client that filled the pool", async () => {
    const s = await serve({ maxRunningPerClient: 2 });
    const a = (await connectReady(s)).client;
    const g = [newGate(), newGate(), newGate(), newGate()];
    const calls = g.map((x) => a.callAsync("hold", [x], { defer: true }));
    await until(
      () => started(g[0]!) && started(g[1]!) && stats(s).queued === 2,
      "A's two running and two queued calls",
    );
    expect([started(g[0]!), started(g[1]!), started(g[2]!), started(g[3]!)]).toEqual([true, true, false, false]);

    const b = (await connectReady(s)).client;
    const quick = b.callAsync("quick", [41]);
    await until(() => stats(s).queued === 3, "B's call to wait in its own queue");
    // One of A's running calls ends: its worker goes to B, whose call was queued after A's backlog.
    await release(g[0]!);
    expect(await b.result(quick)).toMatchObject({ ok: true, value: 42 });
    // B was served while A's queued calls were still blocked or waiting: A's last one has not even started.
    expect(started(g[3]!)).toBe(false);
    expect(existsSync(g[2]!)).toBe(false);
    await release(g[1]!);
    await release(g[2]!);
    await release(g[3]!);
    for (const id of calls) expect(await a.result(id)).toMatchObject({ ok: true });
  });

  it("one client runs at most maxRunningPerClient calls, across its connections; another client is served at once", async () => {
    const s = await serve({}); // default cap: workers - 1 = 1
    expect(s.app.dcm.distributor.opts.maxRunningPerClient).toBe(1);
    const first = await connectReady(s);
    const second = await connectReady(s, { clientId: first.clientId });
    const g = [newGate(), newGate(), newGate()];
    const calls = [
      first.client.callAsync("hold", [g[0]], { defer: true }),
      first.client.callAsync("hold", [g[1]], { defer: true }),
      second.client.callAsync("hold", [g[2]]),
    ];
    await until(() => started(g[0]!) && stats(s).queued === 2, "one call running, two queued");
    expect(stats(s).busy).toBe(1);
    const other = (await connectReady(s)).client;
    // Served while every call of the first client is blocked: no wall clock, only order.
    expect(await other.call("quick", [1])).toMatchObject({ ok: true, value: 2 });
    expect([started(g[1]!), started(g[2]!)]).toEqual([false, false]);
    for (const x of g) await release(x);
    expect(await first.client.result(calls[0]!)).toMatchObject({ ok: true });
    expect(await first.client.result(calls[1]!)).toMatchObject({ ok: true });
    expect(await second.client.result(calls[2]!)).toMatchObject({ ok: true });
  });

  it("refuses calls beyond the client's queue bound with DCM_TOO_MANY_CALLS", async () => {
    const s = await serve({ maxQueuedPerClient: 2 });
    const a = (await connectReady(s)).client;
    const g = [newGate(), newGate(), newGate(), newGate()];
    const calls = g.map((x) => a.callAsync("hold", [x], { defer: true }));
    const refused = await a.result(calls[3]!);
    expect(refused).toMatchObject({ ok: false, error: { code: "DCM_TOO_MANY_CALLS" } });
    expect(refused.ok === false && refused.error.message).toMatch(/2 calls of this client are waiting .*limit 2/);
    expect(stats(s)).toMatchObject({ busy: 1, queued: 2, refused: 1 });
    // Another client has its own queue.
    const b = (await connectReady(s)).client;
    expect(await b.call("quick", [2])).toMatchObject({ ok: true, value: 3 });
    for (const x of g) await release(x);
    for (const id of calls.slice(0, 3)) expect(await a.result(id)).toMatchObject({ ok: true });
  });

  it("drops the queued calls of a client that disconnects; they never start", async () => {
    const s = await serve({});
    const a = (await connectReady(s)).client;
    const g = [newGate(), newGate(), newGate(), newGate()];
    for (const x of g) a.callAsync("hold", [x], { defer: true });
    await until(() => started(g[0]!) && stats(s).queued === 3, "one running, three queued");
    const before = stats(s).dropped;
    await a.close();
    await until(() => stats(s).queued === 0, "the queue to empty");
    expect(stats(s).dropped - before).toBe(3);
    // The running call keeps its worker until it ends; then nothing of the client is left.
    await release(g[0]!);
    await until(() => stats(s).busy === 0 && stats(s).clients === 0, "the pool to be idle");
    const b = (await connectReady(s)).client;
    expect(await b.call("quick", [0])).toMatchObject({ ok: true, value: 1 });
    expect(g.slice(1).map(started)).toEqual([false, false, false]);
  });
});

describe("the server's timeout is an upper bound", () => {
  it("a client may shorten it but not extend it", async () => {
    const s = await serve({ callTimeoutMs: 300 });
    const a = (await connectReady(s)).client;
    const longer = await a.call("nap", [2000], { timeoutMs: 3_600_000 });
    expect(longer).toMatchObject({ ok: false, error: { code: "DCM_CALL_TIMEOUT" } });
    expect(longer.ok === false && longer.error.message).toMatch(/did not finish within 300 ms/);
    const shorter = await a.call("nap", [2000], { timeoutMs: 100 });
    expect(shorter.ok === false && shorter.error.message).toMatch(/did not finish within 100 ms/);
  });
});
