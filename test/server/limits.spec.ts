/**
 * A bounded server on loopback: the session rate limit, the cap on
 * anonymous clients, the paginated lists of the API, refusing to move what
 * cannot be called, every HTTP error in the documented shape (404, 413,
 * 414, 431), and the security headers of the page and the static files.
 */
import { connect as tcpConnect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webExtension } from "../../runtime/client/serve-web.js";
import { registerApiController } from "../../runtime/server/api/index.js";
import type { DcmServerOptions } from "../../runtime/server/create-server.js";
import { buildFixture, connect, ORIGIN, startServer, type TestServer } from "./harness.js";

const API_KEY = "limits-test-api-key-0123456789abcdef";
let gate: Awaited<ReturnType<typeof buildFixture>>;
const servers: TestServer[] = [];

beforeAll(async () => {
  gate = await buildFixture("gate");
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await gate?.cleanup();
});

async function serve(opts: Partial<DcmServerOptions> = {}): Promise<TestServer> {
  const s = await startServer(gate.dist, {
    apiKeys: [API_KEY],
    extensions: [
      async (app, ctx) =>
        registerApiController(app, { control: ctx.control, apiKeys: ctx.apiKeys, prefix: `${ctx.prefix}/api` }),
      webExtension(),
    ],
    ...opts,
  });
  servers.push(s);
  return s;
}

const session = (s: TestServer, headers: Record<string, string> = {}) =>
  fetch(`${s.url}/dcm/auth/session`, { method: "POST", headers: { origin: ORIGIN, ...headers } });
