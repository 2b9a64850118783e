/**
 * The paper's Scenario III (Table 4), per placement of the fragment:
 *
 *   Fibonacci(93) × 1,000 iterations   (go-shop fragment 4, Fibonacci(n int) uint64)
 *   NthPrime(500000) × 50 iterations   (go-shop fragment 5, NthPrime(n int) int);
 *                                       ×5 by default (`--prime-reps 50` for the paper's count:
 *                                       ~1–2 s per iteration per placement on this machine)
 *
 * Placements, each called one iteration after the other (awaited):
 *   plain JS            the same algorithms written in JS here, as in examples/go-shop/mathx
 *                       (Fibonacci with BigInt wrapped to 64 bits so that the value is exact;
 *                       a float64 `number` variant is shown as a reference row)
 *   client WASM, worker the client runtime's WorkerExecutor (runtime/client/worker-executor.ts)
 *                       under Node worker_threads: one worker, module instantiated once
 *   client WASM, in-thread  dist.call(…, {on: "client"}) (reference row)
 *   server native plugin dist.call(…, {on: "server"}) (the plugin in its worker thread)
 *   server WASM          dist.call(…, {on: "server", target: "wasm"})
 *
 * Every placement's result is checked against the others. Also: the per-call
 * overhead of a warm client WASM call through the worker executor (Add(2, 3)),
 * with a bare worker_threads round trip as its floor.
 *
 * Run: `npm run build && node build/bench/scenario-iii.js [--fib-reps 5] [--prime-reps 5] [--prime-n 500000]`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import type { JsValue } from "../runtime/abi/js-values.js";
import type { Manifest } from "../runtime/abi/manifest-types.js";
import { nodeWorkerSpawner } from "../runtime/client/node-endpoint.js";
import { WorkerExecutor } from "../runtime/client/worker-executor.js";
import { openDist } from "../src/index.js";
import {
  banner,
  ensureExampleDist,
  fmtMs,
  fmtNs,
  fmtRatio,
  fmtSpread,
  isMain,
  printTable,
  type Stats,
  stats,
  verdict,
} from "./bench-util.js";

const FIB_N = 93;
const FIB_ITER = 1000;
const FIB_EXPECTED = 12200160415121876738n;

// --- the Go code of examples/go-shop/mathx, in JS ---

/** mathx.Fibonacci: uint64 arithmetic (wraps above n = 93), exactly. */
function fibonacciJs(n: number): bigint {
  let a = 0n;
  let b = 1n;
  for (let i = 0; i < n; i++) {
    const t = BigInt.asUintN(64, a + b);
    a = b;
    b = t;
  }
  return a;
}

/** The same loop on float64 numbers (what a JS port would naively do; inexact above n = 78). */
function fibonacciJsNumber(n: number): number {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) {
    const t = a + b;
    a = b;
    b = t;
  }
  return a;
}

/** mathx.IsPrime: trial division. */
function isPrimeJs(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) {
    if (n % d === 0) return false;
  }
  return true;
}

/** mathx.NthPrime. */
function nthPrimeJs(n: number): number {
  if (n < 1) return 0;
  let count = 0;
  for (let c = 2; ; c++) {
    if (isPrimeJs(c)) {
      count++;
      if (count === n) return c;
    }
  }
}

type Call = (id: string, args: JsValue[]) => Promise<JsValue>;

interface Placement {
  name: string;
  /** One iteration of Fibonacci(93), one of NthPrime(n). */
  fib: () => Promise<JsValue> | JsValue;
  prime: (n: number) => Promise<JsValue> | JsValue;
  /** A reference row (not a placement of the paper). */
  reference?: boolean;
  /** Gives float64 numbers (the plain-JS reference loop), not the exact uint64. */
  float?: boolean;
}

/** `reps` runs of `iters` iterations; per-run total ms. Checks every value with `check`. */
async function runWorkload(
  f: () => Promise<JsValue> | JsValue,
  iters: number,
  reps: number,
  check: (v: JsValue) => void,
): Promise<Stats> {
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    let last: JsValue = null;
    for (let i = 0; i < iters; i++) last = await f();
    out.push(performance.now() - t);
    check(last);
  }
  return stats(out);
}

