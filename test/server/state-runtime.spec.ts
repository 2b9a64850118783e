/**
 * The State Manager's mechanics against the real server on loopback and
 * real Node clients, with a hand-written glue module (bench/
 * state-glue-dist.ts) so that the failure paths run without a toolchain.
 * The languages' real fixtures run in test/e2e/state-languages.spec.ts.
 */
import WebSocket from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DcmClient } from "../../runtime/client/client-distributor.js";
import { ORIGIN, startProxy } from "../client/server-harness.js";
import { type GlueDist, writeGlueDist } from "../../bench/state-glue-dist.js";
import { type StateRig, startStateRig } from "./state-harness.js";

let glue: GlueDist;
let rig: StateRig | null = null;

beforeAll(async () => {
  glue = await writeGlueDist();
});
afterAll(async () => {
  await glue?.cleanup();
});
afterEach(async () => {
  await rig?.close();
  rig = null;
});

async function start(opts: Parameters<typeof startStateRig>[1] = {}): Promise<StateRig> {
  rig = await startStateRig(glue.dist, opts);
  return rig;
}

const id = (c: DcmClient) => c.clientId!;

describe("per-client state on the server", () => {
  it("gives each client its own state, on any worker, and starts the CFD-split groups on the server", async () => {
    const r = await start({ workers: 2 });
    const a = await r.client();
    const b = await r.client();
    // counter-get says client in the CFD, counter-add server: the group starts on the server.
    expect(a.where("counter-get")).toBe("server");
    expect(a.where("pure-double")).toBe("client");
    const seen: bigint[] = [];
    for (let i = 1; i <= 6; i++) seen.push((await a.call("counter-add", [BigInt(i)])) as bigint);
    expect(seen).toEqual([1n, 3n, 6n, 10n, 15n, 21n]);
    expect(await b.call("counter-add", [100n])).toBe(100n);
    expect(await a.call("counter-get", [])).toBe(21n);
    expect(await b.call("counter-get", [])).toBe(100n);
    // Concurrent calls of one client to one group run one at a time: no update is lost.
    const many = await Promise.all(Array.from({ length: 20 }, () => a.call("counter-add", [1n], { defer: true })));
    expect(new Set(many).size).toBe(20);
    expect(await a.call("counter-get", [])).toBe(41n);
    expect(r.server.app.dcm.distributor.state.size()).toBe(2);
  });

  it("refuses calls of the state accessors from clients", async () => {
    const r = await start();
    const a = await r.client();
    await expect(a.call("$state.group-counter-add.get", [])).rejects.toMatchObject({ code: "DCM_UNKNOWN_FRAGMENT" });
    const raw = await rawClient(r, "raw-accessor");
    const reply = await raw.request({ type: "callFunction", callId: "x1", fragment: "$state.group-counter-add.set", args: [{ counter: 5 }] });
    expect(reply).toMatchObject({ type: "functionResult", ok: false, error: { code: "DCM_UNKNOWN_FRAGMENT" } });
    raw.close();
  });

  it("fails a call whose state would pass maxStateBytesPerClient and drops its change", async () => {
    const r = await start({ maxStateBytesPerClient: 4096 });
    const a = await r.client();
    expect(await a.call("blob-put", [new Uint8Array(3000)])).toBe(3000);
    await expect(a.call("blob-put", [new Uint8Array(3000)])).rejects.toMatchObject({ code: "DCM_STATE_TOO_LARGE" });
    expect(await a.call("blob-size", [])).toBe(3000);
  });

  it("forgets a client's state with its record", async () => {
    const r = await start();
    const a = await r.client("leaver");
    await a.call("counter-add", [7n]);
    const d = r.server.app.dcm.distributor;
    expect(d.state.bytesOf("leaver")).toBeGreaterThan(0);
    await a.close();
    await until(() => d.getClient("leaver")?.connected === false);
    d.clients.remove(d.clients.get("leaver")!);
    expect(d.state.bytesOf("leaver")).toBe(0);
  });
});

