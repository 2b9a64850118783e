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
import { type SigCodec, sigCodec } from "../abi/codec.js";
import type { JsValue } from "../abi/js-values.js";
import type { OutputHandler } from "../abi/output-types.js";
import { Reader, Writer } from "../abi/wire-io.js";
import type {
  Endpoint,
  ExecCallOptions,
  Executor,
  ExecutorInit,
  FromWorker,
  ToWorker,
  WorkerSpawner,
} from "./executor-types.js";
import {
  CALL,
  type Channel,
  copyOut,
  DONE,
  FRAG,
  fastPathAvailable,
  ID,
  IDLE,
  KIND,
  KIND_OK,
  LEN,
  newChannel,
  POSTED,
  STATE,
  WAKE,
} from "./fast-channel.js";
import { callErrors } from "./module-host.js";

export interface WorkerExecutorOptions {
  /** Number of workers; default min(4, max(1, hardwareConcurrency - 1)). */
  size?: number;
  /** Starts one worker; default a module Web Worker on `workerUrl`. */
  spawn?: WorkerSpawner;
  /** URL of the compiled `executor-worker.js`; default beside this file. */
  workerUrl?: string | URL;
  /**
   * The shared-memory fast path (fast-channel.ts) for calls to an idle
   * worker. Default: on when SharedArrayBuffer and Atomics.waitAsync are
   * usable (Node, or a cross-origin isolated page).
   */
  fastPath?: boolean;
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
  /** The worker has instantiated its modules. */
  ready: boolean;
  /** The fast path's shared memory, when on. */
  ch: Channel | null;
  /** A message was posted while a fast call was out: wake the worker when its answer is read. */
  wakeAfter: boolean;
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
  private readonly fast: boolean;
  /** Fragment id -> its index in the manifest and its codec, for fragments the fast path can encode. */
  private readonly fastInfo = new Map<string, { index: number; codec: SigCodec }>();
  private readonly w = new Writer(4096);
  private readonly r = new Reader();
  /** Calls that went through the fast path (for tests and the page). */
  fastCalls = 0;
  private readonly onOutput: OutputHandler | undefined;
  /** Fragments of groups with state, and their accessors: always run by the same worker. */
  private readonly pinned = new Set<string>();

