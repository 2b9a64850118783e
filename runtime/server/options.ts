/**
 * Options of the server Code Distributor, their defaults, and their checks.
 */
import { availableParallelism } from "node:os";
import type { Isolation } from "../abi/host-types.js";
import type { GlueResolver } from "../node/load-dist.js";
import type { AuthOptions } from "./auth.js";
import { DistributorError } from "./distributor-error.js";
import type { SessionRateLimit } from "./session-limits.js";

/** The subset of pino's (and console's) interface the distributor logs through. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface DistributorOptions {
  /** The dist folder written by `dcm build`. */
  dist: string;
  auth: AuthOptions;
  /** Exact origins (`https://app.example.com`) allowed to open the WebSocket and use the auth routes. `*` is refused. */
  allowedOrigins: string[];
  /** Accept requests without an Origin header (non-browser clients). Default false. */
  allowMissingOrigin?: boolean;
  /** A client with no connection for this long is forgotten (with its distribution). Default 10 min. */
  idleTimeoutMs?: number;
  /** The longest a fragment call may run; a call's own `timeoutMs` is capped at this. Default 30 s. */
  callTimeoutMs?: number;
  /** Larger messages get a DCM_MESSAGE_TOO_LARGE error; messages over 4× this close the connection (1009). Default 1 MiB. */
  maxMessageBytes?: number;
  /** Calls one client may have in flight. Default 256. */
  maxPendingCalls?: number;
  /** Worker threads of the Fragment Executer. Default os.availableParallelism(). */
  workers?: number;
  /** Calls of one client that may run at once; the others wait their turn (round-robin across clients). Default max(1, workers - 1). */
  maxRunningPerClient?: number;
  /** Calls of one client that may wait for a worker; more get DCM_TOO_MANY_CALLS. Default 256. */
  maxQueuedPerClient?: number;
  /** New sessions (POST <prefix>/auth/session) per client address: a token bucket. false turns it off. Default 20 at once, 60 per minute. */
  sessionRateLimit?: SessionRateLimit | false;
  /** Clients of anonymous sessions kept at once; at the cap the one idle the longest is forgotten. Default 10,000. */
  maxAnonymousClients?: number;
  /** URL prefix of the routes and the WebSocket. Default `/dcm`. */
  prefix?: string;
  /** Which server module runs the fragments: the native plugin (default) or the WASM module. */
  target?: "native" | "wasm";
  /** How long a connection without a token in its subprotocol header may take to send `hello`. Default 5 s. */
  helloTimeoutMs?: number;
  /** The server pings every client this often to measure round trips; a client silent for two intervals is dropped. 0 turns it off. Default 15 s. */
  pingIntervalMs?: number;
  /** How long a worker that is being replaced may take to stop before it counts as stuck. Default 1 s. */
  terminateGraceMs?: number;
  /**
   * Where native plugins run: "process" (default), a supervised child process
   * per executer worker that nothing a fragment does takes the server down
   * with; "thread", in the executer's worker threads (faster; trusted code
   * only: a fragment that exits or aborts ends the server).
   */
  isolation?: Isolation;
  /** Memory budget of each plugin process and JS heap limit of each worker thread, MiB; 0: no limit. Default 1024. */
  memoryLimitMb?: number;
  /** Bytes of module-level state the server keeps per client (docs/state-transfer.md); a call that would pass it fails with DCM_STATE_TOO_LARGE. Default 16 MiB. */
  maxStateBytesPerClient?: number;
  /** How long a move of a stateful group may take before it is abandoned (DCM_TRANSFER_TIMEOUT). Default 10 s. */
  transferTimeoutMs?: number;
  /** Finds the language glue of a module; default: the adapter registry of src/languages. */
  glue?: GlueResolver;
  logger?: Logger;
  /** Live redeploy: where uploaded dists (`PUT <prefix>/api/dist`) are unpacked. Default: a new folder in the OS temp folder, removed on close. */
  deployDir?: string;
}

export type ResolvedOptions = Required<Omit<DistributorOptions, "glue" | "logger" | "auth" | "sessionRateLimit" | "deployDir">> & {
  sessionRateLimit: SessionRateLimit | false;
  auth: AuthOptions;
  glue?: GlueResolver;
  logger: Logger;
  deployDir?: string;
};

const silent: Logger = { info() {}, warn() {}, error() {} };

export function normalizePrefix(p: string | undefined): string {
  const s = (p ?? "/dcm").trim();
  if (s === "" || s === "/") return "";
  const withSlash = s.startsWith("/") ? s : `/${s}`;
  return withSlash.replace(/\/+$/, "");
}

function positive(name: string, v: number | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new DistributorError(
      "DCM_SERVER_CONFIG",
      `${name} must be a ${allowZero ? "non-negative" : "positive"} number, got ${v}`,
    );
  }
  return v;
}

