/**
 * Runs a native plugin in a supervised process (process-host.ts, the
 * default) or, for trusted plugins, in a worker thread (Node only). Go's runtime makes
 * native calls on Node's main thread cost ~140 µs, against ~1 µs from any
 * other thread (docs/abi.md), so the plugin is never loaded here.
 *
 * `call` is asynchronous (values travel by structured clone; many calls may
 * be in flight, answered in order). `callSync` blocks this thread: arguments
 * are encoded here, travel as bytes over a SharedArrayBuffer, and the result
 * frame is decoded here.
 *
 * What calls print reaches `req.onOutput` (docs/abi.md, "Output"): with the
 * reply of an async call, before it settles; a little after a sync call
 * (the channel carries results only, the output follows as a message).
 */
import type { Worker } from "node:worker_threads";
import { FragmentCallError } from "../abi/call-error.js";
import { notCallable, unknownFragment } from "../abi/call-plan.js";
import { type SigCodec, sigCodec } from "../abi/codec.js";
import type { NativeFragmentHost } from "../abi/host-types.js";
import type { JsValue } from "../abi/js-values.js";
import type { LoadRequest } from "../abi/module-types.js";
import type { OutputHandler } from "../abi/output-types.js";
import { Reader, Writer } from "../abi/wire-io.js";
import type { CallMsg, FromWorker, NativeWorkerData, ToWorker } from "./native-host-worker.js";
import { startProcessHost } from "./process-host.js";
import { siblingModule, spawnModuleWorker } from "./spawn-worker.js";
import { createChannelBuffer, HEADER_BYTES, RESP_ERROR, SyncChannel } from "./sync-channel.js";

export interface NativeHostOptions {
  /** How long callSync spins before blocking. Default 200 µs. */
  spinMicros?: number;
  /** How long the worker spins for the next sync call before yielding to its event loop. Default 50 µs. */
  workerSpinMicros?: number;
}

export interface NativeHost extends NativeFragmentHost {
  readonly worker: Worker;
}

interface Pending {
  resolve(v: JsValue): void;
  reject(e: Error): void;
  id: string;
}

interface Target {
  index: number;
  codec: SigCodec;
}

class WorkerHost implements NativeHost {
  private readonly pending = new Map<number, Pending>();
  private readonly targets = new Map<string, Target | null>();
  /** The manifest's reason for each fragment this module holds but cannot call. */
  private readonly refusals = new Map<string, string | undefined>();
  private readonly channel: SyncChannel;
  private readonly writer = new Writer(4096);
  private readonly reader = new Reader();
  private readonly dv: DataView;
  private nextCid = 1;
  private outbox: CallMsg[] = [];
  private closed: string | null = null;
  private readonly onOutput: OutputHandler | undefined;

  constructor(
    readonly worker: Worker,
    req: LoadRequest,
    sab: SharedArrayBuffer,
    private readonly spinMicros: number,
  ) {
    this.channel = new SyncChannel(sab);
    this.dv = new DataView(sab, HEADER_BYTES);
    this.onOutput = req.onOutput;
    req.fragments.forEach((f, index) => {
      this.targets.set(
        f.id,
        f.signature && f.export && f.abi ? { index, codec: sigCodec(f.signature, req.types) } : null,
      );
      if (f.notCallable) this.refusals.set(f.id, f.notCallable);
    });
    worker.on("message", (m: FromWorker) => this.onMessage(m));
    worker.on("error", (e) => this.fail(`the native host worker failed: ${e.message}`));
    worker.on("exit", (code) => this.fail(`the native host worker exited with code ${code}`));
    worker.unref();
  }

  private target(id: string): Target {
    const t = this.targets.get(id);
    if (t) return t;
    if (t === null) throw notCallable(id, this.refusals.get(id));
    throw unknownFragment(id, this.targets.keys());
  }

  private onMessage(m: FromWorker): void {
    if (m.t === "output") {
      this.onOutput?.({ fragment: m.id, ...m.output });
      return;
    }
    if (m.t !== "replies") return;
    for (const r of m.replies) {
      const p = this.pending.get(r.cid);
      if (r.output) this.onOutput?.({ fragment: p?.id ?? "", ...r.output });
      if (!p) continue;
      this.pending.delete(r.cid);
      if (r.ok) p.resolve(r.value);
      else p.reject(new FragmentCallError(r.code, r.message, p.id));
    }
    if (this.pending.size === 0) this.worker.unref();
  }

  private readonly flush = (): void => {
    const calls = this.outbox;
    this.outbox = [];
    if (this.closed !== null) return;
    try {
      this.worker.postMessage({ t: "calls", calls } satisfies ToWorker);
    } catch {
      // Some call's arguments cannot be cloned: send one by one so that only those calls fail.
      for (const c of calls) {
        try {
          this.worker.postMessage({ t: "calls", calls: [c] } satisfies ToWorker);
        } catch (e) {
          const p = this.pending.get(c.cid);
          this.pending.delete(c.cid);
          p?.reject(
            new FragmentCallError(
              "DCM_BAD_ARGUMENTS",
              `arguments cannot be sent to the worker: ${(e as Error).message}`,
              c.id,
            ),
          );
        }
      }
      if (this.pending.size === 0) this.worker.unref();
    }
  };

