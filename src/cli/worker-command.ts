/**
 * `dcm worker --redis <url> --store <dir>`: takes builds from the service's
 * BullMQ queue and runs them (docs/build-service.md, "Redis and workers").
 * Stops on SIGINT/SIGTERM: no new jobs, `--grace` seconds for running ones,
 * then the rest go back to the queue for another worker; a second signal
 * ends the process at once (its jobs are then taken over as from a killed
 * worker, after the lock duration).
 */
import { parseArgs } from "node:util";
import { DcmError, diag, formatDiagnostic } from "../../runtime/diagnostics/catalog.js";
import type { RunBuildJob } from "../service/service-types.js";
import { onStopSignals } from "./stop-signals.js";

export interface WorkerIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export const WORKER_USAGE = `dcm worker --redis <url> --store <dir> [--concurrency <n>] [--grace <s>] [--lock-duration <ms>] [--stalled-interval <ms>]

Takes builds from the queue of \`dcm serve --redis <url>\` and runs them; artifacts go to
--store, which every worker and every service node must share. Defaults: --concurrency 1,
--grace 30 (seconds a running build may take to finish on SIGTERM before it goes back to
the queue), --lock-duration 30000 (a killed worker's build is taken over after it),
--stalled-interval 30000. See docs/build-service.md.`;

/** Makes the build runner of a worker: the service's own (src/service), storing into `storeDir`. */
export type RunnerFactory = (storeDir: string) => Promise<RunBuildJob>;

function usage(io: WorkerIo, message: string): number {
  io.err(`${formatDiagnostic(diag("DCM_REDIS_WORKER", message, { suggestion: "Run `dcm worker --help`." }))}\n\n${WORKER_USAGE}\n`);
  return 2;
}

function positiveInt(v: string | undefined, name: string, min: number): number | string | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= min ? n : `${name} must be an integer ≥ ${min}, got ${v}.`;
}

/** Resolves when the worker has stopped (signal); the exit code. */
export async function cmdWorker(
  args: string[],
  io: WorkerIo,
  makeRunner: RunnerFactory,
  signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"],
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        redis: { type: "string" },
        store: { type: "string" },
        concurrency: { type: "string" },
        grace: { type: "string" },
        "lock-duration": { type: "string" },
        "stalled-interval": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  if (values.help) {
    io.out(`${WORKER_USAGE}\n`);
    return 0;
  }
  if (typeof values.redis !== "string") return usage(io, "--redis <url> is required.");
  if (typeof values.store !== "string") return usage(io, "--store <dir> is required.");
  const concurrency = positiveInt(values.concurrency as string | undefined, "--concurrency", 1) ?? 1;
  const grace = positiveInt(values.grace as string | undefined, "--grace", 0) ?? 30;
  const lockDurationMs = positiveInt(values["lock-duration"] as string | undefined, "--lock-duration", 500) ?? 30_000;
  const stalledIntervalMs =
    positiveInt(values["stalled-interval"] as string | undefined, "--stalled-interval", 100) ?? 30_000;
  for (const v of [concurrency, grace, lockDurationMs, stalledIntervalMs]) if (typeof v === "string") return usage(io, v);

  const { parseRedisUrl, redactUrl } = await import("../service/redis/redis-connection.js");
  const { RedisBuildStateStore } = await import("../service/redis/redis-state.js");
  const { startBuildWorker } = await import("../service/redis/bullmq-queue.js");

  // Signal handlers first: a signal while connecting still stops cleanly.
  const stop = onStopSignals(signals, (sig) => `dcm worker: ${sig} again: exiting now; running builds go to another worker after the lock duration.`, (t) => io.err(t));

  const url = values.redis;
  let state: Awaited<ReturnType<typeof RedisBuildStateStore.connect>> | undefined;
  try {
    parseRedisUrl(url);
    const run = await makeRunner(values.store);
    state = await RedisBuildStateStore.connect(url);
    const worker = await startBuildWorker(url, state, run, {
      concurrency: concurrency as number,
      lockDurationMs: lockDurationMs as number,
      stalledIntervalMs: stalledIntervalMs as number,
      log: (line) => io.out(`dcm worker: ${line}\n`),
    });
    await worker.ready;
    io.out(
      `dcm worker: taking builds from ${redactUrl(url)} (concurrency ${concurrency}), artifacts in ${values.store}\n`,
    );
    const sig = await stop.stopped;
    io.err(`dcm worker: ${sig}: taking no new builds; ${grace} s for running ones to finish…\n`);
    await worker.close((grace as number) * 1000);
    await state.close();
    io.err("dcm worker: stopped.\n");
    stop.off();
    return 0;
  } catch (e) {
    stop.off();
    await state?.close();
    if (e instanceof DcmError) {
      for (const d of e.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
      return 1;
    }
    throw e;
  }
}
