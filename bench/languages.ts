/**
 * Per language, in one run (issue 4):
 *
 * 1. Build time of the parity suite (languages/<lang>/fixtures/parity) with dcm's cache
 *    empty (a fresh cache folder; the toolchains' own caches stay warm), and
 *    the no-change rebuild of the same dist.
 * 2. Client module size of the parity suite, raw and gzip -9 (target: Rust and
 *    AssemblyScript under 100 KB gzip).
 * 3. Call overhead on the client module through the in-process API
 *    (`callSync`, the path the client executors take) for a scalar call
 *    (add, int64), a 100-byte string round trip (echo) and a 1 MB list of
 *    float64 (sum; reported in MB/s, target ≥ 200 MB/s), each against the
 *    FLOOR measured in the same run: the bare export of the same module
 *    called by hand (scalar: the export itself; buffer: dcm_in + the export +
 *    dcm_out with hand-written framing), or for the js target the bundled
 *    function called directly. Fixtures: bench/fixtures/calls/<lang>.
 *
 * Languages whose adapter is not registered are listed as skipped.
 * Run: `npm run build && node build/bench/languages.js [lang…]`.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import type { JsValue } from "../runtime/abi/js-values.js";
import type { Manifest, ManifestModule } from "../runtime/abi/manifest-types.js";
import type { ModuleLoader } from "../runtime/abi/module-types.js";
import { loadDist } from "../runtime/node/load-dist.js";
import { WasiShim } from "../runtime/wasi/wasi-shim.js";
import { buildDist } from "../src/build/build-dist.js";
import { projectRoot } from "../src/core/paths.js";
import { languageById } from "../src/languages/registry.js";
import {
  banner,
  benchTmp,
  fmtMs,
  fmtNs,
  fmtRatio,
  glueResolver,
  isMain,
  printTable,
  type Stats,
  stats,
  verdict,
} from "./bench-util.js";

const LANGS = ["go", "rust", "assemblyscript", "typescript"];
const S100 = "dcm-".repeat(25);
const LIST_LEN = 131_072; // 1 MiB of float64
const REPS = 5;
let sink = 0;

function timeSync(f: () => unknown, n: number): Stats {
  for (let i = 0; i < Math.min(n, 2000); i++) f();
  const out: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) if (f() === undefined) sink++;
    out.push(((performance.now() - t) * 1e6) / n);
  }
  return stats(out);
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const mbps = (nsPerCall: number) => (8 * LIST_LEN) / 1e6 / (nsPerCall / 1e9);

interface Floor {
  add(): unknown;
  echo(): unknown;
  sum(): unknown;
}

type RawExports = Record<string, CallableFunction> & { memory: WebAssembly.Memory };

/**
 * The raw exports of a client WASM module: instantiated here with the WASI
 * shim, or, for a module whose imports only its glue can satisfy (Rust through
 * wasm-bindgen), through the dist's glue, whose instance keeps the exports in
 * its `ex` field (read here only to call them bare).
 */
async function rawExports(dir: string, module: ManifestModule, bytes: Uint8Array, m: Manifest): Promise<RawExports> {
  if (module.glue) {
    const glue = (await import(pathToFileURL(join(dir, module.glue.file)).href)) as { default: ModuleLoader };
    const inst = await glue.default.load({
      module,
      bytes,
      fragments: m.fragments.filter((f) => module.fragments.includes(f.id)),
      types: m.types,
    });
    return (inst as unknown as { ex: RawExports }).ex;
  }
  const mod = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  const wasi = new WasiShim();
  const inst = await WebAssembly.instantiate(mod, wasi.imports(mod));
  const ex = inst.exports as RawExports;
  wasi.bind(ex.memory);
  (ex._initialize as (() => void) | undefined)?.();
  return ex;
}

