/**
 * The parse cache across runs: an adapter's persistable values
 * (ParseCache.set with `persist`, e.g. the Go adapter's file summaries, keyed
 * by content hash) kept as one small JSON file per key under
 * `<cache folder>/parses/<code id>/<language>/`, read on demand, so that a
 * `dcm analyze` whose files did not change parses nothing and loads no
 * tree-sitter. The code id names the dcm build that wrote the files (a hash
 * of its sources and dependencies): another build never reads them.
 *
 * Robust by construction: a file that does not parse, has another format
 * version or names another key is a miss (the value is computed again and the
 * file rewritten); writes go to a temporary file renamed into place, so a
 * concurrent run reads the old or the new file, never half of one; a cache
 * folder that cannot be written costs the speed-up, never the analysis.
 * Bounded: past MAX_ENTRIES files per language the least recently used are
 * deleted, and the folders of other code ids are deleted but for the newest.
 *
 * Known limitations: "recently used" is the file's mtime, refreshed at most
 * once a day per file; pruning lists the language's folder after a run that
 * wrote new entries.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ParseCache } from "../languages/adapter-types.js";

/** The file format; part of every file (a mismatch is a miss). */
export const STORE_FORMAT = 1;
export const MAX_ENTRIES = 4096;
/** Folders of other dcm builds kept besides the current one. */
const OTHER_BUILDS_KEPT = 1;
const DAY_MS = 24 * 60 * 60 * 1000;

interface StoredFile {
  v: number;
  key: string;
  value: unknown;
}

export interface StoreStats {
  /** Values read from disk. */
  hits: number;
  /** Files that were present but unusable (corrupt, other format, other key). */
  rejected: number;
  /** Files written by the last flush. */
  written: number;
}

/**
 * One language's persisted values over the process-wide in-memory cache
 * `memory` (shared by every analysis of the process, persisted or not).
 */
export class PersistentParseCache implements ParseCache {
  readonly stats: StoreStats = { hits: 0, rejected: 0, written: 0 };
  /** The JSON text each persisted key had on disk (to write only what changed). */
  private readonly onDisk = new Map<string, string>();
  /** Keys to write on flush(): set with `persist`, or read from disk this run. */
  private readonly persisted = new Set<string>();
  /** Keys read from disk whose file is older than a day (its mtime marks it used). */
  private readonly stale = new Set<string>();

  constructor(
    /** `<cache>/parses/<code id>/<language>`. */
    readonly dir: string,
    private readonly memory: Map<string, unknown> = new Map(),
  ) {}

  get(key: string): unknown {
    if (this.memory.has(key)) return this.memory.get(key);
    const text = readOrNull(this.fileOf(key));
    if (text === null) return undefined;
    const stored = parseStored(text, key);
    if (stored === undefined) {
      this.stats.rejected++;
      return undefined;
    }
    this.stats.hits++;
    this.memory.set(key, stored.value);
    this.onDisk.set(key, text);
    this.persisted.add(key);
    this.stale.add(key);
    return stored.value;
  }

  set(key: string, value: unknown, opts?: { persist?: boolean }): void {
    this.memory.set(key, value);
    if (opts?.persist) this.persisted.add(key);
  }

  /** Writes the persisted values that are new or changed since they were read, then prunes. Never throws. */
  async flush(): Promise<void> {
    this.stats.written = 0;
    const writes: Array<[string, string]> = [];
    for (const key of this.persisted) {
      const text = JSON.stringify({ v: STORE_FORMAT, key, value: this.memory.get(key) } satisfies StoredFile);
      if (this.onDisk.get(key) === text) continue;
      writes.push([key, text]);
      this.stale.delete(key);
    }
    try {
      if (writes.length > 0) {
        await mkdir(this.dir, { recursive: true });
        for (const [key, text] of writes) {
          const file = this.fileOf(key);
          const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
          await writeFile(tmp, text);
          await rename(tmp, file);
          this.onDisk.set(key, text);
          this.stats.written++;
        }
        await prune(this.dir, MAX_ENTRIES);
      }
      await this.markUsed();
    } catch {
      // A read-only or full cache folder: the next run parses again.
    }
  }

  /** Refreshes the mtime of entries this run read (at most once a day per file): pruning keeps them. */
  private async markUsed(): Promise<void> {
    const now = Date.now();
    for (const key of this.stale) {
      const file = this.fileOf(key);
      const st = await stat(file).catch(() => null);
      if (st && now - st.mtimeMs > DAY_MS) await utimes(file, new Date(now), new Date(now)).catch(() => {});
    }
    this.stale.clear();
  }

  private fileOf(key: string): string {
    return join(this.dir, `${createHash("sha256").update(key).digest("hex").slice(0, 40)}.json`);
  }
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function parseStored(text: string, key: string): StoredFile | undefined {
  try {
    const s = JSON.parse(text) as Partial<StoredFile> | null;
    if (!s || typeof s !== "object" || s.v !== STORE_FORMAT || s.key !== key || !("value" in s)) return undefined;
    return s as StoredFile;
  } catch {
    return undefined;
  }
}

/** Deletes the least recently used entries (and stray temporary files) beyond `max`, down to 3/4 of it. */
export async function prune(dir: string, max: number): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const entries = names.filter((n) => n.endsWith(".json"));
  for (const n of names) if (n.endsWith(".tmp")) await rmOld(join(dir, n));
  if (entries.length <= max) return;
  const dated = await Promise.all(
    entries.map(async (n) => ({ file: join(dir, n), mtime: (await stat(join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })),
  );
  dated.sort((a, b) => a.mtime - b.mtime);
  for (const { file } of dated.slice(0, entries.length - Math.floor((max * 3) / 4))) await rm(file, { force: true });
}

/** A temporary file left by a run that died (older than a minute; a live run renames its own at once). */
async function rmOld(file: string): Promise<void> {
  const st = await stat(file).catch(() => null);
  if (st && Date.now() - st.mtimeMs > 60_000) await rm(file, { force: true });
}

/**
 * Deletes the folders of other dcm builds under `<cache>/parses`, keeping the
 * `OTHER_BUILDS_KEPT` most recently written besides `current`. Sync and
 * cheap (one readdir); called once per process, when a build's folder is
 * first used.
 */
export function pruneOtherBuilds(parsesDir: string, current: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(parsesDir).filter((n) => n !== current);
  } catch {
    return Promise.resolve();
  }
  if (names.length <= OTHER_BUILDS_KEPT) return Promise.resolve();
  return (async () => {
    const dated = await Promise.all(
      names.map(async (n) => ({ dir: join(parsesDir, n), mtime: (await stat(join(parsesDir, n)).catch(() => null))?.mtimeMs ?? 0 })),
    );
    dated.sort((a, b) => b.mtime - a.mtime);
    for (const { dir } of dated.slice(OTHER_BUILDS_KEPT)) await rm(dir, { recursive: true, force: true }).catch(() => {});
  })();
}