describe("a client that loses its connection", () => {
  it("waits for the server for a group whose state is there, instead of running on its stale copy", async () => {
    const r = await start();
    const proxy = await startProxy(() => r.server.port);
    try {
      const wsUrl = r.server.wsUrl.replace(`:${r.server.port}/`, `:${proxy.port}/`);
      const a = await r.client("flaky", { url: wsUrl, reconnect: { initialMs: 100, maxMs: 200 } });
      expect(await a.call("counter-add", [40n])).toBe(40n);
      proxy.cut();
      await until(() => !a.connected);
      expect(a.where("counter-add")).toBe("server");
      expect(a.where("pure-double")).toBe("client");
      // Waits for the reconnect, then runs on the server in this client's state.
      expect(await a.callWithInfo("counter-add", [2n])).toMatchObject({ value: 42n, ranOn: "server" });
    } finally {
      await proxy.close();
    }
  });
});

describe("moving groups", () => {
  it("moves a whole group with its state both ways, and lists every member that moved", async () => {
    const r = await start();
    const a = await r.client();
    const b = await r.client();
    await a.call("counter-add", [5n]);
    await a.call("log-append", ["x"]);
    await b.call("counter-add", [1000n]);
    const res = await r.place(id(a), "counter-get", "client");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ runOn: "client", moved: ["counter-add", "counter-get"] });
    expect(a.where("counter-add")).toBe("client");
    expect(a.where("log-join")).toBe("server");
    // The state came along: the client's instance continues from 5.
    expect(await a.callWithInfo("counter-add", [2n])).toMatchObject({ value: 7n, ranOn: "client" });
    expect(await a.call("counter-get", [])).toBe(7n);
    // b is untouched.
    expect(await b.call("counter-get", [])).toBe(1000n);
    const back = await r.place(id(a), "counter-add", "server");
    expect(back.body).toMatchObject({ runOn: "server", moved: ["counter-add", "counter-get"] });
    expect(await a.callWithInfo("counter-add", [3n])).toMatchObject({ value: 10n, ranOn: "server" });
    expect(await a.call("log-join", [])).toBe("x");
  });

  it("runs a group that lives in the client on one worker of the pool (one instance, one state)", async () => {
    const r = await start();
    const a = await r.client("pooled", { executor: "worker", workers: 3 });
    await a.call("counter-add", [10n]);
    await r.place("pooled", "counter-add", "client");
    // Concurrent local calls: a pool spreading them over workers would give three different counters.
    const totals = await Promise.all(Array.from({ length: 30 }, () => a.call("counter-add", [1n])));
    expect(new Set(totals).size).toBe(30);
    expect(await a.call("counter-get", [])).toBe(40n);
    // And back to the server with everything the pool's instance saw.
    await r.place("pooled", "counter-add", "server");
    expect(await a.callWithInfo("counter-get", [])).toMatchObject({ value: 40n, ranOn: "server" });
  });

  it("moves bytes state and several groups in one request", async () => {
    const r = await start();
    const a = await r.client();
    const blob = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
    await a.call("blob-put", [blob]);
    await a.call("log-append", ["one"]);
    const res = await r.placeMany([
      { clientId: id(a), fragmentId: "blob-size", runOn: "client" },
      { clientId: id(a), fragmentId: "log-append", runOn: "client" },
    ]);
    expect(res.status).toBe(200);
    const info = (res.body.clients as Array<Record<string, unknown>>)[0]!;
    expect(info.moved).toEqual(["blob-put", "blob-size", "log-append", "log-join"]);
    expect(await a.callWithInfo("blob-put", [Uint8Array.of(1)])).toMatchObject({ value: 5001, ranOn: "client" });
    expect(await a.call("log-join", [])).toBe("one");
  });

  it("takes a client's state larger than maxMessageBytes during a move to the server (up to the hard cap)", async () => {
    const r = await start({ maxMessageBytes: 64 * 1024 });
    const a = await r.client("big");
    for (let i = 0; i < 4; i++) await a.call("blob-put", [new Uint8Array(30_000).fill(i)]);
    await r.place("big", "blob-size", "client");
    expect(await a.callWithInfo("blob-size", [])).toMatchObject({ value: 120_000, ranOn: "client" });
    const back = await r.place("big", "blob-size", "server");
    expect(back.status).toBe(200);
    expect(await a.callWithInfo("blob-size", [])).toMatchObject({ value: 120_000, ranOn: "server" });
    // Outside a move the limit holds for every message.
    const raw = await rawClient(r, "big-raw");
    const big = JSON.stringify({ type: "stateTransfer", transferId: "t1", groups: [{ pad: "x".repeat(70_000) }] });
    expect(await raw.request(JSON.parse(big))).toMatchObject({ type: "error", code: "DCM_MESSAGE_TOO_LARGE" });
    raw.close();
  });

  it("refuses a request that splits a group, and changes nothing", async () => {
    const r = await start();
    const a = await r.client();
    const res = await r.placeMany([
      { clientId: id(a), fragmentId: "counter-add", runOn: "client" },
      { clientId: id(a), fragmentId: "counter-get", runOn: "server" },
    ]);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "DCM_GROUP_SPLIT" } });
    expect((res.body.error as { message: string }).message).toMatch(/group-counter-add.*counter-add, counter-get/);
    expect(a.where("counter-add")).toBe("server");
  });

  it("moves stateless fragments as before, and refuses to move a disconnected client's stateful group", async () => {
    const r = await start();
    const a = await r.client("away");
    expect((await r.place("away", "pure-double", "server")).body).toMatchObject({ moved: ["pure-double"] });
    await a.close();
    await until(() => r.server.app.dcm.distributor.getClient("away")?.connected === false);
    const res = await r.place("away", "counter-add", "client");
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { code: "DCM_TRANSFER_FAILED" } });
    expect((res.body.error as { message: string }).message).toMatch(/not connected/);
    expect((await r.place("away", "pure-double", "client")).status).toBe(200);
  });

  it("leaves the group in place when the client cannot restore, and says why", async () => {
    const r = await start();
    const raw = await rawClient(r, "refuser", (m, send) => {
      if (m.type === "transferBegin") send({ type: "transferReady", transferId: m.transferId });
      if (m.type === "stateTransfer")
        send({ type: "transferResult", transferId: m.transferId, ok: false, error: { code: "X", message: "disk full" } });
    });
    const before = await raw.request({ type: "callFunction", callId: "c1", fragment: "counter-add", args: [4] });
    expect(before).toMatchObject({ ok: true, value: { $i: "4" } });
    const res = await r.place("refuser", "counter-get", "client");
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { code: "DCM_TRANSFER_FAILED" } });
    expect((res.body.error as { message: string }).message).toMatch(/group-counter-add.*disk full.*stay on the server/);
    expect(r.server.app.dcm.distributor.getClient("refuser")!.distribution["counter-add"]).toBe("server");
    const after = await raw.request({ type: "callFunction", callId: "c2", fragment: "counter-add", args: [1] });
    expect(after).toMatchObject({ ok: true, value: { $i: "5" } });
    raw.close();
  });

  it("fails a move to the server at once when the client cannot send its state", async () => {
    const r = await start({ transferTimeoutMs: 20_000 });
    const raw = await rawClient(r, "no-snapshot", (m, send) => {
      if (m.type === "transferBegin")
        send({ type: "transferResult", transferId: m.transferId, ok: false, error: { code: "X", message: "get trapped" } });
    });
    const d = r.server.app.dcm.distributor;
    const c = d.clients.get("no-snapshot")!;
    d.clients.commitMove(c, [{ id: "log-append", runOn: "client" }, { id: "log-join", runOn: "client" }], c.version + 1, null);
    const res = await r.place("no-snapshot", "log-join", "server");
    expect(res.status).toBe(409);
    expect((res.body.error as { message: string }).message).toMatch(/could not send the state of group\(s\) `group-log-append`: get trapped; they stay on the client/);
    expect(c.distribution.get("log-append")).toBe("client");
    raw.close();
  });

  it("times out a move the client never answers; the group stays and calls still work", async () => {
    const r = await start({ transferTimeoutMs: 300 });
    const raw = await rawClient(r, "silent");
    await raw.request({ type: "callFunction", callId: "c1", fragment: "counter-add", args: [2] });
    const res = await r.place("silent", "counter-add", "client");
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ error: { code: "DCM_TRANSFER_TIMEOUT" } });
    expect((res.body.error as { message: string }).message).toMatch(/transferReady/);
    expect(raw.seen.some((m) => m.type === "transferAbort")).toBe(true);
    const after = await raw.request({ type: "callFunction", callId: "c2", fragment: "counter-add", args: [1] });
    expect(after).toMatchObject({ ok: true, value: { $i: "3" } });
    raw.close();
  });

  it("answers forged transfer messages with a protocol error and changes nothing", async () => {
    const r = await start();
    const raw = await rawClient(r, "forger");
    const unknown = await raw.request({ type: "transferReady", transferId: "t999" });
    expect(unknown).toMatchObject({ type: "error", code: "DCM_BAD_MESSAGE" });
    expect(await raw.request({ type: "stateTransfer", transferId: "nope", groups: [] })).toMatchObject({ type: "error" });
    // A move to the server whose state has a wrong checksum is refused.
    const d = r.server.app.dcm.distributor;
    const c = d.clients.get("forger")!;
    // Put the group on the client the way a committed move would (the raw client has no state to send).
    d.clients.commitMove(c, [{ id: "counter-add", runOn: "client" }, { id: "counter-get", runOn: "client" }], c.version + 1, null);
    raw.onMessage = (m, send) => {
      if (m.type === "transferBegin")
        send({
          type: "stateTransfer",
          transferId: m.transferId,
          groups: [{ group: "group-counter-add", stateVersion: glue.manifest.groups![0]!.stateVersion, parts: [{ counter: 9 }], checksum: "00" }],
        });
    };
    const res = await r.place("forger", "counter-add", "server");
    expect(res.status).toBe(409);
    expect((res.body.error as { message: string }).message).toMatch(/checksum/);
    expect(c.distribution.get("counter-add")).toBe("client");
    raw.close();
  });
});

