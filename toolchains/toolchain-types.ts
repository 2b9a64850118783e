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
  /** Folders the compiler reads (the user's repository); a sandbox binds them read-only. */
  readOnly?: string[];
}

export interface CompileOutcome {
  ok: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
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
