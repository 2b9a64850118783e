/**
 * BuildStateStore for one `dcm serve` process: in memory, persisted under the
 * store's state/ folder so that a restarted service still answers for its
 * builds, and so that a build left `queued` or `running` by a service that
 * stopped (SIGKILL, a crash, a power cut) is marked `failed` with reason
 * `interrupted` when the next one starts: never silently lost.
 *
 *   state/<id>.json            the record (rewritten by rename on every change)
 *   state/<id>.events.ndjson   its events, one JSON line each, appended in order
 *
 * Memory holds a small index of every build (id, owner, createdAt, for the
 * pages of GET /dcm/builds) and the records and events of unfinished builds
 * and of the `cacheSize` most recently used finished ones; the rest are read
 * back from disk when asked for.
 *
 * Known limitations: one process per state folder (two `dcm serve` on one
 * --store would overwrite each other's records: use --redis for several
 * nodes); nothing expires from disk (remove state/ files by hand; the
 * artifacts stay in dists/).
 */
import { randomBytes } from "node:crypto";
import { appendFile, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BuildEvent, BuildRecord, BuildStateStore, NewBuildEvent } from "../service-types.js";

const ID = /^[0-9a-f]{24}$/;
const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

/** A new build id: 12 random bytes, hex. */
export function newBuildId(): string {
  return randomBytes(12).toString("hex");
}

interface Entry {
  record: BuildRecord;
  events: BuildEvent[];
}

export class FileBuildStateStore implements BuildStateStore {
  private readonly index = new Map<string, { owner: string; createdAt: string }>();
  /** Insertion order = least recently used first (finished builds only are evicted). */
  private readonly cache = new Map<string, Entry>();
  private readonly listeners = new Map<string, Set<(e: BuildEvent) => void>>();
  private readonly writes = new Map<string, Promise<void>>();

  private constructor(
    private readonly dir: string,
    private readonly cacheSize: number,
  ) {}

  /** Loads the index; builds a stopped service left unfinished become failed "interrupted". */
  static async open(dir: string, opts: { cacheSize?: number } = {}): Promise<FileBuildStateStore> {
    const s = new FileBuildStateStore(dir, opts.cacheSize ?? 500);
    for (const name of await readdir(dir)) {
      const m = /^([0-9a-f]{24})\.json$/.exec(name);
      if (!m) continue;
      const record = await s.readRecord(m[1]!);
      if (!record) continue;
      s.index.set(record.id, { owner: record.owner, createdAt: record.createdAt });
      if (!FINISHED.has(record.state)) {
        await s.update(record.id, { state: "failed", reason: "interrupted" });
        await s.append(record.id, { type: "state", state: "failed", reason: "interrupted" });
      }
    }
    return s;
  }

  private file(id: string, ext: string): string {
    return join(this.dir, `${id}${ext}`);
  }

  private async readRecord(id: string): Promise<BuildRecord | null> {
    const text = await readFile(this.file(id, ".json"), "utf8").catch(() => null);
    if (text === null) return null;
    try {
      return JSON.parse(text) as BuildRecord;
    } catch {
      return null; // a torn write of a record is impossible (rename), but a hand-edited one is skipped
    }
  }

