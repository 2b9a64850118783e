/**
 * The client Code Distributor against the REAL server Code Distributor
 * (runtime/server, fastify + ws) on 127.0.0.1, with real built dists:
 * the small fixture (`add` on the client, `shout` on the server) and
 * test/client/fixtures/napper (`nap` idempotent, `napOnce` not; both slow,
 * both on the server).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ClientOptions, createClient, type DcmClient } from "../../runtime/client/client-distributor.js";
import { nodeWorkerSpawner } from "../../runtime/client/node-endpoint.js";
import { type BuiltDist, buildNapper, buildSmall } from "./build-fixture.js";
import { API_KEY, type RunningServer, sleep, startProxy, startServer, until, wsWithOrigin } from "./server-harness.js";

let small: BuiltDist;
let napper: BuiltDist;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  [small, napper] = await Promise.all([buildSmall(), buildNapper()]);
});

afterAll(async () => {
  await small?.cleanup();
  await napper?.cleanup();
});

afterEach(async () => {
  while (open.length)
    await open
      .pop()!
      .close()
      .catch(() => {});
});

async function server(built: BuiltDist, port = 0): Promise<RunningServer> {
  const s = await startServer(built.dist, port);
  open.push(s);
  return s;
}

/** A client whose tokens come from whatever server `current()` returns (same keys across restarts). */
async function client(
  built: BuiltDist,
  wsUrl: string,
  current: () => RunningServer,
  extra: Partial<ClientOptions> & { clientId?: string } = {},
): Promise<DcmClient> {
  const { clientId, ...rest } = extra;
  const c = await createClient({
    url: wsUrl,
    getToken: async () =>
      (await current().app.dcm.distributor.issueAccessToken(clientId ? { clientId } : {})).accessToken,
    manifest: built.manifest,
    loadModule: async () => built.wasm,
    WebSocket: wsWithOrigin(),
    reconnect: { initialMs: 50, maxMs: 400 },
    heartbeatMs: 0,
    ...rest,
  });
  open.push(c);
  return c;
}

