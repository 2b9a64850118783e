/**
 * The example app (examples/go-shop) through the example page (examples/web)
 * in real Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * against the real server Code Distributor with the API Controller and the
 * web extension, configured the way `dcm run` is.
 *
 * Every case of every callable fragment (examples/go-shop/invoke-cases.json)
 * runs twice: with the fragment placed on the client (WebAssembly in the
 * browser) and placed on the server (native plugin), moved with the page's
 * own REST request (what its "move to …" toggle sends). The raw JSON
 * argument text goes into the page, which parses it against the manifest
 * signature (so big integers, bytes and maps survive) and prints the results
 * as canonical JSON; errors and panics are compared as {code, message}.
 * Each call must run where its fragment is placed, and both sides must agree.
 *
 * The page loads build/runtime/client/*.js, so `npm run build` must have run.
 * Skipped (with a message) only when /usr/bin/chromium is missing:
 * `bash scripts/install-browser.sh` installs it.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { HARNESS_ERROR_CODES, parseInvokeCases } from "../e2e/harness/go-native-harness.js";
import { ROOT, runCli } from "../support/run-cli.js";
import {
  CHROMIUM,
  callInPage,
  haveChromium,
  launchChromium,
  openExamplePage,
  type PageCall,
  placeInPage,
  startWebServer,
  type WebServer,
} from "./browser-example-helpers.js";

if (!haveChromium) {
  console.warn(
    `test/client/browser-example.spec.ts: SKIPPED — ${CHROMIUM} is missing. Install it with \`bash scripts/install-browser.sh\`.`,
  );
}

const EXAMPLE = join(ROOT, "examples/go-shop");
// Each case's raw JSON text: JSON.parse would round big integers.
const CASES = parseInvokeCases(readFileSync(join(EXAMPLE, "invoke-cases.json"), "utf8"));
const SIDES = ["client", "server"] as const;

let scratch: string;
let manifest: Manifest;
let server: WebServer;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
/** For the summary: cases run per side, and how many ended in each error code. */
const tally = { fragments: 0, cases: 0, calls: 0, errors: {} as Record<string, number> };

beforeAll(async () => {
  if (!haveChromium) return;
  if (!existsSync(join(ROOT, "build/runtime/client/index.js")))
    throw new Error("build/runtime/client is missing: run `npm run build` first");
  scratch = await mkdtemp(join(tmpdir(), "dcm-browser-example-"));
  const dist = join(scratch, "dist");
  const r = await runCli(["build", EXAMPLE, "--cfd", join(EXAMPLE, "dcm.yaml"), "--out", dist, "--json"]);
  if (r.code !== 0) throw new Error(`dcm build failed (${r.code}): ${r.stderr}\n${r.stdout}`);
  manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
  server = await startWebServer(dist);
  browser = await launchChromium(scratch);
  ctx = await browser.newContext();
  page = await openExamplePage(ctx, server.base, pageErrors);
});

afterAll(async () => {
  if (tally.calls > 0)
    console.log(
      `go-shop in Chromium ${browser?.version()}: ${tally.fragments} fragments, ${tally.cases} cases, ${tally.calls} calls ` +
        `(each case on the client and on the server); error outcomes per side: ${JSON.stringify(tally.errors)}`,
    );
  await ctx?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.close().catch(() => {});
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** What a case gave, as compared between the sides. */
const outcome = (r: PageCall) => (r.ok ? { json: r.json } : { error: { code: r.code, message: r.message } });

describe.skipIf(!haveChromium)("examples/go-shop through the example page in Chromium: client equals server", () => {
  it("lists every callable fragment of the example app, each with invoke cases", async () => {
    const callable = manifest.fragments
      .filter((f) => f.signature)
      .map((f) => f.id)
      .sort();
    expect(callable.length).toBeGreaterThan(30);
    expect(Object.keys(CASES).sort()).toEqual(callable);
    const rows = await page.$$eval("#fragments tbody tr", (trs) => trs.map((tr) => tr.id.replace(/^row-/, "")));
    expect(rows.sort()).toEqual(callable);
  });

  it.each(Object.keys(CASES))("fragment %s: every case on the client and on the server, equal results", async (id) => {
    const cases = CASES[id]!;
    expect(cases.length).toBeGreaterThan(0);
    const got: Record<(typeof SIDES)[number], PageCall[]> = { client: [], server: [] };
    for (const side of SIDES) {
      await placeInPage(page, id, side);
      for (const args of cases) {
        const r = await callInPage(page, id, args);
        got[side].push(r);
        // Ran where placed, first time (a retry could hide the other side).
        expect({ ranOn: r.ranOn, retried: r.retried }, `${id}(${args}) placed on the ${side}`).toEqual({
          ranOn: side,
          retried: false,
        });
        if (!r.ok) {
          // Only the fragment's own error/panic (or refused arguments), never a transport or runtime failure.
          expect(
            HARNESS_ERROR_CODES as readonly string[],
            `${id}(${args}) on the ${side}: ${r.code} ${r.message}`,
          ).toContain(r.code);
        }
      }
    }
    const diffs = cases.flatMap((args, i) => {
      const c = outcome(got.client[i]!);
      const s = outcome(got.server[i]!);
      return JSON.stringify(c) === JSON.stringify(s) ? [] : [{ args, client: c, server: s }];
    });
    tally.fragments++;
    tally.cases += cases.length;
    tally.calls += 2 * cases.length;
    for (const r of got.client) if (!r.ok) tally.errors[r.code!] = (tally.errors[r.code!] ?? 0) + 1;
    expect(diffs, `${id}: client and server disagree`).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
