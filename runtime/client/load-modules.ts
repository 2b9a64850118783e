/**
 * Fetches and verifies a dist's client modules and starts the Executor that
 * runs them: what createClient does at start-up, and what a live redeploy
 * (redeploy.ts) does in the background with the new dist's manifest.
 *
 * Browser-safe: relative imports with `.js` suffixes, no node: modules.
 */
import { withStateAccessors } from "../abi/state-hosting.js";
import { FragmentCallError } from "../abi/call-error.js";
import { distPathProblem } from "../abi/dist-paths.js";
import type { Manifest, ManifestModule } from "../abi/manifest-types.js";
import type { OutputHandler } from "../abi/output-types.js";
import type { ClientOptions } from "./client-distributor.js";
import type { Executor, ExecutorInit, ModuleSource } from "./executor-types.js";
import { createInThreadExecutor } from "./in-thread-executor.js";
import { WorkerExecutor } from "./worker-executor.js";

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function fetchModule(
  m: ManifestModule,
  opts: ClientOptions,
  manifestBase: string | undefined,
): Promise<Uint8Array | WebAssembly.Module> {
  if (opts.loadModule) return opts.loadModule(m);
  let url: string;
  if (typeof opts.moduleUrl === "function") url = opts.moduleUrl(m);
  else if (typeof opts.moduleUrl === "string") url = opts.moduleUrl;
  else if (manifestBase) {
    // A manifest names files inside its dist only: never another folder of the server or another origin.
    const why = distPathProblem(m.file);
    if (why) throw new FragmentCallError("DCM_MANIFEST_UNSAFE_PATH", `The manifest's module path ${JSON.stringify(m.file)?.slice(0, 200)} ${why}; refused.`, "");
    url = new URL(m.file, manifestBase).href;
  }
  else
    throw new FragmentCallError(
      "DCM_MODULE_CORRUPT",
      `No URL for client module ${m.file}: give moduleUrl, manifestUrl or loadModule.`,
      "",
    );
  const f = opts.fetch ?? globalThis.fetch;
  const res = await f(url);
  if (res.status === 404) throw new FragmentCallError("DCM_MODULE_MISSING", `GET ${url}: HTTP 404 (the module the manifest lists is not served)`, "");
  if (!res.ok) throw new FragmentCallError("DCM_MODULE_CORRUPT", `GET ${url}: HTTP ${res.status}`, "");
  return new Uint8Array(await res.arrayBuffer());
}

export async function verify(m: ManifestModule, code: Uint8Array | WebAssembly.Module): Promise<void> {
  const subtle = globalThis.crypto?.subtle;
  if (!(code instanceof Uint8Array) || !subtle) return;
  const digest = hex(await subtle.digest("SHA-256", code as Uint8Array<ArrayBuffer>));
  if (digest !== m.sha256) {
    throw new FragmentCallError(
      "DCM_MODULE_CORRUPT",
      `${m.file} has sha256 ${digest}, the manifest says ${m.sha256}. Reload or rebuild the dist.`,
      "",
    );
  }
}

/** What opts.executor asks for, when it is not an Executor object (that one cannot be made again). */
export type ExecutorKind = Exclude<ClientOptions["executor"], Executor | undefined>;

/**
 * Fetches (opts.loadModule, opts.moduleUrl or the manifest's paths under
 * `manifestBase`), verifies (sha256, unless opts.verifyModules is false) and
 * starts an executor for the manifest's client modules. The executor's
 * `ready` may still reject (a module that does not instantiate).
 */
export async function startExecutor(
  m: Manifest,
  opts: ClientOptions,
  manifestBase: string | undefined,
  onOutput: OutputHandler,
): Promise<Executor> {
  // The executors also load the groups' state accessors (the client never lets callers call them).
  const hosted = withStateAccessors(m);
  // Portable modules (every target but native) run on the client.
  const clientModules = hosted.modules.filter((x) => x.target !== "native" && x.sides.includes("client"));
  const modules: ModuleSource[] = await Promise.all(
    clientModules.map(async (mod) => {
      const code = await fetchModule(mod, opts, manifestBase);
      if (opts.verifyModules !== false) await verify(mod, code);
      if (!mod.glue) return { module: mod, wasm: code };
      // The glue is fetched and verified like a module (same URL rules, its own sha256).
      const glueEntry: ManifestModule = { ...mod, file: mod.glue.file, sha256: mod.glue.sha256 };
      const glue = await fetchModule(glueEntry, opts, manifestBase);
      if (opts.verifyModules !== false) await verify(glueEntry, glue);
      if (!(glue instanceof Uint8Array))
        throw new FragmentCallError("DCM_MODULE_CORRUPT", `${mod.glue.file}: glue must be JavaScript source`, "");
      return { module: mod, wasm: code, glue: new TextDecoder().decode(glue) };
    }),
  );
  const init: ExecutorInit = { manifest: hosted, modules, onOutput };
  const kind =
    (opts.executor as ExecutorKind | undefined) ??
    (typeof (globalThis as { Worker?: unknown }).Worker === "function" ? "worker" : "in-thread");
  if (typeof kind === "function") return kind(init);
  if (kind === "worker") {
    return new WorkerExecutor(init, {
      ...(opts.workers ? { size: opts.workers } : {}),
      ...(opts.spawn ? { spawn: opts.spawn } : {}),
      ...(opts.workerUrl ? { workerUrl: opts.workerUrl } : {}),
    });
  }
  return createInThreadExecutor(init);
}
