/**
 * Server-to-client calls (issue 12): `distributor.callOnClient` and
 * `POST /dcm/api/clients/{id}/calls` against the REAL server on 127.0.0.1
 * and a real Node client, with real built dists (test/e2e/fixtures/small:
 * `add` on the client, `shout` on the server; test/client/fixtures/napper:
 * `nap` sleeps). Where a call ran is checked on the client's own side: the
 * client records every call it ran (`serverCall` events and call records).
 */
import WebSocket from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ClientOptions, createClient, type DcmClient } from "../../runtime/client/client-distributor.js";
import type { ServerCallEvent } from "../../runtime/client/server-calls.js";
import { SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from "../../runtime/protocol/messages.js";
import { type BuiltDist, buildNapper, buildSmall } from "./build-fixture.js";
import {
  API_KEY,
  ORIGIN,
  type RunningServer,
  sleep,
  startProxy,
  startServer,
  until,
  wsWithOrigin,
} from "./server-harness.js";

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

async function server(built: BuiltDist): Promise<RunningServer> {
  const s = await startServer(built.dist);
  open.push(s);
  return s;
}

async function client(built: BuiltDist, s: RunningServer, extra: Partial<ClientOptions> = {}): Promise<DcmClient> {
  const c = await createClient({
    url: s.wsUrl,
    getToken: async () => (await s.app.dcm.distributor.issueAccessToken({})).accessToken,
    manifest: built.manifest,
    loadModule: async () => built.wasm,
    WebSocket: wsWithOrigin(),
    reconnect: { initialMs: 50, maxMs: 400 },
    heartbeatMs: 0,
    ...extra,
  });
  open.push(c);
  await c.whenConnected();
  return c;
}

function served(c: DcmClient): ServerCallEvent[] {
  const seen: ServerCallEvent[] = [];
  c.on("serverCall", (e) => seen.push(e));
  return seen;
}

async function api(s: RunningServer, clientId: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${s.url}/dcm/api/clients/${encodeURIComponent(clientId)}/calls`, {
    method: "POST",
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe("callOnClient: runs where the client's distribution places the fragment", () => {
  it("runs a client-placed fragment in the client and a server-placed one on the server", async () => {
    const s = await server(small);
    const c = await client(small, s);
    const seen = served(c);
    const d = s.app.dcm.distributor;
    const onClient = await d.callOnClient(c.clientId!, "add", [20n, 22n]);
    expect(onClient).toMatchObject({ value: 42n, ranOn: "client" });
    expect(onClient.ms).toBeGreaterThanOrEqual(0);
    expect(seen).toMatchObject([{ fragment: "add", ok: true, ranOn: "client" }]);
    expect(c.records().filter((r) => r.fragment === "add")).toMatchObject([{ ranOn: "client", ok: true }]);

    const onServer = await d.callOnClient(c.clientId!, "shout", ["hey"]);
    expect(onServer.ranOn).toBe("server");
    expect(onServer.value).toBe((await c.call("shout", ["hey"])) as string);
    expect(seen).toHaveLength(1);

    // Moving `add` to the server moves where the server's calls run too.
    await d.setLocation(c.clientId!, "add", "server");
    expect(await d.callOnClient(c.clientId!, "add", [1n, 2n])).toMatchObject({ value: 3n, ranOn: "server" });
    expect(seen).toHaveLength(1);
  });

  it("the REST route takes and gives wire values and says where it ran; bad requests are refused with their reason", async () => {
    const s = await server(small);
    const c = await client(small, s);
    const ok = await api(s, c.clientId!, { fragment: "add", args: [2, 3] });
    // 64-bit integers travel as {"$i": "<digits>"} (docs/protocol.md).
    expect(ok).toMatchObject({ status: 200, json: { value: { $i: "5" }, ranOn: "client" } });
    const srv = await api(s, c.clientId!, { fragment: "shout", args: ["a"] });
    expect(srv.status).toBe(200);
    expect(srv.json.ranOn).toBe("server");

    expect(await api(s, "nobody", { fragment: "add", args: [1, 2] })).toMatchObject({
      status: 404,
      json: { error: { code: "DCM_API_UNKNOWN_CLIENT" } },
    });
    const unknown = await api(s, c.clientId!, { fragment: "ad", args: [1, 2] });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toContain("add");
    const bad = await api(s, c.clientId!, { fragment: "add", args: ["x", 2] });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("DCM_BAD_ARGUMENTS");
    expect((await api(s, c.clientId!, { fragment: "add" })).status).toBe(400);
  });

  it("a client may keep fragments private, or refuse every server call", async () => {
    const s = await server(small);
    const priv = await client(small, s, { privateFragments: ["add"] });
    const seen = served(priv);
    const refused = await api(s, priv.clientId!, { fragment: "add", args: [1, 1] });
    expect(refused).toMatchObject({ status: 403, json: { error: { code: "DCM_CALL_REFUSED" } } });
    expect(refused.json.error.message).toContain("private");
    expect(seen).toMatchObject([{ fragment: "add", ok: false, error: "DCM_CALL_REFUSED" }]);
    expect(priv.records().filter((r) => r.fragment === "add")).toEqual([]);

    const closed = await client(small, s, { acceptServerCalls: false });
    await expect(s.app.dcm.distributor.callOnClient(closed.clientId!, "add", [1n, 1n])).rejects.toMatchObject({
      code: "DCM_CALL_REFUSED",
      status: 403,
    });
  });
});

describe("callOnClient and module-level state", () => {
  it("runs a stateful fragment in that client's state on either side, and the state moves with it", async () => {
    const s = await server(napper);
    const d = s.app.dcm.distributor;
    const a = await client(napper, s);
    const b = await client(napper, s);
    // `tick` counts calls in a package variable: a stateful group of its own, client-placed.
    expect(napper.manifest.groups?.some((g) => g.fragments.includes("tick") && g.state.length > 0)).toBe(true);
    expect(await a.call("tick", [])).toBe(1n);
    expect(await d.callOnClient(a.clientId!, "tick", [])).toMatchObject({ value: 2n, ranOn: "client" });
    // Moved to the server with its state: the server's next call for A continues from A's count.
    await d.setLocation(a.clientId!, "tick", "server");
    expect(await d.callOnClient(a.clientId!, "tick", [])).toMatchObject({ value: 3n, ranOn: "server" });
    expect(await a.call("tick", [])).toBe(4n);
    // B's count is its own, in its browser or on the server.
    expect(await d.callOnClient(b.clientId!, "tick", [])).toMatchObject({ value: 1n, ranOn: "client" });
    await d.setLocation(b.clientId!, "tick", "server");
    expect(await d.callOnClient(b.clientId!, "tick", [])).toMatchObject({ value: 2n, ranOn: "server" });
    expect(await d.callOnClient(a.clientId!, "tick", [])).toMatchObject({ value: 5n, ranOn: "server" });
    // And back to A's browser, where it goes on from the server's count.
    await d.setLocation(a.clientId!, "tick", "client");
    expect(await d.callOnClient(a.clientId!, "tick", [])).toMatchObject({ value: 6n, ranOn: "client" });
  });
});

describe("callOnClient: a client that goes away or does not answer", () => {
  it("a disconnect mid-call fails the call at once with DCM_CLIENT_DISCONNECTED; a disconnected client is refused", async () => {
    const s = await server(napper);
    // Through a proxy the test cuts: the client vanishes as a dropped network does, without a goodbye.
    const proxy = await startProxy(() => s.port);
    open.push(proxy);
    const c = await client(napper, s, {
      url: `ws://127.0.0.1:${proxy.port}${s.app.dcm.prefix}/ws`,
      reconnect: { initialMs: 60_000, maxMs: 60_000 },
    });
    const d = s.app.dcm.distributor;
    await d.setLocation(c.clientId!, "nap", "client");
    await until(() => c.where("nap") === "client", 5000, "nap on the client");
    const pending = d.callOnClient(c.clientId!, "nap", [5000]);
    await sleep(200);
    const t0 = Date.now();
    const failed = expect(pending).rejects.toMatchObject({ code: "DCM_CLIENT_DISCONNECTED", status: 409 });
    proxy.cut();
    await failed;
    expect(Date.now() - t0).toBeLessThan(4000);
    const again = await api(s, c.clientId!, { fragment: "nap", args: [1] });
    expect(again).toMatchObject({ status: 409, json: { error: { code: "DCM_CLIENT_DISCONNECTED" } } });
    expect(again.json.error.message).toContain("not connected");
  });

  it("a client that does not answer in time gives DCM_CALL_TIMEOUT (504) and is asked to cancel", async () => {
    const s = await server(napper);
    const c = await client(napper, s);
    const seen = served(c);
    const complaints: Error[] = [];
    c.on("error", (e) => complaints.push(e));
    await s.app.dcm.distributor.setLocation(c.clientId!, "nap", "client");
    await until(() => c.where("nap") === "client", 5000, "nap on the client");
    const late = await api(s, c.clientId!, { fragment: "nap", args: [1500], timeoutMs: 150 });
    expect(late).toMatchObject({ status: 504, json: { error: { code: "DCM_CALL_TIMEOUT" } } });
    expect(late.json.error.message).toContain("did not answer");
    // The nap cannot be interrupted in the client; its late answer is dropped by the server, not refused as forged.
    await until(() => seen.length > 0, 10_000, "the client to end the call");
    await sleep(100);
    expect(complaints).toEqual([]);
    // The connection still serves calls afterwards.
    expect(await api(s, c.clientId!, { fragment: "tick", args: [] })).toMatchObject({
      status: 200,
      json: { ranOn: "client" },
    });
  });
});

