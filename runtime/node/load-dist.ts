/**
 * The in-process Node API over a built dist/: `loadDist(dir)` then
 * `call(idOrName, args, { on })`. Client placement runs the WASM (or js)
 * module in this thread. Server placement runs the module in a supervised
 * child process (isolation "process", the default: runtime/native/process-host.ts),
 * so that a fragment that exits, aborts, overflows its stack or allocates
 * without bound fails its call with DCM_FRAGMENT_PANIC and the next call
 * gets a fresh process; with `isolation: "thread"` (trusted code only) a
 * native plugin runs in a worker thread of this process (Go's runtime makes
 * native calls on Node's main thread cost ~140 µs, see docs/abi.md) and a
 * wasm or js module in this thread, where a fragment that exits or fills the
 * heap ends this process (loops stop at `timeoutMs` under the watchdog, a
 * stack overflow is DCM_FRAGMENT_PANIC). Client placement is always in this
 * thread: the caller is the client.
 * Language glue is found through the manifest's module language and the
 * adapter registry's glue paths, never by branching on a language.
 *
 * Fragments are named by id or by symbol (fragment-lookup.ts). What a call
 * prints goes to `onOutput` (default: process.stderr, prefixed with the
 * fragment id), never into its result.
 *
 * Timeouts (`timeoutMs`): a call in this thread (wasm, js) runs under V8's
 * watchdog (node:vm's `timeout`, about 0.1 ms a call), which interrupts even
 * a WASM loop; the instance is then dropped and the next call loads a fresh
 * one. A plugin process is SIGKILLed at the deadline (callSync included).
 * A native plugin's worker thread (isolation "thread") is terminated; a
 * thread inside native code cannot be stopped by anyone in-process: it is
 * abandoned and counted in `stuck`, and only ending the process stops it
 * (the CLI does that).
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { FragmentCallError } from "../abi/call-error.js";
import { outputPrinter } from "../abi/call-output.js";
import type { JsValue } from "../abi/js-values.js";
import type { Manifest, ManifestFragment, ManifestModule, Side } from "../abi/manifest-types.js";
import type { Isolation } from "../abi/host-types.js";
import type { FragmentInstance, LoadRequest } from "../abi/module-types.js";
import type { OutputHandler } from "../abi/output-types.js";
import { lookupFragment } from "../abi/fragment-lookup.js";
import { unsafeManifestPath } from "../abi/dist-paths.js";
import { DistFileError, readDistFile } from "./dist-files.js";
import { startProcessHost } from "../native/process-host.js";
import { Watchdog } from "./watchdog.js";

/** Something that can run calls of one module: an in-thread instance or a worker host. */
export interface LoadedModule {
  call(fragmentId: string, args: JsValue[]): JsValue | Promise<JsValue>;
  isDead?(): boolean;
  /** In-thread instances: what the last call printed (FragmentInstance.takeOutput). */
  takeOutput?: FragmentInstance["takeOutput"];
  /** Worker hosts: stop the worker now, without waiting for a call stuck in native code; resolves false when its thread did not stop within graceMs. */
  abandon?(why: string, graceMs: number): Promise<boolean>;
  close(): void | Promise<void>;
}

export interface LoadDistOptions {
  /** Receives what each call printed (docs/abi.md, "Output"). Default: process.stderr, each line prefixed `[fragment <id>] `. */
  onOutput?: OutputHandler;
  /** Where server-side calls run: "process" (default) or "thread" (trusted code only; see the header). */
  isolation?: Isolation;
  /** Bound of a plugin process's writable memory, MiB (0: none). Default 1024. */
  memoryLimitMb?: number;
}

export interface GlueResolver {
  /** Absolute path or URL of the ESM glue module for a module's language and target. */
  (language: string, target: ManifestModule["target"]): string | undefined;
}

