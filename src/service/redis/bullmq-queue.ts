/**
 * BuildQueue over BullMQ, and the worker that takes its jobs (`dcm worker`,
 * or `dcm serve --redis` with `--workers N`).
 *
 * - One job per build key (jobId = key): identical submissions join the job
 *   that is queued or running. Finished jobs are removed (the outcome lives in
 *   the state store), failed ones kept, bounded, for inspection; a new
 *   submission of a key whose last job failed replaces that job.
 * - Cancel: a waiting job is removed; an active one is cancelled through the
 *   `<prefix>cancel` channel that every worker listens to, which aborts that
 *   job's AbortSignal (the runner then kills its toolchain processes).
 * - A worker that dies (SIGKILL) stops renewing its lock; after
 *   `lockDurationMs` the stalled-job check of any other worker puts the job
 *   back and another worker runs it again from the start (the runner is safe
 *   to run twice: the store's putDist is atomic). After `maxStalledCount`
 *   stalls the build fails.
 * - The worker fans a job's events out to every unfinished submission of its
 *   key (state.activeByKey) and sets their final state; `state` events from
 *   the runner are dropped, the queue owns the state.
 * - close(graceMs): no new jobs; running ones get the grace period to finish,
 *   then are released to the queue (another worker takes them at once).
 *
 * Known limitations: a submission that joins a running job sees its events
 * from the moment it joined (the list of submissions is refreshed every
 * half second), not the ones before.
 */
