/**
 * The RunBuildJob every queue uses (the in-process one and the Redis
 * workers): the uploaded archive from the store → unpacked (with every check
 * of src/service/archive) into a scratch folder → the uploaded CFD written at
 * its path → `dcm build --events ndjson` in a child process → the dist into
 * the store under the job's key.
 *
 * Why a child process: a build runs compilers, build scripts and macros of a
 * stranger's repository, for minutes; in its own process (and process group)
 * it can be stopped whole — on DELETE, at the wall-time limit, when the
 * service stops — without leaving anything running, and a crash of the build
 * does not take the service down. Stop = SIGTERM to the group (`dcm build`
 * removes its temporaries and SIGKILLs the toolchain steps' own groups), then
 * SIGKILL to the group after `graceMs`.
 *
 * Known limitations: a toolchain step that escaped both groups (a daemon
 * that called setsid itself) is not found; the sandbox gives it no network
 * and no host files, and its own wall-time limit still applies.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { distPathProblem } from "../../runtime/abi/dist-paths.js";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { DcmError, diag } from "../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../runtime/diagnostics/diagnostic-types.js";
import { unpackArchive } from "./archive/unpack-archive.js";
import type { ArtifactStore, BuildJob, JobReporter, JobResult, RunBuildJob } from "./service-types.js";

export interface RunnerOptions {
  store: ArtifactStore;
  /** Where scratch folders go (the store's tmp/ for the directory store). */
  workDir: string;
  /** Wall-time limit of one build, ms (default 15 min). */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL, ms (default 5 s). */
  graceMs?: number;
  /** The CLI entry to run (default: this package's bin/dcm.js). */
  cli?: string;
  /** Extra environment of the build process (e.g. DCM_CACHE_DIR). */
  env?: Record<string, string>;
}

