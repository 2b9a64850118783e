/**
 * The example page (examples/web) in real Chromium (Debian's /usr/bin/chromium
 * driven by playwright-core) against the real server Code Distributor,
 * configured the way `dcm run` is, plus the API Controller and the web
 * extension (runtime/client/serve-web.ts) that serves the compiled client
 * runtime and the page. The page loads build/runtime/client/*.js, so
 * `npm run build` must have run.
 *
 * Skipped (with a message) only when /usr/bin/chromium is missing:
 * `bash scripts/install-browser.sh` installs it.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DcmClient } from "../../runtime/client/client-distributor.js";
import { webExtension } from "../../runtime/client/serve-web.js";
import { registerApiController } from "../../runtime/server/api/index.js";
import { createDcmServer, type DcmServer } from "../../runtime/server/create-server.js";
import { ROOT } from "../support/run-cli.js";
import { type BuiltDist, buildSmall } from "./build-fixture.js";
import { browserImportProblems } from "./import-graph.js";
import { API_KEY, KEY } from "./server-harness.js";

/** What examples/web/app.js puts on `window` for tests and the console. */
interface DemoWindow {
  dcmDemo: {
    client: DcmClient;
    callJson(
      id: string,
      argsJson: string,
    ): Promise<{ ok: boolean; json?: string; ranOn?: string; ms?: number; code?: string }>;
    moveFragment(id: string, side: string): Promise<unknown>;
    getToken(): Promise<string>;
    tokenClientId(token: string): string | null;
    bench(id: string, argsJson: string, n: number): Promise<Record<string, number | string>>;
  };
}

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `test/client/browser.spec.ts: SKIPPED — ${CHROMIUM} is missing. Install it with \`bash scripts/install-browser.sh\`.`,
  );
}

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

let built: BuiltDist;
let app: DcmServer;
let base: string;
let port = 0;
let browser: Browser;
let profileDir: string;
const pageErrors: string[] = [];

/** Starts the server the way `dcm run` does: own origin allowed once the port is known. */
async function startServer(onPort = 0): Promise<void> {
  app = await createDcmServer({
    dist: built.dist,
    auth: { keys: [KEY] },
    allowedOrigins: [],
    workers: 2,
    apiKeys: [API_KEY],
    extensions: [
      async (a, ctx) => {
        await registerApiController(a, { control: ctx.control, apiKeys: ctx.apiKeys });
      },
      webExtension(),
    ],
  });
  base = await app.listen({ port: onPort, host: "127.0.0.1" });
  port = Number(new URL(base).port);
  app.dcm.distributor.opts.allowedOrigins.push(base);
}

beforeAll(async () => {
  if (!haveChromium) return;
  if (!existsSync(join(ROOT, "build/runtime/client/index.js")))
    throw new Error("build/runtime/client is missing: run `npm run build` first");
  built = await buildSmall();
  await startServer();
  profileDir = await mkdtemp(join(tmpdir(), "dcm-chromium-"));
  // launch() gives every run a fresh temporary profile; profileDir holds its crash dumps and downloads.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, downloadsPath: profileDir, timeout: 60_000 });
});

afterAll(async () => {
  await browser?.close().catch(() => {});
  await app?.close().catch(() => {});
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
  await built?.cleanup();
});

async function openPage(ctx: BrowserContext, query = ""): Promise<Page> {
  const page = await ctx.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${base}/${query}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  await page.waitForFunction(() => (window as unknown as DemoWindow).dcmDemo.client.connected, null, {
    timeout: 15_000,
  });
  return page;
}

const whereIs = (page: Page, id: string) =>
  page.evaluate((i) => (window as unknown as DemoWindow).dcmDemo.client.where(i), id);
const clientIdOf = (page: Page) =>
  page.evaluate(() => (window as unknown as DemoWindow).dcmDemo.client.clientId as string);
const callJson = (page: Page, id: string, args: string) =>
  page.evaluate(([i, a]) => (window as unknown as DemoWindow).dcmDemo.callJson(i, a), [id, args] as const) as Promise<{
    ok: boolean;
    json?: string;
    ranOn?: string;
    ms?: number;
    code?: string;
  }>;

async function waitWhere(page: Page, id: string, side: string): Promise<void> {
  await page.waitForFunction(
    ([i, s]) => (window as unknown as DemoWindow).dcmDemo.client.where(i) === s,
    [id, side] as const,
    {
      timeout: 10_000,
    },
  );
}

