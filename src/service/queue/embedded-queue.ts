/**
 * The in-process BuildQueue of `dcm serve` without Redis: jobs run in this
 * process through the runner, at most `concurrency` at once (p-limit;
 * default: the cores, os.availableParallelism()).
 *
 * - One job per build key: a submission whose key is queued or running joins
 *   it (the service creates its record first, so the job's fan-out finds it);
 *   one that joins a running job is set running and gets the job's events so
 *   far first, so that its history is the whole build's.
 * - The queue owns the state of the job's submissions: it sets them
 *   `running`, fans the runner's events and stage timings out to every
 *   unfinished submission of the key (state.activeByKey), and sets their final
 *   state; `state` events of the runner are dropped.
 * - cancel(key) aborts the job's AbortSignal (the runner kills its toolchain
 *   processes); close() aborts every job, marks its submissions failed
 *   `interrupted` and waits for the runners to return.
 */
import { availableParallelism } from "node:os";
import pLimit from "p-limit";
import type {
  BuildJob,
  BuildQueue,
  BuildStateStore,
  JobResult,
  NewBuildEvent,
  RunBuildJob,
  StageTiming,
} from "../service-types.js";

export const CANCELLED = "cancelled by the submitter";
export const INTERRUPTED = "interrupted";

interface Running {
  controller: AbortController;
  started: boolean;
  done: Promise<void>;
  /** The job's events so far (for submissions that join it), and the order they are fanned out in. */
  log: NewBuildEvent[];
  stages: Map<string, StageTiming>;
  chain: Promise<void>;
  /** Submissions that have the job's history. */
  told: Set<string>;
}

export class EmbeddedBuildQueue implements BuildQueue {
  private readonly jobs = new Map<string, Running>();
  private readonly limit: ReturnType<typeof pLimit>;
  private closed = false;

  constructor(
    private readonly state: BuildStateStore,
    private readonly run: RunBuildJob,
    opts: { concurrency?: number } = {},
  ) {
    this.limit = pLimit(Math.max(1, opts.concurrency ?? availableParallelism()));
  }

  async enqueue(job: BuildJob): Promise<void> {
    if (this.closed) throw new Error("the build queue is closed");
    const existing = this.jobs.get(job.key);
    if (existing) {
      if (existing.started) await this.serial(existing, () => this.catchUp(job.key, existing));
      return;
    }
    const controller = new AbortController();
    const entry: Running = {
      controller,
      started: false,
      done: Promise.resolve(),
      log: [],
      stages: new Map(),
      chain: Promise.resolve(),
      told: new Set(),
    };
    this.jobs.set(job.key, entry);
    entry.done = this.limit(() => {
      entry.started = true;
      return this.runJob(job, entry);
    }).catch(() => {});
  }

  async cancel(key: string): Promise<boolean> {
    const j = this.jobs.get(key);
    if (!j) return false;
    j.controller.abort(CANCELLED);
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.limit.clearQueue();
    const all = [...this.jobs.entries()];
    for (const [, j] of all) j.controller.abort(INTERRUPTED);
    // Running jobs return once their processes are gone (and finish themselves); queued ones were
    // dropped from p-limit's queue and never will: they are finished here.
    await Promise.all(
      all.map(([key, j]) =>
        j.started ? j.done : this.finish(key, { state: "failed", reason: INTERRUPTED, diagnostics: [] }),
      ),
    );
  }

  private async fanOut(key: string, fn: (id: string) => Promise<unknown>): Promise<void> {
    const ids = await this.state.activeByKey(key);
    await Promise.all(ids.map(fn));
  }

  /** Runs fn after the job's earlier reports: submissions see its events in one order. */
  private serial(entry: Running, fn: () => Promise<void>): Promise<void> {
    const next = entry.chain.then(fn);
    entry.chain = next.catch(() => {});
    return next;
  }

  /** Submissions of the key that have not seen the job yet: set running, given the events so far. */
  private async catchUp(key: string, entry: Running): Promise<void> {
    const ids = (await this.state.activeByKey(key)).filter((id) => !entry.told.has(id));
    await Promise.all(
      ids.map(async (id) => {
        entry.told.add(id);
        await this.state.update(id, { state: "running", stages: [...entry.stages.values()] });
        await this.state.append(id, { type: "state", state: "running" });
        for (const e of entry.log) await this.state.append(id, e);
      }),
    );
  }

  private async runJob(job: BuildJob, entry: Running): Promise<void> {
    const signal = entry.controller.signal;
    if (signal.aborted) {
      await this.finish(job.key, this.aborted(signal));
      return;
    }
    await this.serial(entry, () => this.catchUp(job.key, entry));
    const reporter = {
      event: (e: NewBuildEvent) =>
        e.type === "state"
          ? Promise.resolve()
          : this.serial(entry, async () => {
              entry.log.push(e);
              await this.fanOut(job.key, (id) => (entry.told.has(id) ? this.state.append(id, e) : Promise.resolve()));
            }),
      stage: (s: StageTiming) =>
        this.serial(entry, async () => {
          entry.stages.set(s.name, s);
          const list = [...entry.stages.values()];
          await this.fanOut(job.key, (id) => (entry.told.has(id) ? this.state.update(id, { stages: list }) : Promise.resolve()));
        }),
    };
    let result: JobResult;
    try {
      result = await this.run(job, reporter, signal);
    } catch (e) {
      result = { state: "failed", reason: `the build runner failed: ${(e as Error).message}`, diagnostics: [] };
    }
    if (signal.aborted && result.state !== "succeeded") result = { ...result, ...this.aborted(signal) };
    await entry.chain;
    await this.finish(job.key, result);
  }

  private aborted(signal: AbortSignal): JobResult {
    return signal.reason === INTERRUPTED
      ? { state: "failed", reason: INTERRUPTED, diagnostics: [] }
      : { state: "cancelled", reason: CANCELLED, diagnostics: [] };
  }

  /** Sets the final state of every unfinished submission of the key; the key is free for a new job first. */
  private async finish(key: string, r: JobResult): Promise<void> {
    this.jobs.delete(key);
    await this.fanOut(key, async (id) => {
      await this.state.update(id, {
        state: r.state,
        diagnostics: r.diagnostics,
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.manifest ? { manifest: r.manifest } : {}),
      });
      await this.state.append(id, { type: "state", state: r.state, ...(r.reason ? { reason: r.reason } : {}) });
    });
  }
}
