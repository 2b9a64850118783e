/**
 * Live redeploy under load: Node clients make 1,000 calls/s in all (open
 * loop, half `label` run in the client, half `tag` on the server) against a
 * real server on 127.0.0.1 while new builds of test/redeploy/fixtures/app
 * are deployed several times through `PUT /dcm/api/dist`. Prints:
 *
 *   failed calls          over the whole run (target: 0)
 *   switch time           PUT sent -> every client switched (its `redeploy` event)
 *   p99 latency           of calls started during a deploy window vs before
 *                         the first deploy (same run, same clients): the ratio
 *
 * Everything runs in this one process (clients and server share the event
 * loop and the 2 cores), so the latencies are an upper bound.
 *
 * Run: `npm run build && node build/bench/redeploy-under-load.js [--rate 1000] [--clients 4] [--deploys 3]`.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import type { DcmClient, WebSocketCtor } from "../runtime/client/client-distributor.js";
import { createClient } from "../runtime/client/node-client.js";
import { registerApiController } from "../runtime/server/api/index.js";
import { createDcmServer } from "../runtime/server/create-server.js";
import { buildDist } from "../src/build/build-dist.js";
import { projectRoot } from "../src/core/paths.js";
import { packRepo } from "../src/service/client/pack-repo.js";
import { banner, benchTmp, fmtMs, fmtRatio, isMain, printTable, stats, verdict } from "./bench-util.js";

const ORIGIN = "http://bench.local";
const API_KEY = "redeploy-bench-api-key-0123456789abcdef";
const FIXTURE = join(projectRoot(), "test", "redeploy", "fixtures", "app");

class OriginWs extends WebSocket {
  constructor(url: string, protocols: string[]) {
    super(url, protocols, { origin: ORIGIN });
  }
}

/** Builds `count` versions of the fixture (each a different VERSION, same state types). */
async function buildVersions(count: number): Promise<{ dists: string[]; scratch: string }> {
  const scratch = await mkdtemp(join(tmpdir(), "dcm-redeploy-bench-"));
  const dists: string[] = [];
  for (let i = 0; i < count; i++) {
    const repo = join(scratch, `repo${i}`);
    await cp(FIXTURE, repo, { recursive: true });
    const file = join(repo, "src", "app.ts");
    await writeFile(file, (await readFile(file, "utf8")).replace('const VERSION = "v1";', `const VERSION = "v${i + 1}";`));
    const out = join(scratch, `dist${i}`);
    await buildDist({ repo, cfd: join(repo, "dcm.yaml"), out, cacheDir: benchTmp("dcm-cache") });
    dists.push(out);
  }
  return { dists, scratch };
}

interface Call {
  start: number;
  ms: number;
  ok: boolean;
  error?: string;
}

export async function run(rate: number, clientCount: number, deploys: number): Promise<void> {
  banner(
    "live redeploy under load",
    `${rate} calls/s from ${clientCount} clients (half client-side, half server-side) while ${deploys} new builds are deployed`,
  );
  const { dists, scratch } = await buildVersions(deploys + 1);
  const app = await createDcmServer({
    dist: dists[0]!,
    auth: { keys: [{ kid: "b", secret: "redeploy-bench-secret-0123456789abcdef" }] },
    allowedOrigins: [ORIGIN],
    workers: 2,
    pingIntervalMs: 0,
    apiKeys: [API_KEY],
    extensions: [async (a, ctx) => registerApiController(a, { control: ctx.control, apiKeys: ctx.apiKeys })],
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const clients: DcmClient[] = [];
  try {
    for (let i = 0; i < clientCount; i++) {
      const c = await createClient({
        url: `${url.replace(/^http/, "ws")}/dcm/ws`,
        getToken: async () => (await app.dcm.distributor.issueAccessToken()).accessToken,
        manifestUrl: `${url}/dcm/dist/manifest.json`,
        executor: "in-thread",
        WebSocket: OriginWs as unknown as WebSocketCtor,
        heartbeatMs: 0,
        reportStats: false,
      });
      await c.whenConnected(10_000);
      clients.push(c);
    }
    const calls: Call[] = [];
    let stop = false;
    const t0 = performance.now();
    let issued = 0;
    // Open loop: calls are started on schedule whether or not earlier ones have answered.
    const pump = async () => {
      while (!stop) {
        const due = Math.floor(((performance.now() - t0) / 1000) * rate);
        for (; issued < due; issued++) {
          const c = clients[issued % clients.length]!;
          const fragment = issued % 2 === 0 ? "label" : "tag";
          const start = performance.now();
          c.call(fragment, [issued]).then(
            () => calls.push({ start, ms: performance.now() - start, ok: true }),
            (e: { code?: string; message?: string }) =>
              calls.push({ start, ms: performance.now() - start, ok: false, error: `${e.code}: ${e.message}` }),
          );
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    const pumping = pump();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await sleep(3000);
    const baselineEnd = performance.now();
    const windows: Array<{ from: number; to: number }> = [];
    const switchMs: number[] = [];
    for (let d = 1; d <= deploys; d++) {
      const body = (await packRepo(dists[d]!)).data;
      const switched = clients.map(
        (c) =>
          new Promise<void>((resolve, reject) => {
            const off = c.on("redeploy", (e) => {
              off();
              if (e.ok) resolve();
              else reject(e.error);
            });
          }),
      );
      const from = performance.now();
      const res = await fetch(`${url}/dcm/api/dist`, {
        method: "PUT",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/gzip" },
        body: new Uint8Array(body),
      });
      if (res.status !== 200) throw new Error(`deploy ${d}: HTTP ${res.status} ${await res.text()}`);
      await Promise.all(switched);
      const to = performance.now();
      switchMs.push(to - from);
      windows.push({ from, to: to + 200 });
      await sleep(1500);
    }
    stop = true;
    await pumping;
    await sleep(500);
    const failed = calls.filter((c) => !c.ok);
    const before = calls.filter((c) => c.start < baselineEnd && c.start > t0 + 500).map((c) => c.ms);
    const during = calls.filter((c) => windows.some((w) => c.start >= w.from && c.start <= w.to)).map((c) => c.ms);
    const p99 = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? Number.NaN;
    };
    const elapsed = (performance.now() - t0) / 1000;
    const sw = stats(switchMs);
    printTable(
      ["measure", "value"],
      [
        ["calls made", `${calls.length} (${(calls.length / elapsed).toFixed(0)}/s)`],
        ["failed calls", String(failed.length)],
        ["deploys", String(deploys)],
        ["switch time (PUT -> all clients switched)", `${fmtMs(sw.median)} median, ${fmtMs(sw.max)} max`],
        ["p99 before the first deploy", `${fmtMs(p99(before))} (${before.length} calls)`],
        ["p99 during deploys", `${fmtMs(p99(during))} (${during.length} calls)`],
        ["p99 ratio during / before", fmtRatio(p99(during) / p99(before))],
      ],
    );
    if (failed.length) console.log(`first failures: ${failed.slice(0, 5).map((f) => f.error).join(" | ")}`);
    verdict(failed.length === 0, "no call fails during a redeploy at 1,000 calls/s", `${failed.length} failed of ${calls.length}`);
  } finally {
    for (const c of clients) await c.close();
    await app.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: { rate: { type: "string" }, clients: { type: "string" }, deploys: { type: "string" } },
  });
  await run(Number(values.rate ?? 1000), Number(values.clients ?? 4), Number(values.deploys ?? 3));
}