// ---- helpers ----

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

type Msg = Record<string, unknown>;
interface RawClient {
  seen: Msg[];
  onMessage: ((m: Msg, send: (x: Msg) => void) => void) | null;
  /** Sends and resolves with the next answer that is not a push (updateFragments / transfer*), or a matching functionResult. */
  request(m: Msg): Promise<Msg>;
  close(): void;
}

/** A protocol-level client (no State Manager): answers what `onMessage` says. */
async function rawClient(r: StateRig, clientId: string, onMessage: RawClient["onMessage"] = null): Promise<RawClient> {
  const token = (await r.server.app.dcm.distributor.issueAccessToken({ clientId })).accessToken;
  const ws = new WebSocket(r.server.wsUrl, ["dcm.v1", `dcm.token.${token}`], { origin: ORIGIN });
  const waiting: Array<(m: Msg) => void> = [];
  const raw: RawClient = {
    seen: [],
    onMessage,
    request(m) {
      return new Promise((resolve) => {
        waiting.push(resolve);
        ws.send(JSON.stringify(m));
      });
    },
    close: () => ws.close(),
  };
  const send = (x: Msg) => ws.send(JSON.stringify(x));
  ws.on("message", (data) => {
    const m = JSON.parse(String(data)) as Msg;
    raw.seen.push(m);
    if (String(m.type).startsWith("transfer") || m.type === "stateTransfer") raw.onMessage?.(m, send);
    else if (m.type === "functionResult" || m.type === "error") waiting.shift()?.(m);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("error", reject);
    ws.on("message", function first() {
      ws.off("message", first);
      resolve();
    });
  });
  return raw;
}
