/**
 * Redis connections of the build service, and the one place that turns
 * "Redis is not there" into DCM_REDIS_UNAVAILABLE.
 *
 * Two kinds of connection, because they want opposite things while Redis is
 * down: a *request* connection (state store, queue producer) fails a command
 * at once (`enableOfflineQueue: false`, one retry) so that an HTTP request
 * gets a 503 instead of hanging; a *worker* connection (BullMQ's blocking
 * reads, the subscribers) waits and retries for ever (`maxRetriesPerRequest:
 * null`, which BullMQ requires). Both reconnect by themselves, with a backoff
 * capped at two seconds.
 *
 * Known limitations: one Redis server (no Cluster, no Sentinel); TLS only as
 * ioredis does it for `rediss://` URLs.
 */
import { Redis, type RedisOptions } from "ioredis";
import { DcmError, diag } from "../../../runtime/diagnostics/catalog.js";

export type RedisRole = "request" | "worker";

/** Checks `--redis`; throws DCM_REDIS_URL with what is wrong. */
export function parseRedisUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DcmError(diag("DCM_REDIS_URL", `\`${url}\` is not a URL.`));
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new DcmError(diag("DCM_REDIS_URL", `\`${url}\` has the scheme \`${u.protocol}\`; a Redis URL starts with redis:// or rediss://.`));
  }
  if (!u.hostname) throw new DcmError(diag("DCM_REDIS_URL", `\`${url}\` names no host.`));
  const db = u.pathname.replace(/^\//, "");
  if (db && !/^\d+$/.test(db)) {
    throw new DcmError(diag("DCM_REDIS_URL", `\`${url}\`: the path must be a database number (\`/0\`), not \`/${db}\`.`));
  }
  return u;
}

/** The ioredis options of one role (exported for BullMQ, which builds its own duplicates from them). */
export function redisOptions(role: RedisRole): RedisOptions {
  return {
    lazyConnect: true,
    // Capped backoff: a restarted Redis is found again within two seconds.
    retryStrategy: (times) => Math.min(times * 100, 2000),
    ...(role === "request"
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 10_000 }
      : { enableOfflineQueue: true, maxRetriesPerRequest: null }),
  };
}

/** A connected client. The first connect fails with DCM_REDIS_UNAVAILABLE (a service should not start against no Redis). */
export async function connectRedis(url: string, role: RedisRole): Promise<Redis> {
  parseRedisUrl(url);
  const client = new Redis(url, redisOptions(role));
  // ioredis emits `error` on every failed reconnect; without a listener Node would end the process.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    throw unavailable(url, e);
  }
  return client;
}

/** DCM_REDIS_UNAVAILABLE for a failed command or connect (the URL shown without its password). */
export function unavailable(url: string | undefined, cause: unknown): DcmError {
  const where = url ? ` at ${redactUrl(url)}` : "";
  const why = cause instanceof Error ? cause.message : String(cause);
  return new DcmError(diag("DCM_REDIS_UNAVAILABLE", `Redis${where} did not answer: ${why}`));
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

/** Is this error Redis being unreachable (as opposed to a reply error such as a wrong type)? */
export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e.name === "ReplyError") return false;
  return /connect|Connection|writeable|closed|ECONNREFUSED|ECONNRESET|EPIPE|timed? ?out|MaxRetriesPerRequest|offline/i.test(
    `${e.name} ${e.message}`,
  );
}

/** Runs one Redis operation; a connection failure becomes DCM_REDIS_UNAVAILABLE. */
export async function guard<T>(client: Redis, url: string | undefined, op: () => Promise<T>): Promise<T> {
  if (client.status !== "ready") throw unavailable(url, new Error(`the connection is ${client.status}`));
  try {
    return await op();
  } catch (e) {
    if (isConnectionError(e)) throw unavailable(url, e);
    throw e;
  }
}
