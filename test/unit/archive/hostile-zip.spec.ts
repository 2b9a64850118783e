/**
 * Hostile zip archives, written byte by byte (any name bytes, Unix modes in the external attributes,
 * flags, methods, sizes that lie): each is refused with its own DCM_ARCHIVE_* code, names the entry,
 * and leaves nothing behind (see hostile-tar.spec.ts).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, it } from "vitest";
import { type TarItem, tarGz, zipBytes } from "../../support/archive-builders.js";
import { type Case, refusedAndClean, tempDir } from "./archive-helpers.js";

const work = tempDir("hostile-zip");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ok: TarItem = { name: "README.md", data: "a repository\n" };

const ZIP_CASES: Case[] = [
  {
    title: "`..` segment",
    kind: "zip",
    bytes: () => zipBytes([{ name: "../sentinel/pwned", data: "x" }]),
    code: "DCM_ARCHIVE_UNSAFE_PATH",
    entry: "../sentinel/pwned",
  },
  {
    title: "absolute path",
    kind: "zip",
    bytes: (s) => zipBytes([{ name: join(s, "pwned"), data: "x" }]),
    code: "DCM_ARCHIVE_UNSAFE_PATH",
  },
  {
    title: "backslashes (yauzl would rewrite them)",
    kind: "zip",
    bytes: () => zipBytes([{ name: "..\\sentinel\\pwned", data: "x" }]),
    code: "DCM_ARCHIVE_UNSAFE_PATH",
  },
  {
    title: "NUL in a name",
    kind: "zip",
    bytes: () => zipBytes([{ name: "a\0b", data: "x" }]),
    code: "DCM_ARCHIVE_BAD_NAME",
  },
  {
    title: "duplicate entries",
    kind: "zip",
    bytes: () =>
      zipBytes([
        { name: "a", data: "x" },
        { name: "a", data: "y" },
      ]),
    code: "DCM_ARCHIVE_DUPLICATE",
  },
  {
    title: "symlink out (Unix mode in the attributes)",
    kind: "zip",
    bytes: () =>
      zipBytes([
        { name: "a", data: "x" },
        { name: "l", data: "../sentinel", mode: 0o120777 },
      ]),
    code: "DCM_ARCHIVE_SYMLINK_ESCAPE",
    entry: "l",
  },
  {
    title: "symlink, then a file through it",
    kind: "zip",
    bytes: () =>
      zipBytes([
        { name: "l", data: "../sentinel", mode: 0o120777 },
        { name: "l/pwned", data: "x", mode: 0o100644 },
      ]),
    code: "DCM_ARCHIVE_THROUGH_SYMLINK",
  },
  {
    title: "symlink target longer than maxPathLength",
    kind: "zip",
    bytes: () => zipBytes([{ name: "l", data: "a/".repeat(600), mode: 0o120777 }]),
    code: "DCM_ARCHIVE_PATH_TOO_LONG",
  },
  {
    title: "character device",
    kind: "zip",
    bytes: () => zipBytes([{ name: "tty", data: "", mode: 0o020644 }]),
    code: "DCM_ARCHIVE_ENTRY_TYPE",
    says: "CharacterDevice",
  },
  {
    title: "block device",
    kind: "zip",
    bytes: () => zipBytes([{ name: "sda", data: "", mode: 0o060644 }]),
    code: "DCM_ARCHIVE_ENTRY_TYPE",
    says: "BlockDevice",
  },
  {
    title: "socket",
    kind: "zip",
    bytes: () => zipBytes([{ name: "sock", data: "", mode: 0o140644 }]),
    code: "DCM_ARCHIVE_ENTRY_TYPE",
    says: "Socket",
  },
  {
    title: "FIFO",
    kind: "zip",
    bytes: () => zipBytes([{ name: "p", data: "", mode: 0o010644 }]),
    code: "DCM_ARCHIVE_ENTRY_TYPE",
    says: "FIFO",
  },
  {
    title: "encrypted entry",
    kind: "zip",
    bytes: () => zipBytes([{ name: "secret", data: "x".repeat(100), flags: 0x801 }]),
    code: "DCM_ARCHIVE_ENCRYPTED",
    entry: "secret",
  },
  {
    title: "unsupported compression (LZMA)",
    kind: "zip",
    bytes: () => zipBytes([{ name: "a", data: "x".repeat(100), method: 14 }]),
    code: "DCM_ARCHIVE_COMPRESSION",
  },
  {
    title: "header size that lies (smaller than the data)",
    kind: "zip",
    bytes: () => zipBytes([{ name: "a", data: "y".repeat(100_000), declaredSize: 10 }]),
    code: "DCM_ARCHIVE_CORRUPT",
  },
  {
    title: "CRC-32 that does not match (a small entry, inflated in one call)",
    kind: "zip",
    bytes: () => zipBytes([{ name: "a", data: "y".repeat(1000), crc: 1234 }]),
    code: "DCM_ARCHIVE_CORRUPT",
    entry: "a",
  },
  {
    title: "CRC-32 that does not match (a large entry, streamed)",
    kind: "zip",
    bytes: () => zipBytes([{ name: "big", data: Buffer.alloc(300 * 1024, 7), crc: 1234 }]),
    code: "DCM_ARCHIVE_CORRUPT",
    entry: "big",
  },
  {
    title: "header size that lies (larger than the data)",
    kind: "zip",
    bytes: () => zipBytes([{ name: "a", data: "y".repeat(1000), declaredSize: 5000 }]),
    code: "DCM_ARCHIVE_CORRUPT",
  },
  {
    title: "declared size over maxFileBytes",
    kind: "zip",
    bytes: () => zipBytes([{ name: "a", data: "y", declaredSize: 2 ** 31 }]),
    code: "DCM_ARCHIVE_FILE_TOO_LARGE",
  },
  {
    title: "more entries than maxFiles",
    kind: "zip",
    bytes: () => zipBytes(Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, data: "x" }))),
    code: "DCM_ARCHIVE_TOO_MANY_FILES",
    limits: { maxFiles: 10 },
  },
  {
    title: "more bytes than maxTotalBytes",
    kind: "zip",
    bytes: () => zipBytes(["a", "b", "c"].map((c) => ({ name: c, data: c.repeat(400) }))),
    code: "DCM_ARCHIVE_TOO_LARGE",
    limits: { maxTotalBytes: 1000 },
  },
  {
    title: "truncated",
    kind: "zip",
    bytes: () => {
      const z = zipBytes([{ name: "a", data: "x".repeat(1000) }]);
      return z.subarray(0, z.length - 30);
    },
    code: "DCM_ARCHIVE_CORRUPT",
  },
  {
    title: "local header magic, then garbage",
    kind: "zip",
    bytes: () => Buffer.concat([Buffer.from("PK\x03\x04"), Buffer.alloc(200, 0x33)]),
    code: "DCM_ARCHIVE_CORRUPT",
  },
  { title: "a tar.gz sent as zip", kind: "zip", bytes: () => tarGz([ok]), code: "DCM_ARCHIVE_KIND" },
];

describe("hostile zip archives are refused, nothing written", () => {
  for (const c of ZIP_CASES) it(c.title, () => refusedAndClean(work, c));
});
