/**
 * BuildStateStore in Redis: any `dcm serve` node and any `dcm worker` reads
 * and writes the same build records and event logs, so any node answers for
 * any build.
 *
 * Layout (prefix `dcm:` by default):
 *   build:<id>    hash, one JSON value per record field (an update writes only its fields, so the
 *                 worker's stage updates and a node's cancel never overwrite each other)
 *   events:<id>   list of event JSON; an event's seq is its position (1-based), given by a script
 *                 that appends and publishes in one step, so seqs are gap-free and ordered
 *   live:<id>     pub/sub channel of the build's new events
 *   owner:<o>     sorted set (all scores 0) of `<createdAt ms, 15 digits>:<id>`, so that reverse
 *                 lexical order is newest first and a member is a stable page cursor
 *   active:<key>  set of the ids of unfinished submissions of a build key
 * Every key expires `ttlSeconds` after the build's last change (default: 7 days); finishing a
 * build restarts the clock, so old finished builds and their events go away on their own.
 *
 * Known limitations: one Redis server (the scripts read keys they are not given, which Redis
 * Cluster forbids); an event log is not capped (a build that prints a lot stores every line
 * until it expires); owner sets are pruned lazily, when a page meets an expired build.
 */
import type { Redis } from "ioredis";
import type { BuildEvent, BuildRecord, BuildState, BuildStateStore, NewBuildEvent } from "../service-types.js";
import { connectRedis, guard, redisOptions } from "./redis-connection.js";
import { Redis as RedisClient } from "ioredis";

export interface RedisStateOptions {
  /** Key prefix shared by every node of one service (default `dcm:`). */
  prefix?: string;
  /** Seconds a build's keys live after its last change (default 7 days). */
  ttlSeconds?: number;
}

const FINISHED: ReadonlySet<BuildState> = new Set(["succeeded", "failed", "cancelled"]);
const DELETED = ""; // not valid JSON, so never a stored value: marks a field the patch removes

