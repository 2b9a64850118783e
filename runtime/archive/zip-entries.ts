/**
 * Reads a .zip with yauzl (central directory, zip64, data descriptors;
 * lazyEntries, validateEntrySizes): every entry goes to the TreeWriter's
 * checks, its bytes are counted by the InflationMeter as they inflate (small
 * entries in one bounded call, see smallEntryBytes) and checked against the
 * CRC-32. Names
 * are decoded as UTF-8 (flag, Info-ZIP Unicode path, or valid UTF-8 bytes),
 * else CP437 (see entryName), without yauzl's clean-ups, so that a backslash or `..` reaches
 * our checks and is refused with its own code instead of being rewritten.
 * The file type comes from the Unix mode in the external attributes (zips
 * made on Unix: `zip -r -y`, yazl, Python); other zips have files and
 * folders (a trailing `/`) only, none executable.
 *
 * Limitations: only stored and deflated entries (what every packer writes
 * by default); encrypted entries are refused, never decrypted; zip has no
 * hard links.
 */
import { isUtf8 } from "node:buffer";
import type { Readable } from "node:stream";
import { crc32, inflateRawSync } from "node:zlib";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { ArchiveRefusal, refuse } from "./archive-refusal.js";
import { type ArchiveLimits, type RawEntry, SMALL_FILE_BYTES, type TreeWriter } from "./archive-tree.js";
import type { InflationMeter } from "./inflation-meter.js";

const MADE_BY_UNIX = new Set([3, 19]); // Unix, OS X (Darwin)
const S_IFMT = 0o170000;
// A Map, not an object literal: a formatter rewrote octal keys of an object literal into wrong decimals.
const TYPES = new Map<number, string>([
  [0o010000, "FIFO"],
  [0o020000, "CharacterDevice"],
  [0o060000, "BlockDevice"],
  [0o140000, "Socket"],
]);

function corrupt(err: unknown, entry?: string): never {
  if (err instanceof ArchiveRefusal) throw err;
  const message = (err as Error).message ?? String(err);
  if (/encrypt/i.test(message)) refuse("DCM_ARCHIVE_ENCRYPTED", "the zip uses encryption", entry);
  if (/unsupported compression method/i.test(message)) refuse("DCM_ARCHIVE_COMPRESSION", message, entry);
  refuse("DCM_ARCHIVE_CORRUPT", `not a valid zip: ${message}`, entry);
}

function rawEntry(entry: Entry, name: string): RawEntry {
  const unix = MADE_BY_UNIX.has(entry.versionMadeBy >> 8);
  // MS-DOS attributes (low byte) mark a folder with 0x10 where the name lacks the trailing `/`.
  const mode = unix ? entry.externalFileAttributes >>> 16 : entry.externalFileAttributes & 0x10 ? 0o040000 : 0;
  const fmt = mode & S_IFMT;
  const base = { name, executable: false, size: entry.uncompressedSize };
  if (fmt === 0o120000) return { ...base, kind: "symlink", typeName: "SymbolicLink" };
  if (fmt === 0o040000 || (fmt === 0 && name.endsWith("/"))) return { ...base, kind: "dir", typeName: "Directory" };
  if (fmt === 0o100000 || fmt === 0) {
    if (name.endsWith("/")) return { ...base, kind: "dir", typeName: "Directory" };
    return { ...base, kind: "file", typeName: "File", executable: (mode & 0o111) !== 0 };
  }
  return { ...base, kind: "special", typeName: TYPES.get(fmt) ?? `file of mode ${fmt.toString(8)}` };
}

/**
 * The entry's name. Info-ZIP's `zip` on Unix stores UTF-8 names without setting the UTF-8 flag; like its
 * `unzip` (and libarchive), a name that is valid UTF-8 is read as UTF-8, else as CP437 (the zip default).
 */
function entryName(entry: Entry): string {
  const flagged = (entry.generalPurposeBitFlag & 0x800) !== 0 || entry.extraFields.some((f) => f.id === 0x7075);
  if (!flagged && isUtf8(entry.fileNameRaw)) return entry.fileNameRaw.toString("utf8");
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
}

function nextEntry(zip: ZipFile): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off("entry", onEntry);
      zip.off("end", onEnd);
      zip.off("error", onError);
    };
    const onEntry = (e: Entry) => {
      cleanup();
      resolve(e);
    };
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    zip.on("entry", onEntry);
    zip.on("end", onEnd);
    zip.on("error", onError);
    zip.readEntry();
  });
}

