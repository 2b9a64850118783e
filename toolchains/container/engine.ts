/**
 * The container engine the container driver talks to: Podman (preferred: no
 * daemon, rootless or not), else the Docker CLI when a Docker engine answers.
 * DCM_CONTAINER_ENGINE names one (`podman`, `docker` or a path); with Podman,
 * DCM_CONTAINER_RUNTIME picks the OCI runtime (default `runc` when installed:
 * crun fails on hybrid cgroup v1 layouts, runc works on all of them).
 *
 * Known limitations: only Podman has been run (Podman 4.3 with runc on Debian
 * 12, cgroup v1); the Docker CLI path follows the same arguments and needs
 * BuildKit (`docker buildx`) for the image's named build contexts.
 */
import { spawn } from "node:child_process";
import { basename } from "node:path";
import { DcmError, diag } from "../../runtime/diagnostics/catalog.js";
import { which } from "../local-driver.js";

export interface ContainerEngine {
  kind: "podman" | "docker";
  /** Absolute path of the CLI. */
  path: string;
  /** Arguments before every subcommand (`--runtime runc`). */
  global: string[];
}

export const CONTAINER_INSTALL_HINT =
  "Install Podman and runc (`apt-get install -y podman runc mmdebstrap`, or run `bash toolchains/container/install.sh`), or build with the bubblewrap sandbox (`--driver sandbox`, the default).";

export interface EngineRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the engine's CLI (no shell); `onLine` sees each output line as it comes. */
export function engineRun(
  engine: Pick<ContainerEngine, "path" | "global">,
  args: string[],
  opts: { onLine?: (line: string) => void; timeoutMs?: number } = {},
): Promise<EngineRun> {
  return new Promise((done) => {
    const child = spawn(engine.path, [...engine.global, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let partial = "";
    const line = (b: Buffer) => {
      if (!opts.onLine) return;
      partial += b.toString("utf8");
      const lines = partial.split(/\r?\n|\r/);
      partial = lines.pop() ?? "";
      for (const l of lines) if (l.trim()) opts.onLine(l);
    };
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString("utf8");
      line(b);
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString("utf8");
      line(b);
    });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs) : undefined;
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      done({ code: null, stdout, stderr: `${stderr}\n${e.message}` });
    });
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

let found: Promise<ContainerEngine> | undefined;

/** The engine (checked once per process), or DCM_CONTAINER_UNAVAILABLE saying how to get one. */
export function findEngine(env: NodeJS.ProcessEnv = process.env): Promise<ContainerEngine> {
  found ??= detect(env);
  return found;
}

/** Forgets the engine found (tests that change DCM_CONTAINER_ENGINE). */
export function resetEngine(): void {
  found = undefined;
}

async function detect(env: NodeJS.ProcessEnv): Promise<ContainerEngine> {
  const named = env.DCM_CONTAINER_ENGINE?.trim();
  const tried: string[] = [];
  for (const name of named ? [named] : ["podman", "docker"]) {
    const path = await which(name);
    if (!path) {
      tried.push(`\`${name}\` was not found`);
      continue;
    }
    const kind = basename(path).includes("docker") ? "docker" : "podman";
    const global: string[] = [];
    if (kind === "podman") {
      const runtime = env.DCM_CONTAINER_RUNTIME?.trim() || ((await which("runc", `${env.PATH ?? ""}:/usr/sbin:/usr/bin`)) ? "runc" : "");
      if (runtime) global.push("--runtime", runtime);
    }
    // Podman answers without a daemon; the Docker CLI only when its engine does.
    const probe = await engineRun({ path, global }, kind === "podman" ? ["version", "--format", "{{.Client.Version}}"] : ["version", "--format", "{{.Server.Version}}"], {
      timeoutMs: 30_000,
    });
    if (probe.code === 0) return { kind, path, global };
    tried.push(`\`${path} version\` failed: ${(probe.stderr.trim() || `exit code ${probe.code}`).split("\n").slice(-3).join(" ")}`);
  }
  throw new DcmError(
    diag("DCM_CONTAINER_UNAVAILABLE", `the container driver runs every toolchain step in a Podman or Docker container, and no working engine was found: ${tried.join("; ")}.`, {
      suggestion: CONTAINER_INSTALL_HINT,
    }),
  );
}