/** ns per awaited call, `reps` repetitions of n calls after a warm-up. */
async function timeAwait(f: () => Promise<unknown>, n: number, reps = 5): Promise<Stats> {
  for (let i = 0; i < 500; i++) await f();
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) await f();
    out.push(((performance.now() - t) * 1e6) / n);
  }
  return stats(out);
}

/** The floor of the worker path: a bare worker_threads worker answering each message at once. */
async function bareWorkerRoundTrip(n: number): Promise<Stats> {
  const w = new Worker(
    `const { parentPort } = require("node:worker_threads");
parentPort.on("message", (m) => parentPort.postMessage({ t: "ok", id: m.id, value: 5n }));`,
    { eval: true },
  );
  let resolve: (v: unknown) => void = () => {};
  w.on("message", (m) => resolve(m));
  let id = 0;
  const s = await timeAwait(
    () =>
      new Promise((r) => {
        resolve = r;
        w.postMessage({ t: "call", id: ++id, fragment: "6", args: [2n, 3n] });
      }),
    n,
  );
  await w.terminate();
  return s;
}

export async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "fib-reps": { type: "string" },
      "prime-reps": { type: "string" },
      "prime-n": { type: "string" },
      "add-calls": { type: "string" },
    },
  });
  const fibReps = Number(values["fib-reps"] ?? 5);
  const primeReps = Number(values["prime-reps"] ?? 5);
  const primeN = Number(values["prime-n"] ?? 500_000);
  const addCalls = Number(values["add-calls"] ?? 5000);
  banner(
    "scenario-iii",
    `the paper's Scenario III per placement: Fibonacci(${FIB_N}) × ${FIB_ITER} (${fibReps} runs), ` +
      `NthPrime(${primeN.toLocaleString("en")}) × ${primeReps} (paper: × 50), and a warm worker call`,
  );
  const built = await ensureExampleDist();
  const dir = built.outDir;
  const dist = await openDist(dir);

  // The client runtime's worker executor, as the browser runs it, on Node worker_threads.
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Manifest;
  const wasmModule = manifest.modules.find((m) => m.target === "wasm" && m.sides.includes("client"));
  if (!wasmModule) throw new Error("the dist has no client WASM module");
  const compiled = await WebAssembly.compile(await readFile(join(dir, wasmModule.file)));
  const tReady = performance.now();
  const ex = new WorkerExecutor(
    { manifest, modules: [{ module: wasmModule, wasm: compiled }] },
    { size: 1, spawn: nodeWorkerSpawner() },
  );
  await ex.ready;
  const workerReadyMs = performance.now() - tReady;

  const on =
    (o: { on: "client" | "server"; target?: "wasm" }): Call =>
    (id, args) =>
      dist.call(id, args, o);
  const client = on({ on: "client" });
  const server = on({ on: "server" });
  const serverWasm = on({ on: "server", target: "wasm" });
  const worker: Call = (id, args) => ex.call(id, args);

  const fibArgs: JsValue[] = [BigInt(FIB_N)];
  const placements: Placement[] = [
    { name: "plain JS (BigInt, exact uint64)", fib: () => fibonacciJs(FIB_N), prime: (n) => nthPrimeJs(n) },
    {
      name: "  ref: plain JS on float64 numbers (Fibonacci inexact)",
      fib: () => fibonacciJsNumber(FIB_N),
      prime: (n) => nthPrimeJs(n),
      reference: true,
      float: true,
    },
    { name: "client WASM, worker executor", fib: () => worker("4", fibArgs), prime: (n) => worker("5", [BigInt(n)]) },
    {
      name: "  ref: client WASM, in-thread (dist.call on client)",
      fib: () => client("4", fibArgs),
      prime: (n) => client("5", [BigInt(n)]),
      reference: true,
    },
    { name: "server native plugin", fib: () => server("4", fibArgs), prime: (n) => server("5", [BigInt(n)]) },
    {
      name: "server WASM (target wasm)",
      fib: () => serverWasm("4", fibArgs),
      prime: (n) => serverWasm("5", [BigInt(n)]),
    },
  ];

  // --- correctness: every placement gives the same values (small prime first, then the real one once) ---
  const expectedPrime = nthPrimeJs(primeN);
  for (const p of placements) {
    const f = await p.fib();
    if (p.float ? f !== fibonacciJsNumber(FIB_N) : f !== FIB_EXPECTED)
      throw new Error(`${p.name}: Fibonacci(${FIB_N}) = ${String(f)}, expected ${FIB_EXPECTED}`);
    const small = await p.prime(10_000);
    if (BigInt(small as number | bigint) !== 104729n)
      throw new Error(`${p.name}: NthPrime(10000) = ${String(small)}, expected 104729`);
  }
  const fibNumber = fibonacciJsNumber(FIB_N);
  console.log(
    `Values: Fibonacci(${FIB_N}) = ${FIB_EXPECTED} on every placement (the float64 JS loop gives ${fibNumber}, ` +
      `off by ${BigInt(fibNumber) - FIB_EXPECTED}); NthPrime(10000) = 104729 on every placement; ` +
      `NthPrime(${primeN}) = ${expectedPrime} (checked on every timed iteration below).`,
  );
  console.log(`Worker executor ready (1 worker, module compiled once and posted): ${fmtMs(workerReadyMs)}\n`);

  // --- Fibonacci(93) × 1,000 ---
  const fibRows: Array<[Placement, Stats]> = [];
  for (const p of placements) {
    const want = p.float ? fibNumber : FIB_EXPECTED;
    // One unrecorded warm-up run of the whole workload.
    await runWorkload(p.fib, FIB_ITER, 1, () => {});
    const s = await runWorkload(p.fib, FIB_ITER, fibReps, (v) => {
      if (v !== want) throw new Error(`${p.name}: Fibonacci gave ${String(v)}`);
    });
    fibRows.push([p, s]);
  }

  // --- NthPrime(primeN) × primeReps ---
  const primeRows: Array<[Placement, Stats]> = [];
  for (const p of placements) {
    // The float64 row runs the same code as plain JS for integers this small; the in-thread row runs the
    // very instance that serves `server WASM` (loadDist loads client/go.wasm once for both sides).
    if (p.float || p.name.includes("in-thread")) continue;
    const s = await runWorkload(
      () => p.prime(primeN),
      1,
      primeReps,
      (v) => {
        if (BigInt(v as number | bigint) !== BigInt(expectedPrime))
          throw new Error(`${p.name}: NthPrime(${primeN}) gave ${String(v)}`);
      },
    );
    primeRows.push([p, s]);
  }

  // --- a warm call through the worker executor ---
  const add: JsValue[] = [2n, 3n];
  if ((await ex.call("6", add)) !== 5n) throw new Error("worker executor: Add(2, 3) is not 5");
  const addWorker = await timeAwait(() => ex.call("6", add), addCalls);
  const bare = await bareWorkerRoundTrip(addCalls);
  const addInThread = await timeAwait(() => dist.call("6", add, { on: "client" }), addCalls);
  await ex.close();
  await dist.close();

  // --- report ---
  const paperFib: Record<string, number> = { js: 30, wasm: 69_326, plugin: 24_179 };
  const paperPrime: Record<string, number> = { js: 132_560, wasm: 185_040, plugin: 21_030 };
  const paperKey = (name: string) =>
    name.startsWith("plain JS")
      ? "js"
      : name.startsWith("client WASM, worker")
        ? "wasm"
        : name.startsWith("server native")
          ? "plugin"
          : undefined;
  const fibPlugin = fibRows.find(([p]) => p.name.startsWith("server native"))![1].median;
  console.log(
    `Fibonacci(${FIB_N}) × ${FIB_ITER.toLocaleString("en")} iterations (awaited one after the other), ` +
      `total per run: median [min–max] of ${fibReps} runs`,
  );
  printTable(
    ["placement", "total, 1,000 iterations", "per iteration", "× native plugin", "paper total", "paper / ours"],
    fibRows.map(([p, s]) => {
      const k = paperKey(p.name);
      const paper = k ? paperFib[k]! : undefined;
      return [
        p.name,
        fmtSpread(s, fmtMs),
        fmtNs((s.median * 1e6) / FIB_ITER),
        fmtRatio(s.median / fibPlugin),
        paper !== undefined ? fmtMs(paper) : "",
        paper !== undefined ? fmtRatio(paper / s.median) : "",
      ];
    }),
  );

  const primePlugin = primeRows.find(([p]) => p.name.startsWith("server native"))![1].median;
  console.log(
    `\nNthPrime(${primeN.toLocaleString("en")}) = ${expectedPrime}, ${primeReps} iterations ` +
      `(paper: 50): per iteration, median [min–max]; 'total ×50' extrapolates the median to the paper's 50`,
  );
  printTable(
    [
      "placement",
      "per iteration",
      `total ×${primeReps}`,
      "total ×50 (extrap.)",
      "× native plugin",
      "paper ×50",
      "paper / ours",
    ],
    primeRows.map(([p, s]) => {
      const k = paperKey(p.name);
      const paper = k ? paperPrime[k]! : undefined;
      return [
        p.name,
        fmtSpread(s, fmtMs),
        fmtMs(s.median * primeReps),
        fmtMs(s.median * 50),
        fmtRatio(s.median / primePlugin),
        paper !== undefined ? fmtMs(paper) : "",
        paper !== undefined ? fmtRatio(paper / (s.median * 50)) : "",
      ];
    }),
  );
  console.log(
    "\n(paper, Table 4: Fibonacci 93×1,000: JS 30 ms, WASM 69,326 ms, plugin 24,179 ms; " +
      "NthPrime 500,000×50: JS 132.56 s, WASM 185.04 s, plugin 21.03 s. The paper's WASM started a worker " +
      "and a Go runtime per call; its plugin went through an HTTP request per call.)",
  );

  console.log(`\nWarm call Add(2, 3): time per awaited call, median [min–max] of 5 × ${addCalls.toLocaleString("en")}`);
  printTable(
    ["call", "per call", "× bare worker"],
    [
      [
        "client WASM through the worker executor",
        fmtSpread(addWorker, fmtNs),
        fmtRatio(addWorker.median / bare.median),
      ],
      ["  floor: bare worker_threads round trip", fmtSpread(bare, fmtNs), "1.00×"],
      [
        "  ref: client WASM in-thread, await dist.call",
        fmtSpread(addInThread, fmtNs),
        fmtRatio(addInThread.median / bare.median),
      ],
    ],
  );
  console.log("");

  const med = (rows: Array<[Placement, Stats]>, prefix: string) =>
    rows.find(([p]) => p.name.startsWith(prefix))![1].median;
  for (const [label, w] of [
    ["server WASM", "server WASM"],
    ["client WASM (worker executor)", "client WASM, worker"],
  ] as const) {
    const r = med(primeRows, w) / primePlugin;
    verdict(r <= 2, `${label} within 2× of the native plugin, NthPrime(${primeN}) per iteration`, fmtRatio(r));
  }
  for (const [label, w] of [
    ["server WASM", "server WASM"],
    ["client WASM (worker executor)", "client WASM, worker"],
  ] as const) {
    const r = med(fibRows, w) / fibPlugin;
    verdict(r <= 2, `${label} within 2× of the native plugin, Fibonacci(93) × 1,000`, fmtRatio(r));
  }
  verdict(
    addWorker.median < 50_000,
    "warm client WASM call through the worker executor < 50 µs",
    fmtNs(addWorker.median),
  );
}

if (isMain(import.meta.url)) {
  // Exit explicitly: after a failure the worker executor and the plugin's worker would keep the process alive.
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
