/**
 * Node-only: the worker executor's Endpoint over worker_threads, so that the
 * browser's worker code runs (and is tested) under Node. Not part of the
 * browser path.
 */
import { type MessagePort, Worker } from "node:worker_threads";
import type { Endpoint, WorkerSpawner } from "./executor-types.js";

/** An Endpoint over a worker_threads MessagePort (the worker's `parentPort`). */
export function portEndpoint(port: MessagePort): Endpoint {
  return {
    postMessage: (m, transfer) => port.postMessage(m, transfer as never),
    onMessage(fn) {
      port.on("message", fn);
      return () => port.off("message", fn);
    },
  };
}

/** An Endpoint over a worker_threads Worker; `error` and a non-zero `exit` count as a crash. */
export function workerEndpoint(worker: Worker): Endpoint {
  let terminated = false;
  return {
    postMessage: (m, transfer) => worker.postMessage(m, transfer as never),
    onMessage(fn) {
      worker.on("message", fn);
      return () => worker.off("message", fn);
    },
    onError(fn) {
      const onErr = (e: Error) => fn(e);
      const onExit = (code: number) => {
        if (!terminated) fn(new Error(`worker exited with code ${code}`));
      };
      worker.on("error", onErr);
      worker.on("exit", onExit);
      return () => {
        worker.off("error", onErr);
        worker.off("exit", onExit);
      };
    },
    terminate() {
      terminated = true;
      void worker.terminate();
    },
  };
}

export interface NodeSpawnerOptions {
  /** The worker entry; default `executor-worker-node.js` (or `.ts` under tsx/vitest) beside this file. */
  url?: URL | string;
  execArgv?: string[];
  resourceLimits?: ConstructorParameters<typeof Worker>[1] extends infer O
    ? O extends { resourceLimits?: infer R }
      ? R
      : never
    : never;
}

/** Where tsx's ESM loader API is, for running `.ts` worker entries (tests under vitest). */
function tsxApi(): string {
  try {
    return import.meta.resolve("tsx/esm/api");
  } catch {
    return "tsx/esm/api";
  }
}

/**
 * Spawns worker_threads running the executor worker. A `.ts` entry (this
 * file run from source, as under vitest) is started through tsx's loader.
 */
export function nodeWorkerSpawner(opts: NodeSpawnerOptions = {}): WorkerSpawner {
  const fromTs = import.meta.url.endsWith(".ts");
  const url = new URL(
    opts.url ?? new URL(fromTs ? "./executor-worker-node.ts" : "./executor-worker-node.js", import.meta.url),
  );
  const execArgv = opts.execArgv ?? [];
  const ts = url.pathname.endsWith(".ts");
  const bootstrap = ts
    ? `import(${JSON.stringify(tsxApi())}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`
    : null;
  return () => {
    const worker = bootstrap
      ? new Worker(bootstrap, { eval: true, execArgv, resourceLimits: opts.resourceLimits })
      : new Worker(url, { execArgv, resourceLimits: opts.resourceLimits });
    return workerEndpoint(worker);
  };
}