// KEYS: record, events. ARGV: ttl, active-set prefix, finished (1/0), then field/value pairs.
const UPDATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
for i = 4, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i]) else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
if ARGV[3] == '1' then
  local key = cjson.decode(redis.call('HGET', KEYS[1], 'key'))
  local id = cjson.decode(redis.call('HGET', KEYS[1], 'id'))
  redis.call('SREM', ARGV[2] .. key, id)
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
end
return redis.call('HGETALL', KEYS[1])
`;

// KEYS: events. ARGV: the event's JSON without its opening brace, channel, ttl.
const APPEND_SCRIPT = `
local seq = redis.call('LLEN', KEYS[1]) + 1
local ev = '{"seq":' .. seq .. ',' .. ARGV[1]
redis.call('RPUSH', KEYS[1], ev)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[2], ev)
return ev
`;

export class RedisBuildStateStore implements BuildStateStore {
  private subscriber: Redis | undefined;
  private subscriberReady: Promise<Redis> | undefined;
  private readonly listeners = new Map<string, Set<(e: BuildEvent) => void>>();
  private readonly prefix: string;
  private readonly ttl: number;

  private constructor(
    private readonly client: Redis,
    private readonly url: string,
    opts: RedisStateOptions,
  ) {
    this.prefix = opts.prefix ?? "dcm:";
    this.ttl = Math.max(1, Math.round(opts.ttlSeconds ?? 7 * 24 * 3600));
  }

  static async connect(url: string, opts: RedisStateOptions = {}): Promise<RedisBuildStateStore> {
    return new RedisBuildStateStore(await connectRedis(url, "request"), url, opts);
  }

  private k(kind: "build" | "events" | "live" | "owner" | "active", name: string): string {
    return `${this.prefix}${kind}:${name}`;
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    return guard(this.client, this.url, op);
  }

  async create(record: BuildRecord): Promise<void> {
    const fields = Object.entries(record).flatMap(([f, v]) => (v === undefined ? [] : [f, JSON.stringify(v)]));
    const member = `${String(Date.parse(record.createdAt)).padStart(15, "0")}:${record.id}`;
    const m = this.client
      .multi()
      .hset(this.k("build", record.id), ...fields)
      .expire(this.k("build", record.id), this.ttl)
      .zadd(this.k("owner", record.owner), 0, member)
      .expire(this.k("owner", record.owner), this.ttl);
    if (!FINISHED.has(record.state)) {
      m.sadd(this.k("active", record.key), record.id).expire(this.k("active", record.key), this.ttl);
    }
    await this.run(() => m.exec());
  }

  async get(id: string): Promise<BuildRecord | null> {
    return decodeRecord(await this.run(() => this.client.hgetall(this.k("build", id))));
  }

  async activeByKey(key: string): Promise<string[]> {
    const ids = await this.run(() => this.client.smembers(this.k("active", key)));
    if (!ids.length) return [];
    // A record that expired while unfinished (its service died) leaves its id behind: drop it.
    const alive = await this.run(() => this.client.pipeline(ids.map((id) => ["exists", this.k("build", id)])).exec());
    const gone = ids.filter((_, i) => alive?.[i]?.[1] === 0);
    if (gone.length) await this.run(() => this.client.srem(this.k("active", key), ...gone));
    return ids.filter((id) => !gone.includes(id)).sort();
  }

  async update(
    id: string,
    patch: Partial<Omit<BuildRecord, "id" | "key" | "owner" | "createdAt">>,
  ): Promise<BuildRecord | null> {
    const args: string[] = [];
    for (const [f, v] of Object.entries(patch)) {
      if (f === "id" || f === "key" || f === "owner" || f === "createdAt") continue;
      args.push(f, v === undefined ? DELETED : JSON.stringify(v));
    }
    const finished = patch.state !== undefined && FINISHED.has(patch.state) ? "1" : "0";
    const reply = (await this.run(() =>
      this.client.eval(
        UPDATE_SCRIPT,
        2,
        this.k("build", id),
        this.k("events", id),
        String(this.ttl),
        `${this.prefix}active:`,
        finished,
        ...args,
      ),
    )) as string[] | null;
    if (!reply) return null;
    const hash: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) hash[reply[i]!] = reply[i + 1]!;
    return decodeRecord(hash);
  }

  async append(id: string, event: NewBuildEvent): Promise<BuildEvent> {
    const { seq: _seq, at: _at, ...rest } = event as NewBuildEvent & { seq?: unknown; at?: unknown };
    const body = JSON.stringify({ ...rest, at: new Date().toISOString() });
    const json = (await this.run(() =>
      this.client.eval(APPEND_SCRIPT, 1, this.k("events", id), body.slice(1), this.k("live", id), String(this.ttl)),
    )) as string;
    return JSON.parse(json) as BuildEvent;
  }

  async events(id: string, afterSeq: number): Promise<BuildEvent[]> {
    const from = Math.max(0, Math.floor(afterSeq));
    const list = await this.run(() => this.client.lrange(this.k("events", id), from, -1));
    return list.map((s) => JSON.parse(s) as BuildEvent);
  }

  async subscribe(id: string, listener: (e: BuildEvent) => void): Promise<() => Promise<void>> {
    const sub = await this.subscriberConnection();
    const channel = this.k("live", id);
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await guard(sub, this.url, () => sub.subscribe(channel));
    }
    set.add(listener);
    return async () => {
      const s = this.listeners.get(channel);
      if (!s?.delete(listener) || s.size) return;
      this.listeners.delete(channel);
      if (sub.status === "ready") await sub.unsubscribe(channel).catch(() => {});
    };
  }

  async listByOwner(
    owner: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: BuildRecord[]; next?: string }> {
    const limit = Math.max(1, Math.floor(page.limit));
    const setKey = this.k("owner", owner);
    let max = page.cursor ? `(${Buffer.from(page.cursor, "base64url").toString("utf8")}` : "+";
    const items: BuildRecord[] = [];
    let last: string | undefined;
    let more = false;
    // Expired builds are skipped (and pruned), so a page may take a few rounds to fill.
    for (;;) {
      const members = await this.run(() => this.client.zrevrangebylex(setKey, max, "-", "LIMIT", 0, limit + 1));
      const batch = members.slice(0, limit - items.length);
      const hashes = await this.run(() =>
        this.client.pipeline(batch.map((m) => ["hgetall", this.k("build", m.slice(m.indexOf(":") + 1))])).exec(),
      );
      const gone: string[] = [];
      batch.forEach((m, i) => {
        const rec = decodeRecord(hashes?.[i]?.[1] as Record<string, string>);
        if (rec) items.push(rec);
        else gone.push(m);
        last = m;
      });
      if (gone.length) await this.run(() => this.client.zrem(setKey, ...gone));
      more = members.length > batch.length;
      if (items.length >= limit || !more) break;
      max = `(${last}`;
    }
    return more && last ? { items, next: Buffer.from(last, "utf8").toString("base64url") } : { items };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await Promise.all([this.client, this.subscriber].map((c) => c?.quit().catch(() => c.disconnect())));
  }

  /** One subscriber connection per store; ioredis subscribes again by itself after a reconnect. */
  private subscriberConnection(): Promise<Redis> {
    this.subscriberReady ??= (async () => {
      const sub = new RedisClient(this.url, redisOptions("worker"));
      sub.on("error", () => {});
      sub.on("message", (channel: string, message: string) => {
        const set = this.listeners.get(channel);
        if (!set) return;
        const e = JSON.parse(message) as BuildEvent;
        for (const l of set) l(e);
      });
      try {
        await guard(this.client, this.url, () => sub.connect());
      } catch (e) {
        sub.disconnect();
        throw e;
      }
      this.subscriber = sub;
      return sub;
    })();
    this.subscriberReady.catch(() => {
      this.subscriberReady = undefined;
    });
    return this.subscriberReady;
  }
}

function decodeRecord(hash: Record<string, string> | null | undefined): BuildRecord | null {
  if (!hash || !hash.id) return null;
  const rec: Record<string, unknown> = {};
  for (const [f, v] of Object.entries(hash)) rec[f] = JSON.parse(v);
  return rec as unknown as BuildRecord;
}
