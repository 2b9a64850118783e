/**
 * Node worker_threads entry of the worker executor: the same worker code as
 * the browser's, over `parentPort`. Started by `node-endpoint.ts`.
 */
import { parentPort } from "node:worker_threads";
import { serveExecutor } from "./executor-worker-core.js";
import { portEndpoint } from "./node-endpoint.js";

if (!parentPort) throw new Error("executor-worker-node must run in a worker thread");
serveExecutor(portEndpoint(parentPort));
