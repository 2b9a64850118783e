/**
 * What isolating server-side fragments costs per call (issue 9, item 3): the
 * go-shop dist's Add(2, 3) (fragment 6, scalar ABI) and a 100-byte Echo
 * (buffer ABI) through loadDist on the server, in one run:
 *
 *   - native plugin in a supervised process (isolation "process", the default),
 *   - native plugin in a worker thread of this process (isolation "thread", the
 *     trusted fast path, what every server call cost before),
 *   - the server's WASM module, in a process and in this thread,
 *
 * each awaited one at a time, 1,000 in flight, and blocking (callSync). Then
 * what a crash costs: the time from a process's death to the next answer
 * (a fresh process loads the plugin). Ratios are against the thread path,
 * measured in the same run.
 *
 * Run: `npm run build && node build/bench/native-isolation.js`.
 */
import type { JsValue } from "../runtime/abi/js-values.js";
import { type LoadedDist, loadDist } from "../runtime/node/load-dist.js";
import {
  banner,
  ensureExampleDist,
  fmtMs,
  fmtNs,
  fmtRatio,
  fmtSpread,
  glueResolver,
  isMain,
  printTable,
  type Stats,
  stats,
  verdict,
} from "./bench-util.js";
import {
  REPS,
  sink,
  timeAwait as timeCallsAwait,
  timePipelined as timeCallsPipelined,
  timeSync as timeCallsSync,
} from "./call-timing.js";

const N = 50_000;
const N_AWAIT = 5_000;
const S100 = "dcm-".repeat(25);

// The loops (call-timing.ts) with this bench's call counts and warm-ups.
const timeSync = (f: () => unknown, n = N) => timeCallsSync(f, n, n === N ? 5_000 : n / 10);
const timeAwait = (f: () => Promise<unknown>) => timeCallsAwait(f, N_AWAIT, 1000);
const timePipelined = (f: () => Promise<unknown>) => timeCallsPipelined(f, N);

type Mode = "awaited" | "1,000 in flight" | "callSync";
interface Row {
  path: string;
  mode: Mode;
  add: Stats;
  echo: Stats;
}

async function measure(path: string, dist: LoadedDist, opts: { on: "server"; target?: "wasm" }): Promise<Row[]> {
  const add: JsValue[] = [2n, 3n];
  const echo: JsValue[] = [S100];
  if ((await dist.call("6", add, opts)) !== 5n || (await dist.call("echo", echo, opts)) !== S100)
    throw new Error(`${path}: wrong answer`);
  if (dist.callSync("6", add, opts) !== 5n) throw new Error(`${path}: wrong answer from callSync`);
  return [
    {
      path,
      mode: "awaited",
      add: await timeAwait(() => dist.call("6", add, opts)),
      echo: await timeAwait(() => dist.call("echo", echo, opts)),
    },
    {
      path,
      mode: "1,000 in flight",
      add: await timePipelined(() => dist.call("6", add, opts)),
      echo: await timePipelined(() => dist.call("echo", echo, opts)),
    },
    {
      path,
      mode: "callSync",
      add: timeSync(() => dist.callSync("6", add, opts)),
      echo: timeSync(() => dist.callSync("echo", echo, opts)),
    },
  ];
}

/** From a call that ends its process (timed out at 1 ms) to the next answer, which a fresh process gives. */
async function restartCost(dist: LoadedDist): Promise<Stats> {
  const out: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    // `echo` of a long string does not finish in 1 ms: the process is killed and a new one answers next.
    await dist.call("echo", ["x".repeat(1 << 22)], { on: "server", timeoutMs: 1 }).catch(() => null);
    if ((await dist.call("6", [2n, 3n], { on: "server" })) !== 5n) throw new Error("restart: wrong answer");
    out.push(performance.now() - t);
  }
  return stats(out);
}

export async function main(): Promise<void> {
  banner(
    "native-isolation",
    "per-call cost of server-side fragments in a supervised process vs a worker thread of this process vs server WASM",
  );
  const dir = (await ensureExampleDist()).outDir;
  const isolated = await loadDist(dir, glueResolver, { isolation: "process" });
  const trusted = await loadDist(dir, glueResolver, { isolation: "thread" });
  const native = { on: "server" } as const;
  const wasm = { on: "server", target: "wasm" } as const;
  const rows = [
    ...(await measure("native, thread (in-process)", trusted, native)),
    ...(await measure("native, process (default)", isolated, native)),
    ...(await measure("server WASM, this thread", trusted, wasm)),
    ...(await measure("server WASM, process", isolated, wasm)),
  ];
  const restart = await restartCost(isolated);
  await Promise.all([isolated.close(), trusted.close()]);

  const base = (mode: Mode) => rows.find((r) => r.path.startsWith("native, thread") && r.mode === mode)!;
  console.log("Time per call, median [min–max] of repetitions; × = against the native thread path, same mode");
  printTable(
    ["path", "mode", "Add(2, 3)", "×", "Echo 100 B", "×"],
    rows.map((r) => [
      r.path,
      r.mode,
      fmtSpread(r.add, fmtNs),
      fmtRatio(r.add.median / base(r.mode).add.median),
      fmtSpread(r.echo, fmtNs),
      fmtRatio(r.echo.median / base(r.mode).echo.median),
    ]),
  );
  console.log(
    `\nA crash (here: a kill at a 1 ms deadline) to the next answer from a fresh process: ${fmtSpread(restart, fmtMs)}`,
  );
  console.log(
    `(${N.toLocaleString("en")} calls per repetition, awaited rows ${N_AWAIT.toLocaleString("en")}, ${REPS} repetitions; sink ${sink()})\n`,
  );
  const get = (path: string, mode: Mode) => rows.find((r) => r.path === path && r.mode === mode)!.add.median;
  const p = "native, process (default)";
  verdict(
    get(p, "1,000 in flight") < 10_000,
    "isolated native Add, 1,000 in flight < 10 µs",
    fmtNs(get(p, "1,000 in flight")),
  );
  verdict(get(p, "awaited") < 200_000, "isolated native Add, awaited < 200 µs", fmtNs(get(p, "awaited")));
  verdict(get(p, "callSync") < 100_000, "isolated native Add, callSync < 100 µs", fmtNs(get(p, "callSync")));
}

if (isMain(import.meta.url)) await main();
