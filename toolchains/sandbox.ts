/**
 * Core's sandbox: every toolchain process of every language runs through
 * runStep(). An adapter describes the step (command, arguments, folders it
 * reads, caches and scratch folders it writes, phase) and this file decides
 * how it runs: inside bubblewrap by default, with limits on wall time, CPU
 * time, memory and output, the whole process group killed at a limit.
 *
 *  - `fetch` steps download dependencies (`go mod download`, `cargo fetch`):
 *    network allowed, no user code runs in them.
 *  - `compile` steps: no network; the file system holds only the system
 *    folders (/usr, the /lib and /bin links, a few /etc files), the step's
 *    inputs read-only, its caches and scratch folders writable, a private
 *    /tmp and a HOME inside it. The user's $HOME, the real /tmp and other
 *    projects are not there; the environment keeps only what the step names
 *    (no tokens, keys or passwords).
 *
 * The sandbox is on unless the build says otherwise (`dcm build
 * --no-sandbox`, BuildOptions.sandbox = false, or DCM_SANDBOX=0), through
 * withSandboxPolicy(). The policy's driver `container` runs the same steps
 * in a Podman/Docker container instead (toolchains/container/). Without
 * bubblewrap a sandboxed step throws DCM_SANDBOX_UNAVAILABLE; a step that
 * hits a limit throws DCM_SANDBOX_LIMIT.
 *
 * Known limitations: CPU time and memory are limited per process (rlimits
 * inherited by every process of the step), not for the step as a whole; the
 * memory limit is RLIMIT_DATA (private writable memory), so address space
 * reserved but not used does not count. Caches are shared between builds, so
 * a compile step can write into them (that is what a cache is for).
 */
import { spawn } from "node:child_process";
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { AsyncLocalStorage } from "node:async_hooks";
import { dirname, isAbsolute, resolve, sep } from "node:path";
import { DcmError, diag } from "../runtime/diagnostics/catalog.js";
import { which } from "./local-driver.js";
import type { CompileOutcome } from "./toolchain-types.js";

export type StepPhase = "fetch" | "compile";

export interface StepLimits {
  /** Wall time of the whole step. */
  wallMs: number;
  /** CPU seconds, per process of the step. */
  cpuSeconds: number;
  /** Private writable memory, per process of the step. */
  memoryBytes: number;
  /** stdout + stderr together. */
  outputBytes: number;
}

export interface ToolStep {
  phase: StepPhase;
  /** What the step is, for messages: `go build (wasm)`. */
  label: string;
  /** The executable (absolute, or found on PATH). */
  command: string;
  args: string[];
  cwd: string;
  /** Set in the step's environment (after the host variables passEnv lets through). */
  env?: Record<string, string>;
  /** Host environment variables let through: names, or prefixes ending in `*` (`GO*`). Secrets never pass. */
  passEnv?: string[];
  /** Folders (or files) the step reads: the repository, toolchain installations. Bound read-only. */
  inputs: string[];
  /** Writable folders kept between builds (module caches, cargo's target folder). Created when missing. */
  caches?: string[];
  /** Writable folders of this build (generated sources, output). Created when missing. */
  scratch?: string[];
  limits?: Partial<StepLimits>;
}

export interface StepOutcome extends CompileOutcome {
  /** True when the step ran inside bubblewrap or a container. */
  sandboxed: boolean;
  /**
   * Sandboxed failures only: host files the step's error output names that
   * exist on this machine but were hidden from the step (outside the
   * repository and the toolchains): an import, include or embed of a file
   * outside the repository.
   */
  hiddenPaths: string[];
}

/** How steps run: bubblewrap (default), a Podman/Docker container (toolchains/container/), or directly (trusted code only). */
export type StepDriver = "sandbox" | "container" | "local";

export interface SandboxPolicy {
  /** False: run toolchains directly on this machine (trusted code only). */
  sandbox: boolean;
  /** Absent: `sandbox` when sandbox is true, else `local`. `container` needs sandbox: true. */
  driver?: StepDriver;
  /** Each line a step prints, as it prints it (the build service streams them); `step` is the step's label. */
  onOutput?: (step: string, stream: "stdout" | "stderr", line: string) => void;
}

