/**
 * The wasm-bindgen step of a client build: after `cargo build`, runs
 * wasm-bindgen-cli (or `wasm-pack build` when installed) with
 * `--target bundler`, checks what the module imports, and bundles the glue
 * dcm ships with the module: one self-contained, browser-safe ES module
 * whose default export is a ModuleLoader (runtime/abi/module-types.ts).
 *
 * bundler output for `--out-name dcm_module`: dcm_module_bg.wasm (the module
 * in the dist), dcm_module_bg.js (the functions the module imports plus
 * `__wbg_set_wasm`; it keeps the instance's exports and memory views in
 * module variables), dcm_module.js (wires them for a bundler; not used).
 * The glue evaluates dcm_module_bg.js once per instance (esbuild IIFE wrapped
 * in a function), see runtime/bindgen-loader.ts.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";
import { LIB_NAME, type RustBuildSpec, WASM_TRIPLE } from "../generate/build-spec.js";
import type { BindgenDriver, BindgenTools } from "./wasm-bindgen-tools.js";

export const BG_MODULE = `./${LIB_NAME}_bg.js`;
const WASI = "wasi_snapshot_preview1";

const LOADER = fileURLToPath(
  new URL(`../runtime/bindgen-loader${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url),
);

export interface BindgenOutcome {
  wasm: string;
  glue: string;
  diagnostics: Diagnostic[];
}

const failed = (message: string, suggestion?: string): BindgenOutcome => ({
  wasm: "",
  glue: "",
  diagnostics: [diag("DCM_COMPILE_FAILED", message, suggestion ? { suggestion } : {})],
});

/** Runs wasm-bindgen (or wasm-pack) on the cargo build in `targetDir` and writes the glue; files land in `<targetDir>/dcm-bindgen`. */
export async function runBindgen(o: {
  spec: RustBuildSpec;
  tools: BindgenTools;
  driver: BindgenDriver;
  buildCrateDir: string;
  targetDir: string;
  /** The cargo environment (CARGO, RUSTC, PATH with the toolchain first). */
  env: Record<string, string>;
  timeoutMs?: number;
}): Promise<BindgenOutcome> {
  const { tools, targetDir } = o;
  const outDir = join(targetDir, "dcm-bindgen");
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const timeout = o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {};
  let outcome: { ok: boolean; stdout: string; stderr: string };
  let what: string;
  if (tools.wasmPack) {
    what = "wasm-pack build";
    // `--mode no-install`: the wasm-bindgen found (first on PATH) rather than a download.
    const args = ["build", o.buildCrateDir, "--release", "--target", "bundler", "--out-dir", outDir, "--out-name", LIB_NAME];
    args.push("--no-typescript", "--no-pack", "--mode", "no-install", "--", "--target-dir", targetDir);
    const env = { ...o.env, PATH: [dirname(tools.cli), o.env.PATH ?? process.env.PATH ?? ""].join(delimiter) };
    outcome = await o.driver.run(tools.wasmPack.path, { cwd: o.buildCrateDir, args, env, readOnly: [o.spec.repo], ...timeout }, [targetDir]);
  } else {
    what = "wasm-bindgen";
    const input = join(targetDir, WASM_TRIPLE, "release", `${LIB_NAME}.wasm`);
    const args = [input, "--out-dir", outDir, "--out-name", LIB_NAME, "--target", "bundler", "--no-typescript"];
    args.push("--remove-name-section", "--remove-producers-section");
    outcome = await o.driver.compile({ cwd: outDir, args, env: o.env, readOnly: [dirname(input)], ...timeout });
  }
  if (!outcome.ok) {
    return failed(
      `${what} failed on the Rust client module:\n${(outcome.stderr || outcome.stdout).trim().slice(-4000)}`,
      "Run `bash toolchains/rust/install.sh` (it installs the pinned wasm-bindgen-cli), or build the plain module with DCM_RUST_BINDGEN=0.",
    );
  }
  const wasm = join(outDir, `${LIB_NAME}_bg.wasm`);
  const bgJs = join(outDir, `${LIB_NAME}_bg.js`);
  if (!existsSync(wasm) || !existsSync(bgJs)) return failed(`${what} wrote no ${LIB_NAME}_bg.wasm / ${LIB_NAME}_bg.js in ${outDir}`);

  const bgText = await readFile(bgJs, "utf8");
  const bgExports = new Set([...bgText.matchAll(/^export (?:async )?function (\w+)/gm)].map((m) => m[1]!));
  if (!bgExports.has("__wbg_set_wasm")) return failed(`${bgJs} (wasm-bindgen ${tools.version}) has no __wbg_set_wasm export; dcm's glue needs it`);
  const mod = await WebAssembly.compile((await readFile(wasm)) as Uint8Array<ArrayBuffer>);
  const bad = WebAssembly.Module.imports(mod).filter(
    (i) => !(i.module === WASI || (i.module === BG_MODULE && (i.kind !== "function" || bgExports.has(i.name)))),
  );
  if (bad.length) {
    return failed(
      `the wasm-bindgen module imports what dcm's glue cannot give it: ${bad.map((i) => `${i.module}.${i.name}`).join(", ")}`,
      "Fragments of the client must not use JS types or imports; build the plain module with DCM_RUST_BINDGEN=0 to see the Rust side alone.",
    );
  }

  const esbuild = await import("esbuild");
  // 1. wasm-bindgen's _bg.js as a function body: a fresh copy of its state per instance.
  const bg = await esbuild.build({
    entryPoints: [bgJs],
    bundle: true,
    format: "iife",
    globalName: "__dcm_bg",
    platform: "neutral",
    target: "es2022",
    minify: true,
    write: false,
    logLevel: "silent",
    legalComments: "none",
  });
  const entry = join(outDir, "dcm-glue-entry.mjs");
  await writeFile(
    entry,
    [
      "// Code generated by dcm. DO NOT EDIT.",
      `import { bindgenLoader } from ${JSON.stringify(LOADER)};`,
      `const makeBg = () => {\n${bg.outputFiles[0]!.text}\nreturn __dcm_bg;\n};`,
      `export default bindgenLoader(makeBg, ${JSON.stringify(BG_MODULE)});`,
      "",
    ].join("\n"),
  );
  // 2. The glue: that, the loader and the language-neutral runtime it uses, in one browser-safe file.
  const glue = join(outDir, "dcm-glue.mjs");
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    minify: true,
    outfile: glue,
    logLevel: "silent",
    legalComments: "none",
  });
  return { wasm, glue, diagnostics: [] };
}
