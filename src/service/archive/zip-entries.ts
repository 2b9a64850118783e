/**
 * Reads a .zip with yauzl (central directory, zip64, data descriptors;
 * lazyEntries, validateEntrySizes): every entry goes to the TreeWriter's
 * checks, its bytes are counted by the InflationMeter as they inflate. Names
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
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { ArchiveRefusal, refuse } from "./archive-refusal.js";
import type { ArchiveLimits, RawEntry, TreeWriter } from "./archive-tree.js";
import type { InflationMeter } from "./inflation-meter.js";

const MADE_BY_UNIX = new Set([3, 19]); // Unix, OS X (Darwin)
const S_IFMT = 0o170000;
const TYPES: Record<number, string> = {
  2401: "FIFO",
  4802: "CharacterDevice",
  14406: "BlockDevice",
  26411: "Socket",
};

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
  return { ...base, kind: "special", typeName: TYPES[fmt] ?? `file of mode ${fmt.toString(8)}` };
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
        raw.linkTarget = (
          await readAll(await openStream(zip, entry, name), meter, name, limits.maxPathLength)
        ).toString("utf8");
        await tree.begin(raw);
        continue;
      }
      const sink = await tree.begin(raw);
      if (!sink) continue;
      const stream = await openStream(zip, entry, name);
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          meter.add(chunk.length, name);
          await sink.write(chunk);
        }
      } catch (err) {
        stream.destroy();
        corrupt(err, name);
      }
      await sink.end();
    }
  } finally {
    zip.close();
  }
}

async function readAll(stream: Readable, meter: InflationMeter, name: string, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      meter.add(chunk.length, name);
      size += chunk.length;
      if (size > max) refuse("DCM_ARCHIVE_PATH_TOO_LONG", `the symbolic link's target is over ${max} bytes long`, name);
      parts.push(chunk);
    }
  } catch (err) {
    stream.destroy();
    corrupt(err, name);
  }
  return Buffer.concat(parts);
}
