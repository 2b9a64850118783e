/**
 * What per-client server state costs:
 *  1. a stateless call's latency on a server where many clients hold
 *     per-client state, against a server where none does (target ≈ 1.0);
 *  2. a stateful call's extra cost against a stateless one on the same
 *     server: one client calling back to back (its snapshot stays loaded in
 *     the worker: a `get` per call), and two clients alternating (a `set`
 *     and a `get` per call).
 * Both servers run in this process; the stateless calls alternate between
 * them call by call so that drift of the shared machine hits both alike.
 *
 * Run: `npm run build && node build/bench/state-overhead.js [--lang typescript] [--clients 200] [--n 2000]`.
 */
import { parseArgs } from "node:util";
import type { DcmClient } from "../runtime/client/client-distributor.js";
import { banner, fmtMs, fmtRatio, fmtSpread, isMain, printTable, type Stats, stats, verdict } from "./bench-util.js";
import { startStateServer, stateDist } from "./state-bench-rig.js";

async function latencies(c: DcmClient, fragment: string, args: unknown[], n: number, out: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await c.call(fragment, args as never);
    out.push(performance.now() - t);
  }
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { lang: { type: "string" }, clients: { type: "string", default: "200" }, n: { type: "string", default: "2000" } },
  });
  const holders = Number(values.clients);
  const n = Number(values.n);
  const d = await stateDist(values.lang);
  banner("per-client state overhead", `${holders} clients holding state vs none; ${n} calls per series; ${d.what}`);
  const withState = await startStateServer(d.dist, { workers: 2 });
  const without = await startStateServer(d.dist, { workers: 2 });
  try {
    // Clients that hold state on the first server (then disconnect: their records and state stay).
    for (let i = 0; i < holders; i++) {
      const h = await withState.client(`holder-${i}`);
      await h.call("counter-add", [BigInt(i)]);
      await h.call("blob-put", [new Uint8Array(1024).fill(i & 255)]);
      await h.close();
    }
    const a = await withState.client("probe");
    const b = await without.client("probe");
    const a2 = await withState.client("probe-2");
    for (const [s, c] of [[withState, "probe"], [without, "probe"], [withState, "probe-2"]] as const)
      await s.app.dcm.distributor.setLocation(c, "pure-double", "server");
    const sA: number[] = [];
    const sB: number[] = [];
    const stateful: number[] = [];
    const alternating: number[] = [];
    const block = 200;
    for (let done = 0; done < n; done += block) {
      // Call by call in turn, so that the machine's drift hits both servers alike.
      for (let i = 0; i < block; i++) {
        if (i % 2) {
          await latencies(a, "pure-double", [21], 1, sA);
          await latencies(b, "pure-double", [21], 1, sB);
        } else {
          await latencies(b, "pure-double", [21], 1, sB);
          await latencies(a, "pure-double", [21], 1, sA);
        }
      }
      await latencies(a, "counter-get", [], block, stateful);
      for (let i = 0; i < block / 2; i++) {
        await latencies(a, "counter-get", [], 1, alternating);
        await latencies(a2, "counter-get", [], 1, alternating);
      }
    }
    const A = stats(sA.slice(block));
    const B = stats(sB.slice(block));
    const S = stats(stateful.slice(block));
    const X = stats(alternating.slice(block));
    const row = (what: string, st: Stats, base: Stats) => [what, fmtSpread(st, fmtMs), fmtRatio(st.median / base.median)];
    printTable(
      ["series", "latency median [min–max]", "ratio"],
      [
        row("stateless call, server without per-client state (baseline)", B, B),
        row(`stateless call, server with ${holders} clients' state`, A, B),
        row("stateful call, one client back to back (get per call)", S, A),
        row("stateful call, two clients alternating (set + get per call)", X, A),
      ],
    );
    console.log(`\nserver state held: ${withState.app.dcm.distributor.state.size()} clients`);
    verdict(A.median / B.median <= 1.1, "stateless calls unaffected by per-client state (ratio ≤ 1.1)", fmtRatio(A.median / B.median));
  } finally {
    await withState.close();
    await without.close();
    await d.cleanup();
  }
}

if (isMain(import.meta.url)) await main();
