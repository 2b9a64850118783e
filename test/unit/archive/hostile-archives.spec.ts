/**
 * Hostile archives, built byte by byte in the test: each is refused with its own DCM_ARCHIVE_* code
 * (a DcmError, never another exception), names the entry, and leaves nothing behind: the folder
 * beside the destination (the "sentinel", the first target of every escape) is untouched and the
 * destination is gone (it did not exist before).
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createGzip, gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import type { ArchiveRefusal } from "../../../src/service/archive/archive-refusal.js";
import { RATIO_FLOOR_BYTES } from "../../../src/service/archive/inflation-meter.js";
import {
  type ArchiveLimits,
  DEFAULT_ARCHIVE_LIMITS,
  unpackArchive,
} from "../../../src/service/archive/unpack-archive.js";
import { type TarItem, tarBytes, tarGz, tarHeader, zipBytes } from "../../support/archive-builders.js";
import { allPaths, expectRefusal, tempDir } from "./archive-helpers.js";

const work = tempDir("hostile");
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A fresh folder holding `sentinel/keep.txt`; the destination is `<it>/dest` (not created). */
function stage(): { dir: string; dest: string; sentinel: string } {
  const dir = join(work, `case-${++n}`);
  mkdirSync(join(dir, "sentinel"), { recursive: true });
  writeFileSync(join(dir, "sentinel", "keep.txt"), "keep\n");
  return { dir, dest: join(dir, "dest"), sentinel: join(dir, "sentinel") };
}

function expectUntouched(dir: string): void {
  expect(allPaths(dir)).toEqual(["sentinel", "sentinel/keep.txt"]);
  expect(readFileSync(join(dir, "sentinel", "keep.txt"), "utf8")).toBe("keep\n");
}

interface Case {
  title: string;
  kind: "tar.gz" | "zip";
  bytes: (sentinel: string) => Buffer;
  code: string;
  /** The entry named in the refusal (checked in the message too). */
  entry?: string;
  limits?: Partial<ArchiveLimits>;
}

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
  },
  {
    title: "FIFO",
    kind: "zip",
    bytes: () => zipBytes([{ name: "p", data: "", mode: 0o010644 }]),
    code: "DCM_ARCHIVE_ENTRY_TYPE",
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

async function refusedAndClean(c: Case): Promise<void> {
  const { dir, dest, sentinel } = stage();
  const err = await expectRefusal(unpackArchive(c.bytes(sentinel), c.kind, dest, c.limits), c.code);
  if (c.entry !== undefined) {
    expect((err as ArchiveRefusal).entry).toBe(c.entry);
    expect(err.message).toContain(JSON.stringify(c.entry));
  }
  expectUntouched(dir);
}

describe("hostile tar.gz archives are refused, nothing written", () => {
  for (const c of TAR_CASES) it(c.title, () => refusedAndClean(c));
});

describe("hostile zip archives are refused, nothing written", () => {
  for (const c of ZIP_CASES) it(c.title, () => refusedAndClean(c));
});

/** A tar.gz of `count` files of `size` zeros each, compressed as it is generated (never held in memory). */
async function gzipBombOfZeros(count: number, size: number): Promise<Buffer> {
  async function* tarStream() {
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < count; i++) {
      yield tarHeader(Buffer.from(`zeros-${i}.bin`), "0", size, 0o644);
      for (let left = size; left > 0; left -= chunk.length)
        yield left >= chunk.length ? chunk : chunk.subarray(0, left);
      yield Buffer.alloc((512 - (size % 512)) % 512);
    }
    yield Buffer.alloc(1024);
  }
  const parts: Buffer[] = [];
  for await (const c of Readable.from(tarStream()).pipe(createGzip({ level: 9 })) as AsyncIterable<Buffer>)
    parts.push(c);
  return Buffer.concat(parts);
}