import { type Job, Queue, WaitingError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { DcmError, diag } from "../../../runtime/diagnostics/catalog.js";
import type {
  BuildJob,
  BuildQueue,
  BuildStateStore,
  JobReporter,
  JobResult,
  NewBuildEvent,
  RunBuildJob,
  StageTiming,
} from "../service-types.js";
import { connectRedis, guard } from "./redis-connection.js";

export interface RedisQueueOptions {
  /** BullMQ's key prefix and the cancel channel's (default `dcm`). */
  prefix?: string;
  /** Queue name (default `builds`). */
  queueName?: string;
  /** Failed jobs kept for inspection (default 500, at most a day). */
  keepFailed?: number;
}

export interface RedisWorkerOptions extends RedisQueueOptions {
  /** Jobs this worker runs at once (default 1). */
  concurrency?: number;
  /** How long a job's lock lives without renewal: a dead worker's job is taken over after it (default 30 s). */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (default 30 s). */
  stalledIntervalMs?: number;
  /** Stalls after which a build fails instead of running again (default 2). */
  maxStalledCount?: number;
  /** For logs: what happened to each job. */
  log?: (line: string) => void;
}

const SHUTDOWN = "dcm worker shutting down";
const CANCELLED = "cancelled by the submitter";
const QUEUE_NAME = "builds";

function names(opts: RedisQueueOptions) {
  const prefix = opts.prefix ?? "dcm";
  return { prefix, queueName: opts.queueName ?? QUEUE_NAME, cancelChannel: `${prefix}:cancel` };
}

export class BullmqBuildQueue implements BuildQueue {
  private constructor(
    private readonly client: Redis,
    private readonly url: string,
    private readonly queue: Queue<BuildJob>,
    private readonly state: BuildStateStore,
    private readonly opts: RedisQueueOptions,
  ) {}

  /** The producer side (`dcm serve`): queues jobs and cancels them; runs none. */
  static async connect(url: string, state: BuildStateStore, opts: RedisQueueOptions = {}): Promise<BullmqBuildQueue> {
    const client = await connectRedis(url, "request");
    const { prefix, queueName } = names(opts);
    const queue = new Queue<BuildJob>(queueName, { connection: client, prefix });
    queue.on("error", () => {});
    return new BullmqBuildQueue(client, url, queue, state, opts);
  }

  async enqueue(job: BuildJob): Promise<void> {
    await guard(this.client, this.url, async () => {
      const existing = await this.queue.getJob(job.key);
      if (existing) {
        const st = await existing.getState();
        if (st !== "completed" && st !== "failed" && st !== "unknown") return; // queued or running: join it
        await existing.remove().catch(() => {});
      }
      await this.queue.add("build", job, {
        jobId: job.key,
        attempts: 1,
        removeOnComplete: true,
        removeOnFail: { count: this.opts.keepFailed ?? 500, age: 24 * 3600 },
      });
    });
  }

  async cancel(key: string): Promise<boolean> {
    return guard(this.client, this.url, async () => {
      const job = await this.queue.getJob(key);
      if (!job) return false;
      const st = await job.getState();
      if (st === "completed" || st === "failed" || st === "unknown") return false;
      if (st !== "active") {
        // Removing fails when a worker locked it a moment ago: then it is active, and the channel reaches it.
        const removed = await job.remove().then(
          () => true,
          () => false,
        );
        if (removed) {
          await finishAll(this.state, key, { state: "cancelled", reason: CANCELLED, diagnostics: [] });
          return true;
        }
      }
      await this.client.publish(names(this.opts).cancelChannel, key);
      return true;
    });
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => {});
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

export interface BuildWorker {
  /** Stops taking jobs; running ones get `graceMs` to finish, then go back to the queue. */
  close(graceMs?: number): Promise<void>;
  /** Resolves when the worker has connected and is taking jobs. */
  ready: Promise<void>;
}

/** A worker process's side: takes jobs from the queue and runs them with `run`. */
export async function startBuildWorker(
  url: string,
  state: BuildStateStore,
  run: RunBuildJob,
  opts: RedisWorkerOptions = {},
): Promise<BuildWorker> {
  const { prefix, queueName, cancelChannel } = names(opts);
  const log = opts.log ?? (() => {});
  const connection = await connectRedis(url, "worker");
  const subscriber = await connectRedis(url, "worker");

  const processor = async (job: Job<BuildJob>, token?: string, signal?: AbortSignal): Promise<JobResult> => {
    const data = job.data;
    const abort = signal ?? new AbortController().signal;
    const reporter = fanOutReporter(state, data.key);
    const again = job.stalledCounter > 0 || job.attemptsStarted > 1;
    log(`${again ? "restarting" : "running"} build ${data.key}`);
    await reporter.setState({
      type: "state",
      state: "running",
      ...(again ? { reason: "restarted: the worker that was running it stopped" } : {}),
    });
    let result: JobResult;
    try {
      result = await run(data, reporter, abort);
    } catch (e) {
      result = failure(e);
    }
    if (abort.aborted && abort.reason === SHUTDOWN) {
      // Released, not finished: back to the queue for another worker.
      log(`releasing build ${data.key}`);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (abort.aborted && result.state !== "succeeded") result = { ...result, state: "cancelled", reason: CANCELLED };
    await finishAll(state, data.key, result);
    log(`build ${data.key}: ${result.state}${result.reason ? ` (${result.reason})` : ""}`);
    return result;
  };

  const worker = new Worker<BuildJob>(queueName, processor, {
    connection,
    prefix,
    concurrency: opts.concurrency ?? 1,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: opts.maxStalledCount ?? 2,
    removeOnComplete: { count: 0 },
    removeOnFail: { count: opts.keepFailed ?? 500, age: 24 * 3600 },
    autorun: false,
  });
  worker.on("error", (e) => log(`worker error: ${e.message}`));
  // A submission that joined (found the job active) after the processor's last look at the key's
  // submissions but before the job completed would wait for ever: finish it too. Once the job
  // has completed, a new submission finds no job and queues its own.
  worker.on("completed", (job, result) => {
    if (!result?.state) return;
    finishAll(state, job.data.key, result).catch((e) => log(`could not finish late joiners of ${job.data.key}: ${(e as Error).message}`));
  });
  // A job that stalled too often fails without a processor running: set its builds' state here.
  worker.on("failed", (job, err) => {
    if (!job || !/stalled/i.test(err.message)) return;
    finishAll(state, job.data.key, {
      state: "failed",
      reason: `the workers running it stopped ${job.stalledCounter} time(s)`,
      diagnostics: [],
    }).catch((e) => log(`could not record the failure of ${job.data.key}: ${(e as Error).message}`));
  });

  subscriber.on("message", (channel: string, key: string) => {
    if (channel === cancelChannel && worker.cancelJob(key, CANCELLED)) log(`cancelling build ${key}`);
  });
  await subscriber.subscribe(cancelChannel);

  worker.run().catch((e) => log(`worker stopped: ${(e as Error).message}`));
  const ready = worker.waitUntilReady().then(() => undefined);

  return {
    ready,
    async close(graceMs = 30_000) {
      const closing = worker.close();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        closing.then(() => false),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(true), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        worker.cancelAllJobs(SHUTDOWN);
        await closing;
      }
      await subscriber.quit().catch(() => subscriber.disconnect());
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

interface FanOutReporter extends JobReporter {
  setState(e: NewBuildEvent & { type: "state" }): Promise<void>;
}

/** Sends a job's reports to every unfinished submission of its key. */
function fanOutReporter(state: BuildStateStore, key: string): FanOutReporter {
  let ids: string[] = [];
  let fetched = 0;
  const targets = async () => {
    if (Date.now() - fetched > 500) {
      ids = await state.activeByKey(key);
      fetched = Date.now();
    }
    return ids;
  };
  return {
    async event(e) {
      if (e.type === "state") return;
      await Promise.all((await targets()).map((id) => state.append(id, e)));
    },
    async stage(s: StageTiming) {
      await Promise.all(
        (await targets()).map(async (id) => {
          const rec = await state.get(id);
          if (!rec) return;
          const stages = rec.stages.filter((x) => !(x.name === s.name && x.startedAt === s.startedAt));
          stages.push(s);
          await state.update(id, { stages, updatedAt: new Date().toISOString() });
        }),
      );
    },
    async setState(e) {
      fetched = 0;
      await Promise.all(
        (await targets()).map(async (id) => {
          await state.update(id, { state: e.state, updatedAt: new Date().toISOString() });
          await state.append(id, e);
        }),
      );
    },
  };
}

/** The final state of every unfinished submission of a key: record first, then the event that ends its stream. */
async function finishAll(state: BuildStateStore, key: string, result: JobResult): Promise<void> {
  const ids = await state.activeByKey(key);
  await Promise.all(
    ids.map(async (id) => {
      const rec = await state.update(id, {
        state: result.state,
        diagnostics: result.diagnostics,
        updatedAt: new Date().toISOString(),
        ...(result.manifest ? { manifest: result.manifest } : {}),
        ...(result.reason ? { reason: result.reason } : {}),
      });
      if (!rec) return;
      await state.append(id, {
        type: "state",
        state: result.state,
        ...(result.reason ? { reason: result.reason } : {}),
      });
    }),
  );
}

function failure(e: unknown): JobResult {
  if (e instanceof DcmError) return { state: "failed", reason: e.diagnostics[0]?.message ?? e.message, diagnostics: e.diagnostics };
  const message = e instanceof Error ? e.message : String(e);
  return { state: "failed", reason: message, diagnostics: [diag("DCM_REDIS_JOB_CRASHED", message)] };
}
