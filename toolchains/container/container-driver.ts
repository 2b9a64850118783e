/**
 * The container driver (`dcm build --driver container`): each toolchain step
 * runStep would run in bubblewrap runs in a fresh container of dcm's toolchain
 * image (image.ts) instead:
 *
 *   podman --runtime runc run --rm --network=none --read-only
 *     --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 …
 *
 * with the step's inputs (the repository, dcm's node_modules for asc, Go's
 * module cache) bound read-only and its caches and scratch folders read-write,
 * each at the same absolute path as on the host, so adapters need no change;
 * the toolchains come from the image (at the paths they have on the host) and
 * are not mounted. A private /tmp (tmpfs) with HOME in it, the sandbox's
 * environment allowlist, no capabilities, no new privileges.
 *
 * Fetch steps (`go mod download`, `cargo fetch`: downloaders, no user code)
 * run in a container too, on the host's network and with the host's CA
 * certificates (a proxy's CA), as in the sandbox; compile steps have no
 * network at all.
 *
 * Limits: wall time (the container is removed, `podman rm -f`, and the
 * client's process group killed), memory for the whole container
 * (`--memory`, no swap; the sandbox limits each process), CPU time per
 * process (`--ulimit cpu`), processes (`--pids-limit`), output (64 MiB).
 *
 * Known limitations: a path with a comma cannot be given to `--mount` and is
 * refused; a container outlives a dcm that is SIGKILLed (until its step ends);
 * each step pays the container's start (about 0.15 s with runc).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { DcmError, diag } from "../../runtime/diagnostics/catalog.js";
import {
  hiddenPathsIn,
  inside,
  limitDiagnostic,
  limitFromOutput,
  type StepLimits,
  type StepOutcome,
  SYSTEM,
  spawnLimited,
  stepEnv,
  type ToolStep,
} from "../sandbox.js";
import { type ContainerEngine, findEngine } from "./engine.js";
import { ensureImage, imagePlan } from "./image.js";
import type { ImageRoot } from "./toolchain-roots.js";

/** The engine is there and the toolchain image exists (built now when missing). */
export async function assertContainerReady(onLine?: (line: string) => void): Promise<void> {
  await ensureImage(onLine);
}

/** The host's certificates, bound into fetch steps (the image's own are Debian's). */
const FETCH_ETC = ["/etc/ssl", "/etc/ca-certificates", "/etc/pki"];

/** Processes per container: cargo and go start one per core and a few each. */
export const PIDS_LIMIT = 4096;

/** What the image already holds at a host path: a step's input there is not mounted. */
export function providedByImage(p: string, roots: ImageRoot[]): boolean {
  // The image's own system folders (Debian's); /usr/local and /opt hold what the host added.
  if (SYSTEM.some((s) => s !== "/opt" && inside(p, s)) && !inside(p, "/usr/local")) return true;
  return roots.some((r) => (r.target && inside(p, r.target)) || (r.covers ?? []).includes(p));
}

export interface ContainerRunSpec {
  engine: Pick<ContainerEngine, "kind">;
  image: string;
  roots: ImageRoot[];
  name: string;
  limits: StepLimits;
}

