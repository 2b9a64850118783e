/**
 * The directory ArtifactStore (`dcm serve --store DIR`; the default is
 * `<dcm cache>/service`). Layout:
 *
 *   DIR/.dcm-store          marker: dcm made this folder (it writes into no other)
 *   DIR/dists/<key>/…       a finished dist, as `dcm build` wrote it, plus
 *                           .dcm-store-files.json: its file list (path, size,
 *                           sha256), written before the dist is renamed in, so
 *                           a dist that exists is whole; .dcm-dist.tar.gz: the
 *                           whole dist packed once (GET dist.tar.gz serves it as
 *                           a file), and .dcm-dist.json its size and sha256
 *   DIR/blobs/<sha256>      uploaded archives
 *   DIR/tmp/                staging (temp names, renamed into place)
 *   DIR/state/              the build records and event logs (state/file-state.ts)
 *
 * Every write goes to a temp name under tmp/ and is renamed into place, so
 * readers never see half a dist or half a blob, and two workers that put the
 * same key race harmlessly (the second rename finds the key there and drops
 * its copy). Dist paths in requests are checked with runtime/abi/dist-paths.ts
 * and resolved without following symbolic links out of the dist.
 *
 * Known limitations: no eviction (dists and blobs stay until removed by hand;
 * they are content-addressed, so removing any of them is safe while no build
 * runs); blobs of finished builds are kept (a resubmission of the same
 * archive is answered without the upload being stored twice).
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { distPathProblem } from "../../../runtime/abi/dist-paths.js";
import { dcmError } from "../../../runtime/diagnostics/catalog.js";
import type { ArtifactStore, DistFile } from "../service-types.js";

export const STORE_MARKER = ".dcm-store";
const MARKER_TEXT = "dcm-store 1\nThis folder is a dcm build service store (`dcm serve --store`); dcm writes here only.\n";
const HEX64 = /^[0-9a-f]{64}$/;
const FILES = ".dcm-store-files.json";
const ARCHIVE = ".dcm-dist.tar.gz";
/** Staging under tmp/ this old belongs to a process that died (a dist is staged in seconds). */
const STALE_STAGING_MS = 6 * 60 * 60 * 1000;
const ARCHIVE_INFO = ".dcm-dist.json";

export class DirArtifactStore implements ArtifactStore {
  private constructor(readonly root: string) {}

