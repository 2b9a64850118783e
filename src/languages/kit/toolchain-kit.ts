/**
 * The toolchain driver skeleton every language uses: detection and version
 * cached per process, the DCM_TOOLCHAIN_MISSING error, and compile() that
 * runs every step through core's sandbox (toolchains/sandbox.ts). A language
 * says how to find its toolchain (probe) and what its steps read and write
 * (needs); it never starts a compiler process itself.
 */
import { isAbsolute, relative, resolve } from "node:path";
import { dcmError, diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic, SourcePos } from "../../../runtime/diagnostics/diagnostic-types.js";
import { runProcess } from "../../../toolchains/local-driver.js";
import { runStep } from "../../../toolchains/sandbox.js";
import type { CompileJob, CompileOutcome, ToolchainDriver, ToolchainInfo } from "../../../toolchains/toolchain-types.js";

/** What every step of a toolchain needs besides the job's own folders. */
export interface StepNeeds {
  /** Read-only: the toolchain's installation (GOROOT, rustup's toolchains, node_modules). */
  inputs?: string[];
  /** Writable and kept: module caches. */
  caches?: string[];
  scratch?: string[];
  env?: Record<string, string>;
  /** Host variables the tool reads (`GO*`, `RUSTFLAGS`); secrets never pass. */
  passEnv?: string[];
  /** The executable, when it is not info.path (asc runs as `node asc.js`). */
  command?: string;
  /** Arguments put before the job's (asc.js). */
  argsBefore?: string[];
}

export interface ToolchainSetup<I extends ToolchainInfo> {
  name: string;
  installHint: string;
  /** Says what is missing: `Go is not installed (no \`go\` on PATH or in /usr/local/go/bin)`. */
  missing: string;
  /** Finds the toolchain; run once per process. Runs only the toolchain's own binaries (probeTool). */
  probe(): Promise<I | null>;
  needs(info: I, job: CompileJob): StepNeeds;
}

export interface KitToolchain<I extends ToolchainInfo> extends ToolchainDriver {
  detect(): Promise<I | null>;
}

export function defineToolchain<I extends ToolchainInfo>(setup: ToolchainSetup<I>): KitToolchain<I> {
  let detected: Promise<I | null> | undefined;
  const detect = () => (detected ??= setup.probe());
  return {
    name: setup.name,
    installHint: setup.installHint,
    detect,
    async version() {
      const info = await detect();
      if (!info) throw dcmError("DCM_TOOLCHAIN_MISSING", setup.missing, { suggestion: setup.installHint });
      return info.version;
    },
    async compile(job: CompileJob): Promise<CompileOutcome> {
      const info = await detect();
      if (!info) return { ok: false, stdout: "", stderr: `dcm: ${setup.missing}\n`, durationMs: 0 };
      return runToolStep(info.path, job, setup.needs(info, job), setup.name);
    },
  };
}

/** One job through core's sandbox, with a toolchain's needs. */
export function runToolStep(defaultCommand: string, job: CompileJob, needs: StepNeeds, tool: string): Promise<CompileOutcome> {
  const inputs = [...(job.readOnly ?? []), ...(needs.inputs ?? [])];
  const cwd = resolve(job.cwd);
  // The working folder is the build's own (generated sources), never an input.
  const cwdIsInput = inputs.some((i) => !relative(resolve(i), cwd).startsWith("..") && !isAbsolute(relative(resolve(i), cwd)));
  return runStep({
    phase: job.phase ?? "compile",
    label: job.label ?? `${tool} ${job.args[0] ?? ""}`.trim(),
    command: job.command ?? needs.command ?? defaultCommand,
    args: [...(needs.argsBefore ?? []), ...job.args],
    cwd,
    env: { ...needs.env, ...job.env },
    passEnv: needs.passEnv ?? [],
    inputs,
    caches: [...(needs.caches ?? []), ...(job.caches ?? [])],
    scratch: [...(cwdIsInput ? [] : [cwd]), ...(needs.scratch ?? []), ...(job.scratch ?? [])],
    ...(job.timeoutMs !== undefined ? { limits: { wallMs: job.timeoutMs } } : {}),
  });
}

/** Runs a toolchain's own binary to learn about it (`go version`, `rustc --print sysroot`): no user code, no repository. */
export async function probeTool(command: string, args: string[], env: Record<string, string> = {}): Promise<CompileOutcome> {
  return runProcess(command, args, { cwd: process.cwd(), env: { ...process.env, ...env }, timeoutMs: 60_000 });
}

/** A JSON message line (cargo's --message-format=json) as the compiler's rendered text. */
function renderedLines(line: string): string[] {
  if (!line.startsWith("{")) return [line];
  try {
    const rendered = (JSON.parse(line) as { message?: { rendered?: unknown } }).message?.rendered;
    return typeof rendered === "string" ? rendered.split("\n") : [];
  } catch {
    return [line];
  }
}

/**
 * DCM_OUTSIDE_REPOSITORY for each file a failed step could not read because
 * the sandbox hides it (outcome.hiddenPaths): an import, include_str!,
 * #include or replace directive that reaches outside the repository. `where`
 * maps a path of the step's error output (as written there) to the user's
 * file, so the diagnostic points at the line that names the file.
 */
export function outsideRepositoryDiagnostics(
  outcome: CompileOutcome,
  opts: { cwd: string; where?: (file: string) => string | undefined; fragmentAt?: (pos: SourcePos) => string | undefined },
): Diagnostic[] {
  const lines = `${outcome.stderr}\n${outcome.stdout}`.split("\n").flatMap(renderedLines);
  return (outcome.hiddenPaths ?? []).map((hidden) => {
    const base = hidden.split("/").pop() ?? hidden;
    const i = lines.findIndex((l) => l.includes(base));
    let pos: SourcePos | undefined;
    for (const l of i >= 0 ? lines.slice(i, i + 4) : []) {
      const m = /(?:-->\s*)?([^\s:'"`]+\.\w+):(\d+):(\d+)/.exec(l);
      if (!m) continue;
      const file = opts.where?.(isAbsolute(m[1]!) ? m[1]! : resolve(opts.cwd, m[1]!));
      if (file) pos = { file, line: Number(m[2]), col: Number(m[3]) };
      break;
    }
    const fragment = pos ? opts.fragmentAt?.(pos) : undefined;
    return diag(
      "DCM_OUTSIDE_REPOSITORY",
      `the build reads ${hidden}, which is outside the repository; dcm's build sandbox shows the compiler only the repository and the toolchains${i >= 0 ? ` (the compiler said: ${lines[i]!.trim().slice(0, 300)})` : ""}`,
      {
        ...(pos ? { pos } : {}),
        ...(fragment ? { fragment } : {}),
        suggestion: `copy ${base} into the repository and refer to it there`,
      },
    );
  });
}
