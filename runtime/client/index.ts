/**
 * The client Code Distributor for browsers (and Node): import the compiled
 * `build/runtime/client/index.js` as an ES module, no bundler needed.
 *
 *   import { createClient } from "/dcm/runtime/client/index.js";
 *   const dcm = await createClient({ url, getToken, manifestUrl: "/dcm/dist/manifest.json" });
 *   await dcm.call("add", [2n, 40n]);   // 42n, wherever `add` runs now
 *
 * Node-only pieces (worker_threads endpoints) are in node-endpoint.js.
 */
export { FragmentCallError } from "../abi/call-error.js";
export type { JsValue } from "../abi/js-values.js";
export { parseJsonArgs, toCanonicalJson } from "../abi/json-values.js";
export type { Manifest, ManifestFragment, Side } from "../abi/manifest-types.js";
export { OUTPUT_LIMIT_BYTES, outputLines, outputPrefix } from "../abi/call-output.js";
export type { CallOutput, FragmentOutput, OutputChunk, OutputHandler } from "../abi/output-types.js";
export {
  type CallOptions,
  type CallRecord,
  type CallResult,
  ClientDistributor,
  type ClientEvents,
  consoleOutput,
  type ClientOptions,
  type ConnectionState,
  createClient,
  type DcmClient,
  type Distribution,
  type ReconnectOptions,
  tokenClientId,
  type WebSocketCtor,
  type WebSocketLike,
} from "./client-distributor.js";
export type { RedeployEvent } from "./redeploy.js";
export type {
  Endpoint,
  ExecCallOptions,
  Executor,
  ExecutorInit,
  ModuleSource,
  WorkerSpawner,
} from "./executor-types.js";
export type { ServerCallEvent, ServerCallOptions } from "./server-calls.js";
export { createInThreadExecutor, InThreadExecutor } from "./in-thread-executor.js";
export {
  browserWorkerSpawner,
  createWorkerExecutor,
  WorkerExecutor,
  type WorkerExecutorOptions,
} from "./worker-executor.js";
