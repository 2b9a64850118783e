/**
 * The Rust toolchain driver: finds cargo + rustc (rustup's first, then the
 * distribution's), checks which of them has the wasm32-unknown-unknown
 * standard library, and says what cargo's steps need from core's sandbox
 * (rustupNeeds: the toolchains read-only, cargo's registry writable, no
 * network in compile steps, CARGO_HOME's config but never its credentials).
 *
 * The wasm32 target: rustup's toolchain when it has the target (after
 * `rustup target add wasm32-unknown-unknown`), else Debian's rustc with
 * `libstd-rust-dev-wasm32` (rustc 1.63 on Debian 12), which
 * toolchains/rust/install.sh installs when rustup cannot download the target.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { defineToolchain, probeTool, type StepNeeds } from "../../../src/languages/kit/toolchain-kit.js";
import { which } from "../../../toolchains/local-driver.js";
import type { CompileJob, ToolchainDriver, ToolchainInfo } from "../../../toolchains/toolchain-types.js";
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

const cargoHome = () => process.env.CARGO_HOME ?? join(homedir(), ".cargo");
const rustupHome = () => process.env.RUSTUP_HOME ?? join(homedir(), ".rustup");

/**
 * What every cargo, wasm-pack and wasm-bindgen step needs: rustup's
 * toolchains and cargo's executables read-only, cargo's registry and git
 * checkouts writable (fetch fills them, compile may unpack into them), and
 * in compile steps CARGO_NET_OFFLINE. CARGO_HOME's credentials stay hidden.
 */
export function rustupNeeds(job: CompileJob, info?: Pick<RustToolchainInfo, "path" | "sysroot">): StepNeeds {
  const home = cargoHome();
  return {
    inputs: [
      rustupHome(),
      join(home, "bin"),
      join(home, "config.toml"),
      join(home, "config"),
      ...(info ? [dirname(info.path), info.sysroot] : []),
    ],
    caches: [join(home, "registry"), join(home, "git")],
    env: {
      CARGO_HOME: home,
      RUSTUP_HOME: rustupHome(),
      ...(job.phase === "fetch" ? {} : { CARGO_NET_OFFLINE: "true" }),
    },
    passEnv: ["RUST*", "CARGO_*", "CC", "CXX", "AR", "CFLAGS", "CXXFLAGS", "LDFLAGS", "PKG_CONFIG*"],
    // job.env.CARGO names the cargo to run (the wasm32 one may differ from the default).
    ...(job.env?.CARGO ? { command: job.env.CARGO } : {}),
  };
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
        const v = await probeTool(rustc, ["--version"]);
        const version = v.ok ? parseRustcVersion(v.stdout) : null;
        if (!version) continue;
        const s = await probeTool(rustc, ["--print", "sysroot"]);
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
  const base = defineToolchain<RustToolchainInfo>({
    name: "rust",
    installHint: RUST_INSTALL_HINT,
    missing: "Rust is not installed (no cargo in ~/.cargo/bin, on PATH or in /usr/bin)",
    probe: async () => (await all())[0] ?? null,
    // A job's CARGO (the wasm32 toolchain) is one of all(): rustup's live in RUSTUP_HOME, the system's under /usr.
    needs: (info, job) => rustupNeeds(job, job.env?.CARGO ? { path: job.env.CARGO, sysroot: "" } : info),
  });
  const detectFor = async (target: RustTarget) => {
    const list = await all();
    return (target === "wasm" ? list.find((t) => t.hasWasm32) : list[0]) ?? null;
  };
  return { ...base, detectFor, all };
}

export const rustToolchain: RustToolchainDriver = createRustToolchain(
  process.env.DCM_CARGO ? { candidates: [process.env.DCM_CARGO] } : {},
);