export interface CallOptions {
  on: Side;
  /** Server only: run the `wasm` module instead of the `native` plugin. */
  target?: ManifestModule["target"];
  /** Stop the call after this many ms with DCM_CALL_TIMEOUT (see the header). Default: no limit. callSync applies it to in-thread modules and plugin processes. */
  timeoutMs?: number;
}

export interface LoadedDist {
  dir: string;
  manifest: Manifest;
  /**
   * The callable fragment named by `idOrName`: its id, else its symbol (`Func`,
   * `Type.Method`) or a method's bare name where that is unique. Throws
   * DCM_UNKNOWN_FRAGMENT listing the candidates when the name is unknown or
   * ambiguous, DCM_NOT_CALLABLE for a variable or a type.
   */
  fragment(idOrName: string): ManifestFragment;
  call(idOrName: string, args: JsValue[], opts: CallOptions): Promise<JsValue>;
  /** Synchronous call: client WASM runs in this thread; a plugin process answers over its sync channel, a worker thread over shared memory. */
  callSync(idOrName: string, args: JsValue[], opts: CallOptions): JsValue;
  /** Worker threads abandoned after a timeout that did not stop (inside native code); they run until the process ends. */
  readonly stuck: number;
  close(): Promise<void>;
}

/** How long a terminated native host's thread may take to stop before it counts as stuck. */
const ABANDON_GRACE_MS = 500;

export class DistError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "DistError";
  }
}

/** The dist's manifest; every file path it names must stay inside the dist (DCM_MANIFEST_UNSAFE_PATH, runtime/abi/dist-paths.ts). */
export async function readManifest(dir: string): Promise<Manifest> {
  const text = await readFile(join(dir, "manifest.json"), "utf8").catch(() => null);
  if (text === null) throw new DistError("DCM_MANIFEST_INVALID", `No manifest.json in ${dir}. Run \`dcm build\` first.`);
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
    if (!m || typeof m !== "object" || !Array.isArray(m.fragments) || !Array.isArray(m.modules)) throw new Error("fragments or modules missing");
  } catch (e) {
    throw new DistError("DCM_MANIFEST_INVALID", `${join(dir, "manifest.json")} is not a valid dcm manifest: ${(e as Error).message}`);
  }
  const unsafe = unsafeManifestPath(m);
  if (unsafe) throw new DistError("DCM_MANIFEST_UNSAFE_PATH", `${join(dir, "manifest.json")}: ${unsafe}; the dist was refused.`);
  return m;
}

/** A DistFileError as the FragmentCallError calls reject with. */
const asCallError = (e: unknown) => (e instanceof DistFileError ? new FragmentCallError(e.code, e.message, "") : e);

