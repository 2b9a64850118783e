/**
 * Fragment Executer: a fixed pool of worker threads, each holding the
 * server modules, reused for every call. The event loop only routes
 * messages; fragment code runs in the workers, one call per worker at a
 * time, so a long call occupies one worker and the others keep serving.
 *
 * Ordering: jobs with the same `lane` (one connection's non-deferred calls)
 * run one after another in arrival order; jobs without a lane (deferred
 * calls) run as soon as a worker is free.
 *
 * Deadlines and cancellation: a job answers DCM_CALL_TIMEOUT at its
 * deadline and DCM_CALL_CANCELLED when cancelled. A queued job is simply
 * dropped. A running job cannot be interrupted: a cancelled one keeps its
 * worker until it ends or reaches its deadline; at the deadline the worker
 * is terminated (Worker.terminate) and a fresh one takes its place at once.
 * V8 stops JS and WASM promptly. A native plugin runs in a child process of
 * its worker (runtime/native/process-host.ts): the pool SIGKILLs its process
 * group with the worker (the kernel would kill the process alone). With isolation "thread" a thread inside native code
 * (a Go plugin in an endless loop) cannot be stopped by anyone in-process:
 * it is abandoned, counted in `stuck`, and keeps one core busy until the
 * process exits (see docs/protocol.md, Limits).
 */
import type { ResourceLimits, Worker } from "node:worker_threads";
import type { JsValue } from "../abi/js-values.js";
import type { CallOutput } from "../abi/output-types.js";
import { siblingModule, spawnModuleWorker } from "../native/spawn-worker.js";
import type { CallError } from "../protocol/messages.js";
import type { ExecWorkerData, FromExecWorker, ToExecWorker, WorkerModuleSpec } from "./executer-worker.js";
import type { Logger } from "./options.js";

export interface CallJob {
  fragment: string;
  args: JsValue[];
  /** Jobs of one lane run in order, one at a time; null runs freely. */
  lane: string | null;
  timeoutMs: number;
  /** Receives what the call printed (docs/abi.md, "Output"), even when the call was cancelled meanwhile. */
  onOutput?: (output: CallOutput) => void;
}

/** `ms`: time on the worker (dispatch to answer); null when the call never finished there. */
export type CallOutcome = { ok: true; value: JsValue; ms: number } | { ok: false; error: CallError; ms: number | null };

export interface CallHandle {
  readonly outcome: Promise<CallOutcome>;
  cancel(reason?: string): void;
}

export interface ExecuterOptions {
  modules: WorkerModuleSpec[];
  size: number;
  terminateGraceMs: number;
  logger: Logger;
  /** Limits of each worker thread (its JS heap). */
  resourceLimits?: ResourceLimits;
}

export interface ExecuterStats {
  workers: number;
  busy: number;
  queued: number;
  /** Workers replaced after a timeout, a broken module or a crash. */
  replaced: number;
  /** Terminated workers that have not stopped (a thread inside native code). */
  stuck: number;
}

interface Job extends CallJob {
  cid: number;
  state: "queued" | "running" | "done";
  settled: boolean;
  holdsLane: boolean;
  slot: Slot | null;
  startedAt: number;
  timer: NodeJS.Timeout;
  resolve(o: CallOutcome): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
  /** Live plugin processes of the worker: their groups are killed with it. */
  plugins: Set<number>;
}

const err = (code: string, message: string): CallError => ({ code, message });

function killPlugins(slot: Slot): void {
  for (const pid of slot.plugins) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  slot.plugins.clear();
}

export class Executer {
  private slots: Slot[] = [];
  private queue: Job[] = [];
  private readonly busyLanes = new Set<string>();
  private nextCid = 1;
  private closing = false;
  private replaced = 0;
  private stuck = 0;
  private readonly entry = siblingModule("executer-worker", import.meta.url);

  constructor(private readonly opts: ExecuterOptions) {}

