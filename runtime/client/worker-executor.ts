/**
 * Runs client fragments in a pool of workers. Each worker instantiates every
 * module ONCE (from a WebAssembly.Module compiled once in this thread and
 * posted to it) and reuses the instance for every call, so a call costs a
 * message round trip, not a new runtime (the paper started a worker and a
 * Go runtime per call: 44–60 ms).
 *
 * Dispatch is least-busy (fewest calls in flight), ties to the first worker
 * (a warm thread). A worker
 * that crashes or whose module trapped is replaced; the calls queued behind
 * the failed one are re-sent to another worker. A call that times out or is
 * aborted while running gets its worker terminated and replaced, so a
 * runaway fragment cannot hold a worker forever.
 *
 * Browser-safe: workers come from a WorkerSpawner (Web Workers by default,
 * `nodeWorkerSpawner()` of node-endpoint.ts under Node).
 */
import { FragmentCallError } from "../abi/call-error.js";
import type { JsValue } from "../abi/js-values.js";
import type {
  Endpoint,
  ExecCallOptions,
  Executor,
  ExecutorInit,
  FromWorker,
  ToWorker,
  WorkerSpawner,
} from "./executor-types.js";
import { callErrors } from "./module-host.js";

export interface WorkerExecutorOptions {
  /** Number of workers; default min(4, max(1, hardwareConcurrency - 1)). */
  size?: number;
  /** Starts one worker; default a module Web Worker on `workerUrl`. */
  spawn?: WorkerSpawner;
  /** URL of the compiled `executor-worker.js`; default beside this file. */
  workerUrl?: string | URL;
}

interface Pending {
  id: number;
  fragment: string;
  args: JsValue[];
  resolve: (v: JsValue) => void;
  reject: (e: FragmentCallError) => void;
  slot: Slot | null;
  /** Times this call was sent to a worker (re-sent after a crash). */
  sends: number;
  cleanup: (() => void) | null;
}

interface Slot {
  ep: Endpoint;
  index: number;
  /** Calls sent to this worker, in the order the worker runs them: the first one is running. */
  inflight: Map<number, Pending>;
  dead: boolean;
  unsubscribe: () => void;
}

/** A module Web Worker running executor-worker.js. */
export function browserWorkerSpawner(
  url: string | URL = new URL("./executor-worker.js", import.meta.url),
): WorkerSpawner {
  return () => {
    const W = (globalThis as { Worker?: typeof Worker }).Worker;
    if (!W)
      throw new Error(
        "No Web Worker support here; under Node pass `spawn: nodeWorkerSpawner()` from node-endpoint.js.",
      );
    const w = new W(url, { type: "module", name: "dcm-executor" });
    return {
      postMessage: (m, transfer) => w.postMessage(m, transfer ?? []),
      onMessage(fn) {
        const h = (e: MessageEvent) => fn(e.data);
        w.addEventListener("message", h);
        return () => w.removeEventListener("message", h);
      },
      onError(fn) {
        const h = (e: ErrorEvent | Event) => {
          (e as Event).preventDefault?.();
          fn(new Error((e as ErrorEvent).message || "worker error"));
        };
        w.addEventListener("error", h);
        w.addEventListener("messageerror", h);
        return () => {
          w.removeEventListener("error", h);
          w.removeEventListener("messageerror", h);
        };
      },
      terminate: () => w.terminate(),
    };
  };
}

function defaultSize(): number {
  const hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2;
  return Math.min(4, Math.max(1, hc - 1));
}

export class WorkerExecutor implements Executor {
  readonly kind = "worker" as const;
  readonly ready: Promise<void>;
  /** Workers replaced after a crash, trap, timeout or abort (for tests and the page). */
  replaced = 0;
  private readonly slots: Slot[] = [];
  private readonly spawn: WorkerSpawner;
  private readonly fragments: Set<string>;
  private init: Promise<ToWorker & { t: "init" }>;
  private initMsg: (ToWorker & { t: "init" }) | null = null;
  private nextId = 1;
  private closed = false;
  private broken: FragmentCallError | null = null;
  /** Worker crashes since the last answer from any worker: a pool that only crashes stops respawning. */
  private crashStreak = 0;
  private readyCount = 0;
  private readySettle!: { ok: () => void; fail: (e: FragmentCallError) => void };

