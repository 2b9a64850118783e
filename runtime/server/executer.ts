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
 * Fairness: every job belongs to a `client`, and each client has its own
 * queue, so one client's backlog never stands in front of another client's
 * call: a call waits at most for the calls already running. A free worker
 * goes to the client with the fewest running jobs, ties broken round-robin.
 * A client runs at most `maxRunningPerClient` jobs at once (default: all
 * workers but one), so no client holds the whole pool, and may have at most
 * `maxQueuedPerClient` waiting (more get DCM_TOO_MANY_CALLS). A cancelled
 * running job (its client left) counts against its client's cap until its
 * worker is free again. The queued jobs of a client that disconnects are
 * dropped (counted in `dropped`).
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
import { type StateCall, StateLocks, UNKNOWN_STAMP, type WorkerStateCall } from "./state/state-locks.js";

export interface CallJob {
  fragment: string;
  args: JsValue[];
  /** Jobs of one lane run in order, one at a time; null runs freely. */
  lane: string | null;
  /** Who the call is for (a client id): the unit of fairness and of the per-client caps. */
  client: string;
  timeoutMs: number;
  /** Receives what the call printed (docs/abi.md, "Output"), even when the call was cancelled meanwhile. */
  onOutput?: (output: CallOutput) => void;
  /** A call of a stateful group: runs in this client's state (runtime/server/state/). */
  stateful?: StateCall;
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
  /** Jobs one client may run at once. Default max(1, size - 1). */
  maxRunningPerClient?: number;
  /** Jobs one client may have waiting. Default 256. */
  maxQueuedPerClient?: number;
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
  /** Queued jobs dropped before they started: cancelled, or their client disconnected. */
  dropped: number;
  /** Jobs refused because their client's queue was full. */
  refused: number;
  /** Clients with jobs queued or running. */
  clients: number;
}

interface Job extends CallJob {
  cid: number;
  state: "queued" | "running" | "done";
  settled: boolean;
  holdsLane: boolean;
  slot: Slot | null;
  /** Counted in its client's `running` (on a worker, even after a cancel). */
  occupying: boolean;
  startedAt: number;
  timer: NodeJS.Timeout;
  /** Counted in stateLocks' active calls of its key / holding its key's lock. */
  stateActive: boolean;
  stateBusy: boolean;
  resolve(o: CallOutcome): void;
}

/** One client's queue and how many of its jobs occupy workers. */
interface ClientQueue {
  jobs: Job[];
  running: number;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
  /** Live plugin processes of the worker: their groups are killed with it. */
  plugins: Set<number>;
  /** group -> stamp of the snapshot its instance holds (state/state-locks.ts). */
  loaded: Map<string, string>;
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
  /** Clients with queued or running jobs, in round-robin order: the one served last moves to the end. */
  private readonly queues = new Map<string, ClientQueue>();
  private queued = 0;
  private dropped = 0;
  private refused = 0;
  private readonly busyLanes = new Set<string>();
  private nextCid = 1;
  private closing = false;
  private replaced = 0;
  private stuck = 0;
  private readonly entry = siblingModule("executer-worker", import.meta.url);
  /** Stateful calls: one at a time per client and group, held during a move (state/state-locks.ts). */
  readonly stateLocks = new StateLocks(() => this.pump());
  /**
   * Finds the state a job of `client` and `fragment` runs in (the
   * distributor's StateStore), for jobs that do not bring their own: every
   * server-side call of a stateful fragment runs in its client's state,
   * whoever starts it.
   */
  statefulFor: ((client: string, fragment: string) => StateCall | undefined) | null = null;

  private readonly maxRunning: number;
  private readonly maxQueued: number;