/** This package's bin/dcm.js, from src/service/ (vitest) or build/src/service/ (the built CLI). */
export function defaultCli(): string {
  for (const up of ["../../bin/dcm.js", "../../../bin/dcm.js"]) {
    const p = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error("bin/dcm.js not found beside the build service");
}

const DRIVER_ARGS = { sandbox: [], container: ["--driver", "container"], local: ["--driver", "local"] } as const;

export function createRunBuildJob(opts: RunnerOptions): RunBuildJob {
  const timeoutMs = opts.timeoutMs ?? 15 * 60_000;
  const graceMs = opts.graceMs ?? 5_000;
  const cli = opts.cli ?? defaultCli();
  return async (job, reporter, signal) => {
    await mkdir(opts.workDir, { recursive: true });
    const scratch = join(opts.workDir, `build-${job.key.slice(0, 16)}-${process.pid}-${Date.now().toString(36)}`);
    const repo = join(scratch, "repo");
    const out = join(scratch, "dist");
    const diagnostics: Diagnostic[] = [];
    const failed = (reason: string, extra: Diagnostic[] = []): JobResult => ({
      state: "failed",
      reason,
      diagnostics: [...diagnostics, ...extra],
    });
    try {
      const blob = await opts.store.getBlob(job.archive);
      if (!blob) return failed(`the uploaded archive ${job.archive} is not in the store`);
      const began = await stageStart(reporter, "unpack");
      try {
        await unpackArchive(blob, job.archiveKind, repo, {}, { signal });
      } catch (e) {
        if (e instanceof DcmError) return failed("the archive was refused", e.diagnostics);
        throw e;
      }
      await stageEnd(reporter, "unpack", began);
      if (signal.aborted) return { state: "cancelled", diagnostics };
      if (distPathProblem(job.cfdPath) !== null) return failed(`cfdPath \`${job.cfdPath}\` is not a relative path`);
      if (job.cfdText !== undefined) {
        const at = join(repo, ...job.cfdPath.split("/"));
        await mkdir(dirname(at), { recursive: true });
        await rm(at, { force: true });
        await writeFile(at, job.cfdText, { flag: "wx" });
      }
      const args = [cli, "build", ".", "--cfd", job.cfdPath, "--out", out, "--events", "ndjson", ...DRIVER_ARGS[job.driver]];
      const r = await runChild(args, repo, { ...process.env, ...opts.env }, reporter, diagnostics, signal, timeoutMs, graceMs);
      if (r.stopped === "signal") return { state: "cancelled", diagnostics };
      if (r.stopped === "timeout")
        return failed("wall-time limit", [
          diag("DCM_SERVICE_BUILD_TIMEOUT", `The build ran longer than ${Math.round(timeoutMs / 1000)} s and was stopped.`),
        ]);
      if (r.code !== 0) {
        if (!diagnostics.some((d) => d.severity === "error")) {
          const tail = r.stderr.trim().split("\n").slice(-20).join("\n");
          return failed("the build failed", [
            diag("DCM_SERVICE_BUILD_CRASHED", `dcm build exited with ${r.code ?? r.signal}: ${tail || "no output"}`),
          ]);
        }
        return failed("the build failed");
      }
      const storeBegan = await stageStart(reporter, "store");
      await opts.store.putDist(job.key, out);
      await stageEnd(reporter, "store", storeBegan);
      const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as Manifest;
      return { state: "succeeded", diagnostics, manifest };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  };
}

async function stageStart(reporter: JobReporter, name: string): Promise<{ at: string; t: number }> {
  const at = new Date().toISOString();
  await reporter.stage({ name, startedAt: at });
  await reporter.event({ type: "stage", stage: name, phase: "started" });
  return { at, t: performance.now() };
}

async function stageEnd(reporter: JobReporter, name: string, began: { at: string; t: number }): Promise<void> {
  const ms = Math.round(performance.now() - began.t);
  await reporter.stage({ name, startedAt: began.at, ms });
  await reporter.event({ type: "stage", stage: name, phase: "finished", ms });
}

interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stopped?: "signal" | "timeout";
}

/** Runs `dcm build` in its own process group, turning its NDJSON events into the job's. */
function runChild(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  reporter: JobReporter,
  diagnostics: Diagnostic[],
  signal: AbortSignal,
  timeoutMs: number,
  graceMs: number,
): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    // stdin is a pipe the child watches (DCM_EXIT_ON_STDIN_EOF): if this process dies, even by SIGKILL, the build stops.
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...env, DCM_EXIT_ON_STDIN_EOF: "1" },
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin.on("error", () => {});
    let stopped: ChildOutcome["stopped"];
    let killTimer: NodeJS.Timeout | undefined;
    const group = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // gone already
      }
    };
    const stop = (why: "signal" | "timeout") => {
      stopped ??= why;
      group("SIGTERM");
      killTimer ??= setTimeout(() => group("SIGKILL"), graceMs);
    };
    const onAbort = () => stop("signal");
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) stop("signal");
    const timer = setTimeout(() => stop("timeout"), timeoutMs);
    // A service that exits takes its builds with it.
    const onExit = () => group("SIGKILL");
    process.once("exit", onExit);

    // Events in order: each is reported before the next line is handled.
    let chain = Promise.resolve();
    let buffered = "";
    const stages = new Map<string, string>();
    const handle = async (line: string) => {
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not an event (a stray print of a library): ignored
      }
      if (e.type === "stage" && typeof e.stage === "string") {
        const phase = e.phase === "finished" ? "finished" : "started";
        const ms = typeof e.ms === "number" ? e.ms : undefined;
        if (phase === "started") stages.set(e.stage, new Date().toISOString());
        const startedAt = stages.get(e.stage) ?? new Date(Date.now() - (ms ?? 0)).toISOString();
        await reporter.stage({ name: e.stage, startedAt, ...(ms === undefined ? {} : { ms }) });
        await reporter.event({ type: "stage", stage: e.stage, phase, ...(ms === undefined ? {} : { ms }) });
      } else if (e.type === "output" && typeof e.line === "string") {
        await reporter.event({
          type: "output",
          step: String(e.step ?? ""),
          stream: e.stream === "stdout" ? "stdout" : "stderr",
          line: e.line.slice(0, 4096),
        });
      } else if (e.type === "diagnostic" && e.diagnostic && typeof e.diagnostic === "object") {
        const d = e.diagnostic as Diagnostic;
        diagnostics.push(d);
        await reporter.event({ type: "diagnostic", diagnostic: d });
      }
    };
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (s: string) => {
      const parts = (buffered + s).split("\n");
      buffered = parts.pop()!;
      for (const line of parts) if (line.trim()) chain = chain.then(() => handle(line)).catch(() => {});
    });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => {
      stderr = (stderr + s).slice(-16_384);
    });
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      signal.removeEventListener("abort", onAbort);
      process.removeListener("exit", onExit);
      group("SIGKILL"); // whatever of the group is left
      if (buffered.trim()) {
        const last = buffered;
        chain = chain.then(() => handle(last)).catch(() => {});
      }
      void chain.then(() => resolve({ code, signal: sig, stderr, ...(stopped ? { stopped } : {}) }));
    });
    child.on("error", (err) => {
      stderr += `\n${err.message}`;
    });
  });
}