  constructor(init: ExecutorInit, opts: WorkerExecutorOptions = {}) {
    this.spawn = opts.spawn ?? browserWorkerSpawner(opts.workerUrl);
    this.fragments = new Set(init.modules.flatMap((m) => m.module.fragments));
    // Compile once here; every worker instantiates the same compiled module.
    this.init = Promise.all(
      init.modules.map(async (m) => ({
        module: m.module,
        wasm:
          m.wasm instanceof WebAssembly.Module ? m.wasm : await WebAssembly.compile(m.wasm as Uint8Array<ArrayBuffer>),
      })),
    ).then((modules) => {
      this.initMsg = {
        t: "init",
        modules,
        manifest: { fragments: init.manifest.fragments, types: init.manifest.types },
      };
      return this.initMsg;
    });
    const size = Math.max(1, opts.size ?? defaultSize());
    // Ready once as many workers as the pool's size have instantiated the modules (replacements count).
    this.ready = new Promise<void>((ok, fail) => {
      this.readySettle = { ok, fail };
    });
    this.ready.catch(() => {});
    for (let i = 0; i < size; i++) this.slots.push(this.startSlot(i));
  }

  get size(): number {
    return this.slots.length;
  }

  has(fragmentId: string): boolean {
    return this.fragments.has(fragmentId);
  }

  /** Marks the pool unusable: every call in flight and every later call rejects with `err`. */
  private breakPool(err: FragmentCallError): void {
    if (!this.broken) this.broken = err;
    this.readySettle.fail(this.broken);
    this.failAll(this.broken);
  }

  private startSlot(index: number): Slot {
    let ep: Endpoint;
    try {
      ep = this.spawn();
    } catch (e) {
      const slot: Slot = {
        ep: { postMessage() {}, onMessage: () => () => {} },
        index,
        inflight: new Map(),
        dead: true,
        unsubscribe() {},
      };
      queueMicrotask(() =>
        this.breakPool(
          new FragmentCallError("DCM_MODULE_CORRUPT", `cannot start a worker: ${(e as Error).message}`, ""),
        ),
      );
      return slot;
    }
    const slot: Slot = { ep, index, inflight: new Map(), dead: false, unsubscribe: () => {} };
    const offMsg = ep.onMessage((data) => this.onMessage(slot, data as FromWorker));
    const offErr = ep.onError?.((e) => this.crashed(slot, e)) ?? (() => {});
    slot.unsubscribe = () => {
      offMsg();
      offErr();
    };
    // Calls may be posted at once: the worker queues them until its modules are instantiated.
    if (this.initMsg) ep.postMessage(this.initMsg);
    else
      this.init.then(
        (msg) => {
          if (!slot.dead) ep.postMessage(msg);
        },
        (e) =>
          this.breakPool(
            new FragmentCallError("DCM_MODULE_CORRUPT", `cannot compile the module: ${(e as Error).message}`, ""),
          ),
      );
    return slot;
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    if (slot.dead) return;
    this.crashStreak = 0;
    switch (msg.t) {
      case "ready":
        if (++this.readyCount >= this.slots.length) this.readySettle.ok();
        return;
      case "initError":
        this.breakPool(new FragmentCallError(msg.error.code, msg.error.message, ""));
        return;
      case "ok": {
        const p = slot.inflight.get(msg.id);
        if (!p) return;
        slot.inflight.delete(msg.id);
        this.finish(p);
        p.resolve(msg.value);
        return;
      }
      case "err": {
        const p = slot.inflight.get(msg.id);
        if (p) {
          slot.inflight.delete(msg.id);
          this.finish(p);
          p.reject(new FragmentCallError(msg.error.code, msg.error.message, msg.error.fragment || p.fragment));
        }
        if (msg.fatal) this.replace(slot);
        return;
      }
    }
  }

  private finish(p: Pending): void {
    p.slot = null;
    p.cleanup?.();
    p.cleanup = null;
  }

  /** Ends a worker, starts its successor, and re-sends the calls that had not started. */
  private replace(slot: Slot, running?: Pending): void {
    if (slot.dead) return;
    slot.dead = true;
    slot.unsubscribe();
    slot.ep.terminate?.();
    const requeue = [...slot.inflight.values()].filter((p) => p !== running);
    slot.inflight.clear();
    if (this.closed) return;
    if (!this.broken) {
      this.replaced++;
      this.slots[slot.index] = this.startSlot(slot.index);
    }
    for (const p of requeue) {
      p.slot = null;
      this.send(p);
    }
  }

