/**
 * Instantiating client modules, shared by both executors and the worker:
 * each module is instantiated once and re-instantiated only after it trapped
 * (a trap leaves a Go runtime in an unknown state). `wasm` modules follow
 * docs/abi.md and load with the runtime's own loader; a module that carries
 * glue (ManifestModule.glue) loads through that glue's ModuleLoader, whatever
 * its language. Browser-safe.
 */
import { FragmentCallError } from "../abi/call-error.js";
import { DcmWasmInstance, loadWasmInstance } from "../abi/dcm-wasm-instance.js";
import type { JsValue } from "../abi/js-values.js";
import type { ManifestFragment, ManifestModule } from "../abi/manifest-types.js";
import type { FragmentInstance, LoadRequest, ModuleLoader } from "../abi/module-types.js";
import type { CallOutput } from "../abi/output-types.js";
import type { TypeTable } from "../abi/value-types.js";
import { importSource } from "../abi/import-source.js";
import type { ModuleSource } from "./executor-types.js";
import { type WasiOptions, WasiShim } from "../wasi/wasi-shim.js";

/** Instantiates a docs/abi.md module from bytes (through loadWasmInstance) or from a module compiled once. */
export async function instantiateModule(
  wasm: WebAssembly.Module | Uint8Array,
  req: LoadRequest,
  wasi: WasiOptions = {},
): Promise<DcmWasmInstance> {
  if (!(wasm instanceof WebAssembly.Module)) return loadWasmInstance({ ...req, bytes: wasm }, wasi);
  const shim = new WasiShim(wasi);
  const instance = await WebAssembly.instantiate(wasm, shim.imports(wasm));
  return new DcmWasmInstance(instance, shim, req);
}

const glueCache = new Map<string, Promise<ModuleLoader>>();

/** Imports a module's glue from its source text (a blob: URL in browsers and workers, data: in Node). */
function importGlue(source: string, file: string): Promise<ModuleLoader> {
  let p = glueCache.get(source);
  if (!p) {
    p = importSource(new TextEncoder().encode(source)).then((m) => {
      const mod = m as { default?: ModuleLoader };
      if (typeof mod.default?.load !== "function")
        throw new FragmentCallError("DCM_MODULE_CORRUPT", `the glue of ${file} does not default-export a ModuleLoader`, "");
      return mod.default;
    });
    glueCache.set(source, p);
  }
  return p;
}

/** True once the instance trapped or exited (DcmWasmInstance keeps that in a private field). */
export function instanceDead(inst: FragmentInstance): boolean {
  return inst.isDead?.() ?? false;
}

/** The modules of one executor or worker: fragment id -> a live instance. */
export class ModuleHost {
  private readonly byFragment = new Map<string, number>();
  private readonly instances: Array<FragmentInstance | null>;
  private readonly reloading: Array<Promise<void> | null>;

  constructor(
    private readonly modules: ModuleSource[],
    private readonly fragments: ManifestFragment[],
    private readonly types: TypeTable,
  ) {
    modules.forEach((m, i) => {
      for (const id of m.module.fragments) if (!this.byFragment.has(id)) this.byFragment.set(id, i);
    });
    this.instances = modules.map(() => null);
    this.reloading = modules.map(() => null);
  }

  has(fragmentId: string): boolean {
    return this.byFragment.has(fragmentId);
  }

  async load(): Promise<void> {
    await Promise.all(this.modules.map((_, i) => this.instantiate(i)));
  }

  private async instantiate(i: number): Promise<void> {
    const m = this.modules[i]!;
    const req: LoadRequest = {
      module: m.module,
      fragments: this.fragments.filter((f) => m.module.fragments.includes(f.id)),
      types: this.types,
    };
    if (m.glue === undefined) {
      this.instances[i] = await instantiateModule(m.wasm, req);
      return;
    }
    const loader = await importGlue(m.glue, m.module.file);
    this.instances[i] = await loader.load({ ...req, bytes: m.wasm as Uint8Array });
  }

  /**
   * Runs a call synchronously. `dead` tells the caller that the module trapped
   * and was scheduled for re-instantiation (a worker is replaced instead).
   */
  callSync(fragmentId: string, args: JsValue[]): JsValue {
    const i = this.byFragment.get(fragmentId);
    if (i === undefined) {
      throw new FragmentCallError(
        "DCM_NO_MODULE_FOR_SIDE",
        `Fragment \`${fragmentId}\` is in no client WASM module of this dist.`,
        fragmentId,
      );
    }
    const inst = this.instances[i];
    if (!inst) {
      throw new FragmentCallError("DCM_MODULE_CORRUPT", `The module of \`${fragmentId}\` is not loaded.`, fragmentId);
    }
    return inst.call(fragmentId, args);
  }

  /** What the last call of `fragmentId` printed; call right after every callSync, whether it returned or threw. */
  takeOutput(fragmentId: string): CallOutput | null {
    const i = this.byFragment.get(fragmentId);
    const inst = i === undefined ? null : this.instances[i];
    return inst?.takeOutput?.() ?? null;
  }

  /** Whether the module running `fragmentId` has trapped. */
  deadFor(fragmentId: string): boolean {
    const i = this.byFragment.get(fragmentId);
    const inst = i === undefined ? null : this.instances[i];
    return inst ? instanceDead(inst) : false;
  }

  /** Replaces a trapped instance with a fresh one (once, however many calls ask). */
  reload(fragmentId: string): Promise<void> {
    const i = this.byFragment.get(fragmentId);
    if (i === undefined) return Promise.resolve();
    let p = this.reloading[i];
    if (!p) {
      this.instances[i]?.close();
      this.instances[i] = null;
      p = this.instantiate(i).finally(() => {
        this.reloading[i] = null;
      });
      this.reloading[i] = p;
    }
    return p;
  }

  close(): void {
    for (const inst of this.instances) inst?.close();
    this.instances.fill(null);
  }
}

/** Converts anything thrown by a call into a FragmentCallError. */
export function toCallError(e: unknown, fragment: string): FragmentCallError {
  if (e instanceof FragmentCallError) return e;
  const err = e as { code?: unknown; message?: unknown; fragment?: unknown } | null;
  if (err && typeof err.code === "string" && typeof err.message === "string") {
    return new FragmentCallError(err.code, err.message, typeof err.fragment === "string" ? err.fragment : fragment);
  }
  return new FragmentCallError("DCM_FRAGMENT_PANIC", String((e as Error)?.message ?? e), fragment);
}

export const callErrors = {
  aborted: (fragment: string, reason?: unknown) =>
    new FragmentCallError(
      "DCM_CALL_CANCELLED",
      `The call of \`${fragment}\` was aborted${reason instanceof Error && reason.message ? `: ${reason.message}` : ""}.`,
      fragment,
    ),
  timeout: (fragment: string, ms: number) =>
    new FragmentCallError("DCM_CALL_TIMEOUT", `The call of \`${fragment}\` took longer than ${ms} ms.`, fragment),
  closed: (fragment: string) =>
    new FragmentCallError("DCM_CALL_CANCELLED", `The client was closed before \`${fragment}\` returned.`, fragment),
};