/** The driver a policy selects. */
export const driverOf = (policy: SandboxPolicy): StepDriver => (policy.sandbox ? (policy.driver === "container" ? "container" : "sandbox") : "local");

/** The policy of a driver (`dcm build --driver`). */
export const policyFor = (driver: StepDriver): SandboxPolicy => (driver === "local" ? { sandbox: false } : { sandbox: true, driver });

export const DEFAULT_LIMITS: StepLimits = {
  wallMs: 10 * 60 * 1000,
  cpuSeconds: 20 * 60,
  memoryBytes: 8 * 1024 ** 3,
  outputBytes: 64 * 1024 ** 2,
};

const policyScope = new AsyncLocalStorage<SandboxPolicy>();
/** The running step's output listener, for spawnLimited (both drivers spawn through it). */
const outputScope = new AsyncLocalStorage<{ step: string; onOutput: NonNullable<SandboxPolicy["onOutput"]> }>();

/** Runs fn with the given policy for every step it starts (the build's --no-sandbox). */
export function withSandboxPolicy<T>(policy: SandboxPolicy, fn: () => Promise<T>): Promise<T> {
  return policyScope.run(policy, fn);
}

/** The policy in force: the enclosing withSandboxPolicy(), else on unless DCM_SANDBOX=0. */
export function sandboxPolicy(env: NodeJS.ProcessEnv = process.env): SandboxPolicy {
  const scoped = policyScope.getStore();
  if (scoped) return scoped;
  const v = (env.DCM_SANDBOX ?? "").trim().toLowerCase();
  return { sandbox: !["0", "false", "off", "no"].includes(v) };
}

/** The bwrap executable: DCM_BWRAP when set (tests simulate a missing one with it), else bwrap on PATH. */
export async function findBwrap(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  return which(env.DCM_BWRAP?.trim() || "bwrap");
}

export const BWRAP_INSTALL_HINT =
  "Install bubblewrap (`apt-get install -y bubblewrap`, or run `bash toolchains/install.sh`), or build trusted code without the sandbox: `dcm build --no-sandbox` (`sandbox: false` in the library API).";

/** DCM_SANDBOX_UNAVAILABLE when the sandbox is on and bwrap is missing (the build checks this before anything runs). */
export async function assertSandboxReady(policy: SandboxPolicy = sandboxPolicy(), onLine?: (line: string) => void): Promise<void> {
  if (!policy.sandbox) return;
  if (driverOf(policy) === "container") {
    // Loaded on use: a bubblewrap build never pays for the container driver. Builds the image when missing.
    const { assertContainerReady } = await import("./container/container-driver.js");
    return assertContainerReady(onLine);
  }
  const bwrap = await findBwrap();
  if (bwrap) {
    // Installed is not enough: without user namespaces (some containers) bwrap cannot create a sandbox.
    const why = await bwrapWorks(bwrap);
    if (why === "") return;
    throw new DcmError(
      diag("DCM_SANDBOX_UNAVAILABLE", `bubblewrap (${bwrap}) is installed but cannot create a sandbox here: ${why}`, {
        suggestion:
          "Allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1), or run the container with --privileged; for trusted code only, build with `--no-sandbox`.",
      }),
    );
  }
  throw new DcmError(
    diag(
      "DCM_SANDBOX_UNAVAILABLE",
      `dcm compiles fragments inside a bubblewrap sandbox (no network, only the repository and the toolchains visible), and \`${process.env.DCM_BWRAP?.trim() || "bwrap"}\` was not found.`,
      { suggestion: BWRAP_INSTALL_HINT },
    ),
  );
}

const bwrapChecked = new Map<string, Promise<string>>();

