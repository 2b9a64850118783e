/**
 * Hostile tar.gz archives, built byte by byte (raw ustar headers, PAX and GNU long-name records,
 * links anywhere, any type): each is refused with its own DCM_ARCHIVE_* code (a DcmError, never
 * another exception), names the entry, and leaves nothing behind: the folder beside the destination
 * (the "sentinel", the first target of every escape) is untouched and the destination is gone.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, it } from "vitest";
import { type TarItem, tarBytes, tarGz, tarHeader, zipBytes } from "../../support/archive-builders.js";
import { type Case, refusedAndClean, tempDir } from "./archive-helpers.js";

const work = tempDir("hostile-tar");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const file = (name: string, data = "x\n"): TarItem => ({ name, data });
const ok = file("README.md", "a repository\n");

const TAR_CASES: Case[] = [
  {
    title: "`..` segment",
    kind: "tar.gz",
    bytes: () => tarGz([ok, file("../sentinel/pwned")]),
    code: "DCM_ARCHIVE_UNSAFE_PATH",
    entry: "../sentinel/pwned",
  },
  {
    title: "`..` inside a path",
    kind: "tar.gz",
    bytes: () => tarGz([file("src/../../sentinel/pwned")]),
    code: "DCM_ARCHIVE_UNSAFE_PATH",
  },
  {
    title: "absolute path",
    kind: "tar.gz",
    bytes: (s) => tarGz([file(join(s, "pwned"))]),
    code: "DCM_ARCHIVE_UNSAFE_PATH",
  },
  {
    title: "backslash",
    kind: "tar.gz",
    bytes: () => tarGz([file("..\\sentinel\\pwned")]),
    code: "DCM_ARCHIVE_UNSAFE_PATH",
  },
  { title: "drive letter", kind: "tar.gz", bytes: () => tarGz([file("C:/pwned")]), code: "DCM_ARCHIVE_UNSAFE_PATH" },
  {
    title: "PAX path with `..`",
    kind: "tar.gz",
    bytes: () => tarGz([{ name: "innocent", data: "x", pax: { path: "../sentinel/pwned" } }]),
    code: "DCM_ARCHIVE_UNSAFE_PATH",
    entry: "../sentinel/pwned",
  },
  {
    title: "GNU long name with `..`",
    kind: "tar.gz",
    bytes: () => {
      const long = Buffer.from(`../sentinel/${"x".repeat(120)}\0`);
      return gzipSync(
        Buffer.concat([
          tarHeader(Buffer.from("././@LongLink"), "L", long.length, 0o644),
          long,
          Buffer.alloc(512 - long.length),
          tarBytes([file("short")]),
        ]),
      );
    },
    code: "DCM_ARCHIVE_UNSAFE_PATH",
  },
  {
    title: "control character",
    kind: "tar.gz",
    bytes: () => tarGz([file("evil\u001b[2Jname")]),
    code: "DCM_ARCHIVE_BAD_NAME",
  },
  { title: "newline in a name", kind: "tar.gz", bytes: () => tarGz([file("a\nb")]), code: "DCM_ARCHIVE_BAD_NAME" },
  {
    title: "invalid UTF-8",
    kind: "tar.gz",
    bytes: () => tarGz([{ name: Buffer.from([0x61, 0xff, 0xfe]), data: "x" }]),
    code: "DCM_ARCHIVE_BAD_NAME",
  },
  {
    title: "name over maxPathLength",
    kind: "tar.gz",
    bytes: () => tarGz([file(`${"d/".repeat(600)}f`)]),
    code: "DCM_ARCHIVE_PATH_TOO_LONG",
  },
  {
    title: "segment over 255 bytes",
    kind: "tar.gz",
    bytes: () => tarGz([file(`src/${"n".repeat(256)}`)]),
    code: "DCM_ARCHIVE_PATH_TOO_LONG",
  },
  {
    title: "too deep",
    kind: "tar.gz",
    bytes: () => tarGz([file(`${"d/".repeat(70)}f`)]),
    code: "DCM_ARCHIVE_TOO_DEEP",
  },
  {
    title: "duplicate file",
    kind: "tar.gz",
    bytes: () => tarGz([file("a.go"), file("./a.go", "other")]),
    code: "DCM_ARCHIVE_DUPLICATE",
    entry: "./a.go",
  },
  {
    title: "file, then a folder of the same name",
    kind: "tar.gz",
    bytes: () => tarGz([file("a"), { name: "a/", type: "5" }]),
    code: "DCM_ARCHIVE_DUPLICATE",
  },
  {
    title: "file, then a file under it",
    kind: "tar.gz",
    bytes: () => tarGz([file("a"), file("a/b")]),
    code: "DCM_ARCHIVE_DUPLICATE",
  },
  {
    title: "absolute symlink",
    kind: "tar.gz",
    bytes: (s) => tarGz([ok, { name: "l", type: "2", linkname: s }]),
    code: "DCM_ARCHIVE_SYMLINK_ESCAPE",
    entry: "l",
  },
  {
    title: "symlink with `..` out",
    kind: "tar.gz",
    bytes: () => tarGz([ok, { name: "src/l", type: "2", linkname: "../../sentinel" }]),
    code: "DCM_ARCHIVE_SYMLINK_ESCAPE",
  },
  {
    title: "symlink chain out (each link alone stays inside)",
    kind: "tar.gz",
    bytes: () =>
      tarGz([ok, { name: "a/b", type: "2", linkname: ".." }, { name: "x", type: "2", linkname: "a/b/../sentinel" }]),
    code: "DCM_ARCHIVE_SYMLINK_ESCAPE",
    entry: "x",
  },
  {
    title: "symlink loop",
    kind: "tar.gz",
    bytes: () => tarGz([ok, { name: "a", type: "2", linkname: "b" }, { name: "b", type: "2", linkname: "a/x" }]),
    code: "DCM_ARCHIVE_SYMLINK_ESCAPE",
  },
  {
    title: "symlink out of the stripped top folder",
    kind: "tar.gz",
    bytes: () => tarGz([file("repo-1/README.md"), { name: "repo-1/l", type: "2", linkname: "../repo-1/README.md" }]),
    code: "DCM_ARCHIVE_SYMLINK_ESCAPE",
  },
  {
    title: "symlink, then a file written through it (the classic)",
    kind: "tar.gz",
    bytes: () => tarGz([ok, { name: "l", type: "2", linkname: "../sentinel" }, file("l/pwned")]),
    code: "DCM_ARCHIVE_THROUGH_SYMLINK",
    entry: "l/pwned",
  },
  {
    title: "symlink to a folder inside, then a file through it",
    kind: "tar.gz",
    bytes: () => tarGz([file("sub/a"), { name: "l", type: "2", linkname: "sub" }, file("l/b")]),
    code: "DCM_ARCHIVE_THROUGH_SYMLINK",
  },
  {
    title: "hard link out",
    kind: "tar.gz",
    bytes: () => tarGz([ok, { name: "h", type: "1", linkname: "../sentinel/keep.txt" }]),
    code: "DCM_ARCHIVE_HARDLINK",
    entry: "h",
  },
  {
    title: "absolute hard link",
    kind: "tar.gz",
    bytes: () => tarGz([ok, { name: "h", type: "1", linkname: "/etc/passwd" }]),
    code: "DCM_ARCHIVE_HARDLINK",
  },
  {
    title: "hard link to a missing entry",
    kind: "tar.gz",
    bytes: () => tarGz([ok, { name: "h", type: "1", linkname: "later" }, file("later")]),
    code: "DCM_ARCHIVE_HARDLINK",
  },
  {
    title: "hard link to a folder",
    kind: "tar.gz",
    bytes: () => tarGz([file("d/a"), { name: "h", type: "1", linkname: "d" }]),
    code: "DCM_ARCHIVE_HARDLINK",
  },
  {
    title: "hard link to a symlink",
    kind: "tar.gz",
    bytes: () => tarGz([ok, { name: "s", type: "2", linkname: "README.md" }, { name: "h", type: "1", linkname: "s" }]),
    code: "DCM_ARCHIVE_HARDLINK",
  },
  {
    title: "character device",
    kind: "tar.gz",
    bytes: () => tarGz([ok, { name: "tty", type: "3" }]),
    code: "DCM_ARCHIVE_ENTRY_TYPE",
    entry: "tty",
    says: "CharacterDevice",
  },
  {
    title: "block device",
    kind: "tar.gz",
    bytes: () => tarGz([ok, { name: "sda", type: "4" }]),
    code: "DCM_ARCHIVE_ENTRY_TYPE",
  },
  {
    title: "FIFO",
    kind: "tar.gz",
    bytes: () => tarGz([ok, { name: "fifo", type: "6" }]),
    code: "DCM_ARCHIVE_ENTRY_TYPE",
    says: "FIFO",
  },
  {
    title: "GNU sparse file",
    kind: "tar.gz",
    bytes: () => tarGz([ok, { name: "sparse", type: "S" }]),
    code: "DCM_ARCHIVE_ENTRY_TYPE",
  },
  {
    title: "more files than maxFiles",
    kind: "tar.gz",
    bytes: () => tarGz(Array.from({ length: 11 }, (_, i) => file(`f${i}`))),
    code: "DCM_ARCHIVE_TOO_MANY_FILES",
    limits: { maxFiles: 10 },
  },
  {
    title: "folders implied by paths count as entries (no million folders from a few files)",
    kind: "tar.gz",
    bytes: () => tarGz([file(`${"d/".repeat(30)}a`), file(`${"e/".repeat(30)}b`)]),
    code: "DCM_ARCHIVE_TOO_MANY_FILES",
    limits: { maxFiles: 40 },
  },
  {
    title: "more bytes than maxTotalBytes",
    kind: "tar.gz",
    bytes: () => tarGz([file("a", "a".repeat(400)), file("b", "b".repeat(400)), file("c", "c".repeat(400))]),
    code: "DCM_ARCHIVE_TOO_LARGE",
    limits: { maxTotalBytes: 1000 },
  },
  {
    title: "a file over maxFileBytes",
    kind: "tar.gz",
    bytes: () => tarGz([ok, file("big", "b".repeat(2000))]),
    code: "DCM_ARCHIVE_FILE_TOO_LARGE",
    entry: "big",
    limits: { maxFileBytes: 1000 },
  },
  {
    title: "hard links multiplying one file past maxTotalBytes",
    kind: "tar.gz",
    bytes: () => tarGz([file("a", "a".repeat(600)), { name: "h", type: "1", linkname: "a" }]),
    code: "DCM_ARCHIVE_TOO_LARGE",
    limits: { maxTotalBytes: 1000 },
  },
  {
    title: "gzip of text, not tar",
    kind: "tar.gz",
    bytes: () => gzipSync(Buffer.from("not a tar archive\n".repeat(100))),
    code: "DCM_ARCHIVE_NOT_TAR",
  },
  {
    title: "gzip of a few bytes",
    kind: "tar.gz",
    bytes: () => gzipSync(Buffer.from("hi")),
    code: "DCM_ARCHIVE_NOT_TAR",
  },
  {
    title: "gzip in gzip (node-tar would inflate it unmetered)",
    kind: "tar.gz",
    bytes: () => gzipSync(tarGz([ok])),
    code: "DCM_ARCHIVE_NOT_TAR",
  },
  {
    title: "truncated gzip",
    kind: "tar.gz",
    bytes: () => {
      const b = tarGz([ok, file("b", "0123456789".repeat(1000))]);
      return b.subarray(0, b.length >> 1);
    },
    code: "DCM_ARCHIVE_CORRUPT",
  },
  {
    title: "tar cut inside an entry",
    kind: "tar.gz",
    bytes: () => gzipSync(tarBytes([ok, file("b", "z".repeat(5000))], { end: false }).subarray(0, 3000)),
    code: "DCM_ARCHIVE_CORRUPT",
  },
  {
    title: "damaged header checksum",
    kind: "tar.gz",
    bytes: () => {
      const t = tarBytes([ok, file("b")]);
      t[1024 + 10] = 0x41;
      return gzipSync(t);
    },
    code: "DCM_ARCHIVE_CORRUPT",
  },
  {
    title: "gzip magic, then garbage",
    kind: "tar.gz",
    bytes: () => Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 0x5a)]),
    code: "DCM_ARCHIVE_CORRUPT",
  },
  {
    title: "folders only",
    kind: "tar.gz",
    bytes: () =>
      tarGz([
        { name: "a/", type: "5" },
        { name: "a/b/", type: "5" },
      ]),
    code: "DCM_ARCHIVE_EMPTY",
  },
  { title: "an empty tar", kind: "tar.gz", bytes: () => gzipSync(Buffer.alloc(10240)), code: "DCM_ARCHIVE_EMPTY" },
  {
    title: "a zip sent as tar.gz",
    kind: "tar.gz",
    bytes: () => zipBytes([{ name: "a", data: "x" }]),
    code: "DCM_ARCHIVE_KIND",
  },
];

describe("hostile tar.gz archives are refused, nothing written", () => {
  for (const c of TAR_CASES) it(c.title, () => refusedAndClean(work, c));
});