async function restPut(clientId: string, fragment: string, runOn: string): Promise<void> {
  const res = await fetch(`${base}/dcm/api/clients/${clientId}/fragments/${fragment}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ runOn }),
  });
  if (res.status !== 200) throw new Error(`PUT ${fragment} -> ${runOn}: ${res.status} ${await res.text()}`);
}

const CASES: Array<[string, string, string]> = [
  ["add", "[2, 40]", "42"],
  ["add", "[4611686018427387904, 4611686018427387903]", "9223372036854775807"],
  ["add", "[-9223372036854775808, 0]", "-9223372036854775808"],
  ["shout", '["hello"]', '"HELLO!"'],
  // Go's strings.ToUpper keeps ß: both sides run the same Go code.
  ["shout", '["grüße ✓"]', '"GRÜßE ✓!"'],
  ["shout", '[""]', '"!"'],
];

describe.skipIf(!haveChromium)("example page in Chromium", () => {
  it("serves only browser-safe runtime files, and they import nothing but relative .js modules", async () => {
    expect(
      browserImportProblems([
        join(ROOT, "build/runtime/client/index.js"),
        join(ROOT, "build/runtime/client/executor-worker.js"),
      ]),
    ).toEqual([]);
    for (const path of [
      "/dcm/runtime/client/index.js",
      "/dcm/runtime/client/executor-worker.js",
      "/dcm/runtime/abi/dcm-wasm-instance.js",
    ]) {
      const r = await fetch(base + path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/text\/javascript/);
    }
    for (const path of [
      "/dcm/runtime/server/create-server.js",
      "/dcm/runtime/node/load-dist.js",
      "/dcm/runtime/client/node-endpoint.js",
      "/dcm/runtime/client/node-client.js",
      "/dcm/runtime/client/serve-web.js",
      "/dcm/runtime/client/../server/auth.js",
      "/dcm/runtime/client/%2e%2e/server/auth.js",
      "/dcm/runtime/client/index.d.ts",
      "/dcm/dist/server/go.so",
      "/..%2fpackage.json",
    ]) {
      const r = await fetch(base + path);
      expect(r.status, path).toBe(404);
    }
  });

  it("calls every fragment on the client and on the server with equal results", async () => {
    const ctx = await browser.newContext();
    try {
      const page = await openPage(ctx);
      await page.fill("#api-key", API_KEY);
      for (const side of ["client", "server"]) {
        for (const id of ["add", "shout"]) {
          await page.evaluate(([i, s]) => (window as unknown as DemoWindow).dcmDemo.moveFragment(i, s), [
            id,
            side,
          ] as const);
          await waitWhere(page, id, side);
        }
        for (const [id, args, expected] of CASES) {
          const r = await callJson(page, id, args);
          expect(r, `${id}(${args}) on the ${side}`).toMatchObject({ ok: true, json: expected, ranOn: side });
          // The page shows it.
          expect(await page.textContent(`#row-${id} td.result`)).toBe(expected);
        }
      }
      // Bad arguments are reported, not thrown.
      expect(await callJson(page, "add", '["x", 1]')).toMatchObject({ ok: false, code: "DCM_BAD_ARGUMENTS" });
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it("migrates a fragment mid-session with the page's toggle (REST API): the next call runs on the other side", async () => {
    const ctx = await browser.newContext();
    try {
      const page = await openPage(ctx);
      expect(await whereIs(page, "shout")).toBe("server");
      expect(await callJson(page, "shout", '["one"]')).toMatchObject({ json: '"ONE!"', ranOn: "server" });

      // Without a key the toggle reports the API's refusal.
      await page.click("#row-shout button:has-text('move to client')");
      await page.waitForFunction(() => document.querySelector("#error")!.textContent!.includes("API key"));

      await page.fill("#api-key", API_KEY);
      await page.click("#row-shout button:has-text('move to client')");
      await waitWhere(page, "shout", "client");
      await page.fill("#row-shout input.args", '["hello"]');
      await page.click("#row-shout button:has-text('call')");
      await page.waitForFunction(() => document.querySelector("#row-shout td:nth-child(6)")!.textContent === "client");
      expect(await page.textContent("#row-shout td.result")).toBe('"HELLO!"');

      await page.click("#row-shout button:has-text('move to server')");
      await waitWhere(page, "shout", "server");
      expect(await callJson(page, "shout", '["two"]')).toMatchObject({ json: '"TWO!"', ranOn: "server" });
      const server = app.dcm.distributor.getClient(await clientIdOf(page))!;
      expect(server.distribution).toEqual({ add: "client", shout: "server" });
      expect(server.version).toBe(3);
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it("the server runs a fragment in the browser (callOnClient and POST /clients/{id}/calls), and on the server once it moved", async () => {
    const ctx = await browser.newContext();
    try {
      const page = await openPage(ctx);
      const id = await clientIdOf(page);
      const ranInPage = () =>
        page.evaluate(
          () =>
            (window as unknown as DemoWindow).dcmDemo.client
              .records()
              .filter((r) => r.fragment === "add" && r.ranOn === "client").length,
        );
      expect(await ranInPage()).toBe(0);
      const direct = await app.dcm.distributor.callOnClient(id, "add", [40n, 2n]);
      expect(direct).toMatchObject({ value: 42n, ranOn: "client" });
      expect(await ranInPage()).toBe(1);

      const res = await fetch(`${base}/dcm/api/clients/${id}/calls`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ fragment: "add", args: [1, { $i: "9007199254740993" }] }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ value: { $i: "9007199254740994" }, ranOn: "client" });
      expect(await ranInPage()).toBe(2);

      await app.dcm.distributor.setLocation(id, "add", "server");
      await waitWhere(page, "add", "server");
      expect(await app.dcm.distributor.callOnClient(id, "add", [1n, 1n])).toMatchObject({ value: 2n, ranOn: "server" });
      expect(await ranInPage()).toBe(2);
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it("keeps two browser contexts on different distributions", async () => {
    const a = await browser.newContext();
    const b = await browser.newContext();
    try {
      const [pa, pb] = await Promise.all([openPage(a), openPage(b)]);
      const [ida, idb] = await Promise.all([clientIdOf(pa), clientIdOf(pb)]);
      expect(ida).not.toBe(idb);
      // A reconnect's token comes from the refresh cookie: same client id, so the distribution is kept.
      const again = await pa.evaluate(async () => {
        const d = (window as unknown as DemoWindow).dcmDemo;
        return d.tokenClientId(await d.getToken());
      });
      expect(again).toBe(ida);
      await restPut(ida, "shout", "client");
      await restPut(ida, "add", "server");
      await waitWhere(pa, "shout", "client");
      await waitWhere(pa, "add", "server");
      expect(await callJson(pa, "shout", '["a"]')).toMatchObject({ json: '"A!"', ranOn: "client" });
      expect(await callJson(pa, "add", "[1, 2]")).toMatchObject({ json: "3", ranOn: "server" });
      expect(await callJson(pb, "shout", '["b"]')).toMatchObject({ json: '"B!"', ranOn: "server" });
      expect(await callJson(pb, "add", "[1, 2]")).toMatchObject({ json: "3", ranOn: "client" });
      expect(app.dcm.distributor.getClient(idb)!.distribution).toEqual({ add: "client", shout: "server" });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("runs warm client WASM calls through the worker pool's shared-memory fast path and in-thread", async () => {
    // How fast: bench/browser-calls.ts (the same page's dcmDemo.bench, with more calls).
    const ctx = await browser.newContext();
    try {
      for (const query of ["?executor=worker&workers=2", "?executor=in-thread"]) {
        const page = await openPage(ctx, query);
        const id = await clientIdOf(page);
        await restPut(id, "shout", "client");
        await waitWhere(page, "shout", "client");
        for (const [fragment, args] of [
          ["add", "[1, 2]"],
          ["shout", '["hello"]'],
        ] as const) {
          const r = (await page.evaluate(([i, a]) => (window as unknown as DemoWindow).dcmDemo.bench(i, a, 300), [
            fragment,
            args,
          ] as const)) as Record<string, number | string>;
          expect(r.ranOn).toBe("client");
          expect(r.executor).toBe(query.includes("in-thread") ? "in-thread" : "worker");
          // The page is cross-origin isolated, so the worker pool uses its shared-memory fast path.
          expect(r.crossOriginIsolated).toBe(true);
          if (r.executor === "worker") expect(r.fastCalls as number).toBeGreaterThan(0);
        }
        await page.close();
      }
    } finally {
      await ctx.close();
    }
  });

  it("falls back to local calls when the server stops and follows it again after a restart", async () => {
    const ctx = await browser.newContext();
    try {
      const page = await openPage(ctx);
      expect(await callJson(page, "shout", '["up"]')).toMatchObject({ ranOn: "server" });
      const oldPort = port;
      await app.close();
      await page.waitForFunction(() => !(window as unknown as DemoWindow).dcmDemo.client.connected, null, {
        timeout: 10_000,
      });
      expect(await callJson(page, "shout", '["down"]')).toMatchObject({ ok: true, json: '"DOWN!"', ranOn: "client" });
      expect(await callJson(page, "add", "[20, 22]")).toMatchObject({ ok: true, json: "42", ranOn: "client" });
      expect(await page.textContent("#state")).not.toBe("open");

      await startServer(oldPort);
      await page.waitForFunction(() => (window as unknown as DemoWindow).dcmDemo.client.connected, null, {
        timeout: 20_000,
      });
      expect(await callJson(page, "shout", '["back"]')).toMatchObject({ ok: true, json: '"BACK!"', ranOn: "server" });
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