/** "" when `bwrap` can start an empty sandbox (checked once per process), else what it said. */
function bwrapWorks(bwrap: string): Promise<string> {
  let p = bwrapChecked.get(bwrap);
  if (!p) {
    p = new Promise((done) => {
      const child = spawn(bwrap, ["--die-with-parent", "--unshare-net", "--unshare-pid", "--ro-bind", "/", "/", "--", "true"], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let err = "";
      child.stderr.on("data", (b: Buffer) => (err += b.toString("utf8")));
      child.on("error", (e) => done(e.message));
      child.on("close", (code) => done(code === 0 ? "" : err.trim() || `exit code ${code}`));
    });
    bwrapChecked.set(bwrap, p);
  }
  return p;
}

/** Limits from DCM_SANDBOX_LIMITS (`wall=600,cpu=1200,memory=8192,output=64`: seconds, MiB), over the defaults. */
export function limitsFromEnv(text: string | undefined = process.env.DCM_SANDBOX_LIMITS): Partial<StepLimits> {
  const out: Partial<StepLimits> = {};
  for (const part of (text ?? "").split(",")) {
    const [k, v] = part.split("=").map((s) => s.trim());
    const n = Number(v);
    if (!k || !Number.isFinite(n) || n <= 0) continue;
    if (k === "wall") out.wallMs = n * 1000;
    else if (k === "cpu") out.cpuSeconds = Math.ceil(n);
    else if (k === "memory") out.memoryBytes = n * 1024 ** 2;
    else if (k === "output") out.outputBytes = n * 1024 ** 2;
  }
  return out;
}

/** Host variables every step gets; the rest only when the step names them. */
const BASE_ENV = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SOURCE_DATE_EPOCH"];
/** A fetch step reaches the network the way the host does. */
const FETCH_ENV = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"];
/** Never into a sandbox, whatever passEnv says. */
const SECRET = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|PRIVATE_KEY|AUTH/i;

export function stepEnv(step: ToolStep, host: NodeJS.ProcessEnv): Record<string, string> {
  const names = [...BASE_ENV, ...(step.phase === "fetch" ? FETCH_ENV : []), ...(step.passEnv ?? [])];
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(host)) {
    if (v === undefined || SECRET.test(k)) continue;
    if (names.some((n) => (n.endsWith("*") ? k.startsWith(n.slice(0, -1)) : k === n))) out[k] = v;
  }
  return { ...out, HOME: SANDBOX_HOME, TMPDIR: "/tmp", ...step.env };
}

/** HOME inside the sandbox: an empty folder in its private /tmp. */
export const SANDBOX_HOME = "/tmp/home";

/** System folders every step sees read-only (those that exist; links are recreated as links). */
export const SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt"];
/** The /etc files a compiler or downloader needs: the dynamic linker, users, alternatives, DNS and certificates. */
const ETC = [
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/alternatives",
  "/etc/passwd",
  "/etc/group",
  "/etc/nsswitch.conf",
  "/etc/hosts",
  "/etc/resolv.conf",
  "/etc/ssl",
  "/etc/ca-certificates",
  "/etc/pki",
  "/etc/localtime",
];

export const inside = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** The bwrap arguments that run the step (exported for tests and docs). */
export function bwrapArgs(step: ToolStep, command: string): string[] {
  const out = ["--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"];
  if (step.phase === "compile") out.push("--unshare-net");
  for (const s of SYSTEM) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(s);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) out.push("--symlink", readlinkSync(s), s);
    else out.push("--ro-bind", s, s);
  }
  for (const e of ETC) if (existsSync(e)) out.push("--ro-bind", e, e);
  out.push("--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--dir", SANDBOX_HOME);
  // Parents before children: a cache inside the repository stays writable, an input inside a cache read-only.
  const binds = new Map<string, "ro" | "rw">();
  for (const p of step.inputs) if (p) binds.set(resolve(p), "ro");
  for (const p of [...(step.caches ?? []), ...(step.scratch ?? [])]) if (p) binds.set(resolve(p), "rw");
  for (const [p, mode] of [...binds].sort(([a], [b]) => a.length - b.length || a.localeCompare(b))) {
    if (SYSTEM.some((s) => inside(p, s)) && mode === "ro") continue; // already visible
    if (!existsSync(p)) continue;
    out.push(mode === "ro" ? "--ro-bind" : "--bind", p, p);
  }
  out.push("--chdir", step.cwd, "--", command, ...step.args);
  return out;
}

