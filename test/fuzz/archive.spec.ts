/**
 * Fuzzing the archive reader (src/service/archive). Arbitrary entry lists
 * (hostile names, links of every kind, odd types and modes, sizes around
 * small limits), written as raw tar.gz and zip, and byte mutations of valid
 * archives (of the tar inside the gzip, of the gzip, of the zip): every case
 * ends either in a successful unpack whose every path, followed through the
 * links on disk, stays inside dest, with 644/755 files matching the result,
 * or in a DcmError with a DCM_ARCHIVE_* code. Never another exception, never
 * a write beside dest (a sentinel folder there stays as it was), and the
 * work stays within the limits (files, bytes). Time-boxed like every fuzz
 * property (fuzz-config.ts): DCM_FUZZ_RUNS / DCM_FUZZ_SEED explore further.
 */
import { lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { DcmError } from "../../runtime/diagnostics/catalog.js";
import {
  type ArchiveLimits,
  DEFAULT_ARCHIVE_LIMITS,
  type UnpackResult,
  unpackArchive,
} from "../../src/service/archive/unpack-archive.js";
import { type TarItem, tarBytes, zipBytes } from "../support/archive-builders.js";
import { allPaths, listFolder, tempDir } from "../unit/archive/archive-helpers.js";
import { fuzz } from "./fuzz-config.js";

const work = tempDir("fuzz");
afterAll(() => rmSync(work, { recursive: true, force: true }));

// ---- arbitraries ----

const segment = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom("a", "b", "src", "lib", "main.go", "é", "README.md") },
  {
    weight: 3,
    arbitrary: fc.constantFrom("..", ".", "", "C:", "a\\b", "x\u0000y", "\u001b[2J", "\ufffd", "sentinel", "A"),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constant("n".repeat(256)) },
);
const path = fc
  .tuple(
    fc.constantFrom("", "", "", "", "", "", "./", "/", "../", "repo-1/"),
    fc.array(segment, { minLength: 1, maxLength: 4 }),
    fc.constantFrom("", "", "", "", "/"),
  )
  .map(([lead, segs, trail]) => lead + segs.join("/") + trail);

interface Spec {
  name: string;
  kind: "file" | "dir" | "symlink" | "hardlink" | "special";
  type?: string;
  data: string;
  mode: number;
  target: string;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  name: path,
  kind: fc.constantFrom("file", "file", "file", "dir", "symlink", "symlink", "hardlink", "special"),
  type: fc.constantFrom("3", "4", "6", "S", "V", "7", "D"),
  data: fc.oneof(fc.string({ maxLength: 40 }), fc.constant("z".repeat(300))),
  mode: fc.constantFrom(0o644, 0o755, 0o4755, 0o2711, 0o000, 0o777),
  target: fc.oneof(
    path,
    fc.constantFrom("..", "../sentinel", "a", "a/b", "b/../a", "./a", "sentinel/keep.txt", "/etc/passwd"),
  ),
});

/** Mostly well-formed lists: plain names, links inside (and sometimes just out), hard links to names used: the paths that unpack. */
const safeSegment = fc.constantFrom("a", "b", "src", "main.go", "é", "README.md");
const safePath = fc.array(safeSegment, { minLength: 1, maxLength: 3 }).map((segs) => segs.join("/"));
const tameSpec: fc.Arbitrary<Spec> = fc.record({
  name: safePath,
  kind: fc.constantFrom("file", "file", "file", "dir", "symlink", "hardlink"),
  type: fc.constant("0"),
  data: fc.string({ maxLength: 40 }),
  mode: fc.constantFrom(0o644, 0o755, 0o4755),
  target: fc.oneof(
    { weight: 4, arbitrary: safePath },
    { weight: 1, arbitrary: safePath.map((p) => `../${p}`) },
    { weight: 1, arbitrary: safePath.map((p) => `a/../../${p}`) },
  ),
});
const specs = fc.oneof(
  fc.array(spec, { minLength: 1, maxLength: 8 }),
  fc.array(tameSpec, { minLength: 1, maxLength: 8 }),
);

const limits: fc.Arbitrary<Partial<ArchiveLimits>> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  fc.record({
    maxFiles: fc.integer({ min: 1, max: 8 }),
    maxTotalBytes: fc.integer({ min: 0, max: 600 }),
    maxFileBytes: fc.integer({ min: 0, max: 400 }),
    maxPathLength: fc.integer({ min: 1, max: 40 }),
    maxDepth: fc.integer({ min: 1, max: 4 }),
  }),
) as fc.Arbitrary<Partial<ArchiveLimits>>;

