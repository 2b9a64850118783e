/**
 * Finds wasm-bindgen-cli (`wasm-bindgen --version`) and wasm-pack, which turn
 * the wasm32 client module into a wasm-bindgen module plus its JS glue
 * (languages/rust/README.md, "Client module"). Both are optional: without
 * wasm-bindgen, or with DCM_RUST_BINDGEN=0, the client is the plain
 * `extern "C"` cdylib.
 *
 * `wasmBindgenToolchain` is listed in the adapter's toolchains so that the
 * manifest's toolchain string and the build key say which path was taken; its
 * detect() never returns null (wasm-bindgen is not required). Both run
 * through core's sandbox (src/languages/kit/toolchain-kit.ts) with cargo's needs.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { probeTool, runToolStep } from "../../../src/languages/kit/toolchain-kit.js";
import { which } from "../../../toolchains/local-driver.js";
import type { CompileJob, CompileOutcome, ToolchainDriver, ToolchainInfo } from "../../../toolchains/toolchain-types.js";
import { WASM_BINDGEN_VERSION } from "./bindgen-version.js";
import { rustupNeeds } from "./rust-toolchain.js";

export interface BindgenTools {
  /** wasm-bindgen-cli's executable and version (`0.2.130`): the crate is pinned to that version. */
  cli: string;
  version: string;
  /** wasm-pack's executable and version, when installed: `wasm-pack build` then makes the module. */
  wasmPack?: { path: string; version: string };
}

export const BINDGEN_INSTALL_HINT = `bash toolchains/rust/install.sh (installs wasm-bindgen-cli ${WASM_BINDGEN_VERSION} with cargo install)`;

/** `wasm-bindgen 0.2.130` → `0.2.130`. */
export function parseToolVersion(out: string, tool: string): string | null {
  const m = new RegExp(`^${tool} (\\d+\\.\\d+\\.\\d+\\S*)`, "m").exec(out);
  return m ? m[1]! : null;
}

/** False when DCM_RUST_BINDGEN=0 (or `false`/`off`/`no`) asks for the plain wasm32 path. */
export function bindgenWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.DCM_RUST_BINDGEN ?? "").trim().toLowerCase();
  return !["0", "false", "off", "no"].includes(v);
}

async function probe(candidates: string[], tool: string): Promise<{ path: string; version: string } | null> {
  const seen = new Set<string>();
  for (const c of candidates) {
    const path = await which(c);
    if (!path || seen.has(path)) continue;
    seen.add(path);
    const r = await probeTool(path, ["--version"]);
    const version = r.ok ? parseToolVersion(r.stdout, tool) : null;
    if (version) return { path, version };
  }
  return null;
}

export interface BindgenDriver extends ToolchainDriver {
  /** The tools, or null when wasm-bindgen is not installed or DCM_RUST_BINDGEN=0 (read on every call). */
  tools(): Promise<BindgenTools | null>;
  /** Runs another command (wasm-pack) like cargo, through core's sandbox; `writable` folders besides job.cwd. */
  run(command: string, job: CompileJob, writable?: string[]): Promise<CompileOutcome>;
}

export function createBindgenDriver(opts: { cli?: string[]; wasmPack?: string[] } = {}): BindgenDriver {
  const cargoBin = join(homedir(), ".cargo", "bin");
  let found: Promise<BindgenTools | null> | undefined;
  const installed = (): Promise<BindgenTools | null> => {
    found ??= (async () => {
      const cli = await probe(opts.cli ?? [join(cargoBin, "wasm-bindgen"), "wasm-bindgen"], "wasm-bindgen");
      if (!cli) return null;
      const pack = await probe(opts.wasmPack ?? [join(cargoBin, "wasm-pack"), "wasm-pack"], "wasm-pack");
      return { cli: cli.path, version: cli.version, ...(pack ? { wasmPack: pack } : {}) };
    })();
    return found;
  };
  const tools = async () => (bindgenWanted() ? installed() : null);
  const detect = async (): Promise<ToolchainInfo> => {
    const t = await tools();
    if (t) return { name: "wasm-bindgen", path: t.cli, version: t.wasmPack ? `${t.version} (wasm-pack ${t.wasmPack.version})` : t.version };
    const why = bindgenWanted() ? "not installed" : "off (DCM_RUST_BINDGEN=0)";
    return { name: "wasm-bindgen", path: "", version: `${why}: plain wasm32 client` };
  };
  return {
    name: "wasm-bindgen",
    installHint: BINDGEN_INSTALL_HINT,
    tools,
    detect,
    version: async () => (await detect()).version,
    /** Runs wasm-bindgen-cli (wasm-pack goes through run()), in core's sandbox like every toolchain step. */
    async compile(job: CompileJob): Promise<CompileOutcome> {
      const t = await installed();
      if (!t) return { ok: false, stdout: "", stderr: "dcm: wasm-bindgen is not installed\n", durationMs: 0 };
      const { command: _cargo, ...needs } = rustupNeeds(job);
      return runToolStep(t.cli, { label: "wasm-bindgen", ...job }, { ...needs, inputs: [...(needs.inputs ?? []), t.cli] }, "wasm-bindgen");
    },
    // wasm-pack runs cargo, which runs the crate's build scripts and proc macros: a compile step like cargo's.
    run(command, job, extra = []) {
      const needs = rustupNeeds(job);
      return runToolStep(command, { label: "wasm-pack build", ...job, command, caches: [...(job.caches ?? []), ...extra] }, { ...needs, inputs: [...(needs.inputs ?? []), command] }, "wasm-pack");
    },
  };
}

export const wasmBindgenToolchain: BindgenDriver = createBindgenDriver();
