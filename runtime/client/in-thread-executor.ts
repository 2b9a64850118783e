/**
 * Runs client fragments in the calling thread: each module is instantiated
 * once (at creation) and every call goes straight into its export. The
 * fastest path (no message passing), but a long call blocks the thread, and
 * a timeout or abort cannot interrupt a call that has started.
 */
import type { FragmentCallError } from "../abi/call-error.js";
import type { JsValue } from "../abi/js-values.js";
import type { OutputHandler } from "../abi/output-types.js";
import type { ExecCallOptions, Executor, ExecutorInit } from "./executor-types.js";
import { callErrors, ModuleHost, toCallError } from "./module-host.js";

export class InThreadExecutor implements Executor {
  readonly kind = "in-thread" as const;
  readonly ready: Promise<void>;
  private readonly host: ModuleHost;
  private readonly onOutput: OutputHandler | undefined;
  private loaded = false;
  private closed = false;

  constructor(init: ExecutorInit) {
    this.host = new ModuleHost(init.modules, init.manifest.fragments, init.manifest.types);
    this.onOutput = init.onOutput;
    this.ready = this.host.load().then(() => {
      this.loaded = true;
    });
    this.ready.catch(() => {});
  }

  has(fragmentId: string): boolean {
    return this.host.has(fragmentId);
  }

  call(fragmentId: string, args: JsValue[], opts?: ExecCallOptions): Promise<JsValue> {
    if (this.closed) return Promise.reject(callErrors.closed(fragmentId));
    if (opts?.signal?.aborted) return Promise.reject(callErrors.aborted(fragmentId, opts.signal.reason));
    if (!this.loaded) return this.ready.then(() => this.call(fragmentId, args, opts));
    try {
      const v = this.host.callSync(fragmentId, args);
      this.output(fragmentId);
      return Promise.resolve(v);
    } catch (e) {
      this.output(fragmentId);
      return Promise.reject(this.failed(e, fragmentId));
    }
  }

  private output(fragmentId: string): void {
    const o = this.host.takeOutput(fragmentId);
    if (o) this.onOutput?.({ fragment: fragmentId, ...o });
  }

  /** A trap kills the instance: replace it so that the next call runs on a fresh one. */
  private failed(e: unknown, fragmentId: string): FragmentCallError {
    const err = toCallError(e, fragmentId);
    if (this.host.deadFor(fragmentId)) {
      this.loaded = false;
      const reload = this.host.reload(fragmentId).then(() => {
        this.loaded = true;
      });
      (this as { ready: Promise<void> }).ready = reload;
      reload.catch(() => {});
    }
    return err;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.host.close();
  }
}

export function createInThreadExecutor(init: ExecutorInit): Executor {
  return new InThreadExecutor(init);
}
