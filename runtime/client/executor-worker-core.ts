/**
 * The worker side of the worker executor: on `init` it instantiates every
 * module once, then runs each `call` on those instances, in arrival order.
 * Entry points: `executor-worker.ts` (Web Worker) and
 * `executor-worker-node.ts` (Node worker_threads). Browser-safe.
 */
import type { JsValue } from "../abi/js-values.js";
import type { Endpoint, FromWorker, ToWorker } from "./executor-types.js";
import { ModuleHost, toCallError } from "./module-host.js";

export function serveExecutor(ep: Endpoint): void {
  let host: ModuleHost | null = null;
  /** Settles once `init` arrived and the modules are instantiated (or failed to); calls chain on it until drained. */
  let initDone!: () => void;
  let chain: Promise<void> = new Promise<void>((ok) => {
    initDone = ok;
  });
  let loaded = false;
  let queued = 0;
  let initError: { code: string; message: string } | null = null;
  const send = (m: FromWorker) => ep.postMessage(m);

  const run = (id: number, fragment: string, args: JsValue[]) => {
    try {
      const value = host!.callSync(fragment, args);
      send({ t: "ok", id, value });
    } catch (e) {
      const err = toCallError(e, fragment);
      const fatal = host!.deadFor(fragment);
      send({ t: "err", id, error: { code: err.code, message: err.message, fragment: err.fragment }, fatal });
    }
  };

  ep.onMessage((data) => {
    const msg = data as ToWorker;
    if (msg.t === "init") {
      if (host) return;
      host = new ModuleHost(msg.modules, msg.manifest.fragments, msg.manifest.types);
      host.load().then(
        () => {
          loaded = true;
          send({ t: "ready" });
          initDone();
        },
        (e) => {
          const err = toCallError(e, "");
          initError = { code: err.code, message: err.message };
          send({ t: "initError", error: { ...initError, fragment: "" } });
          initDone();
        },
      );
      return;
    }
    if (msg.t !== "call") return;
    const { id, fragment, args } = msg;
    if (loaded && queued === 0) {
      run(id, fragment, args);
    } else {
      // Calls that arrive before the modules are instantiated wait for them, in arrival order.
      queued++;
      chain = chain.then(() => {
        queued--;
        if (initError) send({ t: "err", id, error: { ...initError, fragment } });
        else run(id, fragment, args);
      });
    }
  });
}