/** An exact origin (scheme://host[:port]) as browsers send it. */
export function normalizeOrigin(o: string): string {
  if (o.includes("*")) {
    throw new DistributorError(
      "DCM_SERVER_CONFIG",
      `allowedOrigins: wildcards are not allowed (${JSON.stringify(o)}); list exact origins`,
    );
  }
  let url: URL;
  try {
    url = new URL(o);
  } catch {
    throw new DistributorError(
      "DCM_SERVER_CONFIG",
      `allowedOrigins: ${JSON.stringify(o)} is not an origin like https://app.example.com`,
    );
  }
  if (url.origin === "null" || url.pathname !== "/" || url.search || url.hash || url.username) {
    throw new DistributorError(
      "DCM_SERVER_CONFIG",
      `allowedOrigins: ${JSON.stringify(o)} is not a bare origin (scheme://host[:port])`,
    );
  }
  return url.origin;
}

function sessionRateLimit(v: SessionRateLimit | false | undefined): SessionRateLimit | false {
  if (v === false) return false;
  if (v === undefined) return { burst: 20, perMinute: 60 };
  if (typeof v !== "object" || v === null)
    throw new DistributorError("DCM_SERVER_CONFIG", "sessionRateLimit must be { burst, perMinute } or false");
  return {
    burst: Math.floor(positive("sessionRateLimit.burst", v.burst, 20)),
    perMinute: positive("sessionRateLimit.perMinute", v.perMinute, 60),
  };
}

export function resolveOptions(o: DistributorOptions): ResolvedOptions {
  if (!o || typeof o.dist !== "string" || !o.dist)
    throw new DistributorError("DCM_SERVER_CONFIG", "dist: the dist folder is required");
  if (!o.auth)
    throw new DistributorError(
      "DCM_SERVER_CONFIG",
      "auth: signing keys (auth.keys) or a key set (auth.jwks) are required",
    );
  if (!Array.isArray(o.allowedOrigins))
    throw new DistributorError("DCM_SERVER_CONFIG", "allowedOrigins: a list of origins is required");
  const workers = Math.floor(positive("workers", o.workers, availableParallelism()));
  const target = o.target ?? "native";
  const isolation = o.isolation ?? "process";
  if (isolation !== "process" && isolation !== "thread")
    throw new DistributorError("DCM_SERVER_CONFIG", `isolation must be process or thread, got ${isolation}`);
  if (target !== "native" && target !== "wasm")
    throw new DistributorError("DCM_SERVER_CONFIG", `target must be native or wasm, got ${target}`);
  return {
    dist: o.dist,
    auth: o.auth,
    allowedOrigins: o.allowedOrigins.map(normalizeOrigin),
    allowMissingOrigin: o.allowMissingOrigin ?? false,
    idleTimeoutMs: positive("idleTimeoutMs", o.idleTimeoutMs, 10 * 60_000),
    callTimeoutMs: positive("callTimeoutMs", o.callTimeoutMs, 30_000),
    maxMessageBytes: Math.floor(positive("maxMessageBytes", o.maxMessageBytes, 1024 * 1024)),
    maxPendingCalls: Math.floor(positive("maxPendingCalls", o.maxPendingCalls, 256)),
    workers,
    maxRunningPerClient: Math.floor(positive("maxRunningPerClient", o.maxRunningPerClient, Math.max(1, workers - 1))),
    maxQueuedPerClient: Math.floor(positive("maxQueuedPerClient", o.maxQueuedPerClient, 256)),
    sessionRateLimit: sessionRateLimit(o.sessionRateLimit),
    maxAnonymousClients: Math.floor(positive("maxAnonymousClients", o.maxAnonymousClients, 10_000)),
    prefix: normalizePrefix(o.prefix),
    target,
    helloTimeoutMs: positive("helloTimeoutMs", o.helloTimeoutMs, 5000),
    pingIntervalMs: positive("pingIntervalMs", o.pingIntervalMs, 15_000, true),
    terminateGraceMs: positive("terminateGraceMs", o.terminateGraceMs, 1000),
    isolation,
    memoryLimitMb: Math.floor(positive("memoryLimitMb", o.memoryLimitMb, 1024, true)),
    maxStateBytesPerClient: Math.floor(positive("maxStateBytesPerClient", o.maxStateBytesPerClient, 16 * 1024 * 1024)),
    transferTimeoutMs: positive("transferTimeoutMs", o.transferTimeoutMs, 10_000),
    ...(o.glue ? { glue: o.glue } : {}),
    ...(o.deployDir ? { deployDir: o.deployDir } : {}),
    logger: o.logger ?? silent,
  };
}
