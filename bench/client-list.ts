/**
 * Event-loop delay of the paginated client list at 100,000 registered
 * clients (issue 9: `GET <prefix>/api/clients` must never hold the event
 * loop for more than 50 ms).
 *
 * A real server (createDcmServer + the API Controller, go-shop's dist) runs
 * in a child process; 100,000 clients are registered in its Client Registry
 * (in batches, as sessions would: `clients.touch`). The child measures its
 * own event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution);
 * the parent, in its own process, walks every page of `/clients` (limit
 * 1000) and of `/fragments` over HTTP. Printed: the delay's max and p99
 * while idle (the baseline, same run) and while paging, their ratio, and for
 * comparison the cost of the whole list in one reply (what the API answered
 * before pagination), measured in the child.
 *
 * Run: `npm run build && node build/bench/client-list.js [clients]`.
 */
import { spawn } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { registerApiController } from "../runtime/server/api/index.js";
import { createDcmServer } from "../runtime/server/create-server.js";
import { banner, ensureExampleDist, fmtMs, isMain, printTable, verdict } from "./bench-util.js";

const API_KEY = "client-list-bench-key-0123456789abcdef";
const SECRET = { kid: "list", secret: "client-list-benchmark-secret-0123456789" };
const TARGET_MS = 50;
const REPEATS = 3;

interface Delay {
  maxMs: number;
  p99Ms: number;
  meanMs: number;
}

/** The child: the server, its registry filled, and bench routes to read its event-loop delay. */
async function serve(dist: string, n: number): Promise<void> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  const app = await createDcmServer({
    dist,
    auth: { keys: [SECRET] },
    allowedOrigins: [],
    workers: 1,
    serveDist: false,
    apiKeys: [API_KEY],
    extensions: [
      (a, ctx) => registerApiController(a, { control: ctx.control, apiKeys: ctx.apiKeys, prefix: `${ctx.prefix}/api` }),
      (a, ctx) => {
        a.post("/bench/delay/reset", async () => {
          h.reset();
          return {};
        });
        a.get("/bench/delay", async (): Promise<Delay> => {
          const d = { maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6, meanMs: h.mean / 1e6 };
          return d;
        });
        // What GET /clients answered before pagination: every client in one reply.
        a.get("/bench/whole-list", async () => {
          const t = performance.now();
          const text = JSON.stringify({ clients: ctx.control.listClients() });
          return { ms: performance.now() - t, bytes: text.length };
        });
      },
    ],
  });
  const reg = app.dcm.distributor.clients;
  for (let i = 0; i < n; i += 1000) {
    for (let j = i; j < Math.min(n, i + 1000); j++) reg.touch(`bench-client-${j}`, `user-${j}`);
    await new Promise((r) => setImmediate(r));
  }
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  h.enable();
  console.log(JSON.stringify({ url, clients: reg.size() }));
  const stop = () => void app.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.stdin.on("end", stop);
  process.stdin.resume();
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100_000);
  banner(
    "client-list",
    `Event-loop delay of a real server while GET /dcm/api/clients is paged (limit 1000) at ${n} clients, against idle.`,
  );
  const report = await ensureExampleDist();
  const child = spawn(
    process.execPath,
    [
      ...(process.env.DCM_BENCH_TRACE_GC ? ["--trace-gc"] : []),
      fileURLToPath(import.meta.url),
      "--serve",
      report.outDir,
      String(n),
    ],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const first = await new Promise<string>((resolve, reject) => {
    // Other lines (--trace-gc with DCM_BENCH_TRACE_GC=1) go to stderr.
    createInterface({ input: child.stdout! }).on("line", (l) =>
      l.startsWith('{"url"') ? resolve(l) : process.stderr.write(`${l}\n`),
    );
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
  });
  const { url, clients } = JSON.parse(first) as { url: string; clients: number };
  const get = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const r = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${API_KEY}` } });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  const measure = async (work: () => Promise<void>): Promise<Delay> => {
    await get("/bench/delay/reset", { method: "POST" });
    await work();
    return get<Delay>("/bench/delay");
  };
  try {
    // Let start-up settle, then the baseline: idle for as long as a walk takes.
    await new Promise((r) => setTimeout(r, 500));
    let seen = 0;
    let pages = 0;
    const walk = async () => {
      seen = 0;
      pages = 0;
      let cursor: string | null = "";
      while (cursor !== null) {
        const q: string = cursor ? `&cursor=${cursor}` : "";
        const page: { clients: unknown[]; next: string | null } = await get(`/dcm/api/clients?limit=1000${q}`);
        seen += page.clients.length;
        pages++;
        cursor = page.next;
      }
      let fc: string | null = "";
      while (fc !== null) {
        const fq: string = fc ? `&cursor=${fc}` : "";
        const page: { next: string | null } = await get(`/dcm/api/fragments?limit=1000${fq}`);
        fc = page.next;
      }
    };
    const t0 = performance.now();
    await walk(); // warm-up (JIT, serializer)
    const walkMs = performance.now() - t0;
    // Alternating idle windows and walks, three each: on a shared machine one window's max can be a
    // scheduling hiccup (the process descheduled), so the verdict takes the median of the maxima.
    const idle: Delay[] = [];
    const paging: Delay[] = [];
    let pagingMs = 0;
    for (let i = 0; i < REPEATS; i++) {
      idle.push(await measure(() => new Promise((r) => setTimeout(r, Math.max(1000, walkMs)))));
      const t1 = performance.now();
      paging.push(await measure(walk));
      pagingMs += performance.now() - t1;
    }
    const whole = await get<{ ms: number; bytes: number }>("/bench/whole-list");
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const row = (name: string, ds: Delay[]) => [
      name,
      ds.map((d) => fmtMs(d.maxMs)).join(" / "),
      fmtMs(med(ds.map((d) => d.maxMs))),
      fmtMs(med(ds.map((d) => d.p99Ms))),
      fmtMs(med(ds.map((d) => d.meanMs))),
    ];
    printTable(
      ["phase", "event-loop delay max, each run", "median max", "p99", "mean"],
      [row("idle (baseline)", idle), row(`paging ${pages} pages`, paging)],
    );
    const idleMax = med(idle.map((d) => d.maxMs));
    const pagingMax = med(paging.map((d) => d.maxMs));
    console.log(
      `\n${clients} clients registered; a walk returns ${seen} in ${pages} pages (${fmtMs(pagingMs / REPEATS)}, ${fmtMs(pagingMs / REPEATS / pages)} a page).`,
    );
    console.log(`median max delay, paging / idle: ${(pagingMax / Math.max(idleMax, 0.001)).toFixed(2)}×`);
    console.log(
      `for comparison, the whole list in one reply (before pagination): ${fmtMs(whole.ms)} on the event loop, ${(whole.bytes / 1e6).toFixed(1)} MB`,
    );
    verdict(
      pagingMax < TARGET_MS,
      `event loop held < ${TARGET_MS} ms while paging ${clients} clients (median of ${REPEATS} walks' max)`,
      fmtMs(pagingMax),
    );
  } finally {
    child.stdin!.end();
    child.kill("SIGTERM");
  }
}

if (isMain(import.meta.url)) {
  if (process.argv[2] === "--serve") await serve(process.argv[3]!, Number(process.argv[4]));
  else await main();
}
