/**
 * Runs a synchronous function under V8's watchdog (node:vm's `timeout`): a
 * helper thread terminates the execution at the deadline, which stops JS and
 * WASM loops alike (V8 checks for termination on loop back-edges). Costs
 * about 0.1 ms a run (Node starts the watchdog thread per run), so hosts use
 * it only for calls with a time limit. Native code is not interrupted: a
 * watchdog cannot stop a thread inside a C call. Node only.
 */
import { createContext, Script } from "node:vm";

export class Watchdog {
  private readonly context = createContext({ dcm_run: null as (() => unknown) | null });
  private readonly script = new Script("dcm_run()", { filename: "dcm-watchdog" });

  /** `fn()` with a time limit; throws an error for which `Watchdog.timedOut` is true at the deadline. */
  run<T>(fn: () => T, timeoutMs: number): T {
    this.context.dcm_run = fn;
    try {
      return this.script.runInContext(this.context, { timeout: Math.max(1, Math.ceil(timeoutMs)) }) as T;
    } finally {
      this.context.dcm_run = null;
    }
  }

  static timedOut(e: unknown): boolean {
    return (e as { code?: unknown } | null)?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT";
  }
}
