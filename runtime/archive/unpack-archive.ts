/**
 * Unpacking an uploaded repository (.tar.gz or .zip) for the build service,
 * with a check on every entry: hostile archives are refused with a
 * DcmError (DCM_ARCHIVE_* code, the entry's name, a fix) before any build
 * runs, and nothing is ever written outside `dest`. On a refusal, what was
 * written in `dest` is removed (the folder too if this call created it).
 *
 * What is checked and why: runtime/archive/README.md. In short: names
 * (entry-names.ts), the tree (archive-tree.ts: duplicates, links, writes),
 * the bytes (inflation-meter.ts: counted while inflating), the formats
 * (tar-entries.ts, zip-entries.ts).
 *
 * treeHash: sha256 over the sorted files, one line each, `path\0mode\0sha256\n`
 * (mode `755` or `644`) or `path\0l\0target\n` for a symbolic link; folders,
 * times, owners and entry order do not count (archive-tree.ts).
 *
 * strippedPrefix: when everything sits in one top-level folder (GitHub's
 * `repo-<sha>/` archives, `tar czf x.tgz repo/`), that folder is stripped and
 * named here; paths (the CFD's `cfdPath` too) are relative to what remains.
 * Known limitation: a repository whose root holds a single folder and no file
 * is stripped too; pass `{ stripSingleFolder: false }` where that matters.
 */
import { lstat, mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { dcmError } from "../diagnostics/catalog.js";
import { ArchiveRefusal, refuse } from "./archive-refusal.js";
import { type ArchiveLimits, TreeWriter, type UnpackResult } from "./archive-tree.js";
import { InflationMeter } from "./inflation-meter.js";
import { readTarGz } from "./tar-entries.js";
import { readZip } from "./zip-entries.js";

export { ArchiveRefusal } from "./archive-refusal.js";
export type { ArchiveLimits, UnpackedFile, UnpackResult } from "./archive-tree.js";
export { treeHash } from "./archive-tree.js";

/**
 * The defaults, sized for the repositories dcm builds fragments of (a large Go or Rust application
 * with its tests and docs is a few thousand files and tens of MiB) with room to spare, while one
 * upload cannot fill a disk or hold a core for long:
 * - maxFiles 20 000 entries (files, folders and links, implied folders too: each costs an inode and a write);
 * - maxTotalBytes 512 MiB unpacked; maxFileBytes 64 MiB for one file (a source file that size is
 *   generated data; no compiler input needs more);
 * - maxRatio 200: source text compresses 3 to 10 times, a tar of many small files (mostly zero
 *   headers) up to about 50 times; a gzip of zeros is 1000 times (checked past 8 MiB inflated);
 * - maxPathLength 1024 bytes (a quarter of Linux's PATH_MAX, longer than any real source path),
 *   maxDepth 64 folders.
 */
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = Object.freeze({
  maxFiles: 20_000,
  maxTotalBytes: 512 * 1024 * 1024,
  maxFileBytes: 64 * 1024 * 1024,
  maxRatio: 200,
  maxPathLength: 1024,
  maxDepth: 64,
});

/** Bytes a tar may hold per entry beyond its file's own: header, PAX header, padding. */
const TAR_OVERHEAD_PER_ENTRY = 4096;

export interface UnpackOptions {
  /** Strip a single top-level folder that holds everything (default true). */
  stripSingleFolder?: boolean;
  /** Stops the unpack between entries (a cancelled build): what was written is removed, the signal's reason thrown. */
  signal?: AbortSignal;
}

/** The defaults with the caller's limits over them; an undefined limit keeps its default, a limit that is not a number ≥ 0 is a configuration error. */
export function archiveLimits(limits: Partial<ArchiveLimits> = {}): ArchiveLimits {
  const lim: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS };
  for (const key of Object.keys(DEFAULT_ARCHIVE_LIMITS) as (keyof ArchiveLimits)[]) {
    const v = limits[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || Number.isNaN(v) || v < 0)
      throw dcmError(
        "DCM_SERVER_CONFIG",
        `archive limit ${key} must be a number of 0 or more, not ${JSON.stringify(v)}`,
      );
    lim[key] = v;
  }
  return lim;
}

/** The archive kind by its first bytes (never by the upload's name), or null. */
export function archiveKindOf(head: Buffer): "tar.gz" | "zip" | null {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return "tar.gz";
  if (
    head.length >= 4 &&
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))
  )
    return "zip";
  return null;
}

