/**
 * `dcm run <dist>`: serves a built dist with the server Code Distributor
 * (runtime/server/create-server.ts) until SIGINT or SIGTERM.
 *
 * Secrets come from the environment, never from the command line:
 *   DCM_JWT_SECRET   the clients' token signing key (≥ 32 bytes); several,
 *                    comma-separated, for rotation: the first signs, all verify.
 *                    Unset: a random key for this run (tokens die with the process).
 *   DCM_API_KEYS     comma-separated keys for the API Controller (`dcm key`
 *                    prints a strong one); unset: one is generated and printed once.
 *   DCM_ALLOWED_ORIGINS  comma-separated origins, added to --origin.
 */
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
// Types only: the server (fastify, ws, jose) loads when `dcm run` runs, not with every command.
import type { SigningKey } from "../../runtime/server/auth.js";
import type { DcmServer, DcmServerExtension } from "../../runtime/server/create-server.js";
import { diag, formatDiagnostic } from "../../runtime/diagnostics/catalog.js";
import { onStopSignals } from "./stop-signals.js";

export interface RunIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export const RUN_USAGE = `dcm run <dist> [--port <p>] [--host <h>] [--prefix </dcm>] [--origin <url>]... [--target native|wasm] [--workers <n>] [--isolation process|thread] [--memory-limit <MiB>]

Serves the dist folder: WebSocket <prefix>/ws, POST <prefix>/auth/session and
/auth/refresh, client files under <prefix>/dist/. Defaults: --port 8080,
--host 127.0.0.1, --prefix /dcm, --target native, workers = cores. Allowed
origins: --origin and DCM_ALLOWED_ORIGINS, plus the server's own URL.
--isolation thread runs native plugins inside the server's threads (faster, for
trusted code only: a fragment that exits or aborts ends the server); the default
runs them in supervised processes, each bounded to --memory-limit MiB (default 1024).
Secrets: DCM_JWT_SECRET, DCM_API_KEYS (see docs/protocol.md; \`export DCM_API_KEYS=$(dcm key)\`).`;

/**
 * Routes other components add to the server (the API Controller, the
 * example page): each is called with the app and its context before it
 * listens.
 */
export const RUN_EXTENSIONS: DcmServerExtension[] = [
  async (app, ctx) => {
    const { registerApiController } = await import("../../runtime/server/api/index.js");
    await registerApiController(app, { control: ctx.control, apiKeys: ctx.apiKeys, prefix: `${ctx.prefix}/api` });
  },
  async (app, ctx) => {
    const { webExtension } = await import("../../runtime/client/serve-web.js");
    await webExtension()(app, ctx);
  },
];

function usage(io: RunIo, message: string): number {
  io.err(
    `${formatDiagnostic(diag("DCM_CLI_USAGE", message, { suggestion: "Run `dcm run --help`." }))}\n\n${RUN_USAGE}\n`,
  );
  return 2;
}

