/**
 * Per-call cost through the in-process API (runtime/node/load-dist.ts) on
 * the go-shop dist: Add(2, 3) (fragment 6, scalar ABI) and a 100-byte string
 * round trip through Echo (buffer ABI), on the client WASM module (callSync)
 * and on the server native plugin (awaited calls one after the other, 1,000
 * calls in flight, and the blocking dist.callSync).
 *
 * Baselines measured in the same run: plain JS functions, and the FLOOR, the
 * bare WebAssembly export (`dcm_f_6`, and for Echo the raw buffer ABI:
 * dcm_in + dcm_f_echo + dcm_out with hand-written UTF-8 framing) on an
 * instance of the dist's client/go.wasm made here with the WASI shim.
 *
 * Run: `npm run build && node build/bench/call-overhead.js`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { JsValue } from "../runtime/abi/js-values.js";
import { loadDist } from "../runtime/node/load-dist.js";
import { WasiShim } from "../runtime/wasi/wasi-shim.js";
import {
  banner,
  ensureExampleDist,
  fmtNs,
  fmtRatio,
  fmtSpread,
  glueResolver,
  isMain,
  printTable,
  type Stats,
  verdict,
} from "./bench-util.js";
import {
  REPS,
  sink,
  timeAwait as timeCallsAwait,
  timePipelined as timeCallsPipelined,
  timeSync as timeCallsSync,
} from "./call-timing.js";

const N = 100_000;
const N_AWAIT = 20_000;
const S100 = "dcm-".repeat(25);

// The loops (call-timing.ts) with this bench's call counts and warm-ups.
const timeSync = (f: () => unknown, n = N) => timeCallsSync(f, n, n === N ? 20_000 : n / 10);
const timeAwait = (f: () => Promise<unknown>) => timeCallsAwait(f, N_AWAIT, 2000);
const timePipelined = (f: () => Promise<unknown>) => timeCallsPipelined(f, N);

/**
 * The async path's floor: a bare worker that answers each message at once,
 * with messages shaped like the native host's (a batch of one call; a batch
 * of one reply), one at a time.
 */
async function pingPong(): Promise<Stats> {
  const w = new Worker(
    `const { parentPort } = require("node:worker_threads");
parentPort.on("message", (m) => parentPort.postMessage({ t: "replies", replies: [{ cid: m.calls[0].cid, ok: true, value: 5n }] }));`,
    { eval: true },
  );
  let resolve: (v: unknown) => void = () => {};
  w.on("message", (m) => resolve(m));
  let cid = 0;
  const s = await timeAwait(
    () =>
      new Promise((r) => {
        resolve = r;
        w.postMessage({ t: "calls", calls: [{ cid: ++cid, id: "6", args: [2n, 3n] }] });
      }),
  );
  await w.terminate();
  return s;
}

interface RawExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  dcm_in(len: number): number;
  dcm_out(): number;
  dcm_f_6(a: bigint, b: bigint): bigint;
  dcm_f_echo(len: number): number;
}

/** The floor: the dist's client module instantiated by hand, its exports called directly. */
async function rawInstance(
  file: string,
): Promise<{ add: () => bigint; goSide: () => number; echo: (s: string) => string }> {
  const module = await WebAssembly.compile(await readFile(file));
  const wasi = new WasiShim();
  const instance = await WebAssembly.instantiate(module, wasi.imports(module));
  const ex = instance.exports as unknown as RawExports;
  wasi.bind(ex.memory);
  ex._initialize();
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  let u8 = new Uint8Array(ex.memory.buffer);
  let dv = new DataView(ex.memory.buffer);
  const fresh = () => {
    if (u8.byteLength === 0) {
      u8 = new Uint8Array(ex.memory.buffer);
      dv = new DataView(ex.memory.buffer);
    }
  };
  const frame = new Uint8Array(4 + S100.length);
  new DataView(frame.buffer).setUint32(0, enc.encodeInto(S100, frame.subarray(4)).written, true);
  return {
    add: () => ex.dcm_f_6(2n, 3n),
    // The Go side alone: the encoded argument copied in, the result frame left where it is.
    goSide: () => {
      const ptr = ex.dcm_in(frame.length);
      fresh();
      u8.set(frame, ptr);
      const n = ex.dcm_f_echo(frame.length);
      return ex.dcm_out() + n;
    },
    echo: (s) => {
      const ptr = ex.dcm_in(4 + 3 * s.length);
      fresh();
      const { written } = enc.encodeInto(s, u8.subarray(ptr + 4, ptr + 4 + 3 * s.length));
      dv.setUint32(ptr, written, true);
      ex.dcm_f_echo(4 + written);
      const out = ex.dcm_out();
      fresh();
      if (u8[out] !== 0) throw new Error("echo failed");
      const len = dv.getUint32(out + 1, true);
      return dec.decode(u8.subarray(out + 5, out + 5 + len));
    },
  };
}