export async function unpackArchive(
  data: Buffer,
  kind: "tar.gz" | "zip",
  dest: string,
  limits: Partial<ArchiveLimits> = {},
  options: UnpackOptions = {},
): Promise<UnpackResult> {
  const lim = archiveLimits(limits);
  checkKind(data, kind);
  const created = await prepareDest(dest);
  options.signal?.throwIfAborted();
  const tree = new TreeWriter(dest, lim, options.signal);
  try {
    await readEntries(data, kind, lim, tree);
    return await tree.finish(options.stripSingleFolder ?? true);
  } catch (err) {
    await tree.abort();
    await clean(dest, created);
    if (err instanceof ArchiveRefusal) throw err;
    // A failing write (disk full, permissions) is the service's problem, not the upload's.
    if (typeof (err as NodeJS.ErrnoException).syscall === "string")
      refuse("DCM_ARCHIVE_DEST", `writing into ${dest} failed: ${(err as Error).message}`);
    throw err;
  }
}

export interface CheckOptions extends UnpackOptions {
  /** Paths (relative to the stripped top folder, if any) whose bytes are returned in `kept`; each at most 1 MiB. */
  keep?: string[];
}

/** A kept file larger than this is not held (a CFD is a few KiB). */
const KEEP_MAX_BYTES = 1024 * 1024;

/**
 * Every check of unpackArchive and the same result (files, treeHash,
 * strippedPrefix), without writing anything: the service answers a
 * submission after this, and the build's own unpack (with the same checks)
 * happens in the queue. `kept` holds the files `keep` names.
 */
export async function checkArchive(
  data: Buffer,
  kind: "tar.gz" | "zip",
  limits: Partial<ArchiveLimits> = {},
  options: CheckOptions = {},
): Promise<UnpackResult & { kept: Map<string, Buffer> }> {
  const lim = archiveLimits(limits);
  checkKind(data, kind);
  const wanted = new Set(options.keep ?? []);
  // The top folder is known only at the end: keep a wanted path at the root and one folder down.
  const keep = (key: string, size: number) =>
    size <= KEEP_MAX_BYTES && (wanted.has(key) || wanted.has(key.slice(key.indexOf("/") + 1)));
  const tree = new TreeWriter(null, lim, options.signal, wanted.size > 0 ? keep : undefined);
  await readEntries(data, kind, lim, tree);
  const result = await tree.finish(options.stripSingleFolder ?? true);
  const kept = new Map([...(result.kept ?? [])].filter(([path]) => wanted.has(path)));
  return { ...result, kept };
}

function checkKind(data: Buffer, kind: "tar.gz" | "zip"): void {
  const actual = archiveKindOf(data);
  if (kind === "tar.gz" && actual !== "tar.gz")
    refuse(
      "DCM_ARCHIVE_KIND",
      `the upload was sent as a tar.gz but does not start like gzip (it ${actual ? `looks like a ${actual}` : "is neither gzip nor zip"})`,
    );
  if (kind === "zip" && actual === "tar.gz")
    refuse("DCM_ARCHIVE_KIND", "the upload was sent as a zip but is a gzip stream (a tar.gz?)");
}

async function readEntries(data: Buffer, kind: "tar.gz" | "zip", lim: ArchiveLimits, tree: TreeWriter): Promise<void> {
  if (kind === "tar.gz") {
    const meter = new InflationMeter(
      data.length,
      lim.maxRatio,
      lim.maxTotalBytes + lim.maxFiles * TAR_OVERHEAD_PER_ENTRY + 1024 * 1024,
      lim.maxTotalBytes,
    );
    await readTarGz(data, meter, tree);
  } else {
    const meter = new InflationMeter(
      data.length,
      lim.maxRatio,
      lim.maxTotalBytes + lim.maxFiles * lim.maxPathLength,
      lim.maxTotalBytes,
    );
    await readZip(data, lim, meter, tree);
  }
}

/** Makes sure `dest` is a new or empty real folder; true if this call created it. */
async function prepareDest(dest: string): Promise<boolean> {
  try {
    const st = await lstat(dest);
    if (!st.isDirectory()) refuse("DCM_ARCHIVE_DEST", `${dest} exists and is not a folder (or is a symbolic link)`);
    if ((await readdir(dest)).length > 0) refuse("DCM_ARCHIVE_DEST", `${dest} is not empty`);
    return false;
  } catch (err) {
    if (err instanceof ArchiveRefusal) throw err;
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      refuse("DCM_ARCHIVE_DEST", `${dest} cannot be read: ${(err as Error).message}`);
  }
  try {
    await mkdir(dest, { recursive: true });
  } catch (err) {
    refuse("DCM_ARCHIVE_DEST", `${dest} cannot be created: ${(err as Error).message}`);
  }
  return true;
}

/** Removes what this call wrote: `dest` itself if it created it, else everything in it (it was empty). */
async function clean(dest: string, created: boolean): Promise<void> {
  if (created) {
    await rm(dest, { recursive: true, force: true });
    return;
  }
  for (const name of await readdir(dest).catch(() => [] as string[]))
    await rm(join(dest, name), { recursive: true, force: true });
}
