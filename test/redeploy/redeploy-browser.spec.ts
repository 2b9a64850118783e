/**
 * Live redeploy in real Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core): the example page (examples/web, served by the web
 * extension as `dcm run` does) keeps calling a client-side and a
 * server-side fragment of test/redeploy/fixtures/app while
 * `PUT /dcm/api/dist` deploys a new build; the page switches to the new
 * modules without a reload and no call fails.
 *
 * Skipped (with a message) only when /usr/bin/chromium is missing:
 * `bash scripts/install-browser.sh` installs it.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DcmClient } from "../../runtime/client/client-distributor.js";
import { webExtension } from "../../runtime/client/serve-web.js";
import { registerApiController } from "../../runtime/server/api/index.js";
import { createDcmServer, type DcmServer } from "../../runtime/server/create-server.js";
import { API_KEY, KEY } from "../client/server-harness.js";
import { type Built, buildVersions } from "./redeploy-fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`test/redeploy/redeploy-browser.spec.ts: SKIPPED — ${CHROMIUM} is missing (bash scripts/install-browser.sh).`);

let builds: Built[];
let cleanup: () => Promise<void>;
let app: DcmServer;
let base: string;
let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  ({ builds, cleanup } = await buildVersions([{ version: "v1" }, { version: "v2" }]));
  app = await createDcmServer({
    dist: builds[0]!.dist,
    auth: { keys: [KEY] },
    allowedOrigins: [],
    workers: 2,
    apiKeys: [API_KEY],
    extensions: [async (a, ctx) => registerApiController(a, { control: ctx.control, apiKeys: ctx.apiKeys }), webExtension()],
  });
  base = await app.listen({ port: 0, host: "127.0.0.1" });
  app.dcm.distributor.opts.allowedOrigins.push(base);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    timeout: 60_000,
  });
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await app?.close().catch(() => {});
  await cleanup?.();
});

interface PageState {
  results: Array<{ fragment: string; x: number; value?: string; error?: string; build: string }>;
  events: unknown[];
  stop: boolean;
}

describe.skipIf(!haveChromium)("live redeploy (Chromium)", () => {
  it("a page that keeps calling switches to the new build without a reload, no call failing", async () => {
    const [v1, v2] = builds as [Built, Built];
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${base}/`);
    await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
    await page.waitForFunction(() => (window as unknown as { dcmDemo: { client: DcmClient } }).dcmDemo.client.connected, null, {
      timeout: 15_000,
    });
    const loadedAt = await page.evaluate(() => performance.timeOrigin);
    // The page's loop: label (client) and tag (server) in turn, recording the build each answer came from.
    await page.evaluate(() => {
      const w = window as unknown as { dcmDemo: { client: DcmClient }; rd: PageState };
      const client = w.dcmDemo.client;
      w.rd = { results: [], events: [], stop: false };
      client.on("redeploy", (e) => w.rd.events.push(e));
      void (async () => {
        let x = 0;
        while (!w.rd.stop) {
          x++;
          for (const fragment of ["label", "tag"]) {
            try {
              const value = (await client.call(fragment, [x])) as string;
              w.rd.results.push({ fragment, x, value, build: client.manifest.buildKey });
            } catch (e) {
              w.rd.results.push({ fragment, x, error: `${(e as { code?: string }).code}: ${(e as Error).message}`, build: "" });
            }
          }
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
    });
    await page.waitForFunction(() => (window as unknown as { rd: PageState }).rd.results.length > 20);
    const r = await fetch(`${base}/dcm/api/dist`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/gzip" },
      body: new Uint8Array(await v2.tarGz()),
    });
    expect(r.status, await r.clone().text()).toBe(200);
    expect(((await r.json()) as { clients: number }).clients).toBe(1);
    await page.waitForFunction(() => (window as unknown as { rd: PageState }).rd.events.length > 0, null, { timeout: 30_000 });
    const n = await page.evaluate(() => (window as unknown as { rd: PageState }).rd.results.length);
    await page.waitForFunction((k) => (window as unknown as { rd: PageState }).rd.results.length > k + 20, n);
    const state = await page.evaluate(() => {
      const w = window as unknown as { rd: PageState };
      w.rd.stop = true;
      return w.rd;
    });
    expect(state.events).toEqual([expect.objectContaining({ id: v2.manifest.buildKey, ok: true })]);
    expect(state.results.filter((x) => x.error)).toEqual([]);
    const side = (f: string) => (f === "label" ? "client" : "server");
    for (const x of state.results) expect(x.value).toMatch(new RegExp(`^v[12]:${side(x.fragment)}:${x.x}$`));
    // Local answers come from the build the page ran at that moment; after the switch, every answer is v2's.
    for (const x of state.results.filter((x) => x.fragment === "label"))
      expect(x.value!.slice(0, 2)).toBe(x.build === v2.manifest.buildKey ? "v2" : "v1");
    expect(state.results.slice(-10).every((x) => x.value!.startsWith("v2:"))).toBe(true);
    expect(state.results.some((x) => x.value!.startsWith("v1:"))).toBe(true);
    // No reload: the same document throughout.
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(loadedAt);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
