import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachDistributor } from "../../runtime/server/attach.js";
import { DistributorError } from "../../runtime/server/distributor-error.js";
import { buildFixture, connect, connectReady, KEY1, ORIGIN, sleep, startServer, type TestServer } from "./harness.js";

let built: Awaited<ReturnType<typeof buildFixture>>;
let server: TestServer;

beforeAll(async () => {
  built = await buildFixture("small");
  server = await startServer(built.dist, { idleTimeoutMs: 300, pingIntervalMs: 150 });
});

afterAll(async () => {
  await server?.close();
  await built?.cleanup();
});

const d = () => server.app.dcm.distributor;

describe("DistributorControl", () => {
  it("setLocation pushes updateFragments at once, and calls follow the new placement", async () => {
    const { client, clientId } = await connectReady(server);
    expect(await client.call("add", [2, 3])).toMatchObject({ ok: false, error: { code: "DCM_WRONG_SIDE" } });
    const info = await d().setLocation(clientId, "add", "server");
    expect(info).toMatchObject({
      clientId,
      connected: true,
      version: 2,
      distribution: { add: "server", shout: "server" },
    });
    expect(await client.next((m) => m.type === "updateFragments" && !m.full)).toEqual({
      type: "updateFragments",
      full: false,
      version: 2,
      fragments: [{ id: "add", runOn: "server" }],
    });
    expect(await client.call("add", [2, 3])).toMatchObject({ ok: true, value: { $i: "5" } });
    expect(await client.call("add", [{ $i: "9223372036854775806" }, 1])).toMatchObject({
      ok: true,
      value: { $i: "9223372036854775807" },
    });

    await d().setLocation(clientId, "shout", "client");
    await client.next((m) => m.type === "updateFragments" && m.version === 3);
    expect(await client.call("shout", ["x"])).toMatchObject({ ok: false, error: { code: "DCM_WRONG_SIDE" } });
    // Setting the same location again changes nothing and sends nothing.
    expect((await d().setLocation(clientId, "shout", "client")).version).toBe(3);
    await client.close();
  });

  it("setLocations sends one update per client", async () => {
    const a = await connectReady(server);
    const b = await connectReady(server);
    const infos = await d().setLocations([
      { clientId: a.clientId, fragmentId: "add", side: "server" },
      { clientId: a.clientId, fragmentId: "shout", side: "client" },
      { clientId: b.clientId, fragmentId: "add", side: "server" },
    ]);
    expect(infos.map((i) => i.version)).toEqual([2, 2]);
    const ua = await a.client.next((m) => m.type === "updateFragments" && !m.full);
    expect(ua.type === "updateFragments" && ua.fragments).toEqual([
      { id: "add", runOn: "server" },
      { id: "shout", runOn: "client" },
    ]);
    await b.client.next((m) => m.type === "updateFragments" && !m.full);
    await sleep(50);
    expect(a.client.messages.filter((m) => m.type === "updateFragments")).toEqual([]);
    await Promise.all([a.client.close(), b.client.close()]);
  });

  it("throws DistributorError for unknown clients, fragments and sides, changing nothing", async () => {
    const { client, clientId } = await connectReady(server);
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: DistributorError) => (e instanceof DistributorError ? e.code : String(e)),
      );
    expect(await codeOf(d().setLocation("nobody", "add", "server"))).toBe("DCM_UNKNOWN_CLIENT");
    expect(await codeOf(d().setLocation(clientId, "nope", "server"))).toBe("DCM_UNKNOWN_FRAGMENT");
    expect(await codeOf(d().setLocation(clientId, "add", "moon" as "client"))).toBe("DCM_INVALID_SIDE");
    expect(
      await codeOf(
        d().setLocations([
          { clientId, fragmentId: "add", side: "server" },
          { clientId, fragmentId: "nope", side: "server" },
        ]),
      ),
    ).toBe("DCM_UNKNOWN_FRAGMENT");
    expect(d().getClient(clientId)?.version).toBe(1);
    expect(() => d().setDefaults({ nope: "server" })).toThrow(DistributorError);
    await client.close();
  });

  it("setDefaults changes the distribution of new clients only", async () => {
    const old = await connectReady(server);
    try {
      expect(d().setDefaults({ add: "server" })).toEqual({ add: "server", shout: "server" });
      const fresh = await connectReady(server);
      expect(fresh.update.type === "updateFragments" && fresh.update.fragments).toContainEqual({
        id: "add",
        runOn: "server",
      });
      expect(d().getClient(old.clientId)?.distribution.add).toBe("client");
      await fresh.client.close();
    } finally {
      d().setDefaults({ add: "client" });
      await old.client.close();
    }
  });

  it("counts calls per fragment and side", async () => {
    const { client, clientId } = await connectReady(server);
    const before = d()
      .stats()
      .find((s) => s.fragment === "shout")!;
    for (let i = 0; i < 5; i++) await client.call("shout", [`n${i}`]);
    await client.call("shout", [1]);
    d().recordClientCall?.(clientId, "add", 0.02, true);
    client.send({
      type: "callStats",
      calls: [
        { fragment: "add", ms: 0.04, ok: false },
        { fragment: "nope", ms: 1, ok: true },
      ],
    });
    await sleep(50);
    const stats = d().stats();
    expect(stats.map((s) => s.fragment)).toEqual(["add", "shout"]);
    const shout = stats.find((s) => s.fragment === "shout")!;
    expect(shout.server.calls - before.server.calls).toBe(5);
    expect(shout.server.p50Ms).toBeGreaterThan(0);
    expect(shout.server.p99Ms!).toBeGreaterThanOrEqual(shout.server.p50Ms!);
    const add = stats.find((s) => s.fragment === "add")!;
    expect(add.client).toMatchObject({ calls: 2, errors: 1 });
    await client.close();
  });

  it("measures the round trip with its own pings", async () => {
    const t0 = performance.now();
    const { client, clientId } = await connectReady(server);
    await client.next((m) => m.type === "ping");
    await sleep(50);
    // A measured round trip, not a default: positive, and within the time this test has waited.
    // (How short it is: bench/runtime-echo.ts, dcm ping/pong against a bare ws echo.)
    expect(d().rttMs(clientId)).toBeGreaterThan(0);
    expect(d().rttMs(clientId)).toBeLessThanOrEqual(performance.now() - t0);
    await client.close();
  });

  it("drops a connection that stops answering", async () => {
    const { client } = await connectReady(server);
    client.autoPong = false;
    // ws answers protocol-level pings by itself; the distributor's pings are protocol messages, so silence is silence.
    const closed = await client.closed;
    expect(closed.code).toBe(1006);
  });

  it("forgets a client idle for idleTimeoutMs, but never a connected one", async () => {
    const gone = await connectReady(server);
    const stays = await connectReady(server);
    await d().setLocation(gone.clientId, "add", "server");
    await gone.client.close();
    expect(d().getClient(gone.clientId)?.connected).toBe(false);
    await sleep(700);
    expect(d().getClient(gone.clientId)).toBeUndefined();
    expect(
      d()
        .listClients()
        .map((c) => c.clientId),
    ).toContain(stays.clientId);
    // Coming back after expiry starts from the defaults again.
    const back = await connectReady(server, { clientId: gone.clientId });
    expect(back.update).toMatchObject({ full: true, version: 1 });
    expect(back.update.type === "updateFragments" && back.update.fragments).toContainEqual({
      id: "add",
      runOn: "client",
    });
    await Promise.all([back.client.close(), stays.client.close()]);
  });
});