  constructor(init: ExecutorInit, opts: WorkerExecutorOptions = {}) {
    this.onOutput = init.onOutput;
    for (const g of init.manifest.groups ?? []) {
      if (g.state.length === 0) continue;
      for (const f of g.fragments) this.pinned.add(f);
      for (const p of g.state) this.pinned.add(p.get.id).add(p.set.id);
    }
    this.spawn = opts.spawn ?? browserWorkerSpawner(opts.workerUrl);
    this.fragments = new Set(init.modules.flatMap((m) => m.module.fragments));
    this.fast = (opts.fastPath ?? true) && fastPathAvailable();
    if (this.fast) {
      init.manifest.fragments.forEach((f, index) => {
        if (f.signature && this.fragments.has(f.id) && !this.fastInfo.has(f.id))
          this.fastInfo.set(f.id, { index, codec: sigCodec(f.signature, init.manifest.types) });
      });
    }
    // Compile once here; every worker instantiates the same compiled module.
    this.init = Promise.all(
      init.modules.map(async (m) => ({
        module: m.module,
        wasm:
          m.wasm instanceof WebAssembly.Module || m.glue !== undefined
            ? m.wasm
            : await WebAssembly.compile(m.wasm as Uint8Array<ArrayBuffer>),
        ...(m.glue !== undefined ? { glue: m.glue } : {}),
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
        ready: false,
        ch: null,
        wakeAfter: false,
      };
      queueMicrotask(() =>
        this.breakPool(
          new FragmentCallError("DCM_MODULE_CORRUPT", `cannot start a worker: ${(e as Error).message}`, ""),
        ),
      );
      return slot;
    }
    const slot: Slot = {
      ep,
      index,
      inflight: new Map(),
      dead: false,
      unsubscribe: () => {},
      ready: false,
      ch: this.fast ? newChannel() : null,
      wakeAfter: false,
    };
    const offMsg = ep.onMessage((data) => this.onMessage(slot, data as FromWorker));
    const offErr = ep.onError?.((e) => this.crashed(slot, e)) ?? (() => {});
    slot.unsubscribe = () => {
      offMsg();
      offErr();
    };
    // Calls may be posted at once: the worker queues them until its modules are instantiated.
    const withChannel = (msg: ToWorker & { t: "init" }) => (slot.ch ? { ...msg, channel: slot.ch.sab } : msg);
    if (this.initMsg) ep.postMessage(withChannel(this.initMsg));
    else
      this.init.then(
        (msg) => {
          if (!slot.dead) ep.postMessage(withChannel(msg));
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
        slot.ready = true;
        if (++this.readyCount >= this.slots.length) this.readySettle.ok();
        return;
      case "initError":
        this.breakPool(new FragmentCallError(msg.error.code, msg.error.message, ""));
        return;
      case "output":
        this.onOutput?.({ fragment: msg.fragment, ...msg.output });
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

  /** Ends a slot's use: wakes a pending Atomics.waitAsync so that it does not linger. */
  private retire(slot: Slot): void {
    if (slot.ch) Atomics.notify(slot.ch.ctl, STATE);
  }

  /** Wakes a worker waiting on its channel so that it reads its messages. */
  private wake(slot: Slot): void {
    const ch = slot.ch;
    if (!ch) return;
    const s = Atomics.compareExchange(ch.ctl, STATE, IDLE, WAKE);
    if (s === IDLE) Atomics.notify(ch.ctl, STATE);
    else if (s !== WAKE) slot.wakeAfter = true;
  }

  /** Sends `p` through the shared memory when its worker is idle; false: use postMessage. */
  private sendFast(slot: Slot, p: Pending): boolean {
    const ch = slot.ch;
    if (!ch || !slot.ready || slot.inflight.size !== 0) return false;
    const fi = this.fastInfo.get(p.fragment);
    if (!fi) return false;
    const w = this.w;
    w.pos = 0;
    try {
      fi.codec.writeArgs(w, p.args, p.fragment);
    } catch {
      return false; // the postMessage path reports the error, as before
    }
    if (w.pos > ch.data.length) return false;
    // WAKE (messages posted) does not matter here: no call of this worker is in flight.
    const s = Atomics.load(ch.ctl, STATE);
    if (s !== IDLE && s !== WAKE) return false;
    ch.data.set(w.buf.subarray(0, w.pos));
    ch.ctl[ID] = p.id;
    ch.ctl[FRAG] = fi.index;
    ch.ctl[LEN] = w.pos;
    if (
      Atomics.compareExchange(ch.ctl, STATE, IDLE, CALL) !== IDLE &&
      Atomics.compareExchange(ch.ctl, STATE, WAKE, CALL) !== WAKE
    )
      return false;
    Atomics.notify(ch.ctl, STATE);
    this.fastCalls++;
    p.sends++;
    p.slot = slot;
    slot.inflight.set(p.id, p);
    this.awaitFast(slot, ch, p);
    return true;
  }

  private awaitFast(slot: Slot, ch: Channel, p: Pending): void {
    const res = (
      Atomics as unknown as {
        waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string };
      }
    ).waitAsync(ch.ctl, STATE, CALL);
    if (res.async) (res.value as Promise<string>).then(() => this.fastDone(slot, ch, p));
    else this.fastDone(slot, ch, p);
  }

  private fastDone(slot: Slot, ch: Channel, p: Pending): void {
    if (slot.dead || slot.ch !== ch) return;
    const s = Atomics.load(ch.ctl, STATE);
    if (s === CALL) {
      this.awaitFast(slot, ch, p);
      return;
    }
    if (s !== DONE && s !== POSTED) return;
    this.crashStreak = 0;
    let ok = false;
    let value: JsValue = null;
    let error: FragmentCallError | null = null;
    let fatal = false;
    if (s === DONE) {
      const bytes = copyOut(ch, ch.ctl[LEN]!);
      if (ch.ctl[KIND] === KIND_OK) {
        const info = this.fastInfo.get(p.fragment)!;
        try {
          value = info.codec.readResultValue(this.r.from(bytes), p.fragment);
          ok = true;
        } catch (e) {
          error =
            e instanceof FragmentCallError
              ? e
              : new FragmentCallError("DCM_FRAGMENT_PANIC", String((e as Error)?.message ?? e), p.fragment);
        }
      } else {
        const m = JSON.parse(new TextDecoder().decode(bytes)) as {
          code: string;
          message: string;
          fragment: string;
          fatal?: boolean;
        };
        error = new FragmentCallError(m.code, m.message, m.fragment || p.fragment);
        fatal = m.fatal === true;
      }
    }
    // Hand the channel back (or ask the worker to read the messages posted meanwhile).
    Atomics.store(ch.ctl, STATE, slot.wakeAfter ? WAKE : IDLE);
    slot.wakeAfter = false;
    Atomics.notify(ch.ctl, STATE);
    if (s === POSTED) return; // the answer comes as a message
    if (slot.inflight.get(p.id) === p) {
      slot.inflight.delete(p.id);
      this.finish(p);
      if (ok) p.resolve(value);
      else p.reject(error!);
    }
    if (fatal) this.replace(slot);
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
    this.retire(slot);
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
      this.retire(slot);
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
  private pick(fragment: string): Slot | null {
    // A stateful group's fragments and accessors share one instance: the pool's first live worker.
    if (this.pinned.has(fragment)) return this.slots.find((s) => !s.dead) ?? null;
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
    const slot = this.pick(p.fragment);
    if (!slot || p.sends >= 3) {
      this.finish(p);
      p.reject(new FragmentCallError("DCM_FRAGMENT_PANIC", `no worker could run \`${p.fragment}\``, p.fragment));
      return;
    }
    if (this.sendFast(slot, p)) return;
    p.sends++;
    p.slot = slot;
    slot.inflight.set(p.id, p);
    try {
      slot.ep.postMessage({ t: "call", id: p.id, fragment: p.fragment, args: p.args } satisfies ToWorker);
      this.wake(slot);
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
      this.retire(s);
    }
  }
}

export function createWorkerExecutor(init: ExecutorInit, opts?: WorkerExecutorOptions): Executor {
  return new WorkerExecutor(init, opts);
}
