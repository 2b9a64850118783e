/**
 * Compression bombs (a real gzip of zeros, a zip whose entries share one compressed stream) stop
 * while inflating, within the bound; what is contained rather than refused (modes, links inside,
 * Windows zips, stripping); and the destination's rules.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createGzip, gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { RATIO_FLOOR_BYTES } from "../../../src/service/archive/inflation-meter.js";
import { archiveLimits, DEFAULT_ARCHIVE_LIMITS, unpackArchive } from "../../../src/service/archive/unpack-archive.js";
import { type TarItem, tarGz, tarHeader, zipBytes } from "../../support/archive-builders.js";
import { allPaths, expectRefusal, expectUntouched, stage as stageIn, tempDir } from "./archive-helpers.js";

const work = tempDir("bombs");
afterAll(() => rmSync(work, { recursive: true, force: true }));
const stage = () => stageIn(work);
const file = (name: string, data = "x\n"): TarItem => ({ name, data });
const ok = file("README.md", "a repository\n");

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

  it("a zip made on Windows marks a folder by its MS-DOS attribute (no trailing slash)", async () => {
    const { dest } = stage();
    const result = await unpackArchive(
      zipBytes([
        { name: "docs", dosAttributes: 0x10 },
        { name: "a.txt", data: "a" },
      ]),
      "zip",
      dest,
    );
    expect(result.files.map((f) => f.path)).toEqual(["a.txt"]);
    expect(statSync(join(dest, "docs")).isDirectory()).toBe(true);
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

describe("the caller's controls", () => {
  it("an undefined limit keeps its default; a limit that is not a number of 0 or more is a configuration error", async () => {
    expect(archiveLimits({ maxFiles: undefined, maxDepth: 3 })).toEqual({ ...DEFAULT_ARCHIVE_LIMITS, maxDepth: 3 });
    const { dir, dest } = stage();
    for (const bad of [Number.NaN, -1, "10" as unknown as number]) {
      await expectRefusal(unpackArchive(tarGz([ok]), "tar.gz", dest, { maxFiles: bad }), "DCM_SERVER_CONFIG");
    }
    expectUntouched(dir);
  });

  it("a cancelled unpack (AbortSignal) stops between entries, removes what it wrote and throws the signal's reason", async () => {
    const { dir, dest } = stage();
    const controller = new AbortController();
    let entries = 0;
    const signal = controller.signal;
    const counting = new Proxy(signal, {
      get(target, prop) {
        if (prop === "throwIfAborted")
          return () => {
            if (++entries === 5) controller.abort(new Error("build cancelled"));
            target.throwIfAborted();
          };
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const archive = tarGz(Array.from({ length: 20 }, (_, i) => file(`src/f${i}.go`)));
    const err = await unpackArchive(archive, "tar.gz", dest, {}, { signal: counting }).catch((e: unknown) => e);
    expect((err as Error).message).toBe("build cancelled");
    expect(entries).toBe(5);
    expectUntouched(dir);
  });
});

describe("large files stream", () => {
  it("files over 256 KiB (streamed, not held) unpack byte for byte from tar.gz and zip", async () => {
    const big = Buffer.from(Array.from({ length: 700 * 1024 }, (_, i) => (i * 7919) & 0xff));
    const sha = createHash("sha256").update(big).digest("hex");
    for (const [kind, archive] of [
      ["tar.gz", tarGz([{ name: "big.bin", data: big, mode: 0o755 }, file("small")])],
      [
        "zip",
        zipBytes([
          { name: "big.bin", data: big, mode: 0o100755 },
          { name: "small", data: "x\n" },
        ]),
      ],
    ] as const) {
      const { dest } = stage();
      const result = await unpackArchive(archive, kind, dest);
      expect(result.files.find((f) => f.path === "big.bin")).toEqual({
        path: "big.bin",
        size: big.length,
        sha256: sha,
        executable: true,
      });
      expect(
        createHash("sha256")
          .update(readFileSync(join(dest, "big.bin")))
          .digest("hex"),
      ).toBe(sha);
    }
  });
});

describe("limits are exact", () => {
  const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
  // Four nodes: a.bin, x/, x/y/ (implied by the path) and x/y/b.bin.
  const limits = { maxFiles: 4, maxTotalBytes: 150_000, maxFileBytes: 100_000, maxPathLength: 9, maxDepth: 3 };
  // 100 000 bytes come out of zlib in several chunks: the counts must add each byte once.
  const pack = {
    "tar.gz": (a: number, b: number, nameB = "x/y/b.bin") =>
      tarGz([
        { name: "a.bin", data: bytes(a, 1) },
        { name: nameB, data: bytes(b, 2) },
      ]),
    zip: (a: number, b: number, nameB = "x/y/b.bin") =>
      zipBytes([
        { name: "a.bin", data: bytes(a, 1) },
        { name: nameB, data: bytes(b, 2) },
      ]),
  };
  for (const kind of ["tar.gz", "zip"] as const) {
    it(`${kind}: a tree at every limit unpacks; one more byte, file, path byte or folder is refused`, async () => {
      const at = await unpackArchive(pack[kind](100_000, 50_000), kind, stage().dest, limits);
      expect(at.bytes).toBe(150_000);
      const cases: [Buffer, string][] = [
        [pack[kind](100_001, 49_999), "DCM_ARCHIVE_FILE_TOO_LARGE"],
        [pack[kind](100_000, 50_001), "DCM_ARCHIVE_TOO_LARGE"],
        [pack[kind](10, 10, "x/y/bb.bin"), "DCM_ARCHIVE_PATH_TOO_LONG"],
        [pack[kind](10, 10, "x/y/z/b"), "DCM_ARCHIVE_TOO_DEEP"],
      ];
      for (const [archive, code] of cases) {
        const { dir, dest } = stage();
        await expectRefusal(unpackArchive(archive, kind, dest, limits), code);
        expectUntouched(dir);
      }
      const { dir, dest } = stage();
      await expectRefusal(
        unpackArchive(pack[kind](10, 10), kind, dest, { ...limits, maxFiles: 3 }),
        "DCM_ARCHIVE_TOO_MANY_FILES",
      );
      expectUntouched(dir);
    });
  }
});
