/**
 * createBuildService: the build service's HTTP server over any backends
 * (service-types.ts). `dcm serve` passes the directory store, the file state
 * store and the in-process queue (embeddedBackends below); `dcm serve
 * --redis` passes its Redis state store and BullMQ queue with the same store.
 *
 * close(): stop accepting (new submissions get 503), close the queue (builds
 * in flight are stopped and marked failed `interrupted`), then the state
 * store and the server.
 */
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { DEFAULT_RATE_LIMIT } from "../../runtime/server/api/controller.js";
import { clientErrorHandler, frameworkError, urlLengthHook } from "../../runtime/server/http-shape.js";
import type { ArchiveLimits } from "./archive/unpack-archive.js";
import { BuildServiceCore } from "./build-service-core.js";
import { dcmVersion, type LanguageSurvey, surveyLanguages } from "./build-key.js";
import { registerBuildRoutes } from "./http/build-routes.js";
import { EmbeddedBuildQueue } from "./queue/embedded-queue.js";
import { createRunBuildJob } from "./run-build-job.js";
import type { ArtifactStore, BuildDriver, BuildQueue, BuildStateStore, RunBuildJob } from "./service-types.js";
import { FileBuildStateStore } from "./state/file-state.js";
import { DirArtifactStore } from "./store/dir-store.js";

/** Uploads up to 256 MiB: a large repository without its dependencies and build output is far less. */
export const DEFAULT_UPLOAD_LIMIT = 256 * 1024 * 1024;

export interface BuildServiceOptions {
  store: ArtifactStore;
  state: BuildStateStore;
  queue: BuildQueue;
  /**
   * Closes the backends on close() (a Redis backend's own close: its workers, queue and state
   * store). Absent: queue.close(), then state.close().
   */
  closeBackends?: () => Promise<void>;
  apiKeys: readonly string[];
  driver?: BuildDriver;
  /** Surveyed once when absent. */
  languages?: LanguageSurvey[];
  rateLimit?: { max: number; timeWindowMs: number };
  uploadLimitBytes?: number;
  archiveLimits?: Partial<ArchiveLimits>;
  heartbeatMs?: number;
  logger?: boolean;
}

export interface BuildService {
  app: FastifyInstance;
  core: BuildServiceCore;
  /** Listens; returns the base URL. */
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

export async function createBuildService(opts: BuildServiceOptions): Promise<BuildService> {
  const core = new BuildServiceCore({
    store: opts.store,
    state: opts.state,
    queue: opts.queue,
    driver: opts.driver ?? "sandbox",
    languages: opts.languages ?? (await surveyLanguages()),
    version: dcmVersion(),
    ...(opts.archiveLimits ? { archiveLimits: opts.archiveLimits } : {}),
  });
  const upload = opts.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 1024 * 1024,
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: frameworkError,
    // Slow uploads of large archives: the whole request may take minutes, but not forever.
    requestTimeout: 10 * 60_000,
  });
  app.server.on("clientError", clientErrorHandler);
  app.addHook("onRequest", urlLengthHook);
  await registerBuildRoutes(app, {
    core,
    apiKeys: opts.apiKeys,
    rateLimit: opts.rateLimit ?? DEFAULT_RATE_LIMIT,
    uploadLimitBytes: upload,
    heartbeatMs: opts.heartbeatMs ?? 15_000,
  });
  let closed: Promise<void> | undefined;
  return {
    app,
    core,
    async listen(port, host) {
      await app.listen({ port, host });
      const addr = app.server.address();
      const p = typeof addr === "object" && addr ? addr.port : port;
      return `http://${host.includes(":") ? `[${host}]` : host}:${p}`;
    },
    close() {
      closed ??= (async () => {
        core.stopAccepting();
        if (opts.closeBackends) await opts.closeBackends();
        else {
          await opts.queue.close();
          await opts.state.close();
        }
        // Event streams end with the server.
        app.server.closeAllConnections?.();
        await app.close();
      })();
      return closed;
    },
  };
}

export interface EmbeddedBackends {
  store: DirArtifactStore;
  state: FileBuildStateStore;
  queue: EmbeddedBuildQueue;
  run: RunBuildJob;
}

/** The backends of `dcm serve` without Redis: a directory store, its state folder, the in-process queue. */
export async function embeddedBackends(opts: {
  storeDir: string;
  concurrency?: number;
  buildTimeoutMs?: number;
  graceMs?: number;
  env?: Record<string, string>;
}): Promise<EmbeddedBackends> {
  const store = await DirArtifactStore.open(opts.storeDir);
  const state = await FileBuildStateStore.open(join(store.root, "state"));
  const run = createRunBuildJob({
    store,
    workDir: join(store.root, "tmp"),
    ...(opts.buildTimeoutMs ? { timeoutMs: opts.buildTimeoutMs } : {}),
    ...(opts.graceMs ? { graceMs: opts.graceMs } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  const queue = new EmbeddedBuildQueue(state, run, opts.concurrency ? { concurrency: opts.concurrency } : {});
  return { store, state, queue, run };
}
