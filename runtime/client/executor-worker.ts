/**
 * Web Worker entry of the worker executor: `new Worker(url, { type: "module" })`
 * on the compiled file (build/runtime/client/executor-worker.js).
 */
import type { Endpoint } from "./executor-types.js";
import { serveExecutor } from "./executor-worker-core.js";

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: "message", fn: (e: MessageEvent) => void): void;
  removeEventListener(type: "message", fn: (e: MessageEvent) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const endpoint: Endpoint = {
  postMessage: (m, transfer) => scope.postMessage(m, transfer ?? []),
  onMessage(fn) {
    const h = (e: MessageEvent) => fn(e.data);
    scope.addEventListener("message", h);
    return () => scope.removeEventListener("message", h);
  },
};
serveExecutor(endpoint);