/** The arguments of `<engine> run` for a step (exported for tests and docs). */
export function containerArgs(step: ToolStep, command: string, spec: ContainerRunSpec): string[] {
  const mb = Math.max(64, Math.round(spec.limits.memoryBytes / 1024 ** 2));
  const out = [
    "run",
    "--rm",
    "--pull=never",
    `--name=${spec.name}`,
    `--network=${step.phase === "fetch" ? "host" : "none"}`,
    "--read-only",
    `--tmpfs=/tmp:rw,exec,nosuid,nodev,size=${mb}m`,
    "--ulimit=nofile=1024:1024",
    "--ulimit=nproc=4096:4096",
    `--ulimit=cpu=${spec.limits.cpuSeconds}:${spec.limits.cpuSeconds + 5}`,
    `--memory=${mb}m`,
    `--memory-swap=${mb}m`,
    `--pids-limit=${PIDS_LIMIT}`,
    "--cap-drop=all",
    "--security-opt=no-new-privileges",
    "--hostname=dcm-build",
    `--workdir=${step.cwd}`,
  ];
  // A Docker daemon runs as root: files written to the host's folders stay the user's.
  if (spec.engine.kind === "docker" && process.getuid && process.getuid() !== 0) out.push(`--user=${process.getuid()}:${process.getgid?.() ?? 0}`);
  for (const [k, v] of Object.entries(stepEnv(step, process.env))) out.push("-e", `${k}=${v}`);
  // Parents before children: a cache inside the repository stays writable, an input inside a cache read-only.
  const binds = new Map<string, "ro" | "rw">();
  for (const p of step.inputs) if (p) binds.set(resolve(p), "ro");
  for (const p of [...(step.caches ?? []), ...(step.scratch ?? [])]) if (p) binds.set(resolve(p), "rw");
  for (const [p, mode] of [...binds].sort(([a], [b]) => a.length - b.length || a.localeCompare(b))) {
    if (mode === "ro" && providedByImage(p, spec.roots)) continue;
    if (!existsSync(p)) continue;
    if (p.includes(",")) {
      throw new DcmError(
        diag("DCM_CONTAINER_FAILED", `\`${step.label}\`: the container driver cannot mount ${p} (a comma in a path cannot be given to \`--mount\`).`, {
          suggestion: "Move the repository (or DCM_CACHE_DIR) to a path without commas, or build with `--driver sandbox`.",
        }),
      );
    }
    out.push("--mount", `type=bind,source=${p},destination=${p}${mode === "ro" ? ",readonly" : ""}`);
  }
  // A fetch step trusts what the host trusts (a proxy's own CA), as in the sandbox.
  if (step.phase === "fetch") for (const e of FETCH_ETC) if (existsSync(e)) out.push("--mount", `type=bind,source=${e},destination=${e},readonly`);
  // HOME is an empty folder in the private /tmp, as in the sandbox.
  out.push(spec.image, "/bin/sh", "-c", `mkdir -p "$HOME" && exec "$@"`, "sh", command, ...step.args);
  return out;
}

let counter = 0;

/** Runs one step in a container. Never throws for a failing process; throws DCM_SANDBOX_LIMIT and DCM_CONTAINER_* diagnostics. */
export async function runInContainer(step: ToolStep, command: string, limits: StepLimits): Promise<StepOutcome> {
  const engine = await findEngine();
  const image = await ensureImage();
  const { roots } = await imagePlan();
  const name = `dcm-step-${process.pid}-${++counter}-${randomBytes(4).toString("hex")}`;
  const argv = [engine.path, ...engine.global, ...containerArgs(step, command, { engine, image, roots, name, limits })];
  const remove = () => {
    spawnSync(engine.path, [...engine.global, "rm", "-f", ...(engine.kind === "podman" ? ["-t", "0"] : []), name], { stdio: "ignore", timeout: 30_000 });
  };
  // The client runs with dcm's environment (XDG_RUNTIME_DIR for rootless Podman); the step gets only -e.
  const r = await spawnLimited(argv, step.cwd, process.env, limits, remove);
  const text = `${r.stdout}\n${r.stderr}`;
  // 125: the engine itself failed (a mount, the runtime), not the step.
  if (r.exitCode === 125 && !r.limit && /^Error: /m.test(r.stderr)) {
    throw new DcmError(
      diag("DCM_CONTAINER_FAILED", `\`${step.label}\`: ${engine.kind} could not run the step's container:\n${r.stderr.trim().split("\n").slice(-8).join("\n")}`, {
        suggestion: `Check \`${engine.kind} info\`; with Podman on a cgroup v1 machine use runc (DCM_CONTAINER_RUNTIME=runc). Or build with \`--driver sandbox\`.`,
      }),
    );
  }
  // A SIGKILL dcm did not send (the container's 137, cargo's `signal: 9`, go's `signal: killed`): the
  // kernel's OOM killer at the container's memory limit, the only other killer inside.
  const oom = r.exitCode === 137 || /\(signal: 9, SIGKILL|\bsignal: killed\b/.test(text);
  const hit = r.limit ?? (r.ok ? undefined : (limitFromOutput(text, r.signal, r.exitCode) ?? (oom ? "memory" : undefined)));
  if (hit) throw new DcmError(limitDiagnostic(step, hit, limits, text, "for the whole container"));
  const hiddenPaths = r.ok ? [] : hiddenPathsIn(text, step);
  return { ok: r.ok, stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs, sandboxed: true, hiddenPaths };
}
