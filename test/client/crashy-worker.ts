/** A worker-executor worker that exits on `{ t: "die" }`: lets the tests crash a worker on purpose. */
import { parentPort } from "node:worker_threads";
import { serveExecutor } from "../../runtime/client/executor-worker-core.js";
import { portEndpoint } from "../../runtime/client/node-endpoint.js";

parentPort!.on("message", (m: { t?: string }) => {
  if (m?.t === "die") process.exit(7);
});
serveExecutor(portEndpoint(parentPort!));