const plain = (s: string) => /^[\x20-\x7e]{1,99}$/.test(s);

function asTar(specs: Spec[]): Buffer {
  const items: TarItem[] = specs.map((s) => {
    switch (s.kind) {
      case "file":
        return { name: s.name, data: s.data, mode: s.mode };
      case "dir":
        return { name: s.name, type: "5", mode: s.mode };
      case "symlink":
      case "hardlink":
        // node-tar wants the ustar link field set even when a PAX linkpath replaces it.
        return {
          name: s.name,
          type: s.kind === "symlink" ? "2" : "1",
          linkname: plain(s.target) ? s.target : "x",
          pax: plain(s.target) ? {} : { linkpath: s.target },
        };
      default:
        return { name: s.name, type: s.type ?? "3", data: s.type === "7" || s.type === "D" ? s.data : "" };
    }
  });
  // Names go through PAX when they are not plain short ASCII (as node-tar and GNU tar write them).
  for (const it of items) if (typeof it.name === "string" && !plain(it.name)) it.pax = { ...it.pax, path: it.name };
  return gzipSync(tarBytes(items));
}

function asZip(specs: Spec[]): Buffer {
  return zipBytes(
    specs.map((s) => {
      switch (s.kind) {
        case "file":
          return { name: s.name, data: s.data, mode: 0o100000 | (s.mode & 0o7777) };
        case "dir":
          return { name: s.name.endsWith("/") ? s.name : `${s.name}/`, mode: 0o040755 };
        case "symlink":
          return { name: s.name, data: s.target, mode: 0o120777 };
        case "hardlink": // zip has no hard links: a file without a Unix mode
          return { name: s.name, data: s.data };
        default:
          return { name: s.name, data: "", mode: s.type === "6" ? 0o010644 : s.type === "4" ? 0o060644 : 0o020644 };
      }
    }),
  );
}

// ---- the contract ----

let n = 0;
function stage(): { dir: string; dest: string } {
  const dir = join(work, `run-${++n}`);
  mkdirSync(join(dir, "sentinel"), { recursive: true });
  writeFileSync(join(dir, "sentinel", "keep.txt"), "keep\n");
  return { dir, dest: join(dir, "dest") };
}

/**
 * Where `rel` (a path below dest) leads on disk, following links as the kernel would; throws if
 * any step climbs above dest. Independent of the code under test: it reads the disk.
 */
function walkInside(dest: string, rel: string[]): void {
  const cur: string[] = [];
  let queue = [...rel];
  let hops = 0;
  while (queue.length) {
    const c = queue.shift()!;
    if (c === "" || c === ".") continue;
    if (c === "..") {
      if (cur.length === 0) throw new Error(`escapes dest: ${rel.join("/")}`);
      cur.pop();
      continue;
    }
    cur.push(c);
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(join(dest, ...cur));
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink()) {
      if (++hops > 40) throw new Error(`link loop: ${rel.join("/")}`);
      const target = readlinkSync(join(dest, ...cur));
      if (target.startsWith("/")) throw new Error(`absolute link: ${cur.join("/")} -> ${target}`);
      cur.pop();
      queue = [...target.split("/"), ...queue];
    }
  }
}

function checkOutcome(dir: string, dest: string, lim: Partial<ArchiveLimits>, outcome: UnpackResult | unknown): void {
  expect(allPaths(dir).filter((p) => !p.startsWith("dest"))).toEqual(["sentinel", "sentinel/keep.txt"]);
  expect(readFileSync(join(dir, "sentinel", "keep.txt"), "utf8")).toBe("keep\n");
  if (outcome instanceof Error) {
    if (!(outcome instanceof DcmError) || !outcome.code.startsWith("DCM_ARCHIVE_")) throw outcome;
    expect(allPaths(dir)).toEqual(["sentinel", "sentinel/keep.txt"]);
    return;
  }
  const result = outcome as UnpackResult;
  const full = { ...DEFAULT_ARCHIVE_LIMITS, ...lim };
  expect(result.files.length).toBeLessThanOrEqual(full.maxFiles);
  expect(result.bytes).toBeLessThanOrEqual(full.maxTotalBytes);
  for (const p of allPaths(dest)) {
    walkInside(dest, p.split("/"));
    const st = lstatSync(join(dest, p));
    if (st.isFile()) expect([0o644, 0o755]).toContain(st.mode & 0o7777);
    else expect(st.isDirectory() || st.isSymbolicLink()).toBe(true);
  }
  const onDisk = listFolder(dest);
  expect(result.files.map((f) => [f.path, f.symlink ?? (f.executable ? "755" : "644")])).toEqual(
    onDisk.map((f) => [f.path, f.mode === "l" ? f.value : f.mode]),
  );
  for (const f of result.files) if (!f.symlink) expect(statSync(join(dest, f.path)).size).toBe(f.size);
}

