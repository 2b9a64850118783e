/**
 * Native references: each language's parity functions run by that language's
 * own toolchain, without dcm. Each returns, per fragment id, the canonical
 * JSON text of every case's result (in the order of casesFor(lang)), or
 * {"error":{"code":...,"message":...}}:
 *  - Go: runGoNative (test/e2e/harness), a reflect-based Go program;
 *  - Rust: ../rust-native, a cargo binary calling the parity crate;
 *  - AssemblyScript: `asc --bindings esm` glue, called from Node;
 *  - TypeScript: the sources bundled by esbuild, called from Node.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build as esbuild } from "esbuild";
import type { GoFragmentDetail } from "../../../languages/go/go-types.js";
import { analyzeProject } from "../../../src/build/analyze-project.js";
import { ROOT } from "../../support/run-cli.js";
import { runGoNative } from "../../e2e/harness/go-native-harness.js";
import { type Lang, PARITY, casesFor, cfdNames } from "./cases.js";
import { type JsCall, type JsOutcome, run, runJsCalls } from "./js-runner.js";
import { signatureFor } from "./signatures.js";
import { argsFromJson, errorLine, resultToJson } from "./values.js";

export type Results = Record<string, string[]>;

export async function nativeResults(lang: Lang): Promise<Results> {
  switch (lang) {
    case "go":
      return goNative();
    case "rust":
      return rustNative();
    case "assemblyscript":
      return asNative();
    case "typescript":
      return tsNative();
  }
}

function rawCases(lang: Lang): Record<string, string[]> {
  return Object.fromEntries(Object.entries(casesFor(lang)).map(([id, list]) => [id, list.map((c) => c.args)]));
}

async function goNative(): Promise<Results> {
  const repo = join(PARITY, "go");
  const analysis = await analyzeProject(repo, join(repo, "dcm.yaml"));
  const fragments = analysis.languages.flatMap(({ result }) =>
    result.fragments.filter((f) => f.signature).map((f) => ({ id: f.id, detail: f.detail as GoFragmentDetail })),
  );
  return runGoNative(repo, fragments, rawCases("go"));
}

/** Cargo's target folder lives outside the repository and survives between runs (incremental builds). */
export const RUST_TARGET_DIR = join(tmpdir(), "dcm-parity-rust-target");

async function rustNative(): Promise<Results> {
  const manifest = join(PARITY, "rust-native", "Cargo.toml");
  const env = { ...process.env, CARGO_TARGET_DIR: RUST_TARGET_DIR };
  const build = await run("cargo", ["build", "--release", "--quiet", "--manifest-path", manifest], PARITY, { env });
  if (build.code !== 0) throw new Error(`parity: cargo build of rust-native failed:\n${build.stderr}`);
  const cases = rawCases("rust");
  const calls = Object.entries(cases).flatMap(([id, list]) => list.map((args) => ({ id, args })));
  const input = `[${calls.map((c) => `{"id":${JSON.stringify(c.id)},"args":${c.args}}`).join(",\n")}]`;
  const tmp = await mkdtemp(join(tmpdir(), "dcm-parity-rust-"));
  const resultsFile = join(tmp, "results.txt");
  // Results go to a file: the functions print to stdout themselves (print-lines).
  const exec = await run(join(RUST_TARGET_DIR, "release", "parity-native"), [resultsFile], PARITY, { input });
  const lines = (await readFile(resultsFile, "utf8").catch(() => "")).split("\n").filter((l) => l !== "");
  await rm(tmp, { recursive: true, force: true });
  if (exec.code !== 0 || lines.length !== calls.length) {
    throw new Error(`parity: rust-native exited with ${exec.code} after ${lines.length} of ${calls.length} cases:\n${exec.stderr}`);
  }
  return regroup(cases, lines);
}

function regroup(cases: Record<string, string[]>, lines: string[]): Results {
  const out: Results = {};
  let i = 0;
  for (const [id, list] of Object.entries(cases)) out[id] = list.map(() => lines[i++]!);
  return out;
}

/** Calls every case through a JS module and writes results as canonical JSON. */
async function viaJs(
  lang: Lang,
  modulePath: string,
  tmp: string,
  freshAfterThrow: boolean,
  callFor: (id: string, name: string, args: unknown[]) => JsCall,
  liftResult: (id: string, value: unknown) => unknown,
  errorCode: (o: Extract<JsOutcome, { ok: false }>) => { code: string; message: string },
): Promise<Results> {
  const names = cfdNames(lang);
  const cases = rawCases(lang);
  const calls: JsCall[] = [];
  const ids: string[] = [];
  for (const [id, list] of Object.entries(cases)) {
    const sig = signatureFor(lang, id);
    for (const raw of list) {
      calls.push(callFor(id, names[id]!, argsFromJson(raw, sig.params)));
      ids.push(id);
    }
  }
  const outcomes = await runJsCalls(modulePath, calls, tmp, freshAfterThrow);
  const lines = outcomes.map((o, i) => {
    if (!o.ok) {
      const e = errorCode(o);
      return errorLine(e.code, e.message);
    }
    return resultToJson(liftResult(ids[i]!, o.value), signatureFor(lang, ids[i]!).results);
  });
  return regroup(cases, lines);
}

