/**
 * The Redis backend of `dcm serve --redis`: the state store and the BullMQ
 * queue every node shares, plus (unless `workers` is 0) a BullMQ worker in
 * this process, so that one `dcm serve --redis` builds on its own and more
 * nodes or `dcm worker` processes add capacity.
 */
import type { BuildQueue, BuildStateStore, RunBuildJob } from "../service-types.js";
import { BullmqBuildQueue, type BuildWorker, type RedisWorkerOptions, startBuildWorker } from "./bullmq-queue.js";
import { RedisBuildStateStore, type RedisStateOptions } from "./redis-state.js";

export interface RedisBackendOptions extends RedisStateOptions, Omit<RedisWorkerOptions, "prefix" | "concurrency"> {
  /** Jobs this process runs itself (0: an API node only). */
  workers: number;
  /** The runner for this process's own workers (needed when `workers` > 0). */
  run?: RunBuildJob;
  /** Grace for this process's running jobs on close before they go back to the queue (ms, default 30 s). */
  graceMs?: number;
}

export interface RedisBackend {
  state: BuildStateStore;
  queue: BuildQueue;
  close(): Promise<void>;
}

/** Connects (DCM_REDIS_UNAVAILABLE when Redis does not answer) and starts this process's workers. */
export async function connectRedisBackend(url: string, opts: RedisBackendOptions): Promise<RedisBackend> {
  const { workers, run, graceMs, prefix, ttlSeconds, ...workerOpts } = opts;
  const keyPrefix = prefix ?? "dcm:";
  const queuePrefix = keyPrefix.replace(/:$/, "");
  const state = await RedisBuildStateStore.connect(url, { prefix: keyPrefix, ...(ttlSeconds ? { ttlSeconds } : {}) });
  let queue: BullmqBuildQueue | undefined;
  let worker: BuildWorker | undefined;
  try {
    queue = await BullmqBuildQueue.connect(url, state, { ...workerOpts, prefix: queuePrefix });
    if (workers > 0) {
      if (!run) throw new TypeError("connectRedisBackend: workers > 0 needs a runner");
      worker = await startBuildWorker(url, state, run, { ...workerOpts, prefix: queuePrefix, concurrency: workers });
      await worker.ready;
    }
  } catch (e) {
    await worker?.close(0);
    await queue?.close();
    await state.close();
    throw e;
  }
  const q = queue;
  return {
    state,
    queue: q,
    async close() {
      await worker?.close(graceMs);
      await q.close();
      await state.close();
    },
  };
}