const api = (s: TestServer, path: string, init: RequestInit = {}) =>
  fetch(`${s.url}/dcm/api${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", ...(init.headers ?? {}) },
  });

async function errorOf(r: Response): Promise<{ code: string; message: string }> {
  const body = (await r.json()) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message"]);
  return body.error;
}

/** Sends raw bytes (requests fetch would refuse to make) and parses the reply. */
function raw(s: TestServer, request: string): Promise<{ status: number; headers: string; body: string }> {
  const { port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const sock = tcpConnect(Number(port), "127.0.0.1");
    const chunks: Buffer[] = [];
    sock.on("data", (c) => chunks.push(c));
    sock.on("error", (e) => (chunks.length ? undefined : reject(e)));
    sock.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const [head = "", body = ""] = text.split("\r\n\r\n");
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), headers: head, body });
    });
    sock.write(request);
  });
}

describe("anonymous sessions", () => {
  it("are rate limited per address: 429 with Retry-After after the burst", async () => {
    const s = await serve({ sessionRateLimit: { burst: 3, perMinute: 1 } });
    for (let i = 0; i < 3; i++) expect((await session(s)).status).toBe(200);
    const r = await session(s);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await errorOf(r)).toMatchObject({ code: "DCM_SESSION_RATE_LIMITED" });
  });

  it("are capped: the oldest idle client is evicted, and with none idle the server answers 503", async () => {
    const s = await serve({ sessionRateLimit: false, maxAnonymousClients: 2 });
    const d = s.app.dcm.distributor;
    const open = async () => {
      const r = await session(s);
      expect(r.status).toBe(200);
      const b = (await r.json()) as { clientId: string; accessToken: string };
      return { ...b, cookie: /dcm_refresh=([^;]*)/.exec(r.headers.get("set-cookie") ?? "")![1]! };
    };
    const first = await open();
    const second = await open();
    const third = await open();
    // At the cap of 2: the one idle the longest (the first) was forgotten, with its refresh token.
    expect(d.getClient(first.clientId)).toBeUndefined();
    expect([d.getClient(second.clientId), d.getClient(third.clientId)].every(Boolean)).toBe(true);
    const refresh = await fetch(`${s.url}/dcm/auth/refresh`, {
      method: "POST",
      headers: { origin: ORIGIN, cookie: `dcm_refresh=${first.cookie}` },
    });
    expect(refresh.status).toBe(401);

    // Both clients connected: nobody is idle, so nobody is evicted.
    const ws = [connect(s.wsUrl, { token: second.accessToken }), connect(s.wsUrl, { token: third.accessToken })];
    await Promise.all(ws.map((c) => c.next((m) => m.type === "updateFragments")));
    const busy = await session(s);
    expect(busy.status).toBe(503);
    expect(Number(busy.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await errorOf(busy)).toMatchObject({ code: "DCM_SERVER_BUSY" });
    // One leaves: it becomes idle, and the next session takes its place.
    await ws[0]!.close();
    const fourth = await open();
    expect(d.getClient(second.clientId)).toBeUndefined();
    expect(d.getClient(fourth.clientId)).toBeDefined();
    expect(d.getClient(third.clientId)?.connected).toBe(true);
    await ws[1]!.close();
  });
});

describe("paginated lists", () => {
  type Page = { clients: Array<{ clientId: string }>; next: string | null };

  it("a cursor walk returns every client exactly once while clients come and go", async () => {
    const s = await serve({ sessionRateLimit: false });
    const reg = s.app.dcm.distributor.clients;
    const ids: string[] = [];
    for (let i = 0; i < 230; i++) ids.push(((await (await session(s)).json()) as { clientId: string }).clientId);
    const seen: string[] = [];
    const removed = new Set<string>();
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const r = await api(s, `/clients?limit=50${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      const page = (await r.json()) as Page;
      expect(page.clients.length).toBeLessThanOrEqual(50);
      seen.push(...page.clients.map((c) => c.clientId));
      cursor = page.next;
      pages++;
      if (pages === 2) {
        // Between pages: some clients are forgotten (seen and not yet seen ones), new ones arrive.
        for (const id of [ids[10]!, ids[120]!, ids[200]!]) {
          reg.remove(reg.get(id)!);
          removed.add(id);
        }
        for (let i = 0; i < 5; i++) ids.push(((await (await session(s)).json()) as { clientId: string }).clientId);
      }
    }
    expect(new Set(seen).size).toBe(seen.length);
    // Every client that existed during the whole walk is there; the two removed before their page are not.
    for (const id of ids) if (!removed.has(id)) expect(seen).toContain(id);
    expect(seen).not.toContain(ids[120]);
    expect(seen).not.toContain(ids[200]);
    expect(pages).toBeGreaterThanOrEqual(5);
  });

  it("limits pages to 1000 and refuses cursors it did not make", async () => {
    const s = await serve();
    expect(await errorOf(await api(s, "/clients?limit=1001"))).toMatchObject({ code: "DCM_API_BAD_REQUEST" });
    expect(await errorOf(await api(s, "/clients?cursor=abc"))).toMatchObject({ code: "DCM_API_BAD_REQUEST" });
    const f = (await (await api(s, "/fragments?limit=2")).json()) as { fragments: Array<{ id: string }>; next: string };
    expect(f.fragments.map((x) => x.id)).toEqual(["hold", "quick"]);
    const rest = (await (await api(s, `/fragments?limit=2&cursor=${f.next}`)).json()) as {
      fragments: Array<{ id: string }>;
      next: string | null;
    };
    expect(rest).toMatchObject({ fragments: [{ id: "nap" }, { id: "gate-type" }], next: null });
  });

  it("counts placements per fragment as clients come, move and go", async () => {
    const s = await serve({ sessionRateLimit: false });
    const a = ((await (await session(s)).json()) as { clientId: string }).clientId;
    await session(s);
    const placement = async () =>
      (
        (await (await api(s, "/fragments")).json()) as { fragments: Array<{ id: string; placement: object }> }
      ).fragments.find((f) => f.id === "quick")!.placement;
    expect(await placement()).toEqual({ client: 0, server: 2 });
    const moved = await api(s, `/clients/${a}/fragments/quick`, { method: "PUT", body: '{"runOn":"client"}' });
    expect(moved.status).toBe(200);
    expect(await placement()).toEqual({ client: 1, server: 1 });
    // The list writes each client as GET /clients/{id} answers it: moved, untouched and connected ones alike.
    const b = (await (await session(s)).json()) as { clientId: string; accessToken: string };
    const ws = connect(s.wsUrl, { token: b.accessToken });
    await ws.next((m) => m.type === "updateFragments");
    const listed = ((await (await api(s, "/clients?limit=1000")).json()) as { clients: Array<{ clientId: string }> })
      .clients;
    expect(listed.length).toBe(3);
    for (const c of listed) expect(c).toEqual(await (await api(s, `/clients/${c.clientId}`)).json());
    expect(listed.find((c) => c.clientId === a)).toMatchObject({ distribution: { quick: "client", hold: "server" } });
    expect(listed.find((c) => c.clientId === b.clientId)).toMatchObject({
      connected: true,
      connectedAt: expect.any(String),
    });
    await ws.close();
    const reg = s.app.dcm.distributor.clients;
    reg.remove(reg.get(a)!);
    expect(await placement()).toEqual({ client: 0, server: 2 });
  });
});

