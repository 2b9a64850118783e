/**
 * Warm call overhead of client WASM in a real browser: the example page
 * (examples/web) in Debian's Chromium (driven by playwright-core) against the
 * server Code Distributor, on the go-shop dist: Add(2, 3) (fragment 6, scalar
 * ABI) and Echo("hello") (buffer ABI), with the worker pool (its
 * shared-memory fast path: the page is cross-origin isolated) and in-thread.
 * The page's own `dcmDemo.bench` measures sequential awaited calls through
 * the client distributor and, as the BASELINE in the same run, the same calls
 * straight into the executor (what the distributor adds is the ratio).
 * test/client/browser.spec.ts checks that these calls run on the client and
 * take the fast path; this file says how fast (moved out of that test by
 * issue 8).
 *
 * Targets: far below a runtime start per call (the paper: 44–60 ms) — under
 * 2 ms through the worker pool, under 200 µs in-thread.
 *
 * Needs /usr/bin/chromium (`bash scripts/install-browser.sh`); without it the
 * benchmark says so and exits 0.
 * Run: `npm run build && node build/bench/browser-calls.js [--n 3000]`.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { webExtension } from "../runtime/client/serve-web.js";
import { createDcmServer } from "../runtime/server/create-server.js";
import { banner, ensureExampleDist, fmtRatio, isMain, printTable, verdict } from "./bench-util.js";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"];
const SECRET = { kid: "bench", secret: "browser-calls-benchmark-secret-0123456789" };
const CASES = [
  ["6", "[2, 3]"],
  ["echo", '["hello"]'],
] as const;

type BenchResult = Record<string, number | string | boolean>;

export async function main(n = 3000): Promise<void> {
  banner(
    "browser-calls",
    `warm client WASM calls in Chromium through the client distributor vs straight into the executor (${n} each)`,
  );
  if (!existsSync(CHROMIUM)) {
    console.log(`SKIPPED: ${CHROMIUM} is missing (bash scripts/install-browser.sh).`);
    return;
  }
  const { outDir } = await ensureExampleDist();
  const app = await createDcmServer({
    dist: outDir,
    auth: { keys: [SECRET] },
    allowedOrigins: [],
    workers: 1,
    pingIntervalMs: 0,
    extensions: [webExtension()],
  });
  const base = await app.listen({ port: 0, host: "127.0.0.1" });
  app.dcm.distributor.opts.allowedOrigins.push(base);
  const profile = await mkdtemp(join(tmpdir(), "dcm-bench-chromium-"));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ARGS,
    downloadsPath: profile,
    timeout: 60_000,
  });
  const rows: string[][] = [];
  const worst: Record<string, number> = {};
  try {
    const ctx = await browser.newContext();
    for (const query of ["?executor=worker&workers=2", "?executor=in-thread"]) {
      const page = await ctx.newPage();
      await page.goto(`${base}/${query}`);
      await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
      for (const [id, args] of CASES) {
        const r = (await page.evaluate(
          ([i, a, k]) =>
            (
              window as unknown as { dcmDemo: { bench(i: string, a: string, n: number): Promise<BenchResult> } }
            ).dcmDemo.bench(i, a, k),
          [id, args, n] as const,
        )) as BenchResult;
        if (r.ranOn !== "client") throw new Error(`fragment ${id} ran on the ${r.ranOn}, not on the client`);
        const via = r.usPerCall as number;
        const direct = r.usPerExecutorCall as number;
        const kind = String(r.executor);
        worst[kind] = Math.max(worst[kind] ?? 0, via);
        rows.push([
          id,
          kind,
          via.toFixed(1),
          direct.toFixed(1),
          (r.usMedianExecutorCall as number).toFixed(1),
          fmtRatio(via / direct),
          String(r.fastCalls),
          String(r.crossOriginIsolated),
        ]);
      }
      await page.close();
    }
    await ctx.close();
    console.log(`Chromium ${browser.version()}`);
    printTable(
      [
        "fragment",
        "executor",
        "µs/call via client",
        "BASELINE µs/call executor",
        "executor median µs",
        "ratio",
        "fast calls",
        "isolated",
      ],
      rows,
    );
    console.log(
      "\nµs: mean of sequential awaited calls after 200 warm-ups; ratio = via the client distributor / straight into the executor.",
    );
    if (worst.worker !== undefined)
      verdict(worst.worker < 2000, "worker pool: under 2 ms per warm call", `${worst.worker.toFixed(1)} µs`);
    if (worst["in-thread"] !== undefined)
      verdict(worst["in-thread"] < 200, "in-thread: under 200 µs per warm call", `${worst["in-thread"].toFixed(1)} µs`);
  } finally {
    await browser.close().catch(() => {});
    await app.close().catch(() => {});
    await rm(profile, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { n: { type: "string" } } });
  await main(values.n ? Number(values.n) : undefined);
}