  /** Starts every worker; rejects if the modules do not load. */
  async start(): Promise<void> {
    const starting = Array.from({ length: this.opts.size }, () => this.spawn());
    const results = await Promise.allSettled(starting.map((s) => s.ready));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) {
      await this.close();
      throw (failed as PromiseRejectedResult).reason;
    }
  }

  private spawn(): { slot: Slot; ready: Promise<void> } {
    const workerData: ExecWorkerData = { modules: this.opts.modules };
    const worker = spawnModuleWorker(this.entry, {
      workerData,
      ...(this.opts.resourceLimits ? { resourceLimits: this.opts.resourceLimits } : {}),
    });
    worker.unref();
    const slot: Slot = { worker, ready: false, job: null, plugins: new Set() };
    this.slots.push(slot);
    const ready = new Promise<void>((resolve, reject) => {
      worker.on("message", (m: FromExecWorker) => {
        if (m.t === "ready") {
          slot.ready = true;
          resolve();
          this.pump();
        } else if (m.t === "fatal") {
          reject(Object.assign(new Error(m.message), { code: m.code }));
          this.drop(slot);
        } else if (m.t === "result") this.onResult(slot, m);
        else if (m.t === "plugin") {
          if (m.alive) slot.plugins.add(m.pid);
          else slot.plugins.delete(m.pid);
        }
      });
      worker.on("error", (e) => {
        reject(e);
        this.onCrash(slot, `the executer worker failed: ${e.message}`);
      });
      worker.on("exit", (code) => {
        reject(new Error(`the executer worker exited with code ${code}`));
        this.onCrash(slot, `the executer worker exited with code ${code}`);
      });
    });
    ready.catch(() => {});
    return { slot, ready };
  }

  run(job: CallJob): CallHandle {
    let resolve!: (o: CallOutcome) => void;
    const outcome = new Promise<CallOutcome>((r) => (resolve = r));
    const j: Job = {
      ...job,
      cid: this.nextCid++,
      state: "queued",
      settled: false,
      holdsLane: false,
      slot: null,
      startedAt: 0,
      timer: setTimeout(() => this.onDeadline(j), Math.max(0, job.timeoutMs)),
      resolve,
    };
    if (this.closing) {
      this.settle(j, { ok: false, error: err("DCM_CALL_CANCELLED", "the server is shutting down"), ms: null });
    } else {
      this.queue.push(j);
      this.pump();
    }
    return { outcome, cancel: (reason) => this.cancel(j, reason) };
  }

  stats(): ExecuterStats {
    return {
      workers: this.slots.length,
      busy: this.slots.filter((s) => s.job).length,
      queued: this.queue.length,
      replaced: this.replaced,
      stuck: this.stuck,
    };
  }

  private settle(j: Job, o: CallOutcome): void {
    if (j.settled) return;
    j.settled = true;
    j.resolve(o);
  }

  private releaseLane(j: Job): void {
    if (j.holdsLane && j.lane !== null) this.busyLanes.delete(j.lane);
    j.holdsLane = false;
  }

  private pump(): void {
    if (this.closing) return;
    for (const slot of this.slots) {
      if (!slot.ready || slot.job) continue;
      const i = this.queue.findIndex((j) => j.lane === null || !this.busyLanes.has(j.lane));
      if (i < 0) return;
      const j = this.queue.splice(i, 1)[0]!;
      j.state = "running";
      j.slot = slot;
      j.startedAt = performance.now();
      if (j.lane !== null) {
        this.busyLanes.add(j.lane);
        j.holdsLane = true;
      }
      slot.job = j;
      try {
        slot.worker.postMessage({ t: "call", cid: j.cid, id: j.fragment, args: j.args } satisfies ToExecWorker);
      } catch (e) {
        slot.job = null;
        this.finish(j, {
          ok: false,
          error: err("DCM_BAD_ARGUMENTS", `arguments cannot be sent to a worker: ${(e as Error).message}`),
          ms: null,
        });
      }
    }
  }

  private finish(j: Job, o: CallOutcome): void {
    clearTimeout(j.timer);
    j.state = "done";
    this.releaseLane(j);
    this.settle(j, o);
  }

  private onResult(slot: Slot, m: FromExecWorker & { t: "result" }): void {
    const j = slot.job;
    if (!j || j.cid !== m.cid) return;
    slot.job = null;
    const ms = performance.now() - j.startedAt;
    if (m.output) j.onOutput?.(m.output);
    this.finish(j, m.ok ? { ok: true, value: m.value, ms } : { ok: false, error: err(m.code, m.message), ms });
    if (!m.ok && m.broken) this.replace(slot, `the module instance broke: ${m.message.split("\n")[0]}`);
    this.pump();
  }

  private onDeadline(j: Job): void {
    if (j.state === "done") return;
    const error = err("DCM_CALL_TIMEOUT", `\`${j.fragment}\` did not finish within ${j.timeoutMs} ms`);
    if (j.state === "queued") {
      this.queue = this.queue.filter((x) => x !== j);
      this.finish(j, { ok: false, error, ms: null });
      return;
    }
    const slot = j.slot!;
    slot.job = null;
    this.finish(j, { ok: false, error, ms: null });
    this.replace(slot, `\`${j.fragment}\` ran past its deadline of ${j.timeoutMs} ms`);
    this.pump();
  }

  private cancel(j: Job, reason = "the client cancelled the call"): void {
    if (j.state === "done" || j.settled) return;
    const o: CallOutcome = { ok: false, error: err("DCM_CALL_CANCELLED", reason), ms: null };
    if (j.state === "queued") {
      this.queue = this.queue.filter((x) => x !== j);
      this.finish(j, o);
    } else {
      // Keeps running (and its deadline) on its worker; the lane is free for the next call.
      this.releaseLane(j);
      this.settle(j, o);
    }
    this.pump();
  }

  /** Takes a slot out of the pool and terminates its worker, and its plugin processes with whatever they started. */
  private drop(slot: Slot): void {
    this.slots = this.slots.filter((s) => s !== slot);
    killPlugins(slot);
    const w = slot.worker;
    w.removeAllListeners("message").removeAllListeners("exit").removeAllListeners("error");
    w.on("error", () => {});
    let counted = false;
    const grace = setTimeout(() => {
      counted = true;
      this.stuck++;
      this.opts.logger.warn(
        `dcm: an executer worker did not stop within ${this.opts.terminateGraceMs} ms (a thread inside native code); it keeps one core busy until the process exits`,
      );
    }, this.opts.terminateGraceMs);
    grace.unref();
    void w.terminate().then(
      () => {
        clearTimeout(grace);
        if (counted) this.stuck--;
      },
      () => clearTimeout(grace),
    );
  }

  private replace(slot: Slot, why: string): void {
    if (!this.slots.includes(slot)) return;
    this.drop(slot);
    if (this.closing) return;
    this.replaced++;
    this.opts.logger.warn(`dcm: replacing an executer worker: ${why}`);
    this.spawn().ready.catch((e: Error) =>
      this.opts.logger.error(`dcm: a replacement executer worker failed to start: ${e.message}`),
    );
  }

  private onCrash(slot: Slot, why: string): void {
    if (!this.slots.includes(slot)) return;
    const j = slot.job;
    slot.job = null;
    if (j) this.finish(j, { ok: false, error: err("DCM_FRAGMENT_PANIC", why), ms: null });
    if (!slot.ready) {
      // A load failure: start() reports it; replacing would only fail again.
      this.drop(slot);
      this.opts.logger.error(`dcm: an executer worker failed while loading: ${why}`);
      return;
    }
    this.replace(slot, why);
    this.pump();
  }

  /** Cancels every queued and running job and stops the workers (waiting at most terminateGraceMs for each). */
  async close(): Promise<void> {
    this.closing = true;
    const why = err("DCM_CALL_CANCELLED", "the server is shutting down");
    for (const j of this.queue) this.finish(j, { ok: false, error: why, ms: null });
    this.queue = [];
    const slots = this.slots;
    this.slots = [];
    await Promise.all(
      slots.map(async (s) => {
        if (s.job) this.finish(s.job, { ok: false, error: why, ms: null });
        s.job = null;
        killPlugins(s);
        s.worker.removeAllListeners("message").removeAllListeners("exit").removeAllListeners("error");
        s.worker.on("error", () => {});
        const grace = new Promise<"stuck">((r) => setTimeout(() => r("stuck"), this.opts.terminateGraceMs).unref());
        if ((await Promise.race([s.worker.terminate(), grace])) === "stuck") this.stuck++;
      }),
    );
  }
}