describe("moving what cannot be called", () => {
  it("is refused with 400, naming the fragment and why", async () => {
    const s = await serve({ sessionRateLimit: false });
    const a = ((await (await session(s)).json()) as { clientId: string }).clientId;
    const r = await api(s, `/clients/${a}/fragments/gate-type`, { method: "PUT", body: '{"runOn":"client"}' });
    expect(r.status).toBe(400);
    const e = await errorOf(r);
    expect(e.code).toBe("DCM_NOT_CALLABLE");
    expect(e.message).toMatch(/"gate-type" cannot be moved: .*type/);
    const bulk = await api(s, "/distribution", {
      method: "POST",
      body: JSON.stringify({ changes: [{ clientId: a, fragmentId: "gate-type", runOn: "client" }] }),
    });
    expect(bulk.status).toBe(400);
    expect((await errorOf(bulk)).code).toBe("DCM_NOT_CALLABLE");
    const defaults = await api(s, "/defaults", { method: "PUT", body: '{"fragments":{"gate-type":"client"}}' });
    expect(defaults.status).toBe(400);
  });
});

describe("HTTP errors in the documented shape", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await serve();
  });

  it("404, echoing the path only cut short", async () => {
    const long = `/nope/${"x".repeat(3000)}`;
    const r = await fetch(`${s.url}${long}`);
    expect(r.status).toBe(404);
    const e = await errorOf(r);
    expect(e.code).toBe("DCM_HTTP_NOT_FOUND");
    expect(e.message.length).toBeLessThan(160);
    expect(e.message).toContain("/nope/xxx");
    const inApi = await api(s, long);
    expect(inApi.status).toBe(404);
    expect((await errorOf(inApi)).message.length).toBeLessThan(200);
    const file = await fetch(`${s.url}/dcm/dist/${"y".repeat(500)}.js`);
    expect(file.status).toBe(404);
    expect((await errorOf(file)).message.length).toBeLessThan(160);
  });

  it("413 for a body over the limit", async () => {
    const r = await fetch(`${s.url}/dcm/auth/session`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/json" },
      body: JSON.stringify({ pad: "z".repeat(2 * 1024 * 1024) }),
    });
    expect(r.status).toBe(413);
    expect((await errorOf(r)).code).toBe("DCM_REQUEST_TOO_LARGE");
    const inApi = await api(s, "/distribution", { method: "POST", body: JSON.stringify({ pad: "z".repeat(2 << 20) }) });
    expect(inApi.status).toBe(413);
    expect((await errorOf(inApi)).code).toBe("DCM_REQUEST_TOO_LARGE");
  });

  it("414 for a URL over the limit, before and inside Node's parser, and for a long path parameter", async () => {
    for (const n of [10_000, 40_000]) {
      const r = await raw(s, `GET /${"u".repeat(n)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(r.status, `URL of ${n}`).toBe(414);
      const e = JSON.parse(r.body) as { error: { code: string; message: string } };
      expect(e.error.code).toBe("DCM_REQUEST_TOO_LARGE");
      expect(e.error.message.length).toBeLessThan(120);
    }
    const param = await api(s, `/clients/${"p".repeat(150)}`);
    expect(param.status).toBe(414);
    expect((await errorOf(param)).code).toBe("DCM_REQUEST_TOO_LARGE");
  });

  it("431 for headers over the limit", async () => {
    const r = await raw(s, `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${"c".repeat(40_000)}\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(431);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: "DCM_REQUEST_TOO_LARGE" } });
  });
});

describe("security headers", () => {
  it("the page and every static file carry CSP, nosniff, no framing and no referrer", async () => {
    const s = await serve();
    for (const path of ["/", "/app.js", "/style.css", "/dcm/dist/manifest.json", "/dcm/runtime/client/index.js"]) {
      const r = await fetch(`${s.url}${path}`);
      expect(r.status, path).toBe(200);
      const csp = r.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toMatch(/script-src 'self' blob: 'wasm-unsafe-eval'(;|$)/);
      expect(csp, path).not.toContain("data: 'wasm"); // no data: scripts
      expect(csp, path).not.toContain("unsafe-inline");
      expect(r.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(r.headers.get("x-frame-options"), path).toBe("DENY");
      expect(r.headers.get("referrer-policy"), path).toBe("no-referrer");
      await r.arrayBuffer();
    }
  });
});
