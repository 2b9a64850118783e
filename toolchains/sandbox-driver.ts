/**
 * Runs a compiler process inside a bubblewrap (`bwrap`) sandbox: the whole
 * file system read-only (so the user's repository cannot be changed), no
 * network, a private /tmp, and only the given folders writable (the build's
 * work folder and the compiler's caches). Drivers use it when DCM_SANDBOX=1.
 */
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { DEFAULT_COMPILE_TIMEOUT_MS, runProcess, which } from "./local-driver.js";
import type { CompileJob, CompileOutcome } from "./toolchain-types.js";

export interface SandboxOptions {
  /** Folders the process may write (created when missing). */
  writable: string[];
  /** Environment variables to remove from the inherited environment. */
  unsetEnv?: string[];
}

/** True when the user asked for sandboxed compiler runs. */
export function sandboxRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DCM_SANDBOX === "1" || env.DCM_SANDBOX === "true";
}

let bwrapPath: string | null | undefined;

/** Absolute path of bwrap, or null when bubblewrap is not installed. */
export async function findBwrap(): Promise<string | null> {
  if (bwrapPath === undefined) bwrapPath = await which("bwrap");
  return bwrapPath;
}

/** The bwrap arguments that wrap `command args`. */
export function bwrapArgs(command: string, args: string[], cwd: string, writable: string[], readOnly: string[] = []): string[] {
  const out = [
    "--die-with-parent",
    "--new-session",
    "--unshare-net",
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-uts",
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--tmpfs",
    "/tmp",
  ];
  // The fresh /tmp hides inputs that live under it (a repository cloned into /tmp): bind them back, read-only.
  for (const r of [...new Set(readOnly.map((p) => resolve(p)))].sort()) out.push("--ro-bind", r, r);
  // Sorted so that a parent folder is bound before its children.
  for (const w of [...new Set(writable.map((p) => resolve(p)))].sort()) out.push("--bind", w, w);
  out.push("--chdir", cwd, "--", command, ...args);
  return out;
}

/** Runs `command args` for job inside bwrap. Fails (ok: false) with a clear message when bwrap is missing. */
export async function runSandboxed(command: string, job: CompileJob, opts: SandboxOptions): Promise<CompileOutcome> {
  const bwrap = await findBwrap();
  if (!bwrap) {
    return {
      ok: false,
      stdout: "",
      stderr:
        "dcm: DCM_SANDBOX=1 but bubblewrap (bwrap) is not installed: run `apt-get install -y bubblewrap` or unset DCM_SANDBOX\n",
      durationMs: 0,
    };
  }
  for (const w of opts.writable) await mkdir(w, { recursive: true });
  const env: Record<string, string | undefined> = { ...process.env, ...job.env, TMPDIR: "/tmp" };
  for (const k of opts.unsetEnv ?? []) delete env[k];
  return runProcess(bwrap, bwrapArgs(command, job.args, job.cwd, opts.writable, job.readOnly), {
    cwd: job.cwd,
    env,
    timeoutMs: job.timeoutMs ?? DEFAULT_COMPILE_TIMEOUT_MS,
  });
}
