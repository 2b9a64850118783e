/**
 * Runs a process on this machine, unsandboxed: only for probing a toolchain's
 * own binaries (`go version`, src/languages/kit/toolchain-kit.ts probeTool).
 * Every step that reads the user's repository goes through core's sandbox
 * (toolchains/sandbox.ts). Never throws for a failing process.
 */
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";
import type { CompileOutcome } from "./toolchain-types.js";

/** Default limit for one compiler run. */
export const DEFAULT_COMPILE_TIMEOUT_MS = 10 * 60 * 1000;

/** Runs a process with exactly the given environment. */
export async function runProcess(
  command: string,
  args: string[],
  o: { cwd: string; env: Record<string, string | undefined>; timeoutMs: number },
): Promise<CompileOutcome> {
  // Loaded on first use: importing execa costs ~150 ms, and a no-change rebuild runs no compiler.
  const { execa } = await import("execa");
  const started = performance.now();
  const r = await execa(command, args, {
    cwd: o.cwd,
    env: o.env,
    extendEnv: false,
    timeout: o.timeoutMs,
    reject: false,
    stdin: "ignore",
    stripFinalNewline: false,
    maxBuffer: 64 * 1024 * 1024,
  });
  const durationMs = Math.round(performance.now() - started);
  const stdout = typeof r.stdout === "string" ? r.stdout : "";
  let stderr = typeof r.stderr === "string" ? r.stderr : "";
  if (r.timedOut) stderr += `\n${command}: stopped after ${Math.round(o.timeoutMs / 1000)} s (timeout)\n`;
  else if (r.exitCode === undefined && r.failed) {
    // Could not start (ENOENT, EACCES…): execa puts the reason in its message.
    stderr += `\n${r.shortMessage ?? r.message ?? `${command}: could not be started`}\n`;
  }
  return { ok: !r.failed && r.exitCode === 0, stdout, stderr, durationMs };
}

/** Absolute path of an executable found on PATH (or the path itself when absolute and executable), else null. */
export async function which(name: string, pathEnv: string | undefined = process.env.PATH): Promise<string | null> {
  const candidates = isAbsolute(name)
    ? [name]
    : (pathEnv ?? "")
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, name));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return null;
}