export async function main(): Promise<void> {
  banner(
    "call-overhead",
    "per-call cost of Add(2,3) and a 100 B Echo through loadDist, vs plain JS and the bare WASM export",
  );
  const built = await ensureExampleDist();
  const dir = built.outDir;
  const raw = await rawInstance(join(dir, "client", "go.wasm"));
  if (raw.add() !== 5n || raw.echo(S100) !== S100 || raw.goSide() <= 0)
    throw new Error("the raw instance gives wrong answers");

  // The in-process paths (the native plugin in a worker thread); bench/native-isolation.ts sets them against the default, plugin processes.
  const dist = await loadDist(dir, glueResolver, { isolation: "thread" });
  const client = { on: "client" } as const;
  const server = { on: "server" } as const;
  const add: JsValue[] = [2n, 3n];
  const echo: JsValue[] = [S100];
  for (const on of [client, server]) {
    if ((await dist.call("6", add, on)) !== 5n || (await dist.call("echo", echo, on)) !== S100) {
      throw new Error(`wrong answer on the ${on.on}`);
    }
  }

  // Make the timing loops' call site megamorphic before the first row, so that every row pays the same harness.
  for (const g of [() => 1, () => "x", () => 2n, () => null, () => [], () => ({})]) timeSync(g, 10_000);
  const jsAdd = (a: number, b: number) => a + b;
  const jsEcho = (s: string) => s;
  const scalar: Array<[string, Stats]> = [];
  const text: Array<[string, Stats]> = [];
  scalar.push(["JS (a, b) => a + b", timeSync(() => jsAdd(2, 3))]);
  scalar.push(["FLOOR: bare export dcm_f_6(2n, 3n)", timeSync(raw.add)]);
  scalar.push(["client WASM, dist.callSync", timeSync(() => dist.callSync("6", add, client))]);
  scalar.push(["client WASM, await dist.call", await timeAwait(() => dist.call("6", add, client))]);
  scalar.push(["server native, await dist.call (one at a time)", await timeAwait(() => dist.call("6", add, server))]);
  scalar.push(["  reference: bare worker round trip, same messages", await pingPong()]);
  scalar.push(["server native, dist.call, 1,000 in flight", await timePipelined(() => dist.call("6", add, server))]);
  text.push(["JS s => s", timeSync(() => jsEcho(S100))]);
  text.push(["FLOOR: raw buffer ABI, bytes in, frame left in memory", timeSync(raw.goSide)]);
  text.push(["raw buffer ABI + TextEncoder/TextDecoder by hand", timeSync(() => raw.echo(S100))]);
  text.push(["client WASM, dist.callSync", timeSync(() => dist.callSync("echo", echo, client))]);
  text.push(["server native, await dist.call (one at a time)", await timeAwait(() => dist.call("echo", echo, server))]);
  text.push(["server native, dist.call, 1,000 in flight", await timePipelined(() => dist.call("echo", echo, server))]);
  // The blocking path: the native plugin's worker answers over a SharedArrayBuffer channel.
  if (dist.callSync("6", add, server) !== 5n) throw new Error("native callSync: wrong answer");
  scalar.push(["server native, dist.callSync (blocking)", timeSync(() => dist.callSync("6", add, server))]);
  text.push(["server native, dist.callSync (blocking)", timeSync(() => dist.callSync("echo", echo, server))]);
  await dist.close();

  for (const [title, rows] of [
    ["Add(2, 3), scalar ABI", scalar],
    ["Echo of a 100-byte string, buffer ABI", text],
  ] as const) {
    const floor = rows.find(([k]) => k.startsWith("FLOOR"))![1].median;
    const js = rows[0]![1].median;
    console.log(`\n${title}: time per call, median [min–max] of repetitions`);
    printTable(
      ["call", "per call", "× floor", "× JS"],
      rows.map(([k, s]) => [k, fmtSpread(s, fmtNs), fmtRatio(s.median / floor), fmtRatio(s.median / js)]),
    );
  }
  console.log(
    `\n(${N.toLocaleString("en")} calls per repetition, ${REPS} repetitions; awaited one-at-a-time rows: ` +
      `${N_AWAIT.toLocaleString("en")} × 5; sink ${sink()})\n`,
  );
  const get = (rows: Array<[string, Stats]>, k: string) => rows.find(([x]) => x === k)?.[1];
  const cs = get(scalar, "client WASM, dist.callSync")!;
  verdict(cs.median < 1000, "Add into client WASM (callSync) < 1 µs", fmtNs(cs.median));
  for (const k of [
    "server native, await dist.call (one at a time)",
    "server native, dist.call, 1,000 in flight",
    "server native, dist.callSync (blocking)",
  ]) {
    const s = get(scalar, k);
    if (s)
      verdict(
        s.median < 10_000,
        `Add into the native plugin < 10 µs (${k.replace("server native, ", "")})`,
        fmtNs(s.median),
      );
  }
}

if (isMain(import.meta.url)) await main();