async function openStream(zip: ZipFile, entry: Entry, name: string): Promise<Readable> {
  try {
    return await zip.openReadStreamPromise(entry);
  } catch (err) {
    corrupt(err, name);
  }
}

export async function readZip(
  data: Buffer,
  limits: ArchiveLimits,
  meter: InflationMeter,
  tree: TreeWriter,
): Promise<void> {
  let zip: ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(data, { lazyEntries: true, validateEntrySizes: true, decodeStrings: false });
  } catch (err) {
    corrupt(err);
  }
  try {
    if (zip.entryCount > limits.maxFiles)
      refuse(
        "DCM_ARCHIVE_TOO_MANY_FILES",
        `the zip's directory lists ${zip.entryCount} entries; the limit is ${limits.maxFiles}`,
      );
    for (;;) {
      let entry: Entry | undefined;
      try {
        entry = await nextEntry(zip);
      } catch (err) {
        corrupt(err);
      }
      if (!entry) break;
      const name = entryName(entry);
      if (entry.isEncrypted()) refuse("DCM_ARCHIVE_ENCRYPTED", "the entry is encrypted", name);
      const raw = rawEntry(entry, name);
      if (raw.kind === "symlink") {
        if (raw.size > limits.maxPathLength)
          refuse(
            "DCM_ARCHIVE_PATH_TOO_LONG",
            `the symbolic link's target is ${raw.size} bytes long; the limit is ${limits.maxPathLength}`,
            name,
          );
        raw.linkTarget = (await smallEntryBytes(zip, entry, data, meter, name)).toString("utf8");
        await tree.begin(raw);
        continue;
      }
      const sink = await tree.begin(raw);
      if (!sink) continue;
      if (raw.size <= SMALL_FILE_BYTES) {
        await sink.write(await smallEntryBytes(zip, entry, data, meter, name));
        await sink.end();
        continue;
      }
      const stream = await openStream(zip, entry, name);
      let crc = 0;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          meter.add(chunk.length, name);
          crc = crc32(chunk, crc);
          await sink.write(chunk);
        }
      } catch (err) {
        stream.destroy();
        corrupt(err, name);
      }
      if (crc !== entry.crc32)
        refuse("DCM_ARCHIVE_CORRUPT", "not a valid zip: the entry's CRC-32 does not match its data", name);
      await sink.end();
    }
  } finally {
    zip.close();
  }
}

/**
 * A small entry's bytes, straight from the archive's buffer: inflated in one call that stops past the
 * header's size (zlib's maxOutputLength), so not a byte more is ever inflated, then checked against
 * the header's size and CRC-32. Skips a stream per entry, which made zips slower to unpack than tars.
 */
async function smallEntryBytes(
  zip: ZipFile,
  entry: Entry,
  data: Buffer,
  meter: InflationMeter,
  name: string,
): Promise<Buffer> {
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
    refuse("DCM_ARCHIVE_COMPRESSION", `the entry uses compression method ${entry.compressionMethod}`, name);
  let start: number;
  try {
    start = (await zip.readLocalFileHeaderPromise(entry, { minimal: true })).fileDataStart;
  } catch (err) {
    corrupt(err, name);
  }
  if (start + entry.compressedSize > data.length)
    refuse("DCM_ARCHIVE_CORRUPT", "not a valid zip: the entry's data runs past the end of the archive", name);
  const stored = data.subarray(start, start + entry.compressedSize);
  let bytes: Buffer;
  try {
    bytes =
      entry.compressionMethod === 0
        ? stored
        : inflateRawSync(stored, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
  } catch (err) {
    refuse(
      "DCM_ARCHIVE_CORRUPT",
      `not a valid zip: the entry's deflate data is damaged or longer than its header says (${(err as Error).message})`,
      name,
    );
  }
  if (bytes.length !== entry.uncompressedSize)
    refuse(
      "DCM_ARCHIVE_CORRUPT",
      `not a valid zip: the entry holds ${bytes.length} bytes, its header says ${entry.uncompressedSize}`,
      name,
    );
  if (crc32(bytes) !== entry.crc32)
    refuse("DCM_ARCHIVE_CORRUPT", "not a valid zip: the entry's CRC-32 does not match its data", name);
  meter.add(bytes.length, name);
  return bytes;
}