/** Runs one toolchain step under the policy in force. Never throws for a failing process; throws DCM_SANDBOX_* diagnostics. */
export async function runStep(step: ToolStep, policy: SandboxPolicy = sandboxPolicy()): Promise<StepOutcome> {
  if (policy.onOutput && outputScope.getStore()?.step !== step.label)
    return outputScope.run({ step: step.label, onOutput: policy.onOutput }, () => runStep(step, policy));
  const limits: StepLimits = { ...DEFAULT_LIMITS, ...limitsFromEnv(), ...step.limits };
  for (const w of [...(step.caches ?? []), ...(step.scratch ?? [])]) if (w) await mkdir(w, { recursive: true });
  const command = isAbsolute(step.command) ? step.command : ((await which(step.command, process.env.PATH)) ?? step.command);
  if (driverOf(policy) === "container") {
    const { runInContainer } = await import("./container/container-driver.js");
    return runInContainer(step, command, limits);
  }
  let argv: string[];
  let env: Record<string, string | undefined>;
  if (policy.sandbox) {
    await assertSandboxReady(policy);
    const bwrap = (await findBwrap())!;
    argv = [bwrap, ...bwrapArgs(step, command)];
    env = stepEnv(step, process.env);
  } else {
    // Trusted code: the host's environment as it is, plus the step's.
    argv = [command, ...step.args];
    env = { ...process.env, ...step.env };
  }
  const prlimit = await prlimitPath();
  if (prlimit) argv = [prlimit, `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 5}`, `--data=${limits.memoryBytes}`, "--", ...argv];
  const r = await spawnLimited(argv, step.cwd, env, limits);
  const text = `${r.stdout}\n${r.stderr}`;
  const hit = r.limit ?? (r.ok ? undefined : limitFromOutput(text, r.signal, r.exitCode));
  if (hit) throw new DcmError(limitDiagnostic(step, hit, limits, text));
  const hiddenPaths = policy.sandbox && !r.ok ? hiddenPathsIn(text, step) : [];
  return { ok: r.ok, stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs, sandboxed: policy.sandbox, hiddenPaths };
}

let prlimitFound: Promise<string | null> | undefined;
const prlimitPath = () => (prlimitFound ??= which("prlimit"));

export type LimitKind = "wall" | "cpu" | "memory" | "output";

export interface Spawned {
  ok: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  limit?: LimitKind;
}

/**
 * Spawns argv in its own process group; at the wall-time or output limit the
 * whole group is killed. `onKill` also runs then (and when dcm exits first):
 * what the group does not hold, a container, is stopped there; it must be synchronous.
 */
export function spawnLimited(
  argv: string[],
  cwd: string,
  env: Record<string, string | undefined>,
  limits: StepLimits,
  onKill?: () => void,
): Promise<Spawned> {
  const started = performance.now();
  return new Promise((done) => {
    let limit: LimitKind | undefined;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const stop = (why: LimitKind) => {
      limit ??= why;
      onKill?.();
      killGroup();
    };
    const timer = setTimeout(() => stop("wall"), limits.wallMs);
    const listen = outputScope.getStore();
    const lines = { stdout: "", stderr: "" };
    const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    const emit = (stream: "stdout" | "stderr", text: string, end = false) => {
      if (!listen) return;
      const parts = (lines[stream] + text).split(/\r?\n/);
      lines[stream] = end ? "" : parts.pop()!;
      for (const line of parts) if (line || !end) listen.onOutput(listen.step, stream, line);
    };
    const take = (into: Buffer[], stream: "stdout" | "stderr") => (b: Buffer) => {
      size += b.length;
      if (size > limits.outputBytes) return stop("output");
      into.push(b);
      if (listen) emit(stream, decoders[stream].decode(b, { stream: true }));
    };
    child.stdout.on("data", take(out, "stdout"));
    child.stderr.on("data", take(err, "stderr"));
    // The step's processes must not outlive dcm.
    const onExit = () => {
      onKill?.();
      killGroup();
    };
    process.once("exit", onExit);
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, startError?: Error) => {
      clearTimeout(timer);
      process.removeListener("exit", onExit);
      killGroup(); // leftovers of the group (a daemon a build started)
      emit("stdout", "", true);
      emit("stderr", "", true);
      let stderr = Buffer.concat(err).toString("utf8");
      if (startError) stderr += `\n${argv[0]}: could not be started: ${startError.message}\n`;
      done({
        ok: !startError && limit === undefined && exitCode === 0,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr,
        durationMs: Math.round(performance.now() - started),
        exitCode,
        signal,
        ...(limit ? { limit } : {}),
      });
    };
    child.on("error", (e) => finish(null, null, e));
    child.on("close", (code, signal) => finish(code, signal));
  });
}