describe("client distributor against the real server", () => {
  it("runs locally before the first updateFragments, then follows the server's distribution", async () => {
    const s = await server(small);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const c = await client(small, s.wsUrl, () => s, {
      getToken: async () => {
        await gate;
        return (await s.app.dcm.distributor.issueAccessToken()).accessToken;
      },
    });
    // Not connected yet: `shout` (server in the CFD) runs on the client.
    expect(c.connected).toBe(false);
    expect(c.where("shout")).toBe("client");
    const early = await c.callWithInfo("shout", ["early"]);
    expect(early).toMatchObject({ value: "EARLY!", ranOn: "client" });
    release();
    await c.whenConnected(5000);
    expect(c.distribution.server).toEqual({ add: "client", shout: "server" });
    expect(c.where("shout")).toBe("server");
    const late = await c.callWithInfo("shout", ["late"]);
    expect(late).toMatchObject({ value: "LATE!", ranOn: "server" });
    const local = await c.callWithInfo("add", [40n, 2n]);
    expect(local).toMatchObject({ value: 42n, ranOn: "client" });
    expect(c.records().map((r) => [r.fragment, r.ranOn])).toEqual([
      ["shout", "client"],
      ["shout", "server"],
      ["add", "client"],
    ]);
  });

  it("answers DCM_NOT_CALLABLE with the manifest's reason for a fragment the build marked not callable", async () => {
    const s = await server(small);
    // As `dcm build` writes a function without runOn: no signature, no export, the reason.
    const reason = "fragment helper (`helper`) has no `runOn`: it is a dependency, not an entry point; add `runOn: client|server` to call it";
    const add = small.manifest.fragments.find((f) => f.id === "add")!;
    const { signature: _s, abi: _a, export: _e, runOn: _r, ...rest } = add;
    const manifest = {
      ...small.manifest,
      fragments: [...small.manifest.fragments, { ...rest, id: "helper", symbol: "helper", notCallable: reason }],
    };
    const c = await client({ ...small, manifest }, s.wsUrl, () => s);
    await expect(c.call("helper", [])).rejects.toMatchObject({ code: "DCM_NOT_CALLABLE", message: reason });
    expect(await c.call("add", [40n, 2n])).toBe(42n);
  });

  it("runs server-placed calls on the server with the same results as local ones, 64-bit exact", async () => {
    const s = await server(small);
    const c = await client(small, s.wsUrl, () => s);
    await c.whenConnected(5000);
    const d = s.app.dcm.distributor;
    await d.setLocation(c.clientId!, "add", "server");
    await until(() => c.where("add") === "server", 5000, "add on the server");
    const big = [2n ** 62n, 2n ** 62n - 1n];
    const remote = await c.callWithInfo("add", big);
    expect(remote).toMatchObject({ value: 2n ** 63n - 1n, ranOn: "server" });
    const local = await c.executor.call("add", big);
    expect(local).toBe(remote.value);
    for (const word of ["", "héllo wörld", "ünïcödé ✓"]) {
      expect(await c.call("shout", [word])).toBe(await c.executor.call("shout", [word]));
    }
    const serverCalls = d.stats().find((x) => x.fragment === "shout")!.server.calls;
    expect(serverCalls).toBeGreaterThanOrEqual(3);
    // Bad arguments fail before anything is sent, with the parameter named.
    await expect(c.call("add", ["x", 1n])).rejects.toMatchObject({ code: "DCM_BAD_ARGUMENTS" });
    await expect(c.call("nope", [])).rejects.toMatchObject({ code: "DCM_UNKNOWN_FRAGMENT" });
  });

  it("migrates fragments mid-session through setLocation and the REST API", async () => {
    const s = await server(small);
    const c = await client(small, s.wsUrl, () => s);
    await c.whenConnected(5000);
    const seen: Array<number | null> = [];
    c.on("distribution", (dist) => seen.push(dist.version));
    expect((await c.callWithInfo("shout", ["a"])).ranOn).toBe("server");

    await s.app.dcm.distributor.setLocation(c.clientId!, "shout", "client");
    await until(() => c.where("shout") === "client", 5000, "shout on the client");
    expect((await c.callWithInfo("shout", ["b"])).ranOn).toBe("client");

    const res = await fetch(`${s.url}/dcm/api/clients/${c.clientId}/fragments/shout`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ runOn: "server" }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await until(() => c.where("shout") === "server", 5000, "shout back on the server");
    expect((await c.callWithInfo("shout", ["c"])).ranOn).toBe("server");
    expect(seen).toEqual([2, 3]);
    expect(c.distribution.version).toBe(3);
  });

  it("keeps working locally when the server stops, and follows it again after a restart", async () => {
    let s = await server(small);
    const port = s.port;
    const states: string[] = [];
    const c = await client(small, s.wsUrl, () => s, { clientId: "restart-client" });
    c.on("connection", (e) => states.push(e.state));
    await c.whenConnected(5000);
    expect((await c.callWithInfo("shout", ["up"])).ranOn).toBe("server");

    await s.close();
    await until(() => !c.connected, 5000, "disconnect");
    for (let i = 0; i < 5; i++) {
      expect(await c.callWithInfo("shout", [`down${i}`])).toMatchObject({ value: `DOWN${i}!`, ranOn: "client" });
      expect(await c.callWithInfo("add", [BigInt(i), 1n])).toMatchObject({ value: BigInt(i) + 1n, ranOn: "client" });
      await sleep(100);
    }
    expect(states).toContain("closed");

    s = await server(small, port);
    await c.whenConnected(10_000);
    expect(c.where("shout")).toBe("server");
    expect(await c.callWithInfo("shout", ["back"])).toMatchObject({ value: "BACK!", ranOn: "server" });
    // The restarted server knows the client again (same clientId claim).
    expect(s.app.dcm.distributor.getClient("restart-client")?.connected).toBe(true);
  });

  it("retries an idempotent call cut off by a lost connection, and rejects a non-idempotent one with DCM_CONNECTION_LOST", async () => {
    const s = await server(napper);
    const proxy = await startProxy(() => s.port);
    open.push(proxy);
    const c = await client(napper, `ws://127.0.0.1:${proxy.port}/dcm/ws`, () => s, {
      executor: "worker",
      workers: 1,
      spawn: nodeWorkerSpawner(),
    });
    await c.whenConnected(5000);
    expect(c.where("nap")).toBe("server");

    const idem = c.callWithInfo("nap", [600]);
    const once = c.callWithInfo("napOnce", [600]).catch((e) => e);
    // Cut while both are in flight: the first runs on the server (the second waits behind it there:
    // one connection's calls run in order).
    await until(() => s.app.dcm.distributor.executerStats().busy === 1, 10_000, "the first nap to run on the server");
    proxy.cut();
    const r = await idem;
    expect(r).toMatchObject({ value: 600n, ranOn: "client", retried: true });
    const e = await once;
    expect(e).toMatchObject({ name: "FragmentCallError", code: "DCM_CONNECTION_LOST", fragment: "napOnce" });

    // The client reconnects through the proxy and the server placement applies again.
    await c.whenConnected(5000);
    expect(await c.callWithInfo("napOnce", [1])).toMatchObject({ value: 2n, ranOn: "server" });
  });

  it("abort sends cancelCall and rejects at once; a per-call timeout rejects with DCM_CALL_TIMEOUT", async () => {
    const s = await server(napper);
    const c = await client(napper, s.wsUrl, () => s);
    await c.whenConnected(5000);
    const busy = () => s.app.dcm.distributor.executerStats().busy;
    const stats = () => s.app.dcm.distributor.stats().find((x) => x.fragment === "nap")?.server.calls ?? 0;
    const ac = new AbortController();
    const p = c.call("nap", [3000], { signal: ac.signal });
    await until(() => busy() === 1, 10_000, "the nap to run on the server");
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: "DCM_CALL_CANCELLED" });
    // At once: the nap still runs there (native code is not interrupted).
    expect(busy()).toBe(1);
    // cancelCall reached the server: the nap finished there but was not counted as a call (the
    // server drops the outcome of a cancelled call); the next call, which ends after it, is.
    await until(() => busy() === 0, 10_000, "the nap to end on the server");
    expect(await c.callWithInfo("nap", [1])).toMatchObject({ value: 1n, ranOn: "server" });
    expect(stats()).toBe(1);

    // The answer is the timeout, not the nap's value: the timeout ended the call.
    await expect(c.call("nap", [3000], { timeoutMs: 200 })).rejects.toMatchObject({ code: "DCM_CALL_TIMEOUT" });

    // The server still answers on the same connection.
    expect(await c.callWithInfo("nap", [1])).toMatchObject({ value: 1n, ranOn: "server" });

    // An already aborted signal never reaches the server.
    const dead = new AbortController();
    dead.abort();
    await expect(c.call("nap", [1], { signal: dead.signal })).rejects.toMatchObject({ code: "DCM_CALL_CANCELLED" });
  });

  it("reports local call latencies to the server (callStats) so that its statistics cover both sides", async () => {
    const s = await server(small);
    const c = await client(small, s.wsUrl, () => s);
    await c.whenConnected(5000);
    for (let i = 0; i < 5; i++) await c.call("add", [1n, 2n]);
    await until(
      () => (s.app.dcm.distributor.stats().find((x) => x.fragment === "add")?.client.calls ?? 0) >= 5,
      6000,
      "client stats",
    );
  });

  it("measures the round trip with ping and closes cleanly", async () => {
    const s = await server(small);
    const c = await client(small, s.wsUrl, () => s);
    await c.whenConnected(5000);
    const t0 = performance.now();
    const rtt = await c.ping();
    // Measured, not a default: positive and within the time the ping took here (how short it is:
    // bench/runtime-echo.ts).
    expect(rtt).toBeGreaterThan(0);
    expect(rtt).toBeLessThanOrEqual(performance.now() - t0);
    const pending = c.call("shout", ["x"]);
    await c.close();
    await pending.then(
      (v) => expect(v).toBe("X!"),
      (e) => expect(e.code).toBe("DCM_CALL_CANCELLED"),
    );
    await expect(c.call("add", [1n, 1n])).rejects.toMatchObject({ code: "DCM_CALL_CANCELLED" });
    await until(() => s.app.dcm.distributor.connectionCount() === 0, 3000, "server sees the close");
  });

  it("reconnects at once with a fresh token when the server says the token expired (4402)", async () => {
    const s = await server(small);
    let n = 0;
    const c = await client(small, s.wsUrl, () => s, {
      getToken: async () => {
        n++;
        // The first token is already expired.
        const claims = n === 1 ? { clientId: "expiring", expiresInSeconds: -10 } : { clientId: "expiring" };
        return (await s.app.dcm.distributor.issueAccessToken(claims)).accessToken;
      },
      // A back-off longer than the test may run: only an immediate reconnect can connect.
      reconnect: { initialMs: 600_000, maxMs: 600_000 },
    });
    await c.whenConnected(60_000);
    expect(n).toBe(2);
  });
});
