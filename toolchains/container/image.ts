/**
 * dcm's container images, built on this machine from Debian packages and the
 * machine's own toolchains (no registry is pulled from):
 *
 *  1. `localhost/dcm-base:<hash>`: `mmdebstrap --variant=minbase bookworm`
 *     with docker/base-packages.txt, imported with `podman import`. The hash
 *     covers the package list and the suite.
 *  2. `localhost/dcm-toolchains:<hash>`: docker/Containerfile.toolchains on
 *     the base, the toolchains copied from this machine at the same paths
 *     (toolchain-roots.ts). The hash covers the base's tag, the Containerfile
 *     and every toolchain's fingerprint (versions), so an image is built once,
 *     reused by every later build, and rebuilt when a toolchain changes.
 *
 * Both carry the label `dcm.managed=true`; dcm never removes or changes an
 * image it did not make (and removes none: old tags stay until `podman rmi`).
 *
 * Processes that find the image missing at the same moment build it once: a
 * lock folder in the temp folder (taken over when its holder died).
 *
 * Known limitations: mmdebstrap needs a Debian mirror (the host's apt
 * sources); the lock is per machine (a temp folder), not per engine storage.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DcmError, diag } from "../../runtime/diagnostics/catalog.js";
import { which } from "../local-driver.js";
import { type ContainerEngine, engineRun, findEngine } from "./engine.js";
import { type ImageRoot, toolchainRoots } from "./toolchain-roots.js";

/** docker/ of this checkout (build/toolchains/container/ → ../../../docker when compiled). */
function dockerDir(): string {
  for (const up of ["../../docker", "../../../docker"]) {
    const d = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(join(d, "Containerfile.toolchains"))) return d;
  }
  return fileURLToPath(new URL("../../docker", import.meta.url));
}

export const SUITE = "bookworm";
export const MANAGED_LABEL = "dcm.managed=true";

export interface ImagePlan {
  base: string;
  tag: string;
  roots: ImageRoot[];
  packages: string[];
  containerfile: string;
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 16);

let planned: Promise<ImagePlan> | undefined;