  /** Opens (or creates) a store folder; refuses a folder that holds other things and no marker. */
  static async open(root: string): Promise<DirArtifactStore> {
    await mkdir(root, { recursive: true });
    const marker = join(root, STORE_MARKER);
    let has = await readMarker(marker);
    if (has === null) {
      // Several processes (serve nodes, workers) may open a new store at once: the first marker wins
      // (O_EXCL) and the others read it; a folder that holds anything else and no marker is refused.
      if ((await readdir(root)).length === 0)
        await writeFile(marker, MARKER_TEXT, { flag: "wx" }).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== "EEXIST") throw e;
        });
      has = await readMarker(marker);
      if (has === null)
        throw dcmError(
          "DCM_SERVICE_STORE",
          `${root} is not empty and was not made by dcm (no ${STORE_MARKER} file): dcm does not write into a folder it did not make`,
        );
    }
    if (!has.startsWith("dcm-store 1")) throw dcmError("DCM_SERVICE_STORE", `${marker} is not a dcm store marker`);
    for (const d of ["dists", "blobs", "tmp", "state"]) await mkdir(join(root, d), { recursive: true });
    // Staging of a process that died mid-write: nothing refers to it. Several processes (workers, serve
    // nodes) share one store, so only staging older than any write takes is removed, never a live one.
    for (const t of await readdir(join(root, "tmp"))) {
      const st = await lstat(join(root, "tmp", t)).catch(() => null);
      if (st && Date.now() - st.mtimeMs > STALE_STAGING_MS) await rm(join(root, "tmp", t), { recursive: true, force: true });
    }
    return new DirArtifactStore(root);
  }

  /** A fresh folder under tmp/ for a build's scratch work (removed by the caller). */
  async scratch(prefix: string): Promise<string> {
    const dir = join(this.root, "tmp", `${prefix}-${randomBytes(6).toString("hex")}`);
    await mkdir(dir);
    return dir;
  }

  private checkKey(key: string): void {
    if (!HEX64.test(key)) throw dcmError("DCM_SERVICE_STORE", `not a build key or sha256: ${key.slice(0, 80)}`);
  }

  async hasDist(key: string): Promise<boolean> {
    this.checkKey(key);
    return (await this.listDist(key)) !== null;
  }

  async putDist(key: string, distDir: string): Promise<void> {
    this.checkKey(key);
    const final = join(this.root, "dists", key);
    if (await this.hasDist(key)) return;
    const files = await walk(distDir);
    const staging = await this.scratch(`dist-${key.slice(0, 12)}`);
    const list: DistFile[] = [];
    for (const rel of files) {
      await mkdir(join(staging, rel, ".."), { recursive: true });
      await copyFile(join(distDir, rel), join(staging, rel));
      const bytes = await readFile(join(staging, rel));
      list.push({ path: rel, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    }
    list.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    await writeArchive(staging, list);
    await writeFile(join(staging, FILES), JSON.stringify(list));
    try {
      await rename(staging, final);
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      // Another worker put the same key first: its dist is the same.
      if ((e as NodeJS.ErrnoException).code === "ENOTEMPTY" || (e as NodeJS.ErrnoException).code === "EEXIST") return;
      throw e;
    }
  }

  async listDist(key: string): Promise<DistFile[] | null> {
    this.checkKey(key);
    const text = await readFile(join(this.root, "dists", key, FILES), "utf8").catch(() => null);
    return text === null ? null : (JSON.parse(text) as DistFile[]);
  }

  async readDistFile(
    key: string,
    path: string,
    range?: { start: number; end: number },
  ): Promise<{ stream: NodeJS.ReadableStream; size: number } | null> {
    this.checkKey(key);
    if (distPathProblem(path) !== null) return null;
    const list = await this.listDist(key);
    // Only files the list names: never a path the request made up, never through a link.
    const entry = list?.find((f) => f.path === path);
    if (!entry) return null;
    const file = join(this.root, "dists", key, ...path.split("/"));
    const st = await lstat(file).catch(() => null);
    if (!st?.isFile()) return null;
    const stream = range ? createReadStream(file, { start: range.start, end: range.end }) : createReadStream(file);
    return { stream, size: range ? range.end - range.start + 1 : st.size };
  }

  async readDistArchive(key: string): Promise<{ stream: NodeJS.ReadableStream; size: number; sha256: string } | null> {
    this.checkKey(key);
    const list = await this.listDist(key);
    if (!list) return null;
    const dir = join(this.root, "dists", key);
    let info = await readFile(join(dir, ARCHIVE_INFO), "utf8").catch(() => null);
    if (info === null) {
      // A dist stored before archives were made at put time: pack it once now, beside a temp name, renamed in.
      const staging = await this.scratch(`archive-${key.slice(0, 12)}`);
      try {
        await writeArchive(staging, list, dir);
        await rename(join(staging, ARCHIVE), join(dir, ARCHIVE));
        await rename(join(staging, ARCHIVE_INFO), join(dir, ARCHIVE_INFO));
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
      info = await readFile(join(dir, ARCHIVE_INFO), "utf8");
    }
    const { size, sha256 } = JSON.parse(info) as { size: number; sha256: string };
    return { stream: createReadStream(join(dir, ARCHIVE)), size, sha256 };
  }

  async putBlob(sha256: string, data: Buffer): Promise<void> {
    this.checkKey(sha256);
    const final = join(this.root, "blobs", sha256);
    if (await stat(final).catch(() => null)) return;
    const actual = createHash("sha256").update(data).digest("hex");
    if (actual !== sha256) throw dcmError("DCM_SERVICE_STORE", `blob ${sha256} does not have that sha256 (it is ${actual})`);
    const tmp = join(this.root, "tmp", `blob-${randomBytes(6).toString("hex")}`);
    await writeFile(tmp, data, { flag: "wx" });
    await rename(tmp, final);
  }

  async getBlob(sha256: string): Promise<Buffer | null> {
    this.checkKey(sha256);
    return readFile(join(this.root, "blobs", sha256)).catch(() => null);
  }
}

/** The marker's text, or null; a marker another process is writing this instant (a prefix of the text) is read again. */
async function readMarker(marker: string): Promise<string | null> {
  for (let i = 0; ; i++) {
    const text = await readFile(marker, "utf8").catch(() => null);
    if (text === null || text.startsWith("dcm-store 1") || !MARKER_TEXT.startsWith(text) || i >= 20) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Packs the listed files of `from` (default: `into` itself) into `into`/.dcm-dist.tar.gz, reproducibly
 * (fixed times and owners, the list's order), and writes its size and sha256 beside it.
 */
async function writeArchive(into: string, list: DistFile[], from = into): Promise<void> {
  const tar = await import("tar");
  const chunks: Buffer[] = [];
  const stream = tar.create(
    { gzip: true, cwd: from, portable: true, mtime: new Date(0) },
    list.map((f) => f.path),
  ) as unknown as AsyncIterable<Buffer>;
  for await (const c of stream) chunks.push(Buffer.from(c));
  const bytes = Buffer.concat(chunks);
  await writeFile(join(into, ARCHIVE), bytes, { flag: "wx" });
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  await writeFile(join(into, ARCHIVE_INFO), JSON.stringify({ size: bytes.length, sha256 }), { flag: "wx" });
}

/** Relative `/` paths of the regular files under dir (a dist holds no links). */
async function walk(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}