export async function loadDist(dirArg: string, glue: GlueResolver, opts: LoadDistOptions = {}): Promise<LoadedDist> {
  const dir = resolve(dirArg);
  const manifest = await readManifest(dir);
  const loaded = new Map<string, Promise<LoadedModule>>();
  const onOutput = opts.onOutput ?? outputPrinter((text) => process.stderr.write(text));
  let watchdog: Watchdog | null = null;
  let stuck = 0;

  const byId = new Map(manifest.fragments.map((f) => [f.id, f]));
  const fragment = (idOrName: string): ManifestFragment => {
    // Ids first, without a scan: this runs on every call.
    const f = byId.get(idOrName) ?? lookupFragment(manifest, idOrName, join(dir, "manifest.json"));
    if (!f.signature) {
      const why = f.notCallable ?? `Fragment \`${f.id}\` is a ${f.kind}, not a function or method.`;
      throw new FragmentCallError("DCM_NOT_CALLABLE", why, f.id);
    }
    return f;
  };

  // Portable modules (wasm, js) run on either side; native plugins only on the server.
  // Without an explicit target the server prefers a native plugin, then wasm, then js.
  const preference: Record<Side, Array<ManifestModule["target"]>> = { client: ["wasm", "js"], server: ["native", "wasm", "js"] };
  const pickModule = (f: ManifestFragment, opts: CallOptions): ManifestModule => {
    const order = opts.target ? [opts.target] : preference[opts.on];
    let m: ManifestModule | undefined;
    for (const target of order) {
      m = manifest.modules.find(
        (x) =>
          x.language === f.language &&
          x.target === target &&
          x.fragments.includes(f.id) &&
          (target !== "native" ? true : opts.on === "server" && x.sides.includes("server")),
      );
      if (m) break;
    }
    const wanted = order.join(" or ");
    if (!m) {
      throw new FragmentCallError(
        "DCM_NO_MODULE_FOR_SIDE",
        `No ${wanted} module for fragment \`${f.id}\` (${f.language}) to run on the ${opts.on}. Rebuild, or choose another side or target.`,
        f.id,
      );
    }
    return m;
  };

  const isolation = opts.isolation ?? "process";
  const isolationOpts = { isolation, ...(opts.memoryLimitMb !== undefined ? { memoryLimitMb: opts.memoryLimitMb } : {}) };
  /** Server-side modules run in a plugin process unless told otherwise; one module may be loaded both ways. */
  const isolated = (m: ManifestModule, on: Side) => on === "server" && isolation === "process" && m.target !== "native";
  const keyOf = (m: ManifestModule, on: Side) => (isolated(m, on) ? `process:${m.file}` : m.file);
  const load = (m: ManifestModule, on: Side): Promise<LoadedModule> => {
    const key = keyOf(m, on);
    let p = loaded.get(key);
    if (!p) {
      p = (async () => {
        const read = await readDistFile(dir, m.file, m.sha256, "module").catch((e) => {
          throw asCallError(e);
        });
        const path = read.path;
        const bytes = new Uint8Array(read.bytes);
        // The glue the dist carries for this module wins (it may be made for this very build).
        let gluePath = glue(m.language, m.target);
        if (m.glue) {
          gluePath = (
            await readDistFile(dir, m.glue.file, m.glue.sha256, "glue").catch((e) => {
              throw asCallError(e);
            })
          ).path;
        }
        if (!gluePath) throw new FragmentCallError("DCM_NO_MODULE_FOR_SIDE", `No runtime glue for ${m.language} ${m.target} modules.`, "");
        const req: LoadRequest = {
          module: m,
          path,
          bytes: m.target !== "native" ? bytes : undefined,
          fragments: manifest.fragments.filter((f) => m.fragments.includes(f.id)),
          types: manifest.types,
          onOutput,
          isolation: isolationOpts,
        };
        // The child process imports the glue itself; it gets the bytes checked here.
        if (key !== m.file) return startProcessHost(req, { glue: gluePath, ...(opts.memoryLimitMb !== undefined ? { memoryLimitMb: opts.memoryLimitMb } : {}) });
        const href = gluePath.startsWith("file:") ? gluePath : pathToFileURL(gluePath).href;
        const mod = (await import(href)) as { default: { load(req: LoadRequest): Promise<FragmentInstance | LoadedModule> } };
        return mod.default.load(req);
      })();
      loaded.set(key, p);
    }
    return p;
  };

  const syncInstances = new Map<string, LoadedModule>();
  const forget = (m: ManifestModule, inst: LoadedModule) => {
    for (const key of [m.file, `process:${m.file}`]) {
      if (syncInstances.get(key) === inst) {
        syncInstances.delete(key);
        loaded.delete(key);
      }
    }
  };
  // A module that trapped cannot be trusted: the next call loads a fresh instance.
  const forgetIfDead = (m: ManifestModule, inst: LoadedModule) => {
    if (!inst.isDead?.()) return;
    forget(m, inst);
    void inst.close();
  };
  const takeOutput = (id: string, inst: LoadedModule) => {
    const o = inst.takeOutput?.();
    if (o) onOutput({ fragment: id, ...o });
  };
  const timeoutError = (f: ManifestFragment, ms: number, how: string) =>
    new FragmentCallError("DCM_CALL_TIMEOUT", `\`${f.id}\` did not finish within ${formatMs(ms)}; ${how}.`, f.id);
  /** Runs one call on an instance, under the watchdog when there is a time limit; output is taken either way. */
  const runIn = (f: ManifestFragment, m: ManifestModule, inst: LoadedModule, args: JsValue[], timeoutMs: number | undefined) => {
    // Hosts of other threads and processes keep their own deadlines (see call()); the watchdog would
    // interrupt their bookkeeping halfway, not the fragment.
    if (timeoutMs === undefined || inst.abandon) {
      try {
        return inst.call(f.id, args);
      } finally {
        if (inst.takeOutput) takeOutput(f.id, inst);
      }
    }
    try {
      watchdog ??= new Watchdog();
      return watchdog.run(() => inst.call(f.id, args), timeoutMs);
    } catch (e) {
      if (!Watchdog.timedOut(e)) throw e;
      // Stopped halfway: whatever state the module was in is not to be trusted.
      forget(m, inst);
      void inst.close();
      throw timeoutError(f, timeoutMs!, "it was stopped");
    } finally {
      takeOutput(f.id, inst);
    }
  };
  /** Terminations in progress of hosts whose call ran past its deadline; close() waits for them. */
  const abandoning = new Set<Promise<void>>();
  /** A worker-hosted call past its deadline: the host is dropped and its worker terminated. */
  const giveUp = (f: ManifestFragment, m: ManifestModule, inst: LoadedModule): void => {
    forget(m, inst);
    if (!inst.abandon) {
      void inst.close();
      return;
    }
    const p = inst.abandon(`\`${f.id}\` ran past its time limit`, ABANDON_GRACE_MS).then((stopped) => {
      if (!stopped) stuck++;
      abandoning.delete(p);
    });
    abandoning.add(p);
  };
  return {
    dir,
    manifest,
    fragment,
    get stuck() {
      return stuck;
    },
    async call(idOrName, args, opts) {
      const f = fragment(idOrName);
      const m = pickModule(f, opts);
      const inst = await load(m, opts.on);
      syncInstances.set(keyOf(m, opts.on), inst);
      const started = performance.now();
      try {
        const r = runIn(f, m, inst, args, opts.timeoutMs);
        if (!(r instanceof Promise)) return r;
        if (opts.timeoutMs === undefined) return await r;
        const left = Math.max(0, opts.timeoutMs - (performance.now() - started));
        let timer: NodeJS.Timeout | undefined;
        const ms = opts.timeoutMs;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            // The timeout settles the call first; the host's own rejection of it comes after and is ignored.
            reject(timeoutError(f, ms, "it was stopped"));
            giveUp(f, m, inst);
          }, left);
        });
        try {
          return await Promise.race([r, deadline]);
        } finally {
          clearTimeout(timer);
        }
      } finally {
        forgetIfDead(m, inst);
      }
    },
    callSync(idOrName, args, opts) {
      const f = fragment(idOrName);
      const m = pickModule(f, opts);
      const inst = syncInstances.get(keyOf(m, opts.on)) as
        | (LoadedModule & { callSync?(id: string, args: JsValue[], timeoutMs?: number): JsValue })
        | undefined;
      if (!inst) throw new Error(`Module ${m.file} is not loaded yet: make one awaited call() first.`);
      // A plugin process or worker thread answers synchronously over its own channel.
      let r: JsValue | Promise<JsValue>;
      try {
        r = inst.callSync ? inst.callSync(f.id, args, opts.timeoutMs) : runIn(f, m, inst, args, opts.timeoutMs);
      } finally {
        forgetIfDead(m, inst);
      }
      if (r instanceof Promise) throw new Error(`Module ${m.file} has no synchronous call path; use call().`);
      return r;
    },
    async close() {
      watchdog = null;
      // Whether an abandoned thread stopped is known once these settle (`stuck`).
      await Promise.all(abandoning);
      for (const p of loaded.values()) {
        const inst = await p.catch(() => null);
        await inst?.close();
      }
      loaded.clear();
    },
  };
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