  private crashed(slot: Slot, e: Error): void {
    if (slot.dead) return;
    if (++this.crashStreak > 2 * this.slots.length + 2) {
      slot.dead = true;
      slot.unsubscribe();
      slot.ep.terminate?.();
      this.breakPool(new FragmentCallError("DCM_FRAGMENT_PANIC", `workers keep crashing (last: ${e.message})`, ""));
      return;
    }
    // The first call in flight was running when the worker died; the others had not started.
    const head = slot.inflight.values().next().value as Pending | undefined;
    if (head) {
      slot.inflight.delete(head.id);
      this.finish(head);
      head.reject(
        new FragmentCallError("DCM_FRAGMENT_PANIC", `the worker running the call crashed: ${e.message}`, head.fragment),
      );
    }
    this.replace(slot);
  }

  private failAll(err: FragmentCallError): void {
    for (const s of this.slots) {
      for (const p of s.inflight.values()) {
        this.finish(p);
        p.reject(new FragmentCallError(err.code, err.message, p.fragment));
      }
      s.inflight.clear();
    }
  }

  /**
   * Least-busy, ties to the lowest index: sequential calls keep hitting the
   * same (warm) worker — alternating between idle workers costs about three
   * times as much per call in Chromium, each wake-up being a cold thread.
   */
  private pick(): Slot | null {
    let best: Slot | null = null;
    for (const s of this.slots) {
      if (s.dead) continue;
      if (s.inflight.size === 0) return s;
      if (!best || s.inflight.size < best.inflight.size) best = s;
    }
    return best;
  }

  private send(p: Pending): void {
    if (this.broken) {
      this.finish(p);
      p.reject(new FragmentCallError(this.broken.code, this.broken.message, p.fragment));
      return;
    }
    const slot = this.pick();
    if (!slot || p.sends >= 3) {
      this.finish(p);
      p.reject(new FragmentCallError("DCM_FRAGMENT_PANIC", `no worker could run \`${p.fragment}\``, p.fragment));
      return;
    }
    p.sends++;
    p.slot = slot;
    slot.inflight.set(p.id, p);
    try {
      slot.ep.postMessage({ t: "call", id: p.id, fragment: p.fragment, args: p.args } satisfies ToWorker);
    } catch (e) {
      // Arguments that cannot be cloned (functions, symbols…).
      slot.inflight.delete(p.id);
      this.finish(p);
      p.reject(
        new FragmentCallError(
          "DCM_BAD_ARGUMENTS",
          `arguments cannot be sent to a worker: ${(e as Error).message}`,
          p.fragment,
        ),
      );
    }
  }

  /** Gives up on a call (timeout or abort); its worker is replaced when the call was running in it. */
  private abandon(p: Pending, err: FragmentCallError): void {
    const slot = p.slot;
    if (!slot) return;
    const running = slot.inflight.values().next().value === p;
    slot.inflight.delete(p.id);
    this.finish(p);
    p.reject(err);
    if (running) this.replace(slot, p);
  }

  call(fragmentId: string, args: JsValue[], opts?: ExecCallOptions): Promise<JsValue> {
    if (this.closed) return Promise.reject(callErrors.closed(fragmentId));
    const signal = opts?.signal;
    if (signal?.aborted) return Promise.reject(callErrors.aborted(fragmentId, signal.reason));
    return new Promise<JsValue>((resolve, reject) => {
      const p: Pending = {
        id: this.nextId++,
        fragment: fragmentId,
        args,
        resolve,
        reject,
        slot: null,
        sends: 0,
        cleanup: null,
      };
      const timeoutMs = opts?.timeoutMs;
      if (signal || (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = () => this.abandon(p, callErrors.aborted(fragmentId, signal?.reason));
        if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
          timer = setTimeout(() => this.abandon(p, callErrors.timeout(fragmentId, timeoutMs)), timeoutMs);
        }
        signal?.addEventListener("abort", onAbort, { once: true });
        p.cleanup = () => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        };
      }
      this.send(p);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.readySettle.fail(callErrors.closed(""));
    for (const s of this.slots) {
      for (const p of s.inflight.values()) {
        this.finish(p);
        p.reject(callErrors.closed(p.fragment));
      }
      s.inflight.clear();
      s.dead = true;
      s.unsubscribe();
      s.ep.terminate?.();
    }
  }
}

export function createWorkerExecutor(init: ExecutorInit, opts?: WorkerExecutorOptions): Executor {
  return new WorkerExecutor(init, opts);
}