describe("forged answers from a client", () => {
  it("a functionResult nobody asked for, or of the wrong shape, is refused and changes nothing", async () => {
    const s = await server(small);
    const c = await client(small, s);
    // A connection of its own (another client id): the forged frames come from a client the server did not call.
    const { accessToken } = await s.app.dcm.distributor.issueAccessToken({});
    const ws = new WebSocket(s.wsUrl, [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + accessToken], { origin: ORIGIN });
    const got: any[] = [];
    ws.on("message", (d) => got.push(JSON.parse(String(d))));
    await new Promise((r) => ws.once("open", r));
    ws.send(JSON.stringify({ type: "functionResult", callId: "s999", ok: true, value: 1 }));
    ws.send(JSON.stringify({ type: "functionResult", callId: 7, ok: true, value: 1 }));
    await until(() => got.filter((m) => m.type === "error").length >= 2, 5000, "two protocol errors");
    const errors = got.filter((m) => m.type === "error");
    expect(errors.map((e) => e.code)).toEqual(["DCM_BAD_MESSAGE", "DCM_BAD_MESSAGE"]);
    expect(errors[0].message).toContain("not a server-initiated call");
    ws.close();
    // The real client's calls are unaffected.
    expect(await s.app.dcm.distributor.callOnClient(c.clientId!, "add", [4n, 5n])).toMatchObject({
      value: 9n,
      ranOn: "client",
    });
  });
});
