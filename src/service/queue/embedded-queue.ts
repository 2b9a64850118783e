/**
 * The in-process BuildQueue of `dcm serve` without Redis: jobs run in this
 * process through the runner, at most `concurrency` at once (p-limit;
 * default: the cores, os.availableParallelism()).
 *
 * - One job per build key: a submission whose key is queued or running joins
 *   it (the service creates its record first, so the job's fan-out finds it).
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
    if (this.jobs.has(job.key)) return;
    const controller = new AbortController();
    const entry: Running = { controller, started: false, done: Promise.resolve() };
    this.jobs.set(job.key, entry);
    entry.done = this.limit(() => {
      entry.started = true;
      return this.runJob(job, controller.signal);
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

  private async runJob(job: BuildJob, signal: AbortSignal): Promise<void> {
    if (signal.aborted) {
      await this.finish(job.key, this.aborted(signal));
      return;
    }
    await this.fanOut(job.key, async (id) => {
      await this.state.update(id, { state: "running" });
      await this.state.append(id, { type: "state", state: "running" });
    });
    const stages = new Map<string, StageTiming>();
    const reporter = {
      event: async (e: NewBuildEvent) => {
        if (e.type === "state") return;
        await this.fanOut(job.key, (id) => this.state.append(id, e));
      },
      stage: async (s: StageTiming) => {
        stages.set(s.name, s);
        const list = [...stages.values()];
        await this.fanOut(job.key, (id) => this.state.update(id, { stages: list }));
      },
    };
    let result: JobResult;
    try {
      result = await this.run(job, reporter, signal);
    } catch (e) {
      result = { state: "failed", reason: `the build runner failed: ${(e as Error).message}`, diagnostics: [] };
    }
    if (signal.aborted && result.state !== "succeeded") result = { ...result, ...this.aborted(signal) };
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
