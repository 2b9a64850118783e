/**
 * The server Code Distributor with many clients connected, on 127.0.0.1:
 *
 * (a) Command time. The distributor and the API Controller in this process,
 *     1,000 raw `ws` clients connected (each authenticated by a token in its
 *     subprotocol, each waiting for its first, full updateFragments). Then for
 *     200 sampled clients, one after the other: the time from sending the REST
 *     command `PUT /dcm/api/clients/:id/fragments/4 {"runOn":"server"}` (fetch)
 *     until that client's socket receives the updateFragments that moves
 *     fragment 4; and until the PUT's response. The paper's "command time"
 *     (API call to the client's change) was 43.8 ms. Server pings are off here
 *     (pingIntervalMs 0) so that a ping round to 1,000 clients does not land
 *     inside a sample.
 *
 * (b) Memory per idle client. The distributor in a child process
 *     (bench/runtime-scale-server.ts, with --expose-gc) and 10,000 `ws`
 *     clients opened from this process; the server's process.memoryUsage()
 *     (after a full GC, through a bench-only route) and VmRSS from
 *     /proc/<pid>/status before and after. Clients answer the server's pings
 *     (default interval 15 s), as a real client does.
 *
 * The number of clients is capped by the open-file limit (/proc/self/limits;
 * Node cannot raise it): each side holds one descriptor per client.
 *
 * Run: `npm run build && node build/bench/runtime-scale.js [--clients 1000] [--samples 200] [--idle 10000]`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { registerApiController } from "../runtime/server/api/index.js";
import { createDcmServer } from "../runtime/server/create-server.js";
import { banner, ensureExampleDist, fmtBytes, fmtMs, isMain, printTable, stats, verdict } from "./bench-util.js";

const ORIGIN = "http://bench.local";
const SECRET = { kid: "bench", secret: "runtime-scale-benchmark-secret-0123456789" };
const API_KEY = "runtime-scale-api-key-0123456789abcdef";
const FRAGMENT = "4";
/** Connections being opened at once. */
const CONNECT_CONCURRENCY = 100;

/** Soft limit of open files of this process (children inherit it). */
function openFileLimit(): number {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === "unlimited" ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** The number of clients that fits the fd limit, with a message when it had to be reduced. */
function capByFds(wanted: number, what: string): number {
  const limit = openFileLimit();
  const headroom = 300;
  if (wanted + headroom <= limit) return wanted;
  const n = Math.max(0, Math.floor(limit - headroom));
  console.log(
    `NOTE: the open-file limit is ${limit} (ulimit -n); ${what} reduced from ${wanted} to ${n} clients. ` +
      "Raise it (`ulimit -n 65536` in the shell, or LimitNOFILE) to run the full count.",
  );
  return n;
}

function vmRssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

interface Client {
  ws: WebSocket;
  clientId: string;
  /** Called with each updateFragments after the first. */
  onUpdate: ((m: { fragments: Array<{ id: string; runOn: string }>; full: boolean }) => void) | null;
}

/** Opens a connection with the token in the subprotocol and waits for the first (full) updateFragments. */
function connect(url: string, token: string, clientId: string, answerPings: boolean): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ["dcm.v1", `dcm.token.${token}`], { origin: ORIGIN, perMessageDeflate: false });
    const c: Client = { ws, clientId, onUpdate: null };
    let first = true;
    ws.on("message", (data) => {
      const text = String(data);
      if (first) {
        first = false;
        if (!text.startsWith('{"type":"updateFragments"')) reject(new Error(`first message: ${text.slice(0, 200)}`));
        else resolve(c);
        return;
      }
      const m = JSON.parse(text) as { type: string; t?: number };
      if (m.type === "updateFragments") c.onUpdate?.(m as never);
      else if (m.type === "ping" && answerPings) ws.send(JSON.stringify({ type: "pong", t: m.t, serverTime: 0 }));
    });
    ws.once("error", reject);
    ws.once("close", (code) => {
      if (first) reject(new Error(`closed with ${code} before the first message`));
    });
  });
}

/** Runs `make(i)` for i < n with at most `width` in flight; returns the results in order. */
async function pool<T>(n: number, width: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await make(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, lane));
  return out;
}

async function closeAll(clients: Client[]): Promise<void> {
  await Promise.all(
    clients.map(
      (c) =>
        new Promise<void>((r) => {
          if (c.ws.readyState === WebSocket.CLOSED) return r();
          c.ws.once("close", () => r());
          c.ws.close();
          setTimeout(() => {
            c.ws.terminate();
            r();
          }, 3000).unref();
        }),
    ),
  );
}

const us = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : fmtMs(ms));

// ---------------------------------------------------------------------------------------------
// (a) command time
// ---------------------------------------------------------------------------------------------

