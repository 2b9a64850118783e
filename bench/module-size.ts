/**
 * Module sizes of the go-shop dist: the client WASM module (raw, gzip -9,
 * brotli) holding all 38 callable fragments, the amortised size per
 * fragment, and the native server plugin. Compared with the paper's largest
 * single-fragment module (2.7 MB, a constant) and with baselines built in
 * the same run: dcm's module for ONE fragment (Add) and a minimal Go module
 * with one exported function (the Go runtime's own floor), built with the
 * same flags.
 *
 * Closure extraction and wasm-opt: the same dist built without extraction
 * (DCM_GO_EXTRACT=0, whole packages, fresh module cache) is the baseline of
 * the "× no extraction" ratios; binaryen's wasm-opt (the npm package, run
 * as JS) at -O2 and -Oz on the extracted client module, timed against the
 * `go build` of the module measured in the same run.
 *
 * Run: `npm run build && node build/bench/module-size.js`.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { GO_BUILD_FLAGS } from "../languages/go/generate/build-spec.js";
import type { Manifest } from "../runtime/abi/manifest-types.js";
import { buildDist } from "../src/build/build-dist.js";
import { projectRoot } from "../src/core/paths.js";
import {
  banner,
  benchTmp,
  EXAMPLE_CFD,
  EXAMPLE_REPO,
  ensureExampleDist,
  fmtMs,
  fmtRatio,
  isMain,
  printTable,
  verdict,
} from "./bench-util.js";
import { paperCfd, proxyRepo } from "./paper-repos.js";

const PAPER_BYTES = 2.7e6;
const run = promisify(execFile);

const mb = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : `${(n / 1e3).toFixed(1)} kB`);

interface Sizes {
  raw: number;
  gzip: number;
  brotli: number;
}

async function sizes(file: string): Promise<Sizes> {
  const bytes = await readFile(file);
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

/** dcm's modules for the single fragment Add (id 6). */
async function singleFragmentDist(): Promise<string> {
  const dir = benchTmp("module-size");
  await mkdir(dir, { recursive: true });
  const cfd = join(dir, "add-only.yaml");
  await writeFile(cfd, "fragments:\n  - { id: 6, name: Add, runOn: client, location: { filepath: mathx/ints.go } }\n");
  const out = join(dir, "add-only-dist");
  await buildDist({ repo: EXAMPLE_REPO, cfd, out, cacheDir: benchTmp("dcm-cache") });
  return out;
}

const MINIMAL_WASM = `package main

//go:wasmexport add
func add(a, b int64) int64 { return a + b }

func main() {}
`;
const MINIMAL_NATIVE = `package main

import "C"

//export add
func add(a, b C.longlong) C.longlong { return a + b }

func main() {}
`;

