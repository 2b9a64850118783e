/**
 * Per-call cost of each host library on the same dist (the go-shop example):
 * a scalar call, Add(2, 3) (fragment "6", scalar ABI), and a 1 KiB string
 * round trip through `echo` (buffer ABI), on the client module (WASM, in
 * process) and on the server one (the native plugin), one awaited call after
 * another. Hosts:
 *  - Node: dcm's own openDist (the baseline: ratios are against it, same run);
 *    on the server side its native plugin runs in a supervised child process
 *    (isolation "process", the default), so a second row gives isolation
 *    "thread", in process like the Python and Go hosts' native calls;
 *  - Python: hosts/python (dcm_host), through bench/hosts/python-driver.py;
 *  - Go: hosts/go (dcmhost), through bench/hosts/go-driver (built here).
 * A host whose library is not in the checkout, or that cannot run here,
 * prints "not available" and why.
 *
 * The Python interpreter is $DCM_BENCH_PYTHON, else the venv of
 * scripts/install-python-host.sh when it exists (run it first), else python3
 * (then wasmtime must be importable); hosts/python/src is put first on
 * PYTHONPATH, so the checkout's dcm_host is measured.
 *
 * Run: `npm run build && node build/bench/host-calls.js`.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadDist } from "../runtime/node/load-dist.js";
import { projectRoot } from "../src/core/paths.js";
import { banner, ensureExampleDist, fmtNs, fmtRatio, glueResolver, isMain, printTable } from "./bench-util.js";

const run = promisify(execFile);
const ROOT = projectRoot();
/** The host libraries' folder; another checkout's hosts/ may be measured with DCM_BENCH_HOSTS_DIR. */
const HOSTS = process.env.DCM_BENCH_HOSTS_DIR ?? join(ROOT, "hosts");
const CALLS = Number(process.env.DCM_BENCH_HOST_CALLS ?? 5000);
const REPS = 5;
const S1K = "dcm-".repeat(256);
type Side = "client" | "server";

interface PerCall {
  scalar_ns: number;
  string_ns: number;
}
type HostResult = PerCall | { unavailable: string };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function perCallNs(f: () => Promise<unknown>, n: number): Promise<number> {
  for (let i = 0; i < n / 10; i++) await f();
  const samples: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await f();
    samples.push(Number(process.hrtime.bigint() - t) / n);
  }
  return median(samples);
}

async function nodeHost(dist: string, side: Side, isolation?: "thread"): Promise<PerCall> {
  const d = await loadDist(dist, glueResolver, { onOutput: () => {}, ...(isolation ? { isolation } : {}) });
  try {
    if ((await d.call("6", [2n, 3n], { on: side })) !== 5n) throw new Error("the Node host returned a wrong sum");
    if ((await d.call("echo", [S1K], { on: side })) !== S1K) throw new Error("the Node host returned a wrong echo");
    return {
      scalar_ns: await perCallNs(() => d.call("6", [2n, 3n], { on: side }), CALLS),
      string_ns: await perCallNs(() => d.call("echo", [S1K], { on: side }), CALLS),
    };
  } finally {
    await d.close();
  }
}

function why(e: unknown): string {
  const x = e as { stderr?: string; message?: string };
  return (x.stderr?.trim() || x.message || String(e)).split("\n").slice(-1)[0]!.slice(0, 160);
}

async function pythonHost(dist: string, side: Side): Promise<HostResult> {
  const hostDir = join(HOSTS, "python");
  if (!existsSync(hostDir)) return { unavailable: "hosts/python is not in this checkout" };
  const venv =
    process.env.DCM_PYTHON_HOST_VENV ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "dcm", "python-host-venv");
  const python =
    process.env.DCM_BENCH_PYTHON ?? (existsSync(join(venv, "bin", "python")) ? join(venv, "bin", "python") : "python3");
  const env = { ...process.env, PYTHONPATH: [join(hostDir, "src"), process.env.PYTHONPATH].filter(Boolean).join(":") };
  try {
    await run(python, ["-c", "import dcm_host"], { env });
  } catch (e) {
    return { unavailable: `${python} cannot import dcm_host (${why(e)}); set DCM_BENCH_PYTHON to a venv's python` };
  }
  const driver = join(ROOT, "bench", "hosts", "python-driver.py");
  try {
    const { stdout } = await run(python, [driver, dist, side, String(CALLS)], { env, maxBuffer: 1 << 20 });
    return JSON.parse(stdout) as PerCall;
  } catch (e) {
    return { unavailable: `the Python driver failed: ${why(e)}` };
  }
}

