/**
 * Reads a .tar.gz: zlib inflates (counted by the InflationMeter), node-tar's
 * Parser frames the tar (ustar, PAX and GNU long names, base-256 sizes) and
 * every entry goes to the TreeWriter's checks. The Parser runs synchronously
 * on each inflated chunk; its events are queued and handled (with awaited
 * writes) before the next chunk is pulled, so memory stays at one chunk plus
 * the Parser's own buffer, and a refusal stops inflating at once.
 *
 * The Parser would inflate a nested gzip (or zstd) stream by itself, outside
 * the meter: the first block must therefore be a tar header with a valid
 * checksum (or the zero block of an empty tar) before the Parser sees any
 * byte.
 *
 * Limitations: entries node-tar skips (GNU sparse files, GNU dump folders,
 * tape volume headers, unknown types) and PAX/GNU meta headers over
 * META_MAX_BYTES are refused, not read; a repository has none of them.
 */
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { ArchiveRefusal, refuse } from "./archive-refusal.js";
import type { FileSink, RawEntry, TreeWriter } from "./archive-tree.js";
import type { InflationMeter } from "./inflation-meter.js";

/** Largest PAX/GNU meta entry read (a 1024-byte path plus xattrs fits many times). */
export const META_MAX_BYTES = 64 * 1024;
const BLOCK = 512;
/** zlib's output chunk: 16 KiB by default, one thread-pool round trip each; 128 KiB takes an eighth of them. */
export const INFLATE_CHUNK = 128 * 1024;

type Event =
  | { t: "entry"; entry: ReadEntry }
  | { t: "ignored"; entry: ReadEntry }
  | { t: "data"; chunk: Buffer }
  | { t: "end" }
  | { t: "error"; error: Error };

function rawEntry(entry: ReadEntry): RawEntry {
  const type = entry.type;
  const kind: RawEntry["kind"] =
    type === "File" || type === "OldFile" || type === "ContiguousFile"
      ? "file"
      : type === "Directory"
        ? "dir"
        : type === "SymbolicLink"
          ? "symlink"
          : type === "Link"
            ? "hardlink"
            : "special";
  const e: RawEntry = {
    name: entry.path,
    kind,
    typeName: type,
    executable: ((entry.mode ?? 0) & 0o111) !== 0,
    size: entry.size ?? 0,
  };
  if (entry.linkpath !== undefined) e.linkTarget = entry.linkpath;
  return e;
}

/** True if `block` is a tar header with a valid checksum, or all zeros (an empty archive's end). */
export function looksLikeTar(block: Buffer): boolean {
  if (block.length < BLOCK) return false;
  if (block.subarray(0, BLOCK).every((b) => b === 0)) return true;
  const field = block
    .subarray(148, 156)
    .toString("latin1")
    .replace(/[\0 ]+$/, "")
    .trim();
  if (!/^[0-7]{1,7}$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === Number.parseInt(field, 8);
}

export async function readTarGz(data: Buffer, meter: InflationMeter, tree: TreeWriter): Promise<void> {
  if (data.length < 18 || data[0] !== 0x1f || data[1] !== 0x8b || data[2] !== 8)
    refuse("DCM_ARCHIVE_CORRUPT", "the upload does not start like a gzip stream (1f 8b 08)");
  const events: Event[] = [];
  const parser = new Parser({ strict: true, maxMetaEntrySize: META_MAX_BYTES, zstd: false, brotli: false });
  parser.on("entry", (entry: ReadEntry) => {
    events.push({ t: "entry", entry });
    entry.on("end", () => events.push({ t: "end" }));
    entry.on("data", (chunk: Buffer) => events.push({ t: "data", chunk }));
  });
  // node-tar skips unknown types (sparse files, tape volumes…) and over-large meta headers: refuse them instead.
  parser.on("ignoredEntry", (entry: ReadEntry) => events.push({ t: "ignored", entry }));
  parser.on("error", (error: Error) => events.push({ t: "error", error }));
  const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK });
  gunzip.end(data);
  let head: Buffer | undefined = Buffer.alloc(0);
  let sink: FileSink | undefined;
  let current: RawEntry | undefined;
  let emptyStart = false;
  const drain = async (): Promise<void> => {
    while (events.length > 0) {
      const ev = events.shift()!;
      if (ev.t === "error") {
        if (emptyStart && current === undefined) refuse("DCM_ARCHIVE_EMPTY", "the tar archive has no entry");
        const why = ev.error.message.replace(/^TAR_[A-Z_]+: /, "");
        refuse(
          "DCM_ARCHIVE_CORRUPT",
          `not a valid tar.gz: the tar inside is damaged or truncated (${why})`,
          current?.name,
        );
      } else if (ev.t === "ignored") {
        if (ev.entry.meta)
          refuse(
            "DCM_ARCHIVE_CORRUPT",
            `a ${ev.entry.type} header of ${ev.entry.size} bytes, over the ${META_MAX_BYTES} read (no packer writes one that size for a repository)`,
            ev.entry.path,
          );
        refuse("DCM_ARCHIVE_ENTRY_TYPE", `the entry is a ${ev.entry.type}, not a file, folder or link`, ev.entry.path);
      } else if (ev.t === "entry") {
        current = rawEntry(ev.entry);
        sink = await tree.begin(current);
      } else if (ev.t === "data") {
        if (sink) await sink.write(ev.chunk);
      } else {
        await sink?.end();
        sink = undefined;
      }
    }
  };
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      meter.add(chunk.length, current?.name);
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        if (head.length < BLOCK) continue;
        if (!looksLikeTar(head))
          refuse("DCM_ARCHIVE_NOT_TAR", "the gzip stream's first 512 bytes are not a tar header");
        emptyStart = head.subarray(0, BLOCK).every((b) => b === 0);
        parser.write(head);
        head = undefined;
      } else {
        parser.write(chunk);
      }
      await drain();
    }
    if (head !== undefined)
      refuse("DCM_ARCHIVE_NOT_TAR", `the gzip stream holds ${head.length} bytes, less than one tar header`);
    parser.end();
    await drain();
    if (sink) refuse("DCM_ARCHIVE_CORRUPT", "not a valid tar.gz: the tar ends inside an entry", current?.name);
  } catch (err) {
    gunzip.destroy();
    if (err instanceof ArchiveRefusal) throw err;
    if (
      (err as { code?: string }).code?.startsWith("Z_") ||
      /zlib|gzip|header check|unexpected end/i.test((err as Error).message)
    )
      refuse(
        "DCM_ARCHIVE_CORRUPT",
        `not a valid tar.gz: the gzip stream is damaged or truncated (${(err as Error).message})`,
      );
    throw err;
  }
}