describe("compression bombs stop while inflating", () => {
  it("a real gzip bomb (256 MiB of zeros in files under the per-file limit) is refused by ratio, after inflating ratio × size at most", async () => {
    const bomb = await gzipBombOfZeros(4, 64 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(512 * 1024);
    const { dir, dest } = stage();
    const err = await expectRefusal(unpackArchive(bomb, "tar.gz", dest), "DCM_ARCHIVE_RATIO");
    const inflated = Number(/inflate to more than (\d+) bytes/.exec(err.message)![1]);
    const bound = Math.max(RATIO_FLOOR_BYTES, DEFAULT_ARCHIVE_LIMITS.maxRatio * bomb.length);
    expect(inflated).toBeGreaterThan(bound);
    expect(inflated).toBeLessThanOrEqual(bound + 64 * 1024);
    expectUntouched(dir);
  });

  it("a file whose header says 1 GiB is refused by that size before it inflates", async () => {
    const bomb = gzipSync(
      Buffer.concat([tarHeader(Buffer.from("zeros.bin"), "0", 1024 * 1024 * 1024, 0o644), Buffer.alloc(1024 * 1024)]),
    );
    const { dir, dest } = stage();
    await expectRefusal(unpackArchive(bomb, "tar.gz", dest), "DCM_ARCHIVE_FILE_TOO_LARGE");
    expectUntouched(dir);
  });

  it("a zip whose entries share one compressed stream (overlapping-entry bomb) is refused by ratio", async () => {
    const aliases = Array.from({ length: 200 }, (_, i) => `copy-${i}.bin`);
    const bomb = zipBytes([{ name: "zeros.bin", data: Buffer.alloc(8 * 1024 * 1024), aliases }]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const { dir, dest } = stage();
    await expectRefusal(unpackArchive(bomb, "zip", dest), "DCM_ARCHIVE_RATIO");
    expectUntouched(dir);
  });

  it("with the ratio raised, a bomb stops at maxTotalBytes", async () => {
    const bomb = await gzipBombOfZeros(8, 4 * 1024 * 1024);
    const { dir, dest } = stage();
    await expectRefusal(
      unpackArchive(bomb, "tar.gz", dest, { maxRatio: 1e9, maxTotalBytes: 10 * 1024 * 1024 }),
      "DCM_ARCHIVE_TOO_LARGE",
    );
    expectUntouched(dir);
  });
});

describe("what is contained rather than refused", () => {
  it("setuid, setgid, sticky and odd modes become 644 or 755; owners are not kept", async () => {
    const { dest } = stage();
    const archive = tarGz([
      { name: "suid", data: "x", mode: 0o4755 },
      { name: "sgid", data: "x", mode: 0o2711 },
      { name: "world", data: "x", mode: 0o666 },
      { name: "none", data: "x", mode: 0o000 },
    ]);
    const result = await unpackArchive(archive, "tar.gz", dest);
    const mode = (p: string) => statSync(join(dest, p)).mode & 0o7777;
    expect([mode("suid"), mode("sgid"), mode("world"), mode("none")]).toEqual([0o755, 0o755, 0o644, 0o644]);
    expect(result.files.map((f) => [f.path, f.executable])).toEqual([
      ["none", false],
      ["sgid", true],
      ["suid", true],
      ["world", false],
    ]);
  });

  it("symlinks inside (also chained, dangling, to folders) are created as links, after the files", async () => {
    const { dest } = stage();
    const archive = tarGz([
      { name: "a/l1", type: "2", linkname: "../b/l2" },
      { name: "b/l2", type: "2", linkname: "../target.txt" },
      file("target.txt", "t\n"),
      { name: "dangling", type: "2", linkname: "not/there" },
      { name: "dir-link", type: "2", linkname: "a" },
    ]);
    const result = await unpackArchive(archive, "tar.gz", dest);
    expect(readFileSync(join(dest, "a/l1"), "utf8")).toBe("t\n");
    expect(lstatSync(join(dest, "dangling")).isSymbolicLink()).toBe(true);
    expect(result.files.filter((f) => f.symlink).map((f) => f.path)).toEqual(["a/l1", "b/l2", "dangling", "dir-link"]);
  });

  it("a zip made on Windows (no Unix mode) gives plain files and folders", async () => {
    const { dest } = stage();
    const result = await unpackArchive(
      zipBytes([{ name: "src/" }, { name: "src/a.go", data: "package a\n" }]),
      "zip",
      dest,
    );
    expect(result.files).toEqual([
      { path: "a.go", size: 10, sha256: createHash("sha256").update("package a\n").digest("hex"), executable: false },
    ]);
    expect(result.strippedPrefix).toBe("src");
  });

  it("stripping can be turned off", async () => {
    const { dest } = stage();
    const result = await unpackArchive(tarGz([file("src/a.go")]), "tar.gz", dest, {}, { stripSingleFolder: false });
    expect(result.strippedPrefix).toBeUndefined();
    expect(result.files.map((f) => f.path)).toEqual(["src/a.go"]);
  });
});

describe("the destination", () => {
  it("a folder that is not empty is refused and left as it was", async () => {
    const { dir } = stage();
    await expectRefusal(unpackArchive(tarGz([ok]), "tar.gz", join(dir, "sentinel")), "DCM_ARCHIVE_DEST");
    expectUntouched(dir);
  });

  it("a symbolic link is refused (even to an empty folder)", async () => {
    const { dir } = stage();
    mkdirSync(join(dir, "empty"));
    symlinkSync("empty", join(dir, "link"));
    await expectRefusal(unpackArchive(tarGz([ok]), "tar.gz", join(dir, "link")), "DCM_ARCHIVE_DEST");
    expect(allPaths(join(dir, "empty"))).toEqual([]);
  });

  it("an empty folder given by the caller stays, emptied again, after a refusal", async () => {
    const { dir } = stage();
    const dest = join(dir, "given");
    mkdirSync(dest);
    await expectRefusal(
      unpackArchive(tarGz([ok, file("sub/a"), file("../x")]), "tar.gz", dest),
      "DCM_ARCHIVE_UNSAFE_PATH",
    );
    expect(existsSync(dest)).toBe(true);
    expect(allPaths(dest)).toEqual([]);
  });
});
