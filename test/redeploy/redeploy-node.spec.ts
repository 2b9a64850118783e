/**
 * Live redeploy end to end in Node: a real server (create-server + API
 * Controller), real Node clients (in-thread executors), real builds of
 * test/redeploy/fixtures/app. Clients keep calling on both sides while
 * `PUT /dcm/api/dist` replaces the dist: no call fails, calls after the
 * switch return the new build's results, a client that cannot load the new
 * modules keeps its old ones, and a broken or hostile upload leaves the
 * running dist untouched. State across a redeploy: redeploy-state.spec.ts.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DcmClient } from "../../runtime/client/client-distributor.js";
import { createClient } from "../../runtime/client/node-client.js";
import type { RedeployEvent } from "../../runtime/client/redeploy.js";
import { gzipSync } from "node:zlib";
import { tarBytes, tarGz } from "../support/archive-builders.js";
import { API_KEY, type RunningServer, startServer, wsWithOrigin } from "../client/server-harness.js";
import { type Built, buildVersions } from "./redeploy-fixture.js";

let builds: Built[];
let cleanup: () => Promise<void>;

beforeAll(async () => {
  // Three builds of the same application, each answering with its own version.
  ({ builds, cleanup } = await buildVersions([{ version: "v1" }, { version: "v2" }, { version: "v3" }]));
}, 120_000);

afterAll(async () => {
  await cleanup?.();
});

async function put(s: RunningServer, body: Buffer, headers: Record<string, string> = {}) {
  const r = await fetch(`${s.url}/dcm/api/dist`, {
    method: "PUT",
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/gzip", ...headers },
    body: new Uint8Array(body),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

async function client(s: RunningServer, doFetch?: typeof fetch): Promise<DcmClient> {
  const c = await createClient({
    ...(doFetch ? { fetch: doFetch } : {}),
    url: s.wsUrl,
    getToken: async () => (await s.app.dcm.distributor.issueAccessToken()).accessToken,
    manifestUrl: `${s.url}/dcm/dist/manifest.json`,
    executor: "in-thread",
    WebSocket: wsWithOrigin(),
    heartbeatMs: 0,
    reportStats: false,
  });
  await c.whenConnected(10_000);
  return c;
}

function nextRedeploy(c: DcmClient): Promise<RedeployEvent> {
  return new Promise((resolve) => {
    const off = c.on("redeploy", (e) => {
      off();
      resolve(e);
    });
  });
}

interface Outcome {
  fragment: string;
  x: number;
  startedAt: number;
  value?: unknown;
  error?: string;
}

/** Calls label (client) and tag (server) in turn until stopped. */
function keepCalling(c: DcmClient, out: Outcome[]): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    let x = 0;
    while (!stopped) {
      x++;
      for (const fragment of ["label", "tag"]) {
        const o: Outcome = { fragment, x, startedAt: performance.now() };
        try {
          o.value = await c.call(fragment, [x]);
        } catch (e) {
          o.error = `${(e as { code?: string }).code}: ${(e as Error).message}`;
        }
        out.push(o);
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

describe("live redeploy (Node)", () => {
  it("switches clients calling on both sides to the new build with no failed call", async () => {
    const [v1, v2] = builds as [Built, Built];
    const s = await startServer(v1.dist);
    const clients = [await client(s), await client(s)];
    try {
      const outcomes = clients.map(() => [] as Outcome[]);
      const loops = clients.map((c, i) => keepCalling(c, outcomes[i]!));
      await new Promise((r) => setTimeout(r, 300));
      const events = clients.map(nextRedeploy);
      const r = await put(s, await v2.tarGz());
      const answeredAt = performance.now();
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ id: v2.manifest.buildKey, previous: v1.manifest.buildKey, clients: 2, added: [], removed: [] });
      expect(r.body.stateReset).toEqual([]);
      const got = await Promise.all(events);
      const switchedAt = performance.now();
      for (const e of got) expect(e).toMatchObject({ id: v2.manifest.buildKey, ok: true, stateReset: [] });
      await new Promise((res) => setTimeout(res, 300));
      await Promise.all(loops.map((l) => l.stop()));
      for (const [i, out] of outcomes.entries()) {
        expect(out.filter((o) => o.error), `client ${i}: failed calls`).toEqual([]);
        const side = (f: string) => (f === "label" ? "client" : "server");
        // Every answer is one build's or the other's, for the right side and argument.
        for (const o of out) expect(o.value).toMatch(new RegExp(`^v[12]:${side(o.fragment)}:${o.x}$`));
        expect(out.some((o) => o.value === `v1:client:${o.x}`)).toBe(true);
        // Server calls made after the PUT answered run the new build; every call after the client's switch does.
        for (const o of out.filter((o) => o.fragment === "tag" && o.startedAt > answeredAt)) expect(o.value).toMatch(/^v2:/);
        const after = out.filter((o) => o.startedAt > switchedAt);
        expect(after.length).toBeGreaterThan(4);
        for (const o of after) expect(o.value).toMatch(/^v2:/);
        expect(clients[i]!.manifest.buildKey).toBe(v2.manifest.buildKey);
      }
      // New page loads get the new dist; the versioned path serves both builds, immutable.
      const m = (await (await fetch(`${s.url}/dcm/dist/manifest.json`)).json()) as { buildKey: string };
      expect(m.buildKey).toBe(v2.manifest.buildKey);
      for (const b of [v1, v2]) {
        const res = await fetch(`${s.url}/dcm/dists/${b.manifest.buildKey}/manifest.json`);
        expect(res.status).toBe(200);
        expect(res.headers.get("cache-control")).toContain("immutable");
        expect(((await res.json()) as { buildKey: string }).buildKey).toBe(b.manifest.buildKey);
      }
      // The server knows the clients run the new build.
      const deployed = [...s.app.dcm.distributor.clients.all()].map((c) => c.deployApplied);
      expect(deployed).toEqual([v2.manifest.buildKey, v2.manifest.buildKey]);
    } finally {
      for (const c of clients) await c.close();
      await s.close();
    }
  }, 60_000);

  it("keeps the old modules when the new ones cannot be loaded, says so, and switches on the next deploy", async () => {
    const [v1, v2, v3] = builds as [Built, Built, Built];
    const s = await startServer(v1.dist);
    // This client's network refuses the versioned dist paths until `reachable`.
    let reachable = false;
    const c = await client(s, (input, init) => {
      const u = String(input instanceof Request ? input.url : input);
      if (!reachable && u.includes("/dists/")) return Promise.resolve(new Response("gone", { status: 503 }));
      return fetch(input, init);
    });
    try {
      let e = nextRedeploy(c);
      expect((await put(s, await v2.tarGz())).status).toBe(200);
      const failed = await e;
      expect(failed).toMatchObject({ id: v2.manifest.buildKey, ok: false });
      expect((failed as { error: { code: string; message: string } }).error.code).toBe("DCM_REDEPLOY_LOAD_FAILED");
      expect((failed as { error: { message: string } }).error.message).toMatch(/HTTP 503/);
      // Local calls stay on the modules it has; server calls run the new build.
      expect(c.manifest.buildKey).toBe(v1.manifest.buildKey);
      expect(await c.call("label", [1])).toBe("v1:client:1");
      expect(await c.call("tag", [1])).toBe("v2:server:1");
      reachable = true;
      e = nextRedeploy(c);
      expect((await put(s, await v3.tarGz())).status).toBe(200);
      expect(await e).toMatchObject({ id: v3.manifest.buildKey, ok: true });
      expect(await c.call("label", [2])).toBe("v3:client:2");
      expect(await c.call("tag", [2])).toBe("v3:server:2");
    } finally {
      await c.close();
      await s.close();
    }
  }, 60_000);

  it("a client that starts from an older dist after a deploy switches on connect", async () => {
    const [v1, v2] = builds as [Built, Built];
    const s = await startServer(v1.dist);
    let c: DcmClient | undefined;
    try {
      expect((await put(s, await v2.tarGz())).status).toBe(200);
      // A Node client with the old dist folder on disk (or a page loaded before the deploy).
      c = await createClient({
        url: s.wsUrl,
        getToken: async () => (await s.app.dcm.distributor.issueAccessToken()).accessToken,
        dist: v1.dist,
        executor: "in-thread",
        WebSocket: wsWithOrigin(),
        heartbeatMs: 0,
        reportStats: false,
      });
      const e = nextRedeploy(c);
      await c.whenConnected(10_000);
      expect(await e).toMatchObject({ id: v2.manifest.buildKey, ok: true });
      expect(await c.call("label", [3])).toBe("v2:client:3");
    } finally {
      await c?.close();
      await s.close();
    }
  }, 60_000);

  it("refuses broken and hostile uploads with the reason and keeps the running dist", async () => {
    const [v1, v2] = builds as [Built, Built];
    const s = await startServer(v1.dist);
    const c = await client(s);
    try {
      // The v2 dist's files, to be damaged one way or another.
      const files = await (async () => {
        const out: Array<{ name: string; data: Buffer }> = [];
        const walk = async (d: string) => {
          for (const e of await readdir(d, { withFileTypes: true })) {
            const p = join(d, e.name);
            if (e.isDirectory()) await walk(p);
            else out.push({ name: relative(v2.dist, p), data: await readFile(p) });
          }
        };
        await walk(v2.dist);
        return out;
      })();
      const pack = (items: Array<{ name: string; data: Buffer | string }>) => gzipSync(tarBytes(items));
      const moduleFile = v2.manifest.modules[0]!.file;
      const cases: Array<{ what: string; body: Buffer; status: number; code: RegExp }> = [
        { what: "not an archive", body: Buffer.from("just text"), status: 400, code: /^DCM_DEPLOY_NOT_A_DIST$/ },
        { what: "a zip", body: Buffer.from("PK\u0003\u0004rest"), status: 400, code: /^DCM_DEPLOY_NOT_A_DIST$/ },
        // Bigger than fastify's default 1 MiB body limit: read in full, then refused for what it is.
        { what: "3 MiB of zeros", body: Buffer.alloc(3 * 1024 * 1024), status: 400, code: /^DCM_DEPLOY_NOT_A_DIST$/ },
        { what: "no manifest", body: pack(files.filter((f) => f.name !== "manifest.json")), status: 400, code: /^DCM_MANIFEST_INVALID$/ },
        {
          what: "a manifest that is not JSON",
          body: pack(files.map((f) => (f.name === "manifest.json" ? { name: f.name, data: "{" } : f))),
          status: 400,
          code: /^DCM_MANIFEST_INVALID$/,
        },
        {
          what: "a module altered after the build",
          body: pack(files.map((f) => (f.name === moduleFile ? { name: f.name, data: Buffer.concat([f.data, Buffer.from("//x")]) } : f))),
          status: 400,
          code: /^DCM_MODULE_CORRUPT$/,
        },
        { what: "a module missing", body: pack(files.filter((f) => f.name !== moduleFile)), status: 400, code: /^DCM_MODULE_MISSING$/ },
        { what: "an entry escaping the folder", body: tarGz([{ name: "../evil.js", data: "x" }]), status: 422, code: /^DCM_ARCHIVE_/ },
        {
          what: "a symbolic link out of the folder",
          body: tarGz([...files, { name: "link", type: "2", linkname: "/etc/passwd" }]),
          status: 422,
          code: /^DCM_ARCHIVE_/,
        },
      ];
      for (const k of cases) {
        const r = await put(s, k.body);
        expect(r.status, `${k.what}: ${JSON.stringify(r.body)}`).toBe(k.status);
        expect(r.body.error?.code, k.what).toMatch(k.code);
        expect(r.body.error?.message.length, k.what).toBeGreaterThan(10);
      }
      // Without the API key: 401, nothing read.
      const anon = await fetch(`${s.url}/dcm/api/dist`, { method: "PUT", headers: { "content-type": "application/gzip" }, body: new Uint8Array(await v2.tarGz()) });
      expect(anon.status).toBe(401);
      // The running dist is untouched: same build served, clients still on it and calling.
      const m = (await (await fetch(`${s.url}/dcm/dist/manifest.json`)).json()) as { buildKey: string };
      expect(m.buildKey).toBe(v1.manifest.buildKey);
      expect(s.app.dcm.distributor.manifest.buildKey).toBe(v1.manifest.buildKey);
      expect(await c.call("tag", [7])).toBe("v1:server:7");
      expect(await c.call("label", [7])).toBe("v1:client:7");
      // And a good dist still deploys afterwards.
      const ok = await put(s, await v2.tarGz());
      expect(ok.status).toBe(200);
    } finally {
      await c.close();
      await s.close();
    }
  }, 60_000);
});
