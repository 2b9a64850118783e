/**
 * Hosts that run a module outside the calling thread (types only). A native
 * server plugin must be called from a worker thread (docs/abi.md), so its
 * calls are asynchronous and it cannot be a FragmentInstance, whose `call` is
 * synchronous. Native glue (core's runtime/native/native-glue.ts, or a
 * language's own) default-exports a NativeModuleLoader.
 */
import type { JsValue } from "./js-values.js";
import type { LoadRequest } from "./module-types.js";

/** What the host prints is handed to the load request's `onOutput`, per call, before the call settles. */
export interface NativeFragmentHost {
  /** Rejects with a FragmentCallError for fragment errors, panics and arguments that do not fit the signature. */
  call(fragmentId: string, args: JsValue[]): Promise<JsValue>;
  /** The same call, blocking this thread until the worker answers (Node only); it waits behind calls already sent with `call`. */
  callSync(fragmentId: string, args: JsValue[]): JsValue;
  /**
   * Gives up on the host at once (a call ran past its time limit): pending
   * calls reject, the worker is terminated and no longer keeps the process
   * alive. Resolves false when its thread did not stop within `graceMs` (it
   * is inside native code, which nothing in-process can interrupt).
   */
  abandon?(why: string, graceMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface NativeModuleLoader {
  load(req: LoadRequest): Promise<NativeFragmentHost>;
}