  constructor(private readonly opts: ExecuterOptions) {
    this.maxRunning = opts.maxRunningPerClient ?? Math.max(1, opts.size - 1);
    this.maxQueued = opts.maxQueuedPerClient ?? 256;
  }

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
    const slot: Slot = { worker, ready: false, job: null, plugins: new Set(), loaded: StateLocks.freshSlot() };
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
    const stateful = job.stateful ?? this.statefulFor?.(job.client, job.fragment);
    const j: Job = {
      ...job,
      ...(stateful ? { stateful } : {}),
      cid: this.nextCid++,
      state: "queued",
      settled: false,
      holdsLane: false,
      slot: null,
      occupying: false,
      startedAt: 0,
      stateActive: false,
      stateBusy: false,
      timer: setTimeout(() => this.onDeadline(j), Math.max(0, job.timeoutMs)),
      resolve,
    };
    const q = this.queues.get(j.client);
    if (this.closing) {
      this.finish(j, { ok: false, error: err("DCM_CALL_CANCELLED", "the server is shutting down"), ms: null });
    } else if (q && q.jobs.length >= this.maxQueued) {
      this.refused++;
      const message = `${q.jobs.length} calls of this client are waiting for a worker (limit ${this.maxQueued}); wait for results before sending more`;
      this.finish(j, { ok: false, error: err("DCM_TOO_MANY_CALLS", message), ms: null });
    } else if (j.stateful && this.stateLocks.admit(j, (release) => this.admitHeld(j, release))) {
      // Held while its group moves: queued or failed when the move ends.
    } else {
      this.enqueue(j);
    }
    return { outcome, cancel: (reason) => this.cancel(j, reason) };
  }

  private enqueue(j: Job): void {
    const q = this.queues.get(j.client);
    if (q) q.jobs.push(j);
    else this.queues.set(j.client, { jobs: [j], running: 0 });
    this.queued++;
    if (j.stateful) {
      j.stateActive = true;
      this.stateLocks.active(j.stateful.key, 1);
    }
    this.pump();
  }

  /** A held job when its group's move ends: queued again, or failed (the group moved away). */
  private admitHeld(j: Job, failWith: CallError | null): void {
    if (j.state === "done") return;
    if (failWith) this.finish(j, { ok: false, error: failWith, ms: null });
    else this.enqueue(j);
  }

  stats(): ExecuterStats {
    return {
      workers: this.slots.length,
      busy: this.slots.filter((s) => s.job).length,
      queued: this.queued,
      replaced: this.replaced,
      stuck: this.stuck,
      dropped: this.dropped,
      refused: this.refused,
      clients: this.queues.size,
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

  /**
   * The next job to start, or null: from the client with the fewest running
   * jobs (under its cap, with a job whose lane is free); among equals, the
   * one whose turn came longest ago.
   */
  private pick(): Job | null {
    let best: { client: string; q: ClientQueue; i: number } | null = null;
    for (const [client, q] of this.queues) {
      if (q.running >= this.maxRunning || (best && q.running >= best.q.running)) continue;
      const i = q.jobs.findIndex(
        (j) =>
          (j.lane === null || !this.busyLanes.has(j.lane)) &&
          (j.stateful === undefined || !this.stateLocks.busy.has(j.stateful.key)),
      );
      if (i >= 0) best = { client, q, i };
      if (best?.q.running === 0) break;
    }
    if (!best) return null;
    const j = best.q.jobs.splice(best.i, 1)[0]!;
    this.queued--;
    // Served: this client's turn comes again after every other client's.
    this.queues.delete(best.client);
    this.queues.set(best.client, best.q);
    return j;
  }

  /** Takes a queued job out of its client's queue (cancel, deadline). */
  private unqueue(j: Job): void {
    const q = this.queues.get(j.client);
    const i = q ? q.jobs.indexOf(j) : -1;
    if (i < 0) return;
    q!.jobs.splice(i, 1);
    this.queued--;
    if (q!.jobs.length === 0 && q!.running === 0) this.queues.delete(j.client);
  }

  /** The job no longer occupies a worker. */
  private vacate(j: Job): void {
    if (!j.occupying) return;
    j.occupying = false;
    const q = this.queues.get(j.client);
    if (!q) return;
    q.running--;
    if (q.jobs.length === 0 && q.running === 0) this.queues.delete(j.client);
  }

  private pump(): void {
    if (this.closing) return;
    for (const slot of this.slots) {
      if (!slot.ready || slot.job) continue;
      const j = this.pick();
      if (!j) return;
      j.state = "running";
      j.slot = slot;
      j.startedAt = performance.now();
      j.occupying = true;
      this.queues.get(j.client)!.running++;
      if (j.lane !== null) {
        this.busyLanes.add(j.lane);
        j.holdsLane = true;
      }
      slot.job = j;
      let state: WorkerStateCall | undefined;
      if (j.stateful) {
        const sc = j.stateful;
        this.stateLocks.busy.add(sc.key);
        j.stateBusy = true;
        const cur = sc.current();
        state = { group: sc.group, get: sc.get, set: sc.set, records: sc.records };
        if (StateLocks.loaded(slot.loaded, sc.group) !== cur.stamp) state.restore = cur.parts;
        // Until the answer says otherwise, this instance's state is whatever the call leaves.
        slot.loaded.set(sc.group, UNKNOWN_STAMP);
      }
      try {
        const msg: ToExecWorker = { t: "call", cid: j.cid, id: j.fragment, args: j.args };
        if (state) msg.state = state;
        slot.worker.postMessage(msg);
      } catch (e) {
        slot.job = null;
        this.vacate(j);
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
    if (j.stateBusy) {
      j.stateBusy = false;
      this.stateLocks.busy.delete(j.stateful!.key);
    }
    if (j.stateActive) {
      j.stateActive = false;
      this.stateLocks.active(j.stateful!.key, -1);
    }
    this.settle(j, o);
  }

  private onResult(slot: Slot, m: FromExecWorker & { t: "result" }): void {
    const j = slot.job;
    if (!j || j.cid !== m.cid) return;
    slot.job = null;
    this.vacate(j);
    const ms = performance.now() - j.startedAt;
    if (m.output) j.onOutput?.(m.output);
    let o: CallOutcome = m.ok ? { ok: true, value: m.value, ms } : { ok: false, error: err(m.code, m.message), ms };
    if (j.stateful && m.state) {
      // Kept even when the call failed: a fragment may change its state and then return an error.
      const r = j.stateful.commit(m.state.parts, m.state.bytes);
      if ("stamp" in r) slot.loaded.set(j.stateful.group, r.stamp);
      else if (o.ok) o = { ok: false, error: r.error, ms };
    }
    this.finish(j, o);
    if (!m.ok && m.broken) this.replace(slot, `the module instance broke: ${m.message.split("\n")[0]}`);
    this.pump();
  }

  private onDeadline(j: Job): void {
    if (j.state === "done") return;
    const error = err("DCM_CALL_TIMEOUT", `\`${j.fragment}\` did not finish within ${j.timeoutMs} ms`);
    if (j.state === "queued") {
      this.unqueue(j);
      this.finish(j, { ok: false, error, ms: null });
      return;
    }
    const slot = j.slot!;
    slot.job = null;
    this.vacate(j);
    this.finish(j, { ok: false, error, ms: null });
    this.replace(slot, `\`${j.fragment}\` ran past its deadline of ${j.timeoutMs} ms`);
    this.pump();
  }

  private cancel(j: Job, reason = "the client cancelled the call"): void {
    if (j.state === "done" || j.settled) return;
    const o: CallOutcome = { ok: false, error: err("DCM_CALL_CANCELLED", reason), ms: null };
    if (j.state === "queued") {
      this.unqueue(j);
      this.dropped++;
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
    if (j) {
      this.vacate(j);
      this.finish(j, { ok: false, error: err("DCM_FRAGMENT_PANIC", why), ms: null });
    }
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
    for (const q of this.queues.values()) for (const j of q.jobs) this.finish(j, { ok: false, error: why, ms: null });
    this.queues.clear();
    this.queued = 0;
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