/** Builds bench/hosts/go-driver against the checkout's hosts/go (once per run). */
async function buildGoDriver(scratch: string): Promise<string | { unavailable: string }> {
  const hostDir = join(HOSTS, "go");
  if (!existsSync(join(hostDir, "go.mod"))) return { unavailable: "hosts/go is not in this checkout" };
  const src = join(scratch, "go-driver");
  await cp(join(ROOT, "bench", "hosts", "go-driver"), src, { recursive: true });
  const mod = (await readFile(join(src, "go.mod"), "utf8")).replace(/=> \S+/, `=> ${hostDir}`);
  await writeFile(join(src, "go.mod"), mod);
  // The driver needs exactly the host's dependencies: its go.sum covers them.
  await cp(join(hostDir, "go.sum"), join(src, "go.sum")).catch(() => {});
  const bin = join(scratch, "go-host-driver");
  try {
    await run("go", ["build", "-mod=mod", "-o", bin, "."], { cwd: src, env: { ...process.env, GOFLAGS: "-mod=mod" } });
  } catch (e) {
    return { unavailable: `the Go driver does not build: ${why(e)}` };
  }
  return bin;
}

async function goHost(bin: string | { unavailable: string }, dist: string, side: Side): Promise<HostResult> {
  if (typeof bin !== "string") return bin;
  try {
    const { stdout } = await run(bin, [dist, side, String(CALLS)], { maxBuffer: 1 << 20 });
    return JSON.parse(stdout) as PerCall;
  } catch (e) {
    return { unavailable: `the Go driver failed: ${why(e)}` };
  }
}

export async function main(): Promise<void> {
  banner(
    "host-calls",
    `Per-call cost in each host library: Add(2, 3) (scalar ABI) and a 1 KiB string round trip (echo, buffer ABI);\n` +
      `${CALLS} awaited calls × ${REPS} repetitions each, median; ratios against the Node host (openDist) in this run.`,
  );
  const report = await ensureExampleDist();
  const dist = report.outDir;
  const scratch = await mkdtemp(join(tmpdir(), "dcm-bench-hosts-"));
  try {
    const goBin = await buildGoDriver(scratch);
    const rows: string[][] = [];
    const notes: string[] = [];
    for (const side of ["client", "server"] as const) {
      const node = await nodeHost(dist, side);
      const hosts: Array<[string, HostResult]> = [
        ["Node (openDist)", node],
        ...(side === "server"
          ? ([["Node (openDist, isolation thread)", await nodeHost(dist, side, "thread")]] as Array<
              [string, HostResult]
            >)
          : []),
        ["Python (dcm_host)", await pythonHost(dist, side)],
        ["Go (dcmhost)", await goHost(goBin, dist, side)],
      ];
      for (const [name, r] of hosts) {
        if ("unavailable" in r) {
          rows.push([name, side, "not available", "", "not available", ""]);
          notes.push(`${name}: ${r.unavailable}`);
          continue;
        }
        rows.push([
          name,
          side,
          fmtNs(r.scalar_ns),
          fmtRatio(r.scalar_ns / node.scalar_ns),
          fmtNs(r.string_ns),
          fmtRatio(r.string_ns / node.string_ns),
        ]);
      }
    }
    printTable(["host", "on", "scalar / call", "vs Node", "1 KiB string / call", "vs Node"], rows);
    for (const n of [...new Set(notes)]) console.log(`  not available: ${n}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await main();