function splitEnv(v: string | undefined): string[] {
  return (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseRunArgs(args: string[]) {
  return parseArgs({
    args,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      prefix: { type: "string" },
      origin: { type: "string", multiple: true },
      target: { type: "string" },
      workers: { type: "string" },
      isolation: { type: "string" },
      "memory-limit": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
}

/** Resolves once the server has shut down (signal); the exit code. */
export async function cmdRun(
  args: string[],
  io: RunIo,
  signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"],
): Promise<number> {
  let parsed: ReturnType<typeof parseRunArgs>;
  try {
    parsed = parseRunArgs(args);
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(`${RUN_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1)
    return usage(io, `Expected 1 positional argument (the dist folder), got ${positionals.length}.`);
  const port = Number(values.port ?? "8080");
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return usage(io, `--port must be 0..65535, got ${values.port}.`);
  const host = values.host ?? "127.0.0.1";
  const target = values.target ?? "native";
  if (target !== "native" && target !== "wasm") return usage(io, `--target must be native or wasm, got ${target}.`);
  const isolation = values.isolation ?? "process";
  if (isolation !== "process" && isolation !== "thread")
    return usage(io, `--isolation must be process or thread, got ${isolation}.`);
  const memoryLimitMb = values["memory-limit"] === undefined ? undefined : Number(values["memory-limit"]);
  if (memoryLimitMb !== undefined && !(Number.isInteger(memoryLimitMb) && memoryLimitMb > 0))
    return usage(io, `--memory-limit must be a positive number of MiB, got ${values["memory-limit"]}.`);
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers > 0))
    return usage(io, `--workers must be a positive integer, got ${values.workers}.`);

  const { kidFor } = await import("../../runtime/server/auth.js");
  const { createDcmServer } = await import("../../runtime/server/create-server.js");
  const secrets = splitEnv(process.env.DCM_JWT_SECRET);
  const keys: SigningKey[] = secrets.map((secret) => ({ kid: kidFor(secret), secret }));
  // Said once the server is up, so that a failed start prints no key.
  const notes: string[] = [];
  if (keys.length === 0) {
    const secret = randomBytes(32);
    keys.push({ kid: kidFor(secret), secret });
    notes.push(
      "dcm run: DCM_JWT_SECRET is not set: signing tokens with a random key made for this run (tokens end with the process).",
    );
  }
  const { apiKeysFromEnv, MIN_API_KEY_LENGTH } = await import("../../runtime/server/api/index.js");
  let apiKeys = apiKeysFromEnv(process.env);
  // Said here in the shell's terms; the library's own check names generateApiKey().
  const weak = apiKeys.findIndex((k) => k.length < MIN_API_KEY_LENGTH || /\s/.test(k));
  if (weak >= 0) {
    const what = /\s/.test(apiKeys[weak]!) ? "contains whitespace" : `is shorter than ${MIN_API_KEY_LENGTH} characters`;
    io.err(
      `${formatDiagnostic(
        diag("DCM_API_CONFIG", `DCM_API_KEYS: key #${weak + 1} ${what}.`, {
          suggestion:
            "make a strong key in the shell: `export DCM_API_KEYS=$(npx dcm key)` (32 random bytes; several keys: comma-separated), or unset DCM_API_KEYS and `dcm run` makes one for the run",
        }),
      )}\n`,
    );
    return 1;
  }
  if (apiKeys.length === 0) {
    apiKeys = [`dcm_${randomBytes(24).toString("base64url")}`];
    notes.push(`dcm run: DCM_API_KEYS is not set: generated an API key for this run (shown once):\n  ${apiKeys[0]}`);
  }
  const origins = [...(values.origin ?? []), ...splitEnv(process.env.DCM_ALLOWED_ORIGINS)];

  let app: DcmServer;
  try {
    app = await createDcmServer({
      dist: resolve(positionals[0]!),
      auth: { keys },
      // The server's own origins are added once the port is known (below).
      allowedOrigins: origins,
      prefix: values.prefix ?? "/dcm",
      target,
      isolation,
      ...(memoryLimitMb ? { memoryLimitMb } : {}),
      ...(workers ? { workers } : {}),
      apiKeys,
      extensions: RUN_EXTENSIONS,
      logger: {
        info: (m) => io.err(`${m}\n`),
        warn: (m) => io.err(`warning: ${m}\n`),
        error: (m) => io.err(`error: ${m}\n`),
      },
    });
  } catch (e) {
    if (e instanceof Error && typeof (e as { code?: unknown }).code === "string") {
      const code = (e as unknown as { code: string }).code;
      io.err(`${code}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  // Signal handlers first: a signal that arrives while starting still shuts down cleanly.
  const stop = onStopSignals(signals, (sig) => `dcm run: ${sig} again: exiting now.`, (t) => io.err(t));

  const d = app.dcm.distributor;
  let address: string | null = null;
  try {
    address = await app.listen({ port, host });
  } catch (e) {
    io.err(`dcm run: cannot listen on ${host}:${port}: ${(e as Error).message}\n`);
  }
  if (address && !stop.requested()) {
    const actualPort = new URL(address).port;
    const self = [address, ...(host === "127.0.0.1" ? [`http://localhost:${actualPort}`] : [])];
    d.opts.allowedOrigins.push(...self.filter((o) => !d.opts.allowedOrigins.includes(o)));
    const prefix = app.dcm.prefix;
    io.out(`dcm run: serving ${app.dcm.distDir}\n`);
    io.out(`  page        ${address}/\n`);
    io.out(`  REST API    ${address}${prefix}/api (OpenAPI: ${address}${prefix}/api/openapi.json)\n`);
    io.out(`  WebSocket   ${address.replace(/^http/, "ws")}${prefix}/ws\n`);
    io.out(`  sessions    POST ${address}${prefix}/auth/session\n`);
    io.out(`  client      ${address}${prefix}/dist/manifest.json\n`);
    io.out(`  origins     ${d.opts.allowedOrigins.join(", ")}\n`);
    for (const n of notes) io.err(`${n}\n`);
    const where = d.opts.target === "native" ? `, plugins in ${d.opts.isolation === "process" ? "supervised processes" : "the server's threads"}` : "";
    io.out(`  workers     ${d.executerStats().workers} (${d.opts.target}${where})\n`);
  }

  const sig = address ? await stop.stopped : null;
  if (sig) io.err(`dcm run: ${sig}: shutting down…\n`);
  try {
    await app.close();
  } catch (e) {
    io.err(`dcm run: error while shutting down: ${(e as Error).message}\n`);
    stop.off();
    return 1;
  }
  stop.off();
  const stuck = d.executerStats().stuck;
  if (stuck > 0) {
    // Threads inside native code cannot be stopped, and Node waits for them at exit.
    // Re-raise the signal with no handler left: its default action ends the process at once.
    io.err(`dcm run: ${stuck} worker thread(s) are stuck in native fragment code; ending the process.\n`);
    process.kill(process.pid, sig ?? "SIGTERM");
    return 1;
  }
  if (!address) return 1;
  io.err("dcm run: stopped.\n");
  return 0;
}
