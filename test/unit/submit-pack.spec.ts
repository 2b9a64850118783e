/**
 * The packing of `dcm submit` (deterministic .tar.gz, .gitignore rules, the
 * service's limits) and its SSE parser, without a service.
 */
import { chmod, cp, mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_UPLOAD_LIMIT } from "../../src/service/create-build-service.js";
import { unpackArchive } from "../../src/service/archive/unpack-archive.js";
import { cfdPathIn, packRepo, SERVICE_UPLOAD_LIMIT } from "../../src/service/client/pack-repo.js";
import { readSse } from "../../src/service/client/sse-reader.js";

let dir: string;
let repo: string;

const files: Record<string, string> = {
  "main.go": "package main\n",
  "a.b": "dot\n",
  "a/b.go": "package a\n",
  "run.sh": "#!/bin/sh\n",
  ".gitignore": "*.log\n!keep.log\nbuild/\n/root-only.txt\n",
  "keep.log": "kept\n",
  "x.log": "left out\n",
  "root-only.txt": "left out\n",
  "sub/root-only.txt": "kept: the rule is anchored at the root\n",
  "sub/.gitignore": "*.gen.go\n!important.gen.go\n",
  "sub/x.gen.go": "left out\n",
  "sub/important.gen.go": "kept\n",
  "sub/build/out.o": "left out (build/ at any depth)\n",
  "other/x.gen.go": "kept: sub/.gitignore does not reach here\n",
  "node_modules/m/index.js": "left out\n",
  "x/target/t": "left out\n",
  "x/dist/d": "left out\n",
  ".git/config": "left out\n",
  "out/artifact": "left out: the --out folder\n",
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dcm-pack-"));
  repo = join(dir, "repo");
  for (const [f, text] of Object.entries(files)) {
    await mkdir(join(repo, f, ".."), { recursive: true });
    await writeFile(join(repo, f), text);
  }
  await chmod(join(repo, "run.sh"), 0o755);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe("packRepo", () => {
  it("honours .gitignore files (nested, negated, anchored) and always leaves out .git, node_modules, target, dist and --out", async () => {
    const p = await packRepo(repo, { exclude: [join(repo, "out")] });
    expect(p.entries.map((e) => e.path)).toEqual(
      [
        ".gitignore",
        "a.b",
        "a/b.go",
        "keep.log",
        "main.go",
        "other/x.gen.go",
        "run.sh",
        "sub/.gitignore",
        "sub/important.gen.go",
        "sub/root-only.txt",
      ].sort(),
    );
  });

  it("gives the same bytes for the same tree, whatever its mtimes and folder; the service's unpacker reads it back", async () => {
    const a = await packRepo(repo, { exclude: [join(repo, "out")] });
    const copy = join(dir, "copy");
    await cp(repo, copy, { recursive: true });
    await utimes(join(copy, "main.go"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const b = await packRepo(copy, { exclude: [join(copy, "out")] });
    expect(b.sha256).toBe(a.sha256);
    expect(b.data.equals(a.data)).toBe(true);
    const un = await unpackArchive(a.data, "tar.gz", join(dir, "unpacked"), {}, { stripSingleFolder: false });
    expect(un.files.map((f) => f.path).sort()).toEqual(a.entries.map((e) => e.path));
    expect(un.files.find((f) => f.path === "run.sh")?.executable).toBe(true);
    expect(un.files.find((f) => f.path === "main.go")?.executable).toBe(false);
    await writeFile(join(copy, "main.go"), "package main // changed\n");
    expect((await packRepo(copy, { exclude: [join(copy, "out")] })).sha256).not.toBe(a.sha256);
  });

  it("refuses a repository beyond the service's limits before packing it, naming what is big", async () => {
    await expect(packRepo(repo, { limits: { maxFiles: 3 } })).rejects.toMatchObject({
      code: "DCM_SUBMIT_TOO_LARGE",
      message: expect.stringMatching(/more than 3 files.*The biggest: /s),
    });
    await expect(packRepo(repo, { limits: { maxFileBytes: 30 } })).rejects.toMatchObject({
      code: "DCM_SUBMIT_TOO_LARGE",
      message: expect.stringContaining("sub/root-only.txt"),
    });
    await expect(packRepo(repo, { uploadLimit: 10 })).rejects.toMatchObject({ code: "DCM_SUBMIT_TOO_LARGE" });
    await expect(packRepo(join(repo, "main.go"))).rejects.toMatchObject({ code: "DCM_SUBMIT_INPUT" });
  });

  it("uses the service's default upload limit", () => {
    expect(SERVICE_UPLOAD_LIMIT).toBe(DEFAULT_UPLOAD_LIMIT);
  });

  it("says where the CFD is inside the repository, or that it is outside", () => {
    expect(cfdPathIn(repo, join(repo, "sub", "dcm.yaml"))).toBe("sub/dcm.yaml");
    expect(cfdPathIn(repo, join(dir, "dcm.yaml"))).toBeNull();
    expect(cfdPathIn(repo, repo)).toBeNull();
  });
});

describe("readSse", () => {
  const stream = (chunks: string[]) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const ch of chunks) c.enqueue(new TextEncoder().encode(ch));
        c.close();
      },
    });

  it("parses events split anywhere, with CRLF, comments and multi-line data", async () => {
    const text =
      ': hello\r\n\r\nid: 1\r\nevent: queued\r\ndata: {"a":\r\ndata: 1}\r\n\r\nid: 2\ndata: x\n\nretry: 5\n\n';
    const chunks = [...text].reduce<string[]>((acc, ch, i) => {
      if (i % 3 === 0) acc.push(ch);
      else acc[acc.length - 1] += ch;
      return acc;
    }, []);
    const got = [];
    for await (const m of readSse(stream(chunks))) got.push(m);
    expect(got).toEqual([
      { event: "queued", data: '{"a":\n1}', id: "1" },
      { event: "message", data: "x", id: "2" },
    ]);
  });
});
