/**
 * Runs every benchmark in sequence, each in a process of its own, then
 * repeats their PASS/MISS lines. Targets are reported, not asserted: the exit
 * code is non-zero only when a benchmark could not run.
 *
 * Run: `npm run build && npm run bench` (or `node build/bench/run-all.js [name…]`).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { fmtMs } from "./bench-util.js";

const BENCHES = [
  "client-list",
  "analysis-scaling",
  "repo-walk",
  "startup",
  "build-time",
  "call-overhead",
  "host-calls",
  "native-isolation",
  "module-size",
  "runtime-scale",
  "scenario-iii",
  "browser-calls",
  "languages",
  "terraform-build",
  "sandbox-build",
  "service-queue",
  "archive-unpack",
  "build-drivers",
  "service-latency",
  "service-throughput",
  "state-migration",
  "state-overhead",
  "redeploy-under-load",
];

function runOne(name: string): Promise<{ code: number; verdicts: string[] }> {
  const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "inherit"] });
    const verdicts: string[] = [];
    let partial = "";
    child.stdout.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) if (/^(PASS|MISS) /.test(l)) verdicts.push(`${name}: ${l}`);
    });
    child.on("close", (code) => resolve({ code: code ?? 1, verdicts }));
  });
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !BENCHES.includes(w));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(", ")}. Known: ${BENCHES.join(", ")}.`);
  process.exit(2);
}
const t0 = performance.now();
const verdicts: string[] = [];
const failed: string[] = [];
for (const name of wanted.length > 0 ? wanted : BENCHES) {
  const t = performance.now();
  const r = await runOne(name);
  verdicts.push(...r.verdicts);
  if (r.code !== 0) failed.push(name);
  console.log(`--- ${name}: ${r.code === 0 ? "done" : `FAILED (exit ${r.code})`} in ${fmtMs(performance.now() - t)}`);
}
console.log(`\n=== summary (${fmtMs(performance.now() - t0)}) ===`);
for (const v of verdicts) console.log(v);
if (failed.length > 0) {
  console.log(`Benchmarks that failed to run: ${failed.join(", ")}`);
  process.exitCode = 1;
}