async function commandTime(dist: string, nClients: number, nSamples: number): Promise<void> {
  const app = await createDcmServer({
    dist,
    auth: { keys: [SECRET] },
    allowedOrigins: [ORIGIN],
    pingIntervalMs: 0,
    serveDist: false,
    apiKeys: [API_KEY],
    extensions: [
      async (a, ctx) => {
        await registerApiController(a, {
          control: ctx.control,
          apiKeys: ctx.apiKeys,
          prefix: `${ctx.prefix}/api`,
          rateLimit: { max: 100_000, timeWindowMs: 60_000 },
        });
      },
    ],
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const wsUrl = `${url.replace(/^http/, "ws")}${app.dcm.prefix}/ws`;
  const d = app.dcm.distributor;
  if (d.getDefaults()[FRAGMENT] !== "client") throw new Error(`fragment ${FRAGMENT} should start on the client`);
  let clients: Client[] = [];
  try {
    const t0 = performance.now();
    clients = await pool(nClients, CONNECT_CONCURRENCY, async () => {
      const { accessToken, clientId } = await d.issueAccessToken();
      return connect(wsUrl, accessToken, clientId, true);
    });
    const connectMs = performance.now() - t0;
    const known = d.listClients().length;
    if (known !== nClients) throw new Error(`the distributor knows ${known} clients, expected ${nClients}`);

    /** One command: PUT, then wait for both the response and the client's updateFragments. */
    const command = async (c: Client, runOn: "server" | "client"): Promise<{ push: number; response: number }> => {
      let pushAt = 0;
      const pushed = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no updateFragments for ${c.clientId} in 5 s`)), 5000);
        c.onUpdate = (m) => {
          const f = m.fragments.find((x) => x.id === FRAGMENT);
          if (f?.runOn !== runOn) return;
          pushAt = performance.now();
          clearTimeout(timer);
          c.onUpdate = null;
          resolve();
        };
      });
      const t = performance.now();
      const res = await fetch(`${url}${app.dcm.prefix}/api/clients/${c.clientId}/fragments/${FRAGMENT}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ runOn }),
      });
      const responseAt = performance.now();
      const body = (await res.json()) as { runOn?: string };
      if (res.status !== 200 || body.runOn !== runOn) throw new Error(`PUT: ${res.status} ${JSON.stringify(body)}`);
      await pushed;
      return { push: pushAt - t, response: responseAt - t };
    };

    // Warm-up on clients that are not sampled: there and back.
    const warm = clients.slice(nClients - 20);
    for (const c of warm) {
      await command(c, "server");
      await command(c, "client");
    }
    // Samples spread over the connection order.
    const step = Math.max(1, Math.floor((nClients - warm.length) / nSamples));
    const push: number[] = [];
    const response: number[] = [];
    for (let i = 0; i < nSamples && i * step < nClients - warm.length; i++) {
      const r = await command(clients[i * step]!, "server");
      push.push(r.push);
      response.push(r.response);
    }
    const moved = d.listClients().filter((x) => x.distribution[FRAGMENT] === "server").length;

    const p = (xs: number[], q: number) =>
      [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!;
    const ps = stats(push);
    const rs = stats(response);
    console.log(
      `(a) Command time with ${nClients.toLocaleString("en")} clients connected to one distributor (this process); ` +
        `connected in ${fmtMs(connectMs)} (${CONNECT_CONCURRENCY} at a time, token issued + connect + first updateFragments).`,
    );
    console.log(
      `${push.length} commands, one at a time, each moving fragment ${FRAGMENT} of a different client to the server ` +
        `(${moved} clients have it on the server afterwards; 20 warm-up clients moved there and back first).`,
    );
    printTable(
      ["from sending PUT … until", "median", "p90", "p99", "min–max"],
      [
        [
          "the client's socket receives updateFragments",
          us(ps.median),
          us(p(push, 0.9)),
          us(p(push, 0.99)),
          `${us(ps.min)}–${us(ps.max)}`,
        ],
        [
          "the PUT's response (200) arrives",
          us(rs.median),
          us(p(response, 0.9)),
          us(p(response, 0.99)),
          `${us(rs.min)}–${us(rs.max)}`,
        ],
        ["paper: command time", "43.8 ms", "", "", ""],
      ],
    );
    console.log("");
    verdict(
      ps.median < 5,
      "command time (PUT -> client's updateFragments) median < 5 ms (paper 43.8 ms)",
      us(ps.median),
    );
    verdict(p(push, 0.99) < 20, "command time p99 < 20 ms", us(p(push, 0.99)));
  } finally {
    await closeAll(clients);
    await app.close();
  }
}

// ---------------------------------------------------------------------------------------------
// (b) memory per idle client
// ---------------------------------------------------------------------------------------------

interface Mem {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  clients: number;
}

async function startServerChild(dist: string): Promise<{ child: ChildProcess; url: string; pid: number }> {
  const file = fileURLToPath(new URL("./runtime-scale-server.js", import.meta.url));
  const child = spawn(process.execPath, ["--expose-gc", file, dist, ORIGIN], { stdio: ["pipe", "pipe", "inherit"] });
  const rl = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server child did not start in 30 s")), 30_000);
    rl.once("line", (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once("exit", (code) => reject(new Error(`the server child exited with ${code}`)));
  });
  const { url, pid } = JSON.parse(line) as { url: string; pid: number };
  return { child, url, pid };
}