  private async entry(id: string): Promise<Entry | null> {
    if (!ID.test(id) || !this.index.has(id)) return null;
    let e = this.cache.get(id);
    if (e) {
      this.cache.delete(id);
      this.cache.set(id, e);
      return e;
    }
    const record = await this.readRecord(id);
    if (!record) return null;
    const text = await readFile(this.file(id, ".events.ndjson"), "utf8").catch(() => "");
    const events = text
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as BuildEvent);
    e = { record, events };
    this.cache.set(id, e);
    this.evict();
    return e;
  }

  private evict(): void {
    if (this.cache.size <= this.cacheSize) return;
    for (const [id, e] of this.cache) {
      if (this.cache.size <= this.cacheSize) break;
      if (FINISHED.has(e.record.state)) this.cache.delete(id);
    }
  }

  /** Writes of one build, in order. */
  private queueWrite(id: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.writes.get(id) ?? Promise.resolve()).then(fn);
    const settled = next.catch(() => {});
    this.writes.set(id, settled);
    void settled.then(() => {
      if (this.writes.get(id) === settled) this.writes.delete(id);
    });
    return next;
  }

  private saveRecord(record: BuildRecord): Promise<void> {
    const text = JSON.stringify(record);
    return this.queueWrite(record.id, async () => {
      const tmp = this.file(record.id, `.json.tmp-${randomBytes(4).toString("hex")}`);
      await writeFile(tmp, text);
      await rename(tmp, this.file(record.id, ".json"));
    });
  }

  async create(record: BuildRecord): Promise<void> {
    if (!ID.test(record.id)) throw new TypeError(`build id ${record.id} is not 24 hex digits`);
    this.index.set(record.id, { owner: record.owner, createdAt: record.createdAt });
    this.cache.set(record.id, { record: { ...record }, events: [] });
    this.evict();
    await this.saveRecord(record);
  }

  async get(id: string): Promise<BuildRecord | null> {
    const e = await this.entry(id);
    return e ? { ...e.record } : null;
  }

  async activeByKey(key: string): Promise<string[]> {
    const out: string[] = [];
    for (const [id, e] of this.cache) if (e.record.key === key && !FINISHED.has(e.record.state)) out.push(id);
    return out;
  }

  async update(
    id: string,
    patch: Partial<Omit<BuildRecord, "id" | "key" | "owner" | "createdAt">>,
  ): Promise<BuildRecord | null> {
    const e = await this.entry(id);
    if (!e) return null;
    e.record = { ...e.record, ...patch, updatedAt: new Date().toISOString() };
    await this.saveRecord(e.record);
    return { ...e.record };
  }

  async append(id: string, event: NewBuildEvent): Promise<BuildEvent> {
    const e = await this.entry(id);
    if (!e) throw new TypeError(`no build ${id}`);
    const full = { ...event, seq: e.events.length + 1, at: new Date().toISOString() } as BuildEvent;
    e.events.push(full);
    const line = `${JSON.stringify(full)}\n`;
    await this.queueWrite(id, () => appendFile(this.file(id, ".events.ndjson"), line));
    for (const l of this.listeners.get(id) ?? []) l(full);
    return full;
  }

  async events(id: string, afterSeq: number): Promise<BuildEvent[]> {
    const e = await this.entry(id);
    return e ? e.events.filter((x) => x.seq > afterSeq) : [];
  }

  async subscribe(id: string, listener: (e: BuildEvent) => void): Promise<() => Promise<void>> {
    let set = this.listeners.get(id);
    if (!set) {
      set = new Set();
      this.listeners.set(id, set);
    }
    set.add(listener);
    return async () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(id) === set) this.listeners.delete(id);
    };
  }

  async listByOwner(
    owner: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: BuildRecord[]; next?: string }> {
    const mine = [...this.index]
      .filter(([, v]) => v.owner === owner)
      .map(([id, v]) => ({ id, at: v.createdAt }))
      .sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1));
    let from = 0;
    if (page.cursor) {
      const [at, id] = Buffer.from(page.cursor, "base64url").toString("utf8").split("|");
      // The first one after the cursor's position (robust to builds added since).
      from = mine.findIndex((x) => x.at < at! || (x.at === at && x.id < id!));
      if (from < 0) from = mine.length;
    }
    const slice = mine.slice(from, from + page.limit);
    const items: BuildRecord[] = [];
    for (const x of slice) {
      const r = await this.get(x.id);
      if (r) items.push(r);
    }
    const last = slice[slice.length - 1];
    const more = from + page.limit < mine.length && last;
    return { items, ...(more ? { next: Buffer.from(`${last.at}|${last.id}`).toString("base64url") } : {}) };
  }

  async close(): Promise<void> {
    await Promise.all([...this.writes.values()]);
    this.listeners.clear();
  }
}
