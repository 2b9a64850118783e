/**
 * The ModuleLoader behind the glue of a wasm-bindgen client module
 * (languages/rust/toolchain/bindgen-glue.ts bundles a per-build entry that
 * default-exports `bindgenLoader(makeBg, "./dcm_module_bg.js")`).
 *
 * `makeBg` evaluates wasm-bindgen's `<name>_bg.js` afresh and returns its
 * exports: that file keeps per-instance state in module variables (the
 * `wasm` exports set by `__wbg_set_wasm`, cached Uint8Array/DataView views of
 * the memory, the externref table), so every load() — the first one and
 * each one after a trap — gets its own copy and no view of a dead instance's
 * memory survives. The module itself speaks docs/abi.md through its raw
 * numeric exports, so the language-neutral DcmWasmInstance calls it; the JS
 * wrappers wasm-bindgen wrote are not used. Browser-safe.
 */
import { FragmentCallError } from "../../../runtime/abi/call-error.js";
import { DcmWasmInstance } from "../../../runtime/abi/dcm-wasm-instance.js";
import type { FragmentInstance, LoadRequest, ModuleLoader } from "../../../runtime/abi/module-types.js";
import { WasiShim } from "../../../runtime/wasi/wasi-shim.js";

type BgModule = Record<string, unknown> & { __wbg_set_wasm: (exports: WebAssembly.Exports) => void };

export function bindgenLoader(makeBg: () => BgModule, importModule: string): ModuleLoader {
  // Compiled once per module bytes; each load instantiates anew.
  const compiled = new WeakMap<Uint8Array, Promise<WebAssembly.Module>>();
  return {
    async load(req: LoadRequest): Promise<FragmentInstance> {
      const bytes = req.bytes;
      if (!bytes) throw new FragmentCallError("DCM_MODULE_CORRUPT", `${req.module.file}: no module bytes given`, "");
      let p = compiled.get(bytes);
      if (!p) {
        p = WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
        compiled.set(bytes, p);
      }
      const module = await p;
      const bg = makeBg();
      const shim = new WasiShim();
      // wasm-bindgen's imports come from `<name>_bg.js`; a WASI import (none on wasm32-unknown-unknown) from the shim.
      const instance = await WebAssembly.instantiate(module, { ...shim.imports(module), [importModule]: bg as WebAssembly.ModuleImports });
      bg.__wbg_set_wasm(instance.exports);
      // Initialises the externref table (wasm-bindgen's start function).
      (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
      return new DcmWasmInstance(instance, shim, req);
    },
  };
}
