/** The toolchain driver shape (types only): every toolchain has detect, version, compile. */

export interface ToolchainInfo {
  name: string;
  /** Absolute path of the main executable. */
  path: string;
  version: string;
}

export interface CompileJob {
  /** Working directory of the compiler process. */
  cwd: string;
  args: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Folders the compiler reads (the user's repository); the sandbox binds them read-only. */
  readOnly?: string[];
  /** `fetch` (network, no user code: `go mod download`, `cargo fetch`) or `compile` (the default: no network). */
  phase?: "fetch" | "compile";
  /** Names the step in messages (`go build (wasm)`); default `<tool> <first argument>`. */
  label?: string;
  /** Another executable of the same toolchain (wasm-pack beside cargo); default the driver's own. */
  command?: string;
  /** Writable folders of this build besides cwd (an output folder). */
  scratch?: string[];
  /** Writable folders kept between builds (a target folder). */
  caches?: string[];
}

export interface CompileOutcome {
  ok: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
  /**
   * Set by core's sandbox on a failure: host files the error output names
   * that exist but were hidden from the step (a file outside the repository).
   */
  hiddenPaths?: string[];
}

export interface ToolchainDriver {
  name: string;
  /** Human-readable install instruction, e.g. `bash toolchains/go/install.sh`. */
  installHint: string;
  /** Null when the toolchain is not installed. Cached per process. */
  detect(): Promise<ToolchainInfo | null>;
  version(): Promise<string>;
  compile(job: CompileJob): Promise<CompileOutcome>;
}
