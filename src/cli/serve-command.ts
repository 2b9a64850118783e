/**
 * `dcm serve`: the build service (docs/build-service.md). Without Redis it
 * needs nothing else: builds run in this process's queue (at most
 * --concurrency at once, default the cores), artifacts and build records go
 * to --store (default <dcm cache>/service).
 *
 * Secrets come from the environment: DCM_API_KEYS (comma-separated, as for
 * `dcm run`; unset: one is generated and printed once).
 *
 * SIGINT/SIGTERM: stop accepting, stop the builds in flight (marked failed
 * `interrupted`), close. A second signal exits at once.
 */
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { defaultCacheDir } from "../build/cache-dir.js";
import { DcmError, diag, formatDiagnostic } from "../../runtime/diagnostics/catalog.js";
import { onStopSignals } from "./stop-signals.js";

export interface ServeIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export const SERVE_USAGE = `dcm serve [--port 8090] [--host 127.0.0.1] [--store <dir>] [--concurrency <n>] [--driver sandbox|container|local] [--build-timeout <s>] [--upload-limit <MiB>]
          [--redis redis://host:port [--workers <n>]]

The build service: POST /dcm/builds (a repository as .tar.gz or .zip plus its
CFD), GET /dcm/builds/{id} and its /events (SSE), /dist/<file> and
/dist.tar.gz, DELETE to cancel; OpenAPI at /dcm/builds/openapi.json.
Defaults: --store <dcm cache>/service, --concurrency = cores, --driver sandbox,
--build-timeout 900 s, --upload-limit 256 MiB.
--redis: builds go on a BullMQ queue in Redis, taken by \`dcm worker\` processes and by
--workers builds at a time in this process (default: --concurrency; 0: none); state and
events live in Redis, so any node answers for any build. --store must be shared.
Secrets: DCM_API_KEYS (comma-separated; unset: one is generated and printed once).
See docs/build-service.md.`;

function usage(io: ServeIo, message: string): number {
  io.err(`${formatDiagnostic(diag("DCM_CLI_USAGE", message, { suggestion: "Run `dcm serve --help`." }))}\n\n${SERVE_USAGE}\n`);
  return 2;
}

const positiveInt = (v: string | undefined): number | undefined | null => {
  if (v === undefined) return undefined;
  return /^[1-9][0-9]*$/.test(v) ? Number(v) : null;
};