/** Outcomes per property: a property whose cases all end the same way would test little. */
let tally = new Map<string, number>();

async function attempt(data: Buffer, kind: "tar.gz" | "zip", lim: Partial<ArchiveLimits>): Promise<void> {
  const { dir, dest } = stage();
  const outcome = await unpackArchive(data, kind, dest, lim).catch((e: unknown) => e);
  checkOutcome(dir, dest, lim, outcome);
  const key = outcome instanceof DcmError ? outcome.code : "unpacked";
  tally.set(key, (tally.get(key) ?? 0) + 1);
  rmSync(dir, { recursive: true, force: true });
}

/** Runs a property, then checks that it both unpacked and refused archives (`kinds` refusal codes at least). */
async function varied(run: () => Promise<void>, kinds: number): Promise<void> {
  tally = new Map();
  await run();
  if (process.env.DCM_FUZZ_VERBOSE) console.log(Object.fromEntries(tally));
  expect(tally.get("unpacked") ?? 0).toBeGreaterThan(0);
  expect([...tally.keys()].filter((k) => k !== "unpacked").length).toBeGreaterThanOrEqual(kinds);
}

describe("archive reader on arbitrary entry lists", () => {
  it("tar.gz: unpacked inside dest, or refused with DCM_ARCHIVE_*", async () => {
    await varied(
      () =>
        fc.assert(
          fc.asyncProperty(specs, limits, (list, lim) => attempt(asTar(list), "tar.gz", lim)),
          fuzz(300, 6),
        ),
      8,
    );
  });

  it("zip: unpacked inside dest, or refused with DCM_ARCHIVE_*", async () => {
    await varied(
      () =>
        fc.assert(
          fc.asyncProperty(specs, limits, (list, lim) => attempt(asZip(list), "zip", lim)),
          fuzz(300, 5),
        ),
      8,
    );
  });
});

// ---- byte mutations of valid archives ----

const VALID: Spec[] = [
  { name: "repo-1/go.mod", kind: "file", data: "module x\n", mode: 0o644, target: "" },
  {
    name: "repo-1/src/main.go",
    kind: "file",
    data: "package main\nfunc main() {}\n".repeat(20),
    mode: 0o755,
    target: "",
  },
  { name: "repo-1/src/lib/", kind: "dir", data: "", mode: 0o755, target: "" },
  { name: "repo-1/link", kind: "symlink", data: "", mode: 0o777, target: "src/main.go" },
  { name: `repo-1/${"long/".repeat(30)}f.txt`, kind: "file", data: "pax name\n", mode: 0o644, target: "" },
];
const TAR = gunzipSync(asTar(VALID));
const ZIP = asZip(VALID);

const mutation = fc.oneof(
  fc.record({
    op: fc.constant("flip" as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
    count: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ op: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
);

function mutate(
  base: Buffer,
  muts: fc.Arbitrary<typeof mutation extends fc.Arbitrary<infer T> ? T : never>[] | unknown[],
): Buffer {
  let b = Buffer.from(base);
  for (const m of muts as { op: string; at: number; byte?: number; count?: number; bytes?: Uint8Array }[]) {
    const at = b.length ? m.at % b.length : 0;
    if (m.op === "flip") for (let i = 0; i < (m.count ?? 1); i++) b[(at + i * 97) % b.length] = m.byte ?? 0;
    else if (m.op === "cut") b = b.subarray(0, at);
    else b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes ?? []), b.subarray(at)]);
  }
  return b;
}

describe("archive reader on mutated valid archives", () => {
  it("a tar.gz, mutated: mostly the tar inside (headers, PAX records, sizes, checksums), else the gzip stream", async () => {
    await varied(
      () =>
        fc.assert(
          fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.nat(4), limits, (muts, where, lim) =>
            attempt(where > 0 ? gzipSync(mutate(TAR, muts)) : mutate(gzipSync(TAR), muts), "tar.gz", lim),
          ),
          fuzz(300, 4),
        ),
      3,
    );
  });

  it("a zip, mutated (central directory, local headers, attributes, data)", async () => {
    await varied(
      () =>
        fc.assert(
          fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), limits, (muts, lim) =>
            attempt(mutate(ZIP, muts), "zip", lim),
          ),
          fuzz(300, 4),
        ),
      3,
    );
  });
});
