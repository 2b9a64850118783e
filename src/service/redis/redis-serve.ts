/**
 * The backends of `dcm serve --redis` and of `dcm worker`: the shared
 * directory store, the service's build runner, and the Redis state and queue
 * (redis-backend.ts). Scratch folders go to a temp folder of this process,
 * not into the shared store's tmp/, which another process's store open
 * clears.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRunBuildJob } from "../run-build-job.js";
import type { ArtifactStore, BuildQueue, BuildStateStore, RunBuildJob } from "../service-types.js";
import { DirArtifactStore } from "../store/dir-store.js";
import { connectRedisBackend } from "./redis-backend.js";

export interface RedisServeOptions {
  storeDir: string;
  /** Builds at a time in this process (0: none). */
  workers: number;
  buildTimeoutMs?: number;
}

/** A runner storing into `storeDir`, with a scratch folder of this process. */
export async function sharedStoreRunner(
  storeDir: string,
  opts: { buildTimeoutMs?: number } = {},
): Promise<{ store: DirArtifactStore; run: RunBuildJob; workDir: string }> {
  const store = await DirArtifactStore.open(storeDir);
  const workDir = await mkdtemp(join(tmpdir(), "dcm-build-"));
  const run = createRunBuildJob({ store, workDir, ...(opts.buildTimeoutMs ? { timeoutMs: opts.buildTimeoutMs } : {}) });
  return { store, run, workDir };
}

export async function redisServeBackends(
  url: string,
  opts: RedisServeOptions,
): Promise<{ store: ArtifactStore; state: BuildStateStore; queue: BuildQueue; workDir: string; close(): Promise<void> }> {
  const { store, run, workDir } = await sharedStoreRunner(opts.storeDir, opts);
  const backend = await connectRedisBackend(url, { workers: opts.workers, run });
  return { store, state: backend.state, queue: backend.queue, workDir, close: () => backend.close() };
}
