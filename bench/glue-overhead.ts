/**
 * Per-call cost of the runtime glue: WASM instance (scalar and buffer ABI)
 * and the native host (async and sync), with the raw costs underneath for
 * comparison. Run: `npx tsx bench/glue-overhead.ts` (builds the Go fixture
 * of test/unit/runtime first; needs Go and a C compiler).
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { sigCodec } from "../runtime/abi/codec.js";
import { loadWasmInstance } from "../runtime/abi/dcm-wasm-instance.js";
import { Reader, Writer } from "../runtime/abi/wire-io.js";
import { startNativeHost } from "../runtime/native/native-host.js";
import { NativeInstance } from "../runtime/native/native-instance.js";
import { spawnModuleWorker } from "../runtime/native/spawn-worker.js";
import { buildFixture, FRAGMENTS, loadRequest, TYPES } from "../test/unit/runtime/abi-go-fixture.js";

const S100 = "x".repeat(100);
const ROUNDS = 5;

/** Median over ROUNDS of the mean ns per call. */
function timeSync(f: () => unknown, n: number): number {
  for (let i = 0; i < Math.min(n, 20_000); i++) f();
  const runs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) f();
    runs.push(((performance.now() - t) * 1e6) / n);
  }
  return runs.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

async function timeAsync(f: () => Promise<unknown>, n: number): Promise<number> {
  for (let i = 0; i < Math.min(n, 2000); i++) await f();
  const runs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) await f();
    runs.push(((performance.now() - t) * 1e6) / n);
  }
  return runs.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

async function timePipelined(f: () => Promise<unknown>, n: number, batch: number): Promise<number> {
  const runs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    for (let done = 0; done < n; done += batch) await Promise.all(Array.from({ length: batch }, f));
    runs.push(((performance.now() - t) * 1e6) / n);
  }
  return runs.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

/** In a worker: the native plugin called directly, without the host. */
function nativeInWorker(): void {
  const inst = new NativeInstance(loadRequest("native", workerData as string));
  parentPort!.postMessage({
    "native, in the worker: add": timeSync(() => inst.call("add", [1n, 2n]), 200_000),
    "native, in the worker: echo 100 B": timeSync(() => inst.call("echo", [S100]), 100_000),
  });
}

async function main(): Promise<void> {
  const rows: Record<string, number> = {};
  const wasm = await loadWasmInstance(loadRequest("wasm", buildFixture("wasm")));
  const ex = (wasm as unknown as { ex: Record<string, (...a: unknown[]) => unknown> }).ex;
  rows["wasm raw export f_add(1n, 2n)"] = timeSync(() => ex.f_add!(1n, 2n), 2_000_000);
  rows["wasm instance add"] = timeSync(() => wasm.call("add", [1n, 2n]), 2_000_000);
  const echo = FRAGMENTS.find((f) => f.id === "echo")!;
  const codec = sigCodec(echo.signature!, TYPES);
  const w = new Writer();
  const frame = new Writer();
  codec.writeResult(frame, { status: 0, value: S100 });
  const r = new Reader();
  rows["JS codec only: encode + decode 100 B string"] = timeSync(() => {
    w.pos = 0;
    codec.writeArgs(w, [S100], "echo");
    return codec.readResultValue(r.from(frame.buf.subarray(0, frame.pos)), "echo");
  }, 1_000_000);
  w.pos = 0;
  codec.writeArgs(w, [S100], "echo");
  rows["wasm raw Go side: dcm_in + f_echo + dcm_out"] = timeSync(() => {
    ex.dcm_in!(w.pos);
    ex.f_echo!(w.pos);
    return ex.dcm_out!();
  }, 300_000);
  rows["wasm instance echo 100 B string"] = timeSync(() => wasm.call("echo", [S100]), 300_000);

  const so = buildFixture("native");
  const inWorker = spawnModuleWorker(new URL(import.meta.url), { workerData: so });
  Object.assign(
    rows,
    await new Promise<Record<string, number>>((res, rej) => inWorker.once("message", res).once("error", rej)),
  );
  await inWorker.terminate();

  const host = await startNativeHost(loadRequest("native", so));
  rows["native host callSync add"] = timeSync(() => host.callSync("add", [1n, 2n]), 100_000);
  rows["native host callSync echo 100 B"] = timeSync(() => host.callSync("echo", [S100]), 100_000);
  rows["native host call add (await each)"] = await timeAsync(() => host.call("add", [1n, 2n]), 10_000);
  rows["native host call echo 100 B (await each)"] = await timeAsync(() => host.call("echo", [S100]), 10_000);
  rows["native host call add (1000 in flight)"] = await timePipelined(() => host.call("add", [1n, 2n]), 100_000, 1000);
  await host.close();

  const width = Math.max(...Object.keys(rows).map((k) => k.length));
  for (const [k, v] of Object.entries(rows)) {
    console.log(`${k.padEnd(width)}  ${v >= 10_000 ? `${(v / 1000).toFixed(1)} µs` : `${v.toFixed(0)} ns`}`);
  }
}

if (isMainThread) await main();
else nativeInWorker();
