/**
 * The Rust toolchain driver: finds cargo + rustc (rustup's first, then the
 * distribution's), checks which of them has the wasm32-unknown-unknown
 * standard library, and runs cargo (locally, or sandboxed with DCM_SANDBOX=1).
 *
 * The wasm32 target: rustup's toolchain when it has the target (after
 * `rustup target add wasm32-unknown-unknown`), else Debian's rustc with
 * `libstd-rust-dev-wasm32` (rustc 1.63 on Debian 12), which
 * toolchains/rust/install.sh installs when rustup cannot download the target.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { runLocal, runProcess, which } from "../../../toolchains/local-driver.js";
import { runSandboxed, sandboxRequested } from "../../../toolchains/sandbox-driver.js";
import type { CompileJob, CompileOutcome, ToolchainDriver, ToolchainInfo } from "../../../toolchains/toolchain-types.js";
import { WASM_TRIPLE, type RustTarget } from "../generate/build-spec.js";

export interface RustToolchainInfo extends ToolchainInfo {
  /** cargo's path is `path`; rustc beside it. */
  rustc: string;
  /** `rustc 1.95.0`. */
  version: string;
  sysroot: string;
  hasWasm32: boolean;
  /** Where it came from: `rustup` (~/.cargo/bin) or `system`. */
  origin: "rustup" | "system";
}

export interface RustToolchainDriver extends ToolchainDriver {
  detect(): Promise<RustToolchainInfo | null>;
  /** The toolchain that builds a target: for wasm, the first one with the wasm32 standard library. */
  detectFor(target: RustTarget): Promise<RustToolchainInfo | null>;
  /** Every toolchain found, in preference order. */
  all(): Promise<RustToolchainInfo[]>;
}

export const RUST_INSTALL_HINT =
  "bash toolchains/rust/install.sh (rustup's stable toolchain plus `rustup target add wasm32-unknown-unknown`, or Debian's rustc + libstd-rust-dev-wasm32)";

export function parseRustcVersion(out: string): string | null {
  const m = /^rustc (\d+\.\d+\.\d+)/m.exec(out);
  return m ? `rustc ${m[1]}` : null;
}

export function createRustToolchain(opts: { candidates?: string[] } = {}): RustToolchainDriver {
  let found: Promise<RustToolchainInfo[]> | undefined;
  const all = (): Promise<RustToolchainInfo[]> => {
    found ??= (async () => {
      const candidates = opts.candidates ?? [join(homedir(), ".cargo", "bin", "cargo"), "cargo", "/usr/bin/cargo"];
      const out: RustToolchainInfo[] = [];
      const seen = new Set<string>();
      for (const c of candidates) {
        const cargo = await which(c);
        if (!cargo || seen.has(cargo)) continue;
        seen.add(cargo);
        const rustc = join(dirname(cargo), "rustc");
        if (!existsSync(rustc)) continue;
        const env = { ...process.env };
        const v = await runProcess(rustc, ["--version"], { cwd: process.cwd(), env, timeoutMs: 60_000 });
        const version = v.ok ? parseRustcVersion(v.stdout) : null;
        if (!version) continue;
        const s = await runProcess(rustc, ["--print", "sysroot"], { cwd: process.cwd(), env, timeoutMs: 60_000 });
        const sysroot = s.stdout.trim();
        if (out.some((t) => t.sysroot === sysroot && t.version === version)) continue;
        const hasWasm32 = sysroot !== "" && existsSync(join(sysroot, "lib", "rustlib", WASM_TRIPLE, "lib"));
        const origin = cargo.includes(`${join(".cargo", "bin")}`) || cargo.includes("rustup") ? "rustup" : "system";
        out.push({ name: "rust", path: cargo, rustc, version, sysroot, hasWasm32, origin });
      }
      return out;
    })();
    return found;
  };
  const detect = async () => (await all())[0] ?? null;
  const detectFor = async (target: RustTarget) => {
    const list = await all();
    return (target === "wasm" ? list.find((t) => t.hasWasm32) : list[0]) ?? null;
  };
  return {
    name: "rust",
    installHint: RUST_INSTALL_HINT,
    detect,
    detectFor,
    all,
    async version() {
      const info = await detect();
      if (!info) throw new Error(`Rust is not installed: ${RUST_INSTALL_HINT}`);
      return info.version;
    },
    async compile(job: CompileJob): Promise<CompileOutcome> {
      // job.env.CARGO names the cargo to run (the wasm32 one may differ from the default).
      const cargo = job.env?.CARGO ?? (await detect())?.path;
      if (!cargo) return { ok: false, stdout: "", stderr: "dcm: cargo is not installed\n", durationMs: 0 };
      if (!sandboxRequested()) return runLocal(cargo, job);
      const home = process.env.CARGO_HOME ?? join(homedir(), ".cargo");
      const rustup = process.env.RUSTUP_HOME ?? join(homedir(), ".rustup");
      const targetDir = job.args[job.args.indexOf("--target-dir") + 1];
      return runSandboxed(cargo, job, { writable: [job.cwd, home, rustup, ...(targetDir ? [targetDir] : [])] });
    },
  };
}

export const rustToolchain: RustToolchainDriver = createRustToolchain(
  process.env.DCM_CARGO ? { candidates: [process.env.DCM_CARGO] } : {},
);
