/**
 * Round trips through the server Code Distributor against a bare `ws` echo
 * server, all in this one process on 127.0.0.1 (client and server share the
 * event loop in both cases, so the comparison is like for like):
 *
 *   bare ws echo       a ws server that sends every text frame back
 *   dcm ping/pong      {"type":"ping"} -> {"type":"pong"} through the distributor
 *   dcm call Add       callFunction of go-shop's Add(2, 3) (scalar ABI) on the native plugin
 *   dcm call Echo      callFunction of Echo on a 100-character string (buffer ABI)
 *
 * and the initialization time of a client: WebSocket connect + token check +
 * the first (full) updateFragments, with a token issued beforehand and with
 * POST /auth/session first; plus the distributor's own start (dist loaded,
 * every worker ready).
 *
 * Run: `npm run build && node build/bench/runtime-echo.js [--n 2000] [--inits 50]`.
 */
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import WebSocket, { WebSocketServer } from "ws";
import { createDcmServer } from "../runtime/server/create-server.js";
import {
  banner,
  ensureExampleDist,
  fmtMs,
  fmtRatio,
  fmtSpread,
  isMain,
  printTable,
  type Stats,
  stats,
} from "./bench-util.js";

const ORIGIN = "http://bench.local";
const SECRET = { kid: "bench", secret: "runtime-echo-benchmark-secret-0123456789" };

function open(url: string, protocols: string[] = []): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { origin: ORIGIN, perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

/** Opens a connection and waits for the server's first message (the full updateFragments). */
function openUntilFirstMessage(url: string, protocols: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { origin: ORIGIN, perMessageDeflate: false });
    // Listen before `open`: the first message may come in the same packet as the handshake.
    ws.once("message", () => resolve(ws));
    ws.once("error", reject);
    ws.once("close", (code) => reject(new Error(`closed with ${code} before the first message`)));
  });
}

/** Sequential round trips: send, wait for the matching reply, repeat. Returns per-trip ms. */
async function roundTrips(
  ws: WebSocket,
  n: number,
  warmup: number,
  make: (i: number) => string,
  matches: (text: string, i: number) => boolean,
): Promise<Stats> {
  const samples: number[] = [];
  let i = 0;
  let t = 0;
  await new Promise<void>((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const text = String(data);
      if (!matches(text, i)) {
        if (text.includes('"ok":false') || text.includes('"type":"error"'))
          throw new Error(`unexpected reply: ${text}`);
        return;
      }
      if (i >= warmup) samples.push(performance.now() - t);
      i++;
      if (i >= n + warmup) {
        ws.off("message", onMessage);
        resolve();
        return;
      }
      t = performance.now();
      ws.send(make(i));
    };
    ws.on("message", onMessage);
    t = performance.now();
    ws.send(make(0));
  });
  return stats(samples);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { n: { type: "string" }, inits: { type: "string" } } });
  const n = Number(values.n ?? 2000);
  const inits = Number(values.inits ?? 50);
  banner(
    "runtime-echo",
    `WebSocket round trips (${n} sequential, median) and client initialization (${inits} runs, median), in one process`,
  );
  const report = await ensureExampleDist();
  const dist = report.outDir;

  // --- bare ws echo server ---
  const bare = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => bare.once("listening", () => r()));
  bare.on("connection", (ws) => ws.on("message", (d, isBinary) => ws.send(d, { binary: isBinary })));
  const bareWs = await open(`ws://127.0.0.1:${(bare.address() as AddressInfo).port}`);
  const pingText = (i: number) => JSON.stringify({ type: "ping", t: i });
  const bareStats = await roundTrips(bareWs, n, 200, pingText, () => true);
  bareWs.close();

  // --- the distributor ---
  const startSamples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const probe = await createDcmServer({ dist, auth: { keys: [SECRET] }, allowedOrigins: [ORIGIN], serveDist: false });
    startSamples.push(performance.now() - t);
    await probe.close();
  }
  const app = await createDcmServer({ dist, auth: { keys: [SECRET] }, allowedOrigins: [ORIGIN], pingIntervalMs: 0 });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const wsUrl = `${url.replace(/^http/, "ws")}/dcm/ws`;
  const d = app.dcm.distributor;
  d.setDefaults({ "6": "server", echo: "server" });

  const { accessToken } = await d.issueAccessToken();
  const ws = await openUntilFirstMessage(wsUrl, ["dcm.v1", `dcm.token.${accessToken}`]);
  const pingStats = await roundTrips(ws, n, 200, pingText, (text) => text.startsWith('{"type":"pong"'));
  const callText = (fragment: string, args: unknown[]) => (i: number) =>
    JSON.stringify({ type: "callFunction", callId: `c${i}`, fragment, args });
  const okFor = (text: string, i: number) => text.includes(`"callId":"c${i}"`) && text.includes('"ok":true');
  const addStats = await roundTrips(ws, n, 200, callText("6", [2, 3]), okFor);
  const word = "x".repeat(100);
  const echoStats = await roundTrips(ws, n, 200, callText("echo", [word]), okFor);
  ws.close();

  // --- initialization ---
  const initToken: number[] = [];
  const initSession: number[] = [];
  for (let i = 0; i < inits + 5; i++) {
    const tok = (await d.issueAccessToken()).accessToken;
    let t = performance.now();
    const a = await openUntilFirstMessage(wsUrl, ["dcm.v1", `dcm.token.${tok}`]);
    if (i >= 5) initToken.push(performance.now() - t);
    a.close();
    t = performance.now();
    const res = await fetch(`${url}/dcm/auth/session`, { method: "POST", headers: { origin: ORIGIN } });
    const body = (await res.json()) as { accessToken: string };
    const b = await openUntilFirstMessage(wsUrl, ["dcm.v1", `dcm.token.${body.accessToken}`]);
    if (i >= 5) initSession.push(performance.now() - t);
    b.close();
  }
  await app.close();
  bare.close();

  const us = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : fmtMs(ms));
  console.log(`Round trips (median [min–max]) with ${d.opts.workers} executer workers, target ${d.opts.target}:`);
  printTable(
    ["path", "round trip", "vs bare ws"],
    [
      ["bare ws echo (same JSON ping)", fmtSpread(bareStats, us), "1.00×"],
      ["dcm ping -> pong", fmtSpread(pingStats, us), fmtRatio(pingStats.median / bareStats.median)],
      [
        "dcm callFunction Add(2,3) (native, scalar)",
        fmtSpread(addStats, us),
        fmtRatio(addStats.median / bareStats.median),
      ],
      [
        "dcm callFunction Echo(100 chars) (native, buffer)",
        fmtSpread(echoStats, us),
        fmtRatio(echoStats.median / bareStats.median),
      ],
    ],
  );
  console.log("\nInitialization (median [min–max]):");
  printTable(
    ["what", "time"],
    [
      ["connect + token check + first updateFragments", fmtSpread(stats(initToken), us)],
      ["POST /auth/session + the above", fmtSpread(stats(initSession), us)],
      ["distributor start (dist + workers ready), 3 runs", fmtSpread(stats(startSamples), fmtMs)],
    ],
  );
}

if (isMain(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
