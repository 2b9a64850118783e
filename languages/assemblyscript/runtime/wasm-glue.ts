/**
 * AssemblyScript's glue for WASM modules: the generated module follows
 * docs/abi.md (its abort writes a result frame before it traps), so each
 * instance is the language-neutral DcmWasmInstance.
 *
 * A `throw` or a runtime error traps the module (AssemblyScript cannot
 * unwind), which leaves that instance dead. Until the host re-instantiates
 * dead instances itself (contract 2), this glue does it: the next call runs
 * on a fresh instance of the same compiled module, created synchronously so
 * that `call` stays synchronous. Module state (globals) starts over then.
 * Browser-safe: no Node imports.
 */
import { DcmWasmInstance } from "../../../runtime/abi/dcm-wasm-instance.js";
import type { JsValue } from "../../../runtime/abi/js-values.js";
import type { FragmentInstance, LoadRequest, ModuleLoader } from "../../../runtime/abi/module-types.js";
import { WasiShim } from "../../../runtime/wasi/wasi-shim.js";

class ReloadingInstance implements FragmentInstance {
  private inst: DcmWasmInstance;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly req: LoadRequest,
    first: DcmWasmInstance,
  ) {
    this.inst = first;
  }

  call(fragmentId: string, args: JsValue[]): JsValue {
    if (this.inst.isDead()) this.inst = instantiate(this.module, this.req);
    return this.inst.call(fragmentId, args);
  }

  /** Never dead: a trapped instance is replaced on the next call. */
  isDead(): boolean {
    return false;
  }

  close(): void {
    this.inst.close();
  }
}

function instantiate(module: WebAssembly.Module, req: LoadRequest): DcmWasmInstance {
  const wasi = new WasiShim();
  return new DcmWasmInstance(new WebAssembly.Instance(module, wasi.imports(module)), wasi, req);
}

const loader: ModuleLoader = {
  async load(req) {
    if (!req.bytes) throw new Error(`${req.module.file}: no module bytes given`);
    const module = await WebAssembly.compile(req.bytes as Uint8Array<ArrayBuffer>);
    const wasi = new WasiShim();
    const first = new DcmWasmInstance(await WebAssembly.instantiate(module, wasi.imports(module)), wasi, req);
    return new ReloadingInstance(module, req, first);
  },
};

export default loader;