/** A CPU or memory limit, seen in how the step ended (the rlimits end the process that crossed them). */
export function limitFromOutput(text: string, signal: NodeJS.Signals | null, exitCode: number | null): LimitKind | undefined {
  if (signal === "SIGXCPU" || exitCode === 128 + 24 || /CPU time limit exceeded/i.test(text)) return "cpu";
  if (
    /fatal error: (?:runtime: )?out of memory|memory allocation of \d+ bytes failed|std::bad_alloc|JavaScript heap out of memory|virtual memory exhausted|cannot allocate memory|out of memory allocating|^MemoryError/im.test(
      text,
    )
  )
    return "memory";
  return undefined;
}

export function limitDiagnostic(step: ToolStep, kind: LimitKind, limits: StepLimits, text: string, memoryFor = "per process") {
  const what = {
    wall: `its wall-time limit of ${Math.round(limits.wallMs / 1000)} s`,
    cpu: `its CPU-time limit of ${limits.cpuSeconds} s per process`,
    memory: `its memory limit of ${Math.round(limits.memoryBytes / 1024 ** 2)} MiB ${memoryFor}`,
    output: `its output limit of ${Math.round(limits.outputBytes / 1024 ** 2)} MiB`,
  }[kind];
  const tail = text.trim().split("\n").slice(-5).join("\n").slice(-800);
  return diag("DCM_SANDBOX_LIMIT", `\`${step.label}\` was stopped at ${what}; every process of the step was killed.${tail ? `\nLast output:\n${tail}` : ""}`, {
    suggestion:
      "Look for code that runs at compile time without end (a build script, a macro, const evaluation, a huge generated file). If the build is just big, raise the limit: DCM_SANDBOX_LIMITS=wall=<s>,cpu=<s>,memory=<MiB>,output=<MiB>.",
  });
}

/**
 * Paths in a failed step's output that exist on the host but were hidden
 * from the step: quoted paths (`…`, '…', "…") and bare absolute or ./ ../
 * ones, relative ones resolved against the step's folder and the folder of
 * the file the error line names.
 */
export function hiddenPathsIn(text: string, step: Pick<ToolStep, "cwd" | "inputs" | "caches" | "scratch">): string[] {
  const visible = [...step.inputs, ...(step.caches ?? []), ...(step.scratch ?? []), ...SYSTEM, ...ETC, "/proc", "/dev"]
    .filter(Boolean)
    .map((p) => resolve(p));
  const found = new Set<string>();
  for (const line of text.split("\n")) {
    if (!/no such file|not found|couldn't read|could not read|cannot find|failed to read|does not exist|cannot open|no matching files|failed to load/i.test(line)) continue;
    const at = /(?:-->\s*)?((?:\/|\.{1,2}\/|[\w.-]+\/)?[\w./-]+\.\w+):\d+(?::\d+)?/.exec(line)?.[1];
    const bases = [step.cwd, ...(at ? [dirname(resolve(step.cwd, at))] : [])];
    // Each form on its own: a JSON line (cargo's messages) holds backquoted paths inside double-quoted strings.
    const tokens = [/`([^`]+)`/g, /'([^']+)'/g, /"([^"\\]+)"/g, /(?:^|[\s(:])((?:\/|\.\.?\/)[^\s:'"`(),\\]+)/g].flatMap((re) =>
      [...line.matchAll(re)].map((m) => m[1] ?? ""),
    );
    for (const t of tokens) {
      if (!t || t.length > 4096 || !(t.includes("/") || t.includes("."))) continue;
      for (const base of isAbsolute(t) ? ["/"] : bases) {
        const p = resolve(base, t);
        if (visible.some((v) => inside(p, v)) || !existsSync(p)) continue;
        found.add(p);
      }
    }
  }
  return [...found].sort();
}