/** AssemblyScript: map parameters and results cross `--bindings esm` as opaque references, so a small AS shim converts them to arrays; methods are not exported, so the shim wraps Rect.area. */
const AS_SHIM = `import { Rect } from "./assembly/records";
import { mapCount, mapInvert } from "./assembly/index";
export * from "./assembly/index";
class MapStrI32 { keys: string[] = []; values: i32[] = []; }
class MapI32Str { keys: i32[] = []; values: string[] = []; }
export function parity_mapCount(words: string[]): MapStrI32 {
  const m = mapCount(words);
  const r = new MapStrI32();
  r.keys = m.keys();
  r.values = m.values();
  return r;
}
export function parity_mapInvert(keys: string[], values: i32[]): MapI32Str {
  const m = new Map<string, i32>();
  for (let i = 0; i < keys.length; i++) m.set(keys[i], values[i]);
  const o = mapInvert(m);
  const r = new MapI32Str();
  r.keys = o.keys();
  r.values = o.values();
  return r;
}
export function parity_Rect_area(r: Rect): f64 { return r.area(); }
`;

async function asNative(): Promise<Results> {
  const tmp = await mkdtemp(join(tmpdir(), "dcm-parity-as-"));
  try {
    await cp(join(PARITY, "assemblyscript", "assembly"), join(tmp, "assembly"), { recursive: true });
    await writeFile(join(tmp, "shim.ts"), AS_SHIM);
    const asc = join(ROOT, "node_modules", "assemblyscript", "bin", "asc.js");
    const compile = await run(process.execPath, [asc, "shim.ts", "--bindings", "esm", "-o", "shim.wasm", "--disableWarning"], tmp);
    if (compile.code !== 0) throw new Error(`parity: asc failed:\n${compile.stderr}${compile.stdout}`);
    return await viaJs(
      "assemblyscript",
      join(tmp, "shim.js"),
      tmp,
      true,
      (id, name, args) => {
        if (id === "map-count") return { fn: "parity_mapCount", args };
        if (id === "map-invert") {
          const m = args[0] as Map<string, number>;
          return { fn: "parity_mapInvert", args: [[...m.keys()], [...m.values()]] };
        }
        if (name === "Rect.area") return { fn: "parity_Rect_area", args };
        return { fn: name, args };
      },
      (id, value) => {
        if (id !== "map-count" && id !== "map-invert") return value;
        const { keys, values } = value as { keys: unknown[]; values: unknown[] };
        return new Map(keys.map((k, i) => [k, values[i]]));
      },
      // The glue's abort() throws Error(`${message} in ${file}:${line}:${col}`). An abort inside
      // ~lib (bounds checks, allocation) is the runtime failing: a panic; a `throw` in user code is an error.
      (o) => {
        const m = /^(.*) in (\S+):\d+:\d+$/s.exec(o.message);
        const file = m?.[2] ?? "";
        return { code: file.startsWith("~lib/") ? "DCM_FRAGMENT_PANIC" : "DCM_FRAGMENT_ERROR", message: m?.[1] ?? o.message };
      },
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function tsNative(): Promise<Results> {
  const tmp = await mkdtemp(join(tmpdir(), "dcm-parity-ts-"));
  try {
    const src = join(PARITY, "typescript", "src");
    const files = (await readdir(src)).filter((f) => f.endsWith(".ts")).sort();
    const outfile = join(tmp, "parity-ts.mjs");
    await esbuild({
      stdin: { contents: files.map((f) => `export * from ${JSON.stringify(join(src, f))};`).join("\n"), resolveDir: src, loader: "ts" },
      bundle: true,
      format: "esm",
      platform: "node",
      outfile,
      logLevel: "silent",
    });
    return await viaJs(
      "typescript",
      outfile,
      tmp,
      false,
      (_id, name, args) => {
        const [cls, method] = name.split(".");
        return method ? { fn: cls!, method, args } : { fn: name, args };
      },
      (_id, value) => value,
      // An `Error` thrown on purpose is the function's error; RangeError, TypeError & co. are the runtime's: a panic.
      (o) => ({ code: o.plainError ? "DCM_FRAGMENT_ERROR" : "DCM_FRAGMENT_PANIC", message: o.message }),
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** For README/tests: the errors above are what every language reports alike. */
export const ERROR_CODES = ["DCM_FRAGMENT_ERROR", "DCM_FRAGMENT_PANIC"] as const;
