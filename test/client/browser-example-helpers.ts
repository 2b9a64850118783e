/**
 * Helpers for test/client/browser-example.spec.ts: the real server Code
 * Distributor configured the way `dcm run` is (API Controller + the web
 * extension serving the compiled client runtime and examples/web), Debian's
 * Chromium, and the example page's `window.dcmDemo` driven from Node.
 *
 * Same setup as test/client/browser.spec.ts (whose module state cannot be
 * imported without also registering its tests), for any dist.
 */
import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { webExtension } from "../../runtime/client/serve-web.js";
import { registerApiController } from "../../runtime/server/api/index.js";
import { createDcmServer, type DcmServer } from "../../runtime/server/create-server.js";
import { API_KEY, KEY } from "./server-harness.js";

export const CHROMIUM = "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);

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

/** What examples/web/app.js puts on `window`, plus the call records this file collects. */
interface DemoWindow {
  dcmDemo: {
    client: {
      connected: boolean;
      where(id: string): string;
      on(event: "call", fn: (r: { fragment: string; ranOn: string; retried: boolean }) => void): unknown;
    };
    callJson(id: string, argsJson: string): Promise<{ ok: boolean; json?: string; code?: string; message?: string }>;
    moveFragment(id: string, side: string): Promise<unknown>;
  };
  __dcmCalls: Array<{ fragment: string; ranOn: string; retried: boolean }>;
}

export interface WebServer {
  app: DcmServer;
  base: string;
  close(): Promise<void>;
}

/** Starts the server the way `dcm run` does: own origin allowed once the port is known. */
export async function startWebServer(dist: string): Promise<WebServer> {
  const app = await createDcmServer({
    dist,
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
  const base = await app.listen({ port: 0, host: "127.0.0.1" });
  app.dcm.distributor.opts.allowedOrigins.push(base);
  return { app, base, close: () => app.close() };
}

export function launchChromium(downloadsPath: string): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, downloadsPath, timeout: 60_000 });
}

/** What one call through the page's `dcmDemo.callJson` gave, plus where the client distributor ran it. */
export interface PageCall {
  ok: boolean;
  /** Canonical JSON of the results (ok) … */
  json?: string;
  /** … or the error (not ok). */
  code?: string;
  message?: string;
  /** From the client distributor's `call` event: set for failed calls too. */
  ranOn: string | null;
  retried: boolean | null;
}

/**
 * Opens the example page, waits until it is connected, pastes the API key
 * (for the page's own "move to …" requests) and records every call's
 * CallRecord on `window.__dcmCalls`.
 */
export async function openExamplePage(ctx: BrowserContext, base: string, errors: string[]): Promise<Page> {
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${base}/`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  await page.waitForFunction(() => (window as unknown as DemoWindow).dcmDemo.client.connected, null, {
    timeout: 15_000,
  });
  await page.fill("#api-key", API_KEY);
  await page.evaluate(() => {
    const w = window as unknown as DemoWindow;
    w.__dcmCalls = [];
    w.dcmDemo.client.on("call", (r) => w.__dcmCalls.push(r));
  });
  return page;
}

/** Calls `id` with the raw JSON argument text (parsed in the page, so big integers, bytes and maps survive). */
export function callInPage(page: Page, id: string, argsJson: string): Promise<PageCall> {
  return page.evaluate(
    async ([i, a]) => {
      const w = window as unknown as DemoWindow;
      w.__dcmCalls.length = 0;
      const r = await w.dcmDemo.callJson(i, a);
      const recs = w.__dcmCalls.filter((x) => x.fragment === i);
      const rec = recs[recs.length - 1];
      return {
        ok: r.ok,
        ...(r.ok ? { json: r.json } : { code: r.code, message: r.message }),
        ranOn: rec?.ranOn ?? null,
        retried: rec?.retried ?? null,
      };
    },
    [id, argsJson] as const,
  ) as Promise<PageCall>;
}

/** Moves a fragment with the page's own REST request (what its "move to …" toggle does) and waits for the push. */
export async function placeInPage(page: Page, id: string, side: "client" | "server"): Promise<void> {
  await page.evaluate(([i, s]) => (window as unknown as DemoWindow).dcmDemo.moveFragment(i, s), [id, side] as const);
  await page.waitForFunction(
    ([i, s]) => (window as unknown as DemoWindow).dcmDemo.client.where(i) === s,
    [id, side] as const,
    {
      timeout: 10_000,
    },
  );
}
