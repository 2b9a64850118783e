/**
 * Per-call timing loops shared by the call benches: each runs `reps`
 * repetitions of n calls after a warm-up and reports ns per call. Results
 * feed `sink` so that no call can be optimised away.
 */
import { type Stats, stats } from "./bench-util.js";

export const REPS = 5;
let sinkCount = 0;

/** What the loops accumulated (print it, so the work is observable). */
export function sink(): number {
  return sinkCount;
}

/** ns per call of a synchronous function. */
export function timeSync(f: () => unknown, n: number, warm = n / 10): Stats {
  for (let i = 0; i < warm; i++) f();
  const out: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) if (f() === undefined) sinkCount++;
    out.push(((performance.now() - t) * 1e6) / n);
  }
  return stats(out);
}

/** ns per call awaited one at a time. */
export async function timeAwait(f: () => Promise<unknown>, n: number, warm = n / 10): Promise<Stats> {
  for (let i = 0; i < warm; i++) await f();
  const out: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) if ((await f()) === undefined) sinkCount++;
    out.push(((performance.now() - t) * 1e6) / n);
  }
  return stats(out);
}

/** ns per call with `batch` calls in flight at once. */
export async function timePipelined(f: () => Promise<unknown>, n: number, batch = 1000): Promise<Stats> {
  await Promise.all(Array.from({ length: batch }, f));
  const out: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t = performance.now();
    for (let done = 0; done < n; done += batch)
      sinkCount += (await Promise.all(Array.from({ length: batch }, f))).length;
    out.push(((performance.now() - t) * 1e6) / n);
  }
  return stats(out);
}
