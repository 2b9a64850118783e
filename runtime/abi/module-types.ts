/**
 * The runtime glue contract (types only). Glue modules default-export a
 * ModuleLoader: core's for modules that follow docs/abi.md
 * (abi/dcm-wasm-instance.ts, native/native-glue.ts), or a language's own
 * (`languages/<id>/runtime/*.ts`, e.g. for `js` modules). Executers load the
 * glue the adapter registry names and never branch on a language id.
 */
import type { JsValue } from "./js-values.js";
import type { ManifestFragment, ManifestModule } from "./manifest-types.js";
import type { CallOutput, OutputHandler } from "./output-types.js";
import type { TypeTable } from "./value-types.js";

export interface LoadRequest {
  module: ManifestModule;
  /** The module's bytes (wasm) or absolute file path (native). */
  bytes?: Uint8Array;
  path?: string;
  /** The fragments the module holds, from the manifest. */
  fragments: ManifestFragment[];
  types: TypeTable;
  /**
   * For hosts whose calls end in another thread (NativeFragmentHost): receives
   * each call's output (docs/abi.md, "Output"). Synchronous instances leave it
   * to their caller, which takes the output after each call (takeOutput).
   */
  onOutput?: OutputHandler;
}

/** A loaded module. Calls are synchronous inside the thread that loaded it. */
export interface FragmentInstance {
  /** Throws a FragmentCallError for fragment errors and panics, and for arguments that do not fit the signature. */
  call(fragmentId: string, args: JsValue[]): JsValue;
  /** True once the instance can no longer be trusted (it trapped or exited); hosts then load a fresh one. */
  isDead?(): boolean;
  /**
   * What the last call printed to stdout and stderr (docs/abi.md, "Output"),
   * null when nothing. Hosts call it right after every call, whether the call
   * returned or threw; instances of modules that cannot print may omit it.
   */
  takeOutput?(): CallOutput | null;
  close(): void;
}

export interface ModuleLoader {
  load(req: LoadRequest): Promise<FragmentInstance>;
}
