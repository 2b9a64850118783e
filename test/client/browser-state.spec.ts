/**
 * Stateful groups moving both ways in real Chromium (the example page,
 * examples/web, with the worker-pool executor) against the real server:
 * state built up on the server continues in the browser after a move, and
 * back. Runs the languages' real state fixtures (built with `dcm build`)
 * whose manifests hold the contract's groups, and the hand-written glue
 * dist. The page loads build/runtime/client/*.js: `npm run build` first.
 *
 * Skipped (with a message) only when /usr/bin/chromium is missing.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DcmClient } from "../../runtime/client/client-distributor.js";
import { webExtension } from "../../runtime/client/serve-web.js";
import { registerApiController } from "../../runtime/server/api/index.js";
import { createDcmServer, type DcmServer } from "../../runtime/server/create-server.js";
import { writeGlueDist } from "../../bench/state-glue-dist.js";
import { ROOT } from "../support/run-cli.js";
import { buildStateFixture, stateFixtureLanguages, stateFixtureProblem } from "../support/state-fixtures.js";
import { API_KEY, KEY } from "./server-harness.js";

interface DemoWindow {
  dcmDemo: {
    client: DcmClient;
    callJson(id: string, argsJson: string): Promise<{ ok: boolean; json?: string; ranOn?: string; code?: string }>;
  };
}

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`test/client/browser-state.spec.ts: SKIPPED — ${CHROMIUM} is missing (bash scripts/install-browser.sh).`);

/** The browser run covers every language whose fixture is there. */
const BROWSER_LANGS = ["typescript", "go", "rust", "assemblyscript"];

interface Target {
  name: string;
  dist: string;
  cleanup(): Promise<void>;
}

let browser: Browser;
let profileDir: string;
const targets: Target[] = [];
const skipped: string[] = [];

beforeAll(async () => {
  if (!haveChromium) return;
  if (!existsSync(join(ROOT, "build/runtime/client/index.js")))
    throw new Error("build/runtime/client is missing: run `npm run build` first");
  const g = await writeGlueDist();
  targets.push({ name: "glue", dist: g.dist, cleanup: g.cleanup });
  for (const lang of stateFixtureLanguages().filter((l) => BROWSER_LANGS.includes(l))) {
    const b = await buildStateFixture(lang);
    // Before core's grouping is in the build the manifest has no `groups`: say so; otherwise the fixture must fit.
    if (b.manifest.groups === undefined) {
      skipped.push(`${lang}: the manifest has no \`groups\``);
      await b.cleanup();
      continue;
    }
    const problem = stateFixtureProblem(b.manifest);
    if (problem) throw new Error(`languages/${lang}/fixtures/state: ${problem}`);
    targets.push({ name: lang, dist: b.dist, cleanup: b.cleanup });
  }
  if (skipped.length) console.warn(`browser-state: languages not run: ${skipped.join("; ")}`);
  console.log(`browser-state: targets ${targets.map((t) => t.name).join(", ")}`);
  profileDir = await mkdtemp(join(tmpdir(), "dcm-chromium-state-"));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-component-update"],
    downloadsPath: profileDir,
    timeout: 60_000,
  });
}, 600_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  for (const t of targets) await t.cleanup();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

async function serve(dist: string): Promise<{ app: DcmServer; base: string }> {
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
  return { app, base };
}

const call = (page: Page, id: string, args: string) =>
  page.evaluate(([i, a]) => (window as unknown as DemoWindow).dcmDemo.callJson(i, a), [id, args] as const);

describe.skipIf(!haveChromium)("stateful groups in Chromium", () => {
  it("moves each group with its state to the browser and back (every target)", async () => {
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) {
      const { app, base } = await serve(t.dist);
      const ctx = await browser.newContext();
      const errors: string[] = [];
      try {
        const page = await ctx.newPage();
        page.on("pageerror", (e) => errors.push(e.message));
        await page.goto(`${base}/`);
        await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
        await page.waitForFunction(() => (window as unknown as DemoWindow).dcmDemo.client.connected, null, { timeout: 15_000 });
        const clientId = await page.evaluate(() => (window as unknown as DemoWindow).dcmDemo.client.clientId as string);
        const put = async (fragment: string, runOn: string) => {
          const res = await fetch(`${base}/dcm/api/clients/${clientId}/fragments/${fragment}`, {
            method: "PUT",
            headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
            body: JSON.stringify({ runOn }),
          });
          expect(res.status, `${t.name}: PUT ${fragment} ${runOn}: ${await res.clone().text()}`).toBe(200);
          return (await res.json()) as { moved: string[] };
        };
        // Start every group on the server, then build up state there.
        for (const f of ["counter-add", "log-append", "blob-put"]) await put(f, "server");
        expect(await call(page, "counter-add", "[5]"), t.name).toMatchObject({ ok: true, json: "5", ranOn: "server" });
        expect(await call(page, "log-append", '["ä"]'), t.name).toMatchObject({ ok: true, json: "1", ranOn: "server" });
        expect(await call(page, "blob-put", '["AAEC"]'), t.name).toMatchObject({ ok: true, json: "3", ranOn: "server" });
        // To the browser: the state continues there.
        expect((await put("counter-get", "client")).moved).toEqual(["counter-add", "counter-get"]);
        await put("log-join", "client");
        await put("blob-size", "client");
        expect(await call(page, "counter-add", "[2]"), t.name).toMatchObject({ ok: true, json: "7", ranOn: "client" });
        expect(await call(page, "log-append", '["b"]'), t.name).toMatchObject({ ok: true, json: "2", ranOn: "client" });
        expect(await call(page, "log-join", "[]"), t.name).toMatchObject({ ok: true, json: '"ä,b"', ranOn: "client" });
        expect(await call(page, "blob-size", "[]"), t.name).toMatchObject({ ok: true, json: "3", ranOn: "client" });
        // And back: the browser's changes reach the server.
        await put("counter-add", "server");
        await put("log-join", "server");
        expect(await call(page, "counter-get", "[]"), t.name).toMatchObject({ ok: true, json: "7", ranOn: "server" });
        expect(await call(page, "counter-add", "[3]"), t.name).toMatchObject({ ok: true, json: "10", ranOn: "server" });
        expect(await call(page, "log-join", "[]"), t.name).toMatchObject({ ok: true, json: '"ä,b"', ranOn: "server" });
        expect(errors, t.name).toEqual([]);
      } finally {
        await ctx.close();
        await app.close();
      }
    }
  }, 600_000);
});