async function idleMemory(dist: string, nIdle: number): Promise<void> {
  const { child, url, pid } = await startServerChild(dist);
  const mem = async (): Promise<Mem & { vmRss: number }> => {
    const m = (await (await fetch(`${url}/bench/memory?gc=1`)).json()) as Mem;
    return { ...m, vmRss: vmRssBytes(pid) };
  };
  const clients: Client[] = [];
  try {
    const wsUrl = `${url.replace(/^http/, "ws")}/dcm/ws`;
    // Warm the server's paths (token check, session, fetch) with a few clients, then let them go.
    const warm = await pool(20, 10, async () => {
      const [tok] = ((await (await fetch(`${url}/bench/tokens`, post({ n: 1 }))).json()) as { tokens: string[] })
        .tokens;
      return connect(wsUrl, tok!, "", true);
    });
    await closeAll(warm);
    await new Promise((r) => setTimeout(r, 200));
    const before = await mem();
    const selfBefore = process.memoryUsage();

    // Tokens in batches of 500 from the child, then connections, CONNECT_CONCURRENCY at a time.
    const t0 = performance.now();
    const tokens: string[] = [];
    while (tokens.length < nIdle) {
      const n = Math.min(500, nIdle - tokens.length);
      tokens.push(...((await (await fetch(`${url}/bench/tokens`, post({ n }))).json()) as { tokens: string[] }).tokens);
    }
    const tokenMs = performance.now() - t0;
    const t1 = performance.now();
    clients.push(...(await pool(nIdle, CONNECT_CONCURRENCY, (i) => connect(wsUrl, tokens[i]!, "", true))));
    const connectMs = performance.now() - t1;
    await new Promise((r) => setTimeout(r, 1000));
    const after = await mem();
    const selfAfter = process.memoryUsage();
    if (after.clients < nIdle) throw new Error(`the server knows ${after.clients} clients, expected ≥ ${nIdle}`);

    const per = (k: keyof Mem | "vmRss") => (after[k] - before[k]) / nIdle;
    const row = (name: string, k: keyof Mem | "vmRss") => [
      name,
      fmtBytes(before[k]),
      fmtBytes(after[k]),
      fmtBytes(after[k] - before[k]),
      fmtBytes(Math.round(per(k))),
    ];
    console.log(
      `\n(b) ${nIdle.toLocaleString("en")} idle clients connected to one distributor process (pid ${pid}, pings every 15 s, answered); ` +
        `tokens issued in ${fmtMs(tokenMs)}, connected in ${fmtMs(connectMs)} ` +
        `(${Math.round(nIdle / (connectMs / 1000)).toLocaleString("en")}/s, ${CONNECT_CONCURRENCY} at a time). ` +
        "Server memory after a full GC:",
    );
    printTable(
      ["server process", "before", "after", "delta", "per client"],
      [
        row("RSS (process.memoryUsage)", "rss"),
        row("VmRSS (/proc/<pid>/status)", "vmRss"),
        row("heap used", "heapUsed"),
        row("heap total", "heapTotal"),
        row("external", "external"),
        row("  of which array buffers", "arrayBuffers"),
      ],
    );
    console.log(
      `(the client side, this process: RSS ${fmtBytes(selfBefore.rss)} -> ${fmtBytes(selfAfter.rss)}, ` +
        `${fmtBytes(Math.round((selfAfter.rss - selfBefore.rss) / nIdle))} per ws client; server clients known: ${after.clients})\n`,
    );
    console.log(
      `info  ${nIdle.toLocaleString("en")} idle clients on one process: ${fmtBytes(Math.round(per("rss")))} RSS and ` +
        `${fmtBytes(Math.round(per("heapUsed")))} heap per client; server RSS ${fmtBytes(after.rss)}`,
    );
  } finally {
    await closeAll(clients);
    child.stdin?.end();
    child.kill("SIGTERM");
    await new Promise<void>((r) => {
      if (child.exitCode !== null) return r();
      child.once("exit", () => r());
      setTimeout(() => {
        child.kill("SIGKILL");
        r();
      }, 8000).unref();
    });
  }
}

function post(body: unknown): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

export async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { clients: { type: "string" }, samples: { type: "string" }, idle: { type: "string" } },
  });
  const nClients = capByFds(Number(values.clients ?? 1000), "(a)");
  const nSamples = Number(values.samples ?? 200);
  const nIdle = capByFds(Number(values.idle ?? 10_000), "(b)");
  banner(
    "runtime-scale",
    `command time with ${nClients.toLocaleString("en")} clients (${nSamples} samples), and ` +
      `memory with ${nIdle.toLocaleString("en")} idle clients; open-file limit ${openFileLimit()}`,
  );
  const report = await ensureExampleDist();
  await commandTime(report.outDir, nClients, nSamples);
  await idleMemory(report.outDir, nIdle);
}

if (isMain(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