describe("attachDistributor (plain node:http)", () => {
  it("serves the auth routes and the WebSocket next to the application's routes", async () => {
    let dcm: Awaited<ReturnType<typeof attachDistributor>> | undefined;
    const http = createServer(async (req, res) => {
      if (await dcm!.handleRequest(req, res)) return;
      res.writeHead(200, { "content-type": "text/plain" }).end("app");
    });
    dcm = await attachDistributor(http, {
      dist: built.dist,
      auth: { keys: [KEY1] },
      allowedOrigins: [ORIGIN],
      workers: 1,
      prefix: "/rt",
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    const port = (http.address() as AddressInfo).port;
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("app");
      const r = await fetch(`http://127.0.0.1:${port}/rt/auth/session`, {
        method: "POST",
        headers: { origin: ORIGIN },
      });
      expect(r.status).toBe(200);
      expect(r.headers.get("set-cookie")).toContain("Path=/rt/auth");
      const { accessToken } = (await r.json()) as { accessToken: string };
      const c = connect(`ws://127.0.0.1:${port}/rt/ws`, { token: accessToken });
      await c.next((m) => m.type === "updateFragments");
      expect(await c.call("shout", ["plain"])).toMatchObject({ ok: true, value: "PLAIN!" });
      // A body over the auth routes' limit: 413 in the documented shape.
      const big = await fetch(`http://127.0.0.1:${port}/rt/auth/session`, {
        method: "POST",
        headers: { origin: ORIGIN, "content-type": "application/json" },
        body: JSON.stringify({ pad: "x".repeat(20_000) }),
      });
      expect(big.status).toBe(413);
      expect(await big.json()).toMatchObject({ error: { code: "DCM_REQUEST_TOO_LARGE" } });
      await c.close();
    } finally {
      await dcm.close();
      await new Promise((r) => http.close(r));
    }
  });
});
