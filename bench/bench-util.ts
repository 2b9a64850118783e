/**
 * Helpers shared by the benchmarks: statistics over repetitions, table
 * printing, PASS/MISS lines (never assertions) and the example's dist.
 * The machine is shared and noisy, so every figure is a median of several
 * repetitions with its spread (min–max) next to it.
 */
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ManifestModule } from "../runtime/abi/manifest-types.js";
import { type BuildReport, buildDist } from "../src/build/build-dist.js";
import { projectRoot } from "../src/core/paths.js";
import { glueFor } from "../src/languages/registry.js";

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** Runs `f` `reps` times (after `warmups` unrecorded runs) and returns the stats of its wall times in ms. */
export async function timeMs(f: () => unknown, reps: number, warmups = 0): Promise<Stats> {
  for (let i = 0; i < warmups; i++) await f();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return stats(out);
}

export function fmtMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 10_000) return `${(ns / 1000).toFixed(1)} µs`;
  if (ns >= 1000) return `${(ns / 1000).toFixed(2)} µs`;
  if (ns >= 10) return `${ns.toFixed(0)} ns`;
  return `${ns.toFixed(1)} ns`;
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return "–";
  return r >= 100 ? `${r.toFixed(0)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

/** `median [min–max]` in the unit `fmt` gives. */
export function fmtSpread(s: Stats, fmt: (x: number) => string): string {
  return `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]`;
}

/** Prints an aligned table; numeric-looking cells are right-aligned. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = (s: string) => /^[\d.,<>~–×%+-]/.test(s) && !/^[a-z]/i.test(s);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i > 0 && numeric(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  console.log(line(headers));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

/** A target is reported, never asserted: the exit code does not depend on it. */
export function verdict(ok: boolean, target: string, measured: string): void {
  console.log(`${ok ? "PASS" : "MISS"}  ${target}: measured ${measured}`);
}

export function banner(title: string, what: string): void {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  console.log(`\n=== ${title} ===`);
  console.log(what);
  console.log(
    `${new Date().toISOString()}  node ${process.version}  ${availableParallelism()}× ${cpu}  load avg ${load}\n`,
  );
}

/** True when the module at `url` is the script node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href;
}

/** Scratch folder of the benchmarks (kept between runs for the caches and generated repositories). */
export function benchTmp(...parts: string[]): string {
  return join(tmpdir(), "dcm-bench", ...parts);
}

export const EXAMPLE_REPO = join(projectRoot(), "examples", "go-shop");
export const EXAMPLE_CFD = join(EXAMPLE_REPO, "dcm.yaml");

/** The go-shop example built into a bench-owned dist (an up-to-date dist is reused). */
export async function ensureExampleDist(): Promise<BuildReport> {
  return buildDist({
    repo: EXAMPLE_REPO,
    cfd: EXAMPLE_CFD,
    out: benchTmp("go-shop-dist"),
    cacheDir: benchTmp("dcm-cache"),
  });
}

/** The glue resolver of loadDist, from the adapter registry. */
export const glueResolver = (lang: string, target: ManifestModule["target"]): string | undefined =>
  glueFor(lang, target);