/** The tags this machine's toolchains make (computed once per process). */
export function imagePlan(): Promise<ImagePlan> {
  planned ??= (async () => {
    const dir = dockerDir();
    const packages = readFileSync(join(dir, "base-packages.txt"), "utf8")
      .split("\n")
      .map((l) => l.replace(/#.*/, "").trim())
      .filter(Boolean);
    const containerfile = join(dir, "Containerfile.toolchains");
    const base = `localhost/dcm-base:${sha(JSON.stringify({ SUITE, packages, arch: process.arch }))}`;
    const roots = await toolchainRoots();
    const tag = `localhost/dcm-toolchains:${sha(JSON.stringify({ base, file: readFileSync(containerfile, "utf8"), roots }))}`;
    return { base, tag, roots, packages, containerfile };
  })();
  return planned;
}

export async function imageExists(engine: ContainerEngine, tag: string): Promise<boolean> {
  return (await engineRun(engine, ["image", "inspect", "--format", "{{.Id}}", tag], { timeoutMs: 60_000 })).code === 0;
}

function imageFailed(what: string, output: string, suggestion: string): DcmError {
  const tail = output.trim().split("\n").slice(-40).join("\n");
  return new DcmError(diag("DCM_CONTAINER_IMAGE_FAILED", `${what}${tail ? `:\n${tail}` : ""}`, { suggestion }));
}

let ensured: Promise<string> | undefined;

/**
 * The toolchain image's tag, built first when missing (base, then
 * toolchains). `onLine` gets progress and the tools' output.
 */
export function ensureImage(onLine: (line: string) => void = () => {}): Promise<string> {
  ensured ??= buildIfMissing(onLine).catch((e: unknown) => {
    ensured = undefined; // a later build tries again (after the user fixed the cause)
    throw e;
  });
  return ensured;
}

async function buildIfMissing(onLine: (line: string) => void): Promise<string> {
  const engine = await findEngine();
  const plan = await imagePlan();
  if (await imageExists(engine, plan.tag)) return plan.tag;
  return withBuildLock(onLine, async () => {
    // Another process may have built it while this one waited for the lock.
    if (await imageExists(engine, plan.tag)) return plan.tag;
    const started = performance.now();
    if (!(await imageExists(engine, plan.base))) await buildBase(engine, plan, onLine);
    await buildToolchains(engine, plan, onLine);
    onLine(`container image ${plan.tag} built in ${Math.round((performance.now() - started) / 1000)} s`);
    return plan.tag;
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** One image build at a time on this machine (dcm processes, service workers): a lock folder in the temp folder. */
async function withBuildLock<T>(onLine: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), "dcm-container-image.lock");
  let told = false;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, "pid"), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(await readFile(join(lock, "pid"), "utf8").catch(() => "0"));
      const age = Date.now() - ((await stat(lock).catch(() => null))?.mtimeMs ?? Date.now());
      // Its holder is gone (killed mid-build), or never wrote its pid: take it over.
      if ((pid && !alive(pid)) || (!pid && age > 60_000)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (!told) onLine(`container image: another dcm process (pid ${pid || "?"}) is building it; waiting`);
      told = true;
      await new Promise((ok) => setTimeout(ok, 2000));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function buildBase(engine: ContainerEngine, plan: ImagePlan, onLine: (line: string) => void): Promise<void> {
  const mmdebstrap = await which("mmdebstrap", `${process.env.PATH ?? ""}:/usr/bin:/usr/sbin`);
  if (!mmdebstrap)
    throw imageFailed(
      `dcm makes its base image (${plan.base}) with mmdebstrap from Debian packages, and \`mmdebstrap\` was not found`,
      "",
      "Install it: `apt-get install -y mmdebstrap` (or `bash toolchains/container/install.sh`).",
    );
  const work = await mkdtemp(join(tmpdir(), "dcm-rootfs-"));
  try {
    const tar = join(work, "rootfs.tar");
    onLine(`container image: mmdebstrap --variant=minbase ${SUITE} (${plan.packages.join(", ")})`);
    const m = await engineRun({ path: mmdebstrap, global: [] }, ["--variant=minbase", `--include=${plan.packages.join(",")}`, SUITE, tar], { onLine });
    if (m.code !== 0)
      throw imageFailed(
        `mmdebstrap could not make the base image's file system (exit code ${m.code})`,
        m.stderr || m.stdout,
        "Check that a Debian mirror is reachable (the host's apt sources) and that mmdebstrap runs as root or with user namespaces.",
      );
    onLine(`container image: ${engine.kind} import → ${plan.base}`);
    const i = await engineRun(engine, ["import", "--change", `LABEL ${MANAGED_LABEL}`, tar, plan.base], { onLine });
    if (i.code !== 0) throw imageFailed(`\`${engine.kind} import\` of the base file system failed (exit code ${i.code})`, i.stderr, "Check the engine's storage (`podman info`).");
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function buildToolchains(engine: ContainerEngine, plan: ImagePlan, onLine: (line: string) => void): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "dcm-image-"));
  try {
    const args = ["build", ...(engine.kind === "podman" ? ["--pull=never"] : []), "-f", plan.containerfile, "--build-arg", `BASE=${plan.base}`, "-t", plan.tag, "--label", MANAGED_LABEL];
    for (const r of plan.roots) {
      let source = r.source;
      if (!source || r.files || r.folders) {
        // A context of its own: an empty one for an absent toolchain, or just the files named.
        source = join(work, r.context);
        await mkdir(source, { recursive: true });
        for (const f of r.files ?? []) await copyFile(f, join(source, basename(f)));
        for (const d of r.folders ?? []) {
          if (existsSync(d)) await cp(d, join(source, basename(d)), { recursive: true });
          else await mkdir(join(source, basename(d)), { recursive: true });
        }
      }
      args.push("--build-context", `${r.context}=${source}`);
      if (r.arg) args.push("--build-arg", `${r.arg.name}=${r.arg.value}`);
    }
    const ctx = join(work, "empty");
    await mkdir(ctx);
    onLine(`container image: ${engine.kind} build → ${plan.tag}`);
    const b = await engineRun(engine, [...args, ctx], { onLine });
    if (b.code !== 0)
      throw imageFailed(`\`${engine.kind} build\` of ${plan.tag} failed (exit code ${b.code})`, `${b.stdout}\n${b.stderr}`, "Read the tool's output above; `docker build` needs BuildKit (buildx) for named build contexts.");
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