/** The bare exports of a docs/abi.md WASM module, called by hand. */
function wasmFloor(ex: RawExports, m: Manifest, list: Float64Array): Floor {
  const exp = (id: string) => ex[m.fragments.find((f) => f.id === id)!.export!] as (...a: unknown[]) => unknown;
  const add = exp("add");
  const echo = exp("echo") as (n: number) => number;
  const sum = exp("sum") as (n: number) => number;
  const dcmIn = ex.dcm_in as (n: number) => number;
  const dcmOut = ex.dcm_out as () => number;
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const listBytes = new Uint8Array(list.buffer);
  return {
    add: () => add(2n, 3n),
    echo: () => {
      const ptr = dcmIn(4 + 300);
      let u8 = new Uint8Array(ex.memory.buffer);
      const n = enc.encodeInto(S100, u8.subarray(ptr + 4)).written;
      new DataView(ex.memory.buffer).setUint32(ptr, n, true);
      const len = echo(4 + n);
      const out = dcmOut();
      u8 = new Uint8Array(ex.memory.buffer);
      const dv = new DataView(ex.memory.buffer);
      return u8[out] === 0 && len > 5 ? dec.decode(u8.subarray(out + 5, out + 5 + dv.getUint32(out + 1, true))) : null;
    },
    sum: () => {
      const ptr = dcmIn(4 + listBytes.length);
      new DataView(ex.memory.buffer).setUint32(ptr, list.length, true);
      new Uint8Array(ex.memory.buffer).set(listBytes, ptr + 4);
      sum(4 + listBytes.length);
      return new DataView(ex.memory.buffer).getFloat64(dcmOut() + 1, true);
    },
  };
}