/** A minimal Go module with one export, built like dcm builds its modules. */
async function minimalGo(target: "wasm" | "native"): Promise<string> {
  const dir = benchTmp("module-size", `minimal-${target}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "go.mod"), "module minimal\n\ngo 1.24\n");
  await writeFile(join(dir, "main.go"), target === "wasm" ? MINIMAL_WASM : MINIMAL_NATIVE);
  const out = join(dir, target === "wasm" ? "minimal.wasm" : "minimal.so");
  const env =
    target === "wasm"
      ? { GOOS: "wasip1", GOARCH: "wasm", CGO_ENABLED: "0" }
      : { CGO_ENABLED: "1", GOOS: "", GOARCH: "" };
  const clean = Object.fromEntries(
    Object.entries({ ...process.env, GOWORK: "off", GOTOOLCHAIN: "local", ...env }).filter(([, v]) => v !== ""),
  );
  await run("go", ["build", ...GO_BUILD_FLAGS, "-o", out, "."], { cwd: dir, env: clean });
  return out;
}

/**
 * The same user code without dcm: a plain Go reactor that references every
 * exported function fragment of the dist (so the linker keeps them and what
 * they import), in a go.work with the example's module.
 */
async function plainGoWithUserCode(manifest: Manifest): Promise<string> {
  const dir = benchTmp("module-size", "plain-user-code");
  await mkdir(dir, { recursive: true });
  const module = /^module\s+(\S+)/m.exec(await readFile(join(EXAMPLE_REPO, "go.mod"), "utf8"))![1]!;
  const refs = new Map<string, string[]>();
  for (const f of manifest.fragments) {
    const pkgDir = dirname(f.source.file);
    if (f.kind !== "function" || pkgDir === "." || !/^[A-Z]/.test(f.symbol)) continue;
    refs.set(pkgDir, [...(refs.get(pkgDir) ?? []), f.symbol]);
  }
  const pkgs = [...refs.keys()].sort();
  const imports = pkgs.map((p) => `\t"${module}/${p}"`).join("\n");
  const keep = pkgs.flatMap((p) => refs.get(p)!.map((fn) => `${basename(p)}.${fn}`)).join(", ");
  await writeFile(join(dir, "go.mod"), `module ${module}/zz_plain\n\ngo 1.24\n`);
  await writeFile(join(dir, "go.work"), `go 1.24\n\nuse (\n\t.\n\t${EXAMPLE_REPO}\n)\n`);
  await writeFile(
    join(dir, "main.go"),
    `package main\n\nimport (\n${imports}\n)\n\nvar keep = []any{${keep}}\n\n//go:wasmexport count\nfunc count() int32 { return int32(len(keep)) }\n\nfunc main() {}\n`,
  );
  const out = join(dir, "plain.wasm");
  const env = {
    ...process.env,
    GOOS: "wasip1",
    GOARCH: "wasm",
    CGO_ENABLED: "0",
    GOTOOLCHAIN: "local",
    GOWORK: join(dir, "go.work"),
  };
  await run("go", ["build", ...GO_BUILD_FLAGS, "-o", out, "."], { cwd: dir, env });
  return out;
}

/** The go-shop dist with DCM_GO_EXTRACT=0 (whole packages), compiled now (empty module cache): dist and compile time. */
async function wholePackageDist(): Promise<{ dir: string; compileMs: number }> {
  const cacheDir = benchTmp("module-size", "cache-whole");
  await rm(cacheDir, { recursive: true, force: true });
  const before = process.env.DCM_GO_EXTRACT;
  process.env.DCM_GO_EXTRACT = "0";
  try {
    const out = benchTmp("module-size", "whole-dist");
    await rm(out, { recursive: true, force: true });
    const r = await buildDist({ repo: EXAMPLE_REPO, cfd: EXAMPLE_CFD, out, cacheDir });
    return { dir: out, compileMs: r.timings["compile:go"] ?? Number.NaN };
  } finally {
    if (before === undefined) delete process.env.DCM_GO_EXTRACT;
    else process.env.DCM_GO_EXTRACT = before;
  }
}

/** The paper's CFD for wire in dcm's own dialect, for a dcm that cannot load the paper dialect. */
const WIRE_EQUIVALENT_CFD = `fragments:
  - { id: "2", name: ProviderSetID, runOn: client, location: { filepath: internal/wire/parse.go } }
  - { id: "3", name: ProviderSetID.String, runOn: client, location: { filepath: internal/wire/parse.go } }
  - { id: "4", name: Injector, runOn: client, location: { filepath: internal/wire/parse.go } }
  - { id: "5", name: Injector.String, runOn: client, location: { filepath: internal/wire/parse.go } }
`;

/** github.com/google/wire v0.5.0 with the paper's CFD, built with and without extraction (fresh module caches). */
async function wireSizes(): Promise<{ note?: string; rows: Array<[string, string]> }> {
  const repo = await proxyRepo("github.com/google/wire", "v0.5.0");
  const { cfd, note } = await paperCfd(repo, "CFD_wire.yaml", WIRE_EQUIVALENT_CFD);
  const rows: Array<[string, string]> = [];
  for (const extract of [false, true]) {
    const cacheDir = benchTmp("module-size", `cache-wire-${extract}`);
    await rm(cacheDir, { recursive: true, force: true });
    const out = benchTmp("module-size", `wire-dist-${extract}`);
    await rm(out, { recursive: true, force: true });
    const before = process.env.DCM_GO_EXTRACT;
    if (!extract) process.env.DCM_GO_EXTRACT = "0";
    try {
      await buildDist({ repo, cfd, out, cacheDir });
    } finally {
      if (before === undefined) delete process.env.DCM_GO_EXTRACT;
      else process.env.DCM_GO_EXTRACT = before;
    }
    rows.push([extract ? "closure extraction" : "whole packages (DCM_GO_EXTRACT=0)", out]);
  }
  return { ...(note ? { note } : {}), rows };
}

