/**
 * Migration time of a stateful group (the blob group of the state fixture:
 * blob-put / blob-size) holding 1 KiB and 1 MiB of state, in both
 * directions, on loopback: from the placement request (the distributor's
 * setLocation, as the API's PUT calls it) until the move has committed on
 * both sides. Baseline, measured in the same run: a plain call round trip
 * (blob-size on the server) of the same client.
 *
 * Run: `npm run build && node build/bench/state-migration.js [--lang typescript] [--reps 7]`.
 * Without --lang the hand-written glue dist is used (no toolchain needed).
 */
import { parseArgs } from "node:util";
import { banner, fmtBytes, fmtMs, fmtRatio, fmtSpread, isMain, printTable, stats, timeMs } from "./bench-util.js";
import { startStateServer, stateDist } from "./state-bench-rig.js";

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { lang: { type: "string" }, reps: { type: "string", default: "7" } } });
  const reps = Number(values.reps);
  const d = await stateDist(values.lang);
  banner("state migration", `move a group with its state, both ways, loopback; ${d.what}`);
  const s = await startStateServer(d.dist, { workers: 2 });
  const rows: string[][] = [];
  try {
    const c = await s.client("bench-mover");
    const control = s.app.dcm.distributor;
    await control.setLocation("bench-mover", "blob-put", "server");
    const rtt = await timeMs(() => c.call("blob-size", []), 200, 50);
    rows.push(["call round trip (blob-size on the server)", "–", fmtSpread(rtt, fmtMs), "1.00×"]);
    let bytes = 0;
    for (const size of [1024, 1024 * 1024]) {
      // Grow the blob to `size` (on the server).
      const chunk = Math.min(size - bytes, 256 * 1024);
      while (bytes < size) bytes = (await c.call("blob-put", [new Uint8Array(Math.min(chunk, size - bytes)).fill(7)])) as number;
      const toClient: number[] = [];
      const toServer: number[] = [];
      for (let i = 0; i < reps; i++) {
        let t = performance.now();
        await control.setLocation("bench-mover", "blob-size", "client");
        toClient.push(performance.now() - t);
        if ((await c.call("blob-size", [])) !== size) throw new Error("the state did not arrive whole");
        t = performance.now();
        await control.setLocation("bench-mover", "blob-size", "server");
        toServer.push(performance.now() - t);
      }
      for (const [dir, samples] of [
        ["server → client", toClient],
        ["client → server", toServer],
      ] as const) {
        const st = stats(samples);
        rows.push([`move ${dir}`, fmtBytes(size), fmtSpread(st, fmtMs), fmtRatio(st.median / rtt.median)]);
      }
    }
  } finally {
    await s.close();
    await d.cleanup();
  }
  printTable(["what", "state", "median [min–max]", "vs call RTT"], rows);
}

if (isMain(import.meta.url)) await main();