export async function cmdServe(args: string[], io: ServeIo, signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`${SERVE_USAGE}\n`);
    return 0;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        store: { type: "string" },
        concurrency: { type: "string" },
        driver: { type: "string" },
        "build-timeout": { type: "string" },
        "upload-limit": { type: "string" },
        redis: { type: "string" },
        workers: { type: "string" },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  const port = values.port === undefined ? 8090 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usage(io, `--port must be 0 to 65535 (got \`${values.port}\`).`);
  const host = (values.host as string | undefined) ?? "127.0.0.1";
  const driver = (values.driver as string | undefined) ?? "sandbox";
  if (!["sandbox", "container", "local"].includes(driver))
    return usage(io, `--driver must be sandbox, container or local (got \`${driver}\`).`);
  const concurrency = positiveInt(values.concurrency as string | undefined);
  if (concurrency === null) return usage(io, `--concurrency must be a positive integer (got \`${values.concurrency}\`).`);
  const timeout = positiveInt(values["build-timeout"] as string | undefined);
  if (timeout === null) return usage(io, `--build-timeout must be a positive number of seconds (got \`${values["build-timeout"]}\`).`);
  const uploadMiB = positiveInt(values["upload-limit"] as string | undefined);
  if (uploadMiB === null) return usage(io, `--upload-limit must be a positive number of MiB (got \`${values["upload-limit"]}\`).`);
  const redisUrl = values.redis as string | undefined;
  const workersArg = values.workers as string | undefined;
  if (workersArg !== undefined && !/^[0-9]+$/.test(workersArg))
    return usage(io, `--workers must be 0 or a positive integer (got \`${workersArg}\`).`);
  if (workersArg !== undefined && !redisUrl) return usage(io, "--workers needs --redis (without Redis, --concurrency sets the builds at a time).");
  const storeDir = resolve((values.store as string | undefined) ?? join(defaultCacheDir(), "service"));

  const { apiKeysFromEnv, MIN_API_KEY_LENGTH } = await import("../../runtime/server/api/index.js");
  let apiKeys = apiKeysFromEnv(process.env);
  const weak = apiKeys.findIndex((k) => k.length < MIN_API_KEY_LENGTH || /\s/.test(k));
  if (weak >= 0) {
    io.err(
      `${formatDiagnostic(
        diag("DCM_API_CONFIG", `DCM_API_KEYS: key #${weak + 1} is shorter than ${MIN_API_KEY_LENGTH} characters or contains whitespace.`, {
          suggestion: "make a strong key in the shell: `export DCM_API_KEYS=$(npx dcm key)`, or unset DCM_API_KEYS and `dcm serve` makes one",
        }),
      )}\n`,
    );
    return 1;
  }
  const notes: string[] = [];
  if (apiKeys.length === 0) {
    apiKeys = [`dcm_${randomBytes(24).toString("base64url")}`];
    notes.push(`dcm serve: DCM_API_KEYS is not set: generated an API key for this run (shown once):\n  ${apiKeys[0]}`);
  }
  if (driver === "local")
    io.err("WARNING: --driver local: submitted repositories' compilers, build scripts and macros run directly on this machine. For trusted submitters only.\n");

  const { createBuildService, embeddedBackends } = await import("../service/create-build-service.js");
  let service: Awaited<ReturnType<typeof createBuildService>>;
  try {
    if (redisUrl) {
      // Redis mode: the store is shared with the workers; state and queue are in Redis.
      const { redisServeBackends } = await import("../service/redis/redis-serve.js");
      const b = await redisServeBackends(redisUrl, {
        storeDir,
        workers: workersArg === undefined ? (concurrency ?? availableParallelism()) : Number(workersArg),
        ...(timeout ? { buildTimeoutMs: timeout * 1000 } : {}),
      });
      service = await createBuildService({
        store: b.store,
        state: b.state,
        queue: b.queue,
        closeBackends: b.close,
        apiKeys,
        driver: driver as "sandbox" | "container" | "local",
        ...(uploadMiB ? { uploadLimitBytes: uploadMiB * 1024 * 1024 } : {}),
      });
    } else {
      const backends = await embeddedBackends({
        storeDir,
        ...(concurrency ? { concurrency } : {}),
        ...(timeout ? { buildTimeoutMs: timeout * 1000 } : {}),
      });
      service = await createBuildService({
        store: backends.store,
        state: backends.state,
        queue: backends.queue,
        apiKeys,
        driver: driver as "sandbox" | "container" | "local",
        ...(uploadMiB ? { uploadLimitBytes: uploadMiB * 1024 * 1024 } : {}),
      });
    }
  } catch (e) {
    if (e instanceof DcmError) {
      for (const d of e.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
      return 1;
    }
    throw e;
  }

  const stop = onStopSignals(signals, (sig) => `dcm serve: ${sig} again: exiting now.`, (t) => io.err(t));

  let address: string | null = null;
  try {
    address = await service.listen(port, host);
  } catch (e) {
    io.err(`dcm serve: cannot listen on ${host}:${port}: ${(e as Error).message}\n`);
  }
  if (address && !stop.requested()) {
    io.out(`dcm serve: build service at ${address}/dcm/builds (OpenAPI: ${address}/dcm/builds/openapi.json)\n`);
    io.out(`  store       ${storeDir}\n`);
    io.out(`  driver      ${driver}\n`);
    if (redisUrl) io.out(`  redis       ${redisUrl.replace(/:[^:@/]*@/, ":***@")} (this node's workers: ${workersArg ?? concurrency ?? availableParallelism()})\n`);
    for (const n of notes) io.err(`${n}\n`);
  }
  const sig = address ? await stop.stopped : null;
  if (sig) io.err(`dcm serve: ${sig}: stopping the builds in flight (marked failed "interrupted")…\n`);
  try {
    await service.close();
  } finally {
    stop.off();
  }
  if (!address) return 1;
  io.err("dcm serve: stopped.\n");
  return 0;
}
