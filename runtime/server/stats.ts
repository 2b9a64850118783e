/**
 * Per-fragment call statistics for both sides: counts of calls and errors
 * since start, and p50/p99 over the latest RESERVOIR durations (a ring).
 */
import type { Side } from "../abi/manifest-types.js";
import type { FragmentStats, SideStats } from "./control-types.js";

const RESERVOIR = 1024;

class SideBook {
  calls = 0;
  errors = 0;
  private readonly ring = new Float64Array(RESERVOIR);
  private filled = 0;
  private next = 0;

  record(ms: number | null, ok: boolean): void {
    this.calls++;
    if (!ok) this.errors++;
    if (ms === null || !Number.isFinite(ms) || ms < 0) return;
    this.ring[this.next] = ms;
    this.next = (this.next + 1) % RESERVOIR;
    if (this.filled < RESERVOIR) this.filled++;
  }

  snapshot(): SideStats {
    if (this.filled === 0) return { calls: this.calls, errors: this.errors, p50Ms: null, p99Ms: null };
    const sorted = Array.from(this.ring.subarray(0, this.filled)).sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
    return { calls: this.calls, errors: this.errors, p50Ms: round(q(0.5)), p99Ms: round(q(0.99)) };
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export class StatsBook {
  private readonly books = new Map<string, { client: SideBook; server: SideBook }>();

  /** `ms` null: the call failed without a duration worth counting (timeout, cancel). */
  record(fragment: string, side: Side, ms: number | null, ok: boolean): void {
    let b = this.books.get(fragment);
    if (!b) {
      b = { client: new SideBook(), server: new SideBook() };
      this.books.set(fragment, b);
    }
    b[side].record(ms, ok);
  }

  snapshot(ids: string[]): FragmentStats[] {
    return ids.map((fragment) => {
      const b = this.books.get(fragment);
      const empty: SideStats = { calls: 0, errors: 0, p50Ms: null, p99Ms: null };
      return { fragment, client: b ? b.client.snapshot() : empty, server: b ? b.server.snapshot() : { ...empty } };
    });
  }
}