/** The functions of a `js` module's bundle, called directly. */
async function jsFloor(bytes: Uint8Array, m: Manifest, list: Float64Array): Promise<Floor> {
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(bytes).toString("base64")}`)) as Record<
    string,
    (...a: unknown[]) => unknown
  >;
  const fn = (id: string) => mod[m.fragments.find((f) => f.id === id)!.export!]!;
  const add = fn("add");
  const echo = fn("echo");
  const sum = fn("sum");
  const arr = Array.from(list);
  return { add: () => add(2n, 3n), echo: () => echo(S100), sum: () => sum(arr) };
}

async function buildTimes(lang: string) {
  const repo = join(projectRoot(), "languages", lang, "fixtures", "parity");
  const out = benchTmp("languages", `${lang}-parity-dist`);
  const cacheDir = benchTmp("languages", `${lang}-cache-${process.pid}-${Date.now()}`);
  // No dist and an empty cache: everything is generated and compiled.
  await rm(out, { recursive: true, force: true });
  const t0 = performance.now();
  const first = await buildDist({ repo, cfd: join(repo, "dcm.yaml"), out, cacheDir });
  const cold = performance.now() - t0;
  if (first.upToDate || first.modulesFromCache > 0) throw new Error(`${lang}: the cold build reused earlier work`);
  const again = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = await buildDist({ repo, cfd: join(repo, "dcm.yaml"), out, cacheDir });
    again.push(performance.now() - t);
    if (!r.upToDate) throw new Error(`${lang}: a rebuild without changes was not up to date`);
  }
  const client = first.manifest.modules.find((x) => x.sides.includes("client") && x.target !== "native")!;
  const bytes = await readFile(join(out, client.file));
  const callable = first.manifest.fragments.filter((f) => f.signature).length;
  await rm(cacheDir, { recursive: true, force: true });
  return {
    cold,
    rebuild: stats(again),
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    file: client.file,
    callable,
  };
}

/** The native plugin through the blocking channel of its worker (dist.callSync on the server). */
async function serverCosts(dist: Awaited<ReturnType<typeof loadDist>>, arr: number[]) {
  const on = { on: "server" } as const;
  await dist.call("add", [2n, 3n], on);
  return {
    add: timeSync(() => dist.callSync("add", [2n, 3n], on), 20_000),
    echo: timeSync(() => dist.callSync("echo", [S100], on), 20_000),
    sum: timeSync(() => dist.callSync("sum", [arr as JsValue], on), 20),
  };
}

async function callCosts(lang: string) {
  const repo = join(projectRoot(), "bench/fixtures/calls", lang);
  const out = benchTmp("languages", `${lang}-calls-dist`);
  await buildDist({ repo, cfd: join(repo, "dcm.yaml"), out, cacheDir: benchTmp("dcm-cache") });
  const dist = await loadDist(out, glueResolver);
  const list = new Float64Array(LIST_LEN).map((_, i) => (i % 1000) / 8);
  const want = list.reduce((a, b) => a + b, 0);
  try {
    const arr = Array.from(list);
    const on = { on: "client" } as const;
    await dist.call("add", [2n, 3n], on);
    const client = dist.manifest.modules.find((x) => x.sides.includes("client") && x.target !== "native")!;
    const bytes = new Uint8Array(await readFile(join(out, client.file)));
    const floor =
      client.target === "js"
        ? await jsFloor(bytes, dist.manifest, list)
        : wasmFloor(await rawExports(out, client, bytes, dist.manifest), dist.manifest, list);
    // Both paths must compute the same thing before they are timed.
    const check = (what: string, a: unknown, b: unknown) => {
      if (a !== b) throw new Error(`${lang} ${what}: dcm gave ${String(a)}, the floor ${String(b)}`);
    };
    check("add", dist.callSync("add", [2n, 3n], on), BigInt(floor.add() as bigint));
    check("echo", dist.callSync("echo", [S100], on), floor.echo());
    check("sum", dist.callSync("sum", [arr as JsValue], on), floor.sum());
    check("sum vs JS", floor.sum(), want);
    return {
      target: client.target,
      add: timeSync(() => dist.callSync("add", [2n, 3n], on), 100_000),
      addFloor: timeSync(floor.add, 100_000),
      echo: timeSync(() => dist.callSync("echo", [S100], on), 50_000),
      echoFloor: timeSync(floor.echo, 50_000),
      sum: timeSync(() => dist.callSync("sum", [arr as JsValue], on), 20),
      sumFloor: timeSync(floor.sum, 20),
      server: dist.manifest.modules.some((x) => x.target === "native") ? await serverCosts(dist, arr) : null,
    };
  } finally {
    await dist.close();
  }
}

export async function main(): Promise<void> {
  const wanted = process.argv.slice(2).length ? process.argv.slice(2) : LANGS;
  banner(
    "Languages: build time, module size, call overhead",
    "Parity suite built per language with dcm's cache empty; calls on the client module via callSync against the bare export.",
  );
  const buildRows: string[][] = [];
  const callRows: string[][] = [];
  const serverRows: string[][] = [];
  for (const lang of wanted) {
    if (!languageById(lang)) {
      console.log(`skipped ${lang}: no adapter registered`);
      continue;
    }
    const b = await buildTimes(lang);
    buildRows.push([
      lang,
      String(b.callable),
      fmtMs(b.cold),
      `${fmtMs(b.rebuild.median)} (${fmtMs(b.rebuild.min)}–${fmtMs(b.rebuild.max)})`,
      b.file,
      kb(b.raw),
      kb(b.gzip),
    ]);
    if (lang === "rust" || lang === "assemblyscript") {
      verdict(b.gzip < 100 * 1024, `${lang} client module of the parity suite < 100 KB gzip`, kb(b.gzip));
    }
    const c = await callCosts(lang);
    callRows.push([
      `${lang} (${c.target})`,
      fmtNs(c.add.median),
      fmtNs(c.addFloor.median),
      fmtRatio(c.add.median / c.addFloor.median),
      fmtNs(c.echo.median),
      fmtNs(c.echoFloor.median),
      fmtRatio(c.echo.median / c.echoFloor.median),
      `${mbps(c.sum.median).toFixed(0)} MB/s`,
      `${mbps(c.sumFloor.median).toFixed(0)} MB/s`,
    ]);
    if (c.server) {
      serverRows.push([
        `${lang} (native)`,
        fmtNs(c.server.add.median),
        fmtNs(c.server.echo.median),
        `${mbps(c.server.sum.median).toFixed(0)} MB/s`,
      ]);
    }
    verdict(
      mbps(c.sum.median) >= 200,
      `${lang}: 1 MB float64 list across the boundary ≥ 200 MB/s`,
      `${mbps(c.sum.median).toFixed(0)} MB/s`,
    );
  }
  console.log("\nBuild of the parity suite (dcm cache empty, toolchain caches warm) and sizes of its client module");
  printTable(
    ["language", "fragments", "cold build", "no-change rebuild (median, min–max)", "client module", "raw", "gzip -9"],
    buildRows,
  );
  console.log("\nCalls on the client module (median of 5 repetitions); floor = the bare export in the same run");
  printTable(["language", "add", "floor", "ratio", "echo 100 B", "floor", "ratio", "sum 1 MB", "floor"], callRows);
  console.log("\nThe same calls on the server's native plugin, blocking on its worker (dist.callSync, median of 5)");
  printTable(["language", "add", "echo 100 B", "sum 1 MB"], serverRows);
  if (sink < 0) console.log(sink);
}

if (isMain(import.meta.url)) await main();
