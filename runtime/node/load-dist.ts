/**
 * The in-process Node API over a built dist/: `loadDist(dir)` then
 * `call(id, args, { on })`. Client placement runs the WASM module in this
 * thread; server placement runs the native plugin in a worker thread (Go's
 * runtime makes native calls on Node's main thread cost ~140 µs, see
 * docs/abi.md) or, with `target: "wasm"`, the WASM module on the server.
 * Language glue is found through the manifest's module language and the
 * adapter registry's glue paths, never by branching on a language.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { FragmentCallError } from "../abi/call-error.js";
import type { JsValue } from "../abi/js-values.js";
import type { Manifest, ManifestFragment, ManifestModule, Side } from "../abi/manifest-types.js";
import type { FragmentInstance, LoadRequest } from "../abi/module-types.js";

/** Something that can run calls of one module: an in-thread instance or a worker host. */
export interface LoadedModule {
  call(fragmentId: string, args: JsValue[]): JsValue | Promise<JsValue>;
  isDead?(): boolean;
  close(): void | Promise<void>;
}

export interface GlueResolver {
  /** Absolute path or URL of the ESM glue module for a module's language and target. */
  (language: string, target: ManifestModule["target"]): string | undefined;
}

export interface CallOptions {
  on: Side;
  /** Server only: run the `wasm` module instead of the `native` plugin. */
  target?: ManifestModule["target"];
}

export interface LoadedDist {
  dir: string;
  manifest: Manifest;
  fragment(id: string): ManifestFragment;
  call(id: string, args: JsValue[], opts: CallOptions): Promise<JsValue>;
  /** Synchronous call: client WASM runs in this thread; a native plugin answers over a shared-memory channel from its worker. */
  callSync(id: string, args: JsValue[], opts: CallOptions): JsValue;
  close(): Promise<void>;
}

export class DistError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "DistError";
  }
}

export async function readManifest(dir: string): Promise<Manifest> {
  const text = await readFile(join(dir, "manifest.json"), "utf8").catch(() => null);
  if (text === null) throw new DistError("DCM_MANIFEST_INVALID", `No manifest.json in ${dir}. Run \`dcm build\` first.`);
  try {
    const m = JSON.parse(text) as Manifest;
    if (!Array.isArray(m.fragments) || !Array.isArray(m.modules)) throw new Error("fragments or modules missing");
    return m;
  } catch (e) {
    throw new DistError("DCM_MANIFEST_INVALID", `${join(dir, "manifest.json")} is not a valid dcm manifest: ${(e as Error).message}`);
  }
}

export async function loadDist(dirArg: string, glue: GlueResolver): Promise<LoadedDist> {
  const dir = resolve(dirArg);
  const manifest = await readManifest(dir);
  const byId = new Map(manifest.fragments.map((f) => [f.id, f]));
  const loaded = new Map<string, Promise<LoadedModule>>();

  const fragment = (id: string): ManifestFragment => {
    const f = byId.get(id);
    if (!f) {
      const ids = manifest.fragments.map((x) => x.id).join(", ");
      throw new FragmentCallError("DCM_UNKNOWN_FRAGMENT", `No fragment \`${id}\` in ${dir}/manifest.json (fragments: ${ids}).`, id);
    }
    if (!f.signature) {
      const why = f.notCallable ?? `Fragment \`${id}\` is a ${f.kind}, not a function or method.`;
      throw new FragmentCallError("DCM_NOT_CALLABLE", why, id);
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

  const load = (m: ManifestModule): Promise<LoadedModule> => {
    let p = loaded.get(m.file);
    if (!p) {
      p = (async () => {
        const path = join(dir, m.file);
        const bytes = new Uint8Array(await readFile(path));
        const digest = createHash("sha256").update(bytes).digest("hex");
        if (digest !== m.sha256) {
          throw new FragmentCallError("DCM_MODULE_CORRUPT", `${path} has sha256 ${digest}, the manifest says ${m.sha256}. Rebuild the dist.`, "");
        }
        // The glue the dist carries for this module wins (it may be made for this very build).
        let gluePath = glue(m.language, m.target);
        if (m.glue) {
          gluePath = join(dir, m.glue.file);
          const g = await readFile(gluePath).catch(() => null);
          const gd = g ? createHash("sha256").update(g).digest("hex") : "missing";
          if (gd !== m.glue.sha256)
            throw new FragmentCallError("DCM_MODULE_CORRUPT", `${gluePath} has sha256 ${gd}, the manifest says ${m.glue.sha256}. Rebuild the dist.`, "");
        }
        if (!gluePath) throw new FragmentCallError("DCM_NO_MODULE_FOR_SIDE", `No runtime glue for ${m.language} ${m.target} modules.`, "");
        const href = gluePath.startsWith("file:") ? gluePath : pathToFileURL(gluePath).href;
        const mod = (await import(href)) as { default: { load(req: LoadRequest): Promise<FragmentInstance | LoadedModule> } };
        const req: LoadRequest = {
          module: m,
          path,
          bytes: m.target !== "native" ? bytes : undefined,
          fragments: manifest.fragments.filter((f) => m.fragments.includes(f.id)),
          types: manifest.types,
        };
        return mod.default.load(req);
      })();
      loaded.set(m.file, p);
    }
    return p;
  };

  const syncInstances = new Map<string, LoadedModule>();
  // A module that trapped cannot be trusted: the next call loads a fresh instance.
  const forgetIfDead = (m: ManifestModule, inst: LoadedModule) => {
    if (!inst.isDead?.()) return;
    loaded.delete(m.file);
    syncInstances.delete(m.file);
    void inst.close();
  };
  return {
    dir,
    manifest,
    fragment,
    async call(id, args, opts) {
      const f = fragment(id);
      const m = pickModule(f, opts);
      const inst = await load(m);
      syncInstances.set(m.file, inst);
      try {
        return await inst.call(id, args);
      } finally {
        forgetIfDead(m, inst);
      }
    },
    callSync(id, args, opts) {
      const f = fragment(id);
      const m = pickModule(f, opts);
      const inst = syncInstances.get(m.file) as (LoadedModule & { callSync?: LoadedModule["call"] }) | undefined;
      if (!inst) throw new Error(`Module ${m.file} is not loaded yet: make one awaited call() first.`);
      // A worker-hosted native plugin answers synchronously over a SharedArrayBuffer channel.
      let r: JsValue | Promise<JsValue>;
      try {
        r = inst.callSync ? inst.callSync(id, args) : inst.call(id, args);
      } finally {
        forgetIfDead(m, inst);
      }
      if (r instanceof Promise) throw new Error(`Module ${m.file} has no synchronous call path; use call().`);
      return r;
    },
    async close() {
      for (const p of loaded.values()) {
        const inst = await p.catch(() => null);
        await inst?.close();
      }
      loaded.clear();
    },
  };
}