  private fail(why: string): void {
    this.closed ??= why;
    for (const [cid, p] of this.pending) {
      this.pending.delete(cid);
      p.reject(new FragmentCallError("DCM_FRAGMENT_PANIC", why, p.id));
    }
  }

  private checkOpen(id: string): void {
    if (this.closed !== null)
      throw new FragmentCallError("DCM_FRAGMENT_PANIC", `native host is closed: ${this.closed}`, id);
  }

  call(fragmentId: string, args: JsValue[]): Promise<JsValue> {
    try {
      this.checkOpen(fragmentId);
      this.target(fragmentId);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<JsValue>((resolve, reject) => {
      const cid = this.nextCid++;
      // Keep the process alive while calls are in flight, and only then.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(cid, { resolve, reject, id: fragmentId });
      if (this.outbox.length === 0) queueMicrotask(this.flush);
      this.outbox.push({ cid, id: fragmentId, args });
    });
  }

  callSync(fragmentId: string, args: JsValue[]): JsValue {
    this.checkOpen(fragmentId);
    const t = this.target(fragmentId);
    const w = this.writer;
    w.pos = 0;
    t.codec.writeArgs(w, args, fragmentId);
    const ch = this.channel;
    if (!ch.reserve(w.pos)) {
      throw new FragmentCallError(
        "DCM_BAD_ARGUMENTS",
        `arguments of ${w.pos} bytes are too large for a sync call`,
        fragmentId,
      );
    }
    ch.data.set(w.buf.subarray(0, w.pos));
    const [kind, n] = ch.request(t.index, w.pos, this.spinMicros);
    if (kind === RESP_ERROR) {
      const { code, message } = JSON.parse(new TextDecoder().decode(ch.data.slice(0, n))) as {
        code: string;
        message: string;
      };
      throw new FragmentCallError(code, message, fragmentId);
    }
    return t.codec.readResultValue(this.reader.reset(ch.data, this.dv, 0, n), fragmentId);
  }

  abandon(why: string, graceMs: number): Promise<boolean> {
    this.fail(why);
    this.worker.removeAllListeners("message");
    this.worker.unref();
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), graceMs);
      void this.worker.terminate().then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed === null) {
      this.fail("the native host was closed");
      // Let the worker free its plugin context first; do not wait for long.
      const closed = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.worker.on("message", (m: FromWorker) => {
          if (m.t === "closed") {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      this.worker.postMessage({ t: "close" } satisfies ToWorker);
      this.worker.ref();
      await closed;
    }
    await this.worker.terminate();
  }
}

/**
 * Starts a host for the plugin at `req.path` where `req.isolation` says: a
 * supervised process (default, process-host.ts) or a worker thread of this
 * process (trusted plugins). Resolves once it is ready to take calls.
 */
export async function startNativeHost(req: LoadRequest, opts: NativeHostOptions = {}): Promise<NativeFragmentHost> {
  if ((req.isolation?.isolation ?? "process") === "process")
    return startProcessHost(req, req.isolation?.memoryLimitMb !== undefined ? { memoryLimitMb: req.isolation.memoryLimitMb } : {});
  return startThreadHost(req, opts);
}

/** Starts a worker thread that loads the plugin at `req.path`; resolves once it is ready to take calls. */
export async function startThreadHost(req: LoadRequest, opts: NativeHostOptions = {}): Promise<NativeHost> {
  const sab = createChannelBuffer();
  const { bytes: _bytes, onOutput: _onOutput, isolation: _isolation, ...plain } = req;
  const workerData: NativeWorkerData = { req: plain, sab, workerSpinMicros: opts.workerSpinMicros ?? 50 };
  const worker = spawnModuleWorker(siblingModule("native-host-worker", import.meta.url), { workerData });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.t === "ready") done(null);
      else if (m.t === "fatal") done(new FragmentCallError(m.code, m.message, ""));
    };
    const onError = (e: Error) =>
      done(
        new FragmentCallError(
          "DCM_MODULE_CORRUPT",
          `${req.module.file}: the native host worker failed: ${e.message}`,
          "",
        ),
      );
    const onExit = (code: number) =>
      done(
        new FragmentCallError(
          "DCM_MODULE_CORRUPT",
          `${req.module.file}: the native host worker exited with code ${code}`,
          "",
        ),
      );
    const done = (e: Error | null) => {
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
      if (e) {
        void worker.terminate();
        reject(e);
      } else resolve();
    };
    worker.on("message", onMessage).on("error", onError).on("exit", onExit);
  });
  return new WorkerHost(worker, req, sab, opts.spinMicros ?? 200);
}