/** binaryen's wasm-opt (npm package `binaryen`) on a Go wasip1 module: output file and time. */
async function wasmOpt(input: string, level: string): Promise<{ file: string; ms: number }> {
  const bin = join(projectRoot(), "node_modules", "binaryen", "bin", "wasm-opt");
  const file = benchTmp("module-size", `wasm-opt${level}.wasm`);
  // Go's wasip1 output uses these post-MVP features (and declares none in a target_features section).
  const features = [
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-mutable-globals",
  ];
  const t = performance.now();
  await run(process.execPath, [bin, level, ...features, input, "-o", file], { maxBuffer: 64 * 1024 * 1024 });
  return { file, ms: performance.now() - t };
}

export async function main(): Promise<void> {
  banner("module-size", "size of the go-shop modules vs one-fragment and minimal Go modules, and the paper's 2.7 MB");
  const built = await ensureExampleDist();
  const dir = built.outDir;
  const wasmMod = built.manifest.modules.find((m) => m.target === "wasm")!;
  const nativeMod = built.manifest.modules.find((m) => m.target === "native");
  const n = wasmMod.fragments.length;
  const one = await singleFragmentDist();

  const rows: Array<[string, Sizes]> = [
    [`dcm client/go.wasm, ${n} fragments`, await sizes(join(dir, wasmMod.file))],
    ["dcm client/go.wasm, 1 fragment (Add)", await sizes(join(one, "client", "go.wasm"))],
    ["plain Go wasip1, same user functions, no dcm", await sizes(await plainGoWithUserCode(built.manifest))],
    ["minimal Go wasip1 reactor, 1 export", await sizes(await minimalGo("wasm"))],
  ];
  if (nativeMod) {
    rows.push([`dcm server/go.so, ${n} fragments`, await sizes(join(dir, nativeMod.file))]);
    rows.push(["dcm server/go.so, 1 fragment (Add)", await sizes(join(one, "server", "go.so"))]);
    rows.push(["minimal Go c-shared library, 1 export", await sizes(await minimalGo("native"))]);
  }
  const base = (k: string) => rows.find(([x]) => x.startsWith(k))![1];
  const minWasm = base("minimal Go wasip1");
  const minSo = nativeMod ? base("minimal Go c-shared") : minWasm;
  console.log("Sizes in decimal units (1 MB = 10^6 bytes, as the paper); gzip level 9, brotli quality 11.");
  printTable(
    ["module", "raw", "gzip -9", "brotli", "raw × minimal Go", "raw / paper 2.7 MB"],
    rows.map(([k, s]) => [
      k,
      mb(s.raw),
      mb(s.gzip),
      mb(s.brotli),
      fmtRatio(s.raw / (k.includes(".so") || k.includes("c-shared") ? minSo : minWasm).raw),
      fmtRatio(s.raw / PAPER_BYTES),
    ]),
  );

  const all = rows[0]![1];
  const single = rows[1]![1];
  console.log(`\nPer fragment (client module, ${n} fragments)`);
  printTable(
    ["measure", "raw", "gzip -9"],
    [
      ["amortised: module / fragments", mb(all.raw / n), mb(all.gzip / n)],
      [
        `marginal: (${n}-fragment − 1-fragment) / ${n - 1}`,
        mb((all.raw - single.raw) / (n - 1)),
        mb((all.gzip - single.gzip) / (n - 1)),
      ],
      ["fixed: 1-fragment module − minimal Go", mb(single.raw - minWasm.raw), mb(single.gzip - minWasm.gzip)],
      ["paper: largest single-fragment module", mb(PAPER_BYTES), "–"],
    ],
  );
  // Closure extraction and wasm-opt, against the no-extraction build of this run.
  const whole = await wholePackageDist();
  const wholeWasm = await sizes(join(whole.dir, "client", "go.wasm"));
  const ext: Array<[string, Sizes, string]> = [
    ["client/go.wasm, whole packages (DCM_GO_EXTRACT=0)", wholeWasm, fmtMs(whole.compileMs)],
    ["client/go.wasm, closure extraction (default)", all, "–"],
  ];
  for (const level of ["-O2", "-Oz"]) {
    const o = await wasmOpt(join(dir, wasmMod.file), level);
    ext.push([
      `  + wasm-opt ${level}`,
      await sizes(o.file),
      `${fmtMs(o.ms)} (${fmtRatio(o.ms / whole.compileMs)} go build)`,
    ]);
  }
  if (nativeMod) {
    ext.push(["server/go.so, whole packages", await sizes(join(whole.dir, "server", "go.so")), "–"]);
    ext.push(["server/go.so, closure extraction", await sizes(join(dir, nativeMod.file)), "–"]);
  }
  console.log(
    `\nClosure extraction and wasm-opt (go build of both modules, whole packages: ${fmtMs(whole.compileMs)})`,
  );
  printTable(
    ["module", "raw", "gzip -9", "brotli", "raw × no extraction", "gzip × no extraction", "extra time"],
    ext.map(([k, s, time]) => {
      const b = k.includes(".so") ? ext.find(([x]) => x.startsWith("server/go.so, whole"))![1] : wholeWasm;
      return [k, mb(s.raw), mb(s.gzip), mb(s.brotli), fmtRatio(s.raw / b.raw), fmtRatio(s.gzip / b.gzip), time];
    }),
  );

  // Where extraction pays: a package whose other files pull in much more (wire's internal/wire: go/types, x/tools).
  const wire = await wireSizes();
  if (wire.note) console.log(`\nnote  ${wire.note}.`);
  console.log("\ngithub.com/google/wire v0.5.0, the paper's CFD (2 callable String methods of internal/wire)");
  const wireRows: Array<[string, Sizes]> = [];
  for (const [k, out] of wire.rows) {
    wireRows.push([`client/go.wasm, ${k}`, await sizes(join(out, "client", "go.wasm"))]);
    wireRows.push([`server/go.so, ${k}`, await sizes(join(out, "server", "go.so"))]);
  }
  printTable(
    ["module", "raw", "gzip -9", "brotli", "raw × no extraction", "gzip × no extraction"],
    wireRows.map(([k, s], i) => {
      const b = wireRows[i % 2]![1];
      return [k, mb(s.raw), mb(s.gzip), mb(s.brotli), fmtRatio(s.raw / b.raw), fmtRatio(s.gzip / b.gzip)];
    }),
  );

  const so = nativeMod ? (await stat(join(dir, nativeMod.file))).size : 0;
  console.log();
  verdict(
    all.raw < PAPER_BYTES,
    `client module with all ${n} fragments, raw < 2.7 MB (paper, 1 fragment)`,
    mb(all.raw),
  );
  verdict(all.gzip < PAPER_BYTES, `client module with all ${n} fragments, gzip -9 < 2.7 MB`, mb(all.gzip));
  verdict(all.raw / n < PAPER_BYTES / 10, "amortised raw size per fragment < 1/10 of 2.7 MB", mb(all.raw / n));
  const plain = base("plain Go wasip1");
  console.log(
    `info  dcm over plain Go with the same user functions: +${mb(all.raw - plain.raw)} raw ` +
      `(${fmtRatio(all.raw / plain.raw)}), +${mb(all.gzip - plain.gzip)} gzip -9`,
  );
  if (nativeMod)
    console.log(
      `info  native plugin server/go.so: ${mb(so)} (${fmtRatio(so / minSo.raw)} the minimal c-shared library)`,
    );
}

if (isMain(import.meta.url)) await main();
