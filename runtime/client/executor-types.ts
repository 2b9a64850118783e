/**
 * Executors run fragments of a dist's client WASM modules (types only).
 *
 * Two implementations, after extism/js-sdk's in-thread and worker variants:
 * `in-thread-executor.ts` instantiates each module once in the calling
 * thread; `worker-executor.ts` keeps a pool of workers, each of which
 * instantiates each module once and reuses it for every call.
 */
import type { JsValue } from "../abi/js-values.js";
import type { Manifest, ManifestModule } from "../abi/manifest-types.js";
import type { CallOutput, OutputHandler } from "../abi/output-types.js";

export interface ExecCallOptions {
  /** Aborting rejects the call with FragmentCallError `DCM_CALL_CANCELLED`. */
  signal?: AbortSignal;
  /** Milliseconds; rejects with `DCM_CALL_TIMEOUT`. A worker still running the call is replaced. */
  timeoutMs?: number;
}

export interface Executor {
  readonly kind: "in-thread" | "worker";
  /** Resolves once every module is instantiated (in every worker); rejects with the load error. */
  readonly ready: Promise<void>;
  /** Whether `fragmentId` is in one of the executor's modules. */
  has(fragmentId: string): boolean;
  /** Runs a fragment. Rejects with a FragmentCallError (codes of docs/errors.md). */
  call(fragmentId: string, args: JsValue[], opts?: ExecCallOptions): Promise<JsValue>;
  /** Releases the instances (and terminates the workers). Pending calls reject with `DCM_CALL_CANCELLED`. */
  close(): Promise<void>;
}

/** One client module: its manifest entry and its code, as bytes or compiled once. */
export interface ModuleSource {
  module: ManifestModule;
  /** The module's code: a WASM module (bytes or compiled), or the bytes of a glue-run module (`module.glue`). */
  wasm: WebAssembly.Module | Uint8Array;
  /** Source text of the module's glue (an ES module default-exporting a ModuleLoader), when `module.glue` is set. */
  glue?: string;
}

export interface ExecutorInit {
  manifest: Manifest;
  /** The WASM modules to run; each fragment is run by the module that lists it. */
  modules: ModuleSource[];
  /** Receives what each local call printed (docs/abi.md, "Output"); without it the output is dropped. */
  onOutput?: OutputHandler;
}

export type ExecutorFactory = (init: ExecutorInit) => Executor;

/**
 * Something you can post messages to and receive messages from: a Web
 * Worker, a worker's `self`, or a Node worker_threads Worker/parentPort
 * wrapped by `node-endpoint.ts` (after Comlink's Endpoint).
 */
export interface Endpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  /** Subscribes to messages; returns an unsubscribe function. */
  onMessage(fn: (data: unknown) => void): () => void;
  /** Subscribes to the endpoint dying (uncaught error, exit); the pool replaces a dead worker. */
  onError?(fn: (error: Error) => void): () => void;
  /** Ends the other side (a worker). */
  terminate?(): void;
}

/** Starts one worker running `executor-worker` and returns its endpoint. */
export type WorkerSpawner = () => Endpoint;

/** Messages between the pool and a worker (structured clone: bigint, Map, Uint8Array survive). */
export type ToWorker =
  | {
      t: "init";
      modules: ModuleSource[];
      manifest: Pick<Manifest, "fragments" | "types">;
      /** The shared-memory fast path's control block and data region (fast-channel.ts), when available. */
      channel?: SharedArrayBuffer;
    }
  | { t: "call"; id: number; fragment: string; args: JsValue[] };

export type FromWorker =
  | { t: "ready" }
  | { t: "initError"; error: WorkerError }
  | { t: "ok"; id: number; value: JsValue }
  /** What a call printed, posted before its answer (whichever way the answer travels). */
  | { t: "output"; fragment: string; output: CallOutput }
  | {
      t: "err";
      id: number;
      error: WorkerError;
      /** The module trapped: the worker's instance is unusable and the pool replaces the worker. */
      fatal?: boolean;
    };

export interface WorkerError {
  code: string;
  message: string;
  fragment: string;
}
