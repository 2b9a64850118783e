/**
 * The tree an archive unpacks to: every entry, after the name checks of
 * entry-names.ts, goes through here, which keeps the tree in memory, writes
 * files and folders into the destination and refuses what would escape it.
 *
 * - Files are created with O_CREAT|O_EXCL|O_NOFOLLOW in folders this writer
 *   made itself, mode 644 or 755 (fchmod on the open file: no setuid, no
 *   owner); files up to 256 KiB are written synchronously in one go, the
 *   event loop getting its turn every 10 ms. Nothing is opened through a symbolic link: links are only
 *   recorded while entries arrive, and an entry whose path passes through one
 *   is refused (the "link, then a file under it" trick). Links are created
 *   last, after every link of the finished tree resolved inside the root
 *   (through chains of other links, at most MAX_HOPS of them).
 * - Hard links to an earlier file of the archive become a copy of it.
 * - A single top-level folder holding everything (GitHub's `repo-<sha>/`)
 *   is stripped at the end (renamed away); links are resolved against what
 *   remains, so a link out of the stripped folder is an escape.
 * - treeHash: sha256 over one line per file, sorted by the path's UTF-8
 *   bytes: `path\0mode\0sha256\n` with mode `755` or `644`, and
 *   `path\0l\0target\n` for a link. Folders are not hashed (git does not
 *   track empty folders either), nor times, owners or entry order, so the
 *   same repository packed by tar or zip gives the same hash.
 *
 * Without a destination (`dest` null: checkArchive in unpack-archive.ts) the
 * writer checks and hashes every entry the same way and writes nothing; only
 * the files `keep` asks for are held in memory (the CFD). What it cannot see
 * is the file system's own refusals (a case-insensitive collision), which the
 * real unpack of the build reports.
 *
 * Limitations: case-folding collisions (`README` and `readme`) are accepted,
 * as Linux and git accept them; on a case-insensitive file system the second
 * write fails and is refused as a duplicate. Resolving links costs at most
 * LINK_STEP_BUDGET steps in all; a tree of links beyond it is refused.
 */
import { createHash } from "node:crypto";
import { closeSync, constants, fchmodSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { copyFile, type FileHandle, open, readdir, rename, rmdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { refuse } from "./archive-refusal.js";
import { checkSymlinkTarget, entrySegments, hardLinkSegments } from "./entry-names.js";

export interface ArchiveLimits {
  maxFiles: number;
  maxTotalBytes: number;
  maxFileBytes: number;
  maxRatio: number;
  maxPathLength: number;
  maxDepth: number;
}

export interface UnpackedFile {
  path: string;
  size: number;
  sha256: string;
  executable: boolean;
  symlink?: string;
}

export interface UnpackResult {
  files: UnpackedFile[];
  bytes: number;
  treeHash: string;
  strippedPrefix?: string;
  /** The bytes of the files `keep` asked for, by their path once the prefix is stripped (check-only mode). */
  kept?: Map<string, Buffer>;
}

/** An entry as a reader (tar-entries.ts, zip-entries.ts) found it, before any check. */
export interface RawEntry {
  name: string;
  kind: "file" | "dir" | "symlink" | "hardlink" | "special";
  /** The archive's own word for the entry's type, for messages (`FIFO`, `CharacterDevice`…). */
  typeName: string;
  executable: boolean;
  /** The target of a symbolic or hard link. */
  linkTarget?: string;
  /** The size the archive declares; trusted only to refuse early, bytes are counted as they come. */
  size: number;
}

/** Where a file's bytes go while they are inflated. */
export interface FileSink {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
}

type Node =
  | { type: "dir" }
  | { type: "file"; size: number; sha256: string; executable: boolean; name: string }
  | { type: "symlink"; target: string; name: string };

/** Symbolic links followed while resolving one link (Linux's own limit is 40). */
export const MAX_HOPS = 40;
/** Segments walked while resolving all links of one archive; bounds the work a web of links can cause. */
export const LINK_STEP_BUDGET = 2_000_000;

const LINK_BATCH = 16;
/** Files up to this size are written synchronously in one go (see TreeWriter.file). */
export const SMALL_FILE_BYTES = 256 * 1024;
/** The longest the unpacker keeps the event loop to itself. */
const YIELD_MS = 10;
const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export class TreeWriter {
  private readonly nodes = new Map<string, Node>();
  private entries = 0;
  private bytes = 0;
  private open: FileHandle | undefined;
  private lastYield = performance.now();
  private readonly kept = new Map<string, Buffer>();

  /** `dest` null: check and hash only, write nothing; `keep` picks files (by their path in the archive) to hold in memory. */
  constructor(
    private readonly dest: string | null,
    private readonly limits: ArchiveLimits,
    private readonly signal?: AbortSignal,
    private readonly keep?: (key: string, size: number) => boolean,
  ) {}

  /** Checks an entry and writes it (a file's bytes go to the sink returned). */
  async begin(e: RawEntry): Promise<FileSink | undefined> {
    await this.breathe();
    this.signal?.throwIfAborted();
    const segments = entrySegments(e.name, this.limits);
    if (segments.length === 0) {
      if (e.kind === "dir") return undefined; // `./`: the root folder itself
      refuse("DCM_ARCHIVE_BAD_NAME", "the name is empty once `.` segments are dropped", e.name);
    }
    if (e.kind === "special")
      refuse("DCM_ARCHIVE_ENTRY_TYPE", `the entry is a ${e.typeName}, not a file, folder or link`, e.name);
    const key = segments.join("/");
    this.parents(segments, e.name);
    const existing = this.nodes.get(key);
    if (existing) {
      if (existing.type === "dir" && e.kind === "dir") return undefined;
      refuse(
        "DCM_ARCHIVE_DUPLICATE",
        `the path ${JSON.stringify(key)} is already in the archive (as a ${existing.type})`,
        e.name,
      );
    }
    this.claim(e.name);
    const path = this.dest === null ? "" : join(this.dest, ...segments);
    switch (e.kind) {
      case "dir":
        if (this.dest !== null) this.mkdir(path, e.name);
        this.nodes.set(key, { type: "dir" });
        return undefined;
      case "symlink":
        checkSymlinkTarget(e.name, e.linkTarget ?? "", this.limits);
        this.nodes.set(key, { type: "symlink", target: e.linkTarget ?? "", name: e.name });
        return undefined;
      case "hardlink":
        await this.hardLink(e, key, path);
        return undefined;
      case "file":
        return this.file(e, key, path);
    }
  }

  private parents(segments: string[], name: string): void {
    let key = "";
    for (let i = 1; i < segments.length; i++) {
      key = i === 1 ? segments[0]! : `${key}/${segments[i - 1]}`;
      const node = this.nodes.get(key);
      if (node?.type === "symlink")
        refuse(
          "DCM_ARCHIVE_THROUGH_SYMLINK",
          `its folder ${JSON.stringify(key)} is a symbolic link of the archive`,
          name,
        );
      if (node?.type === "file")
        refuse(
          "DCM_ARCHIVE_DUPLICATE",
          `${JSON.stringify(key)} is a file of the archive, but this entry needs it as a folder`,
          name,
        );
      if (!node) {
        this.claim(name);
        if (this.dest !== null) this.mkdir(join(this.dest, ...segments.slice(0, i)), name);
        this.nodes.set(key, { type: "dir" });
      }
    }
  }

  /** Counts one more node of the tree (an entry, or a folder an entry implies): each costs an inode and a write. */
  private claim(name: string): void {
    if (++this.entries > this.limits.maxFiles)
      refuse(
        "DCM_ARCHIVE_TOO_MANY_FILES",
        `the archive has more than ${this.limits.maxFiles} entries (files, folders and links, implied folders included)`,
        name,
      );
  }

  private mkdir(path: string, name: string): void {
    collisionAware(() => mkdirSync(path, { mode: 0o755 }), name);
  }

  /** Checks a file that reaches `fileSize` bytes when `more` bytes are added to the archive's total. */
  private count(fileSize: number, more: number, name: string): void {
    if (fileSize > this.limits.maxFileBytes)
      refuse(
        "DCM_ARCHIVE_FILE_TOO_LARGE",
        `the file is ${fileSize} bytes or more; the limit is ${this.limits.maxFileBytes}`,
        name,
      );
    if (this.bytes + more > this.limits.maxTotalBytes)
      refuse("DCM_ARCHIVE_TOO_LARGE", `the archive unpacks to more than ${this.limits.maxTotalBytes} bytes`, name);
  }

  private async hardLink(e: RawEntry, key: string, path: string): Promise<void> {
    const target = hardLinkSegments(e.name, e.linkTarget ?? "", this.limits).join("/");
    const node = this.nodes.get(target);
    if (!node)
      refuse(
        "DCM_ARCHIVE_HARDLINK",
        `the hard link points to ${JSON.stringify(target)}, which no earlier entry of the archive is`,
        e.name,
      );
    if (node.type !== "file")
      refuse(
        "DCM_ARCHIVE_HARDLINK",
        `the hard link points to ${JSON.stringify(target)}, a ${node.type}, not a file`,
        e.name,
      );
    this.count(node.size, node.size, e.name);
    this.bytes += node.size;
    // The source is a regular file this writer created under folders it made; COPYFILE_EXCL never replaces.
    if (this.dest !== null) await copyFile(join(this.dest, target), path, constants.COPYFILE_EXCL);
    else if (this.kept.has(target) && this.keep?.(key, node.size)) this.kept.set(key, this.kept.get(target)!);
    this.nodes.set(key, { ...node, name: e.name });
  }

  private async file(e: RawEntry, key: string, path: string): Promise<FileSink> {
    this.count(e.size, e.size, e.name);
    const mode = e.executable ? 0o755 : 0o644;
    const hash = createHash("sha256");
    let size = 0;
    const counted = (chunk: Buffer) => {
      size += chunk.length;
      this.count(size, chunk.length, e.name);
      this.bytes += chunk.length;
      hash.update(chunk);
    };
    const done = () =>
      this.nodes.set(key, { type: "file", size, sha256: hash.digest("hex"), executable: e.executable, name: e.name });
    if (this.dest === null) {
      const held: Buffer[] | undefined = this.keep?.(key, e.size) ? [] : undefined;
      return {
        write: async (chunk) => {
          counted(chunk);
          held?.push(chunk);
        },
        end: async () => {
          if (held) this.kept.set(key, Buffer.concat(held));
          done();
        },
      };
    }
    if (e.size <= SMALL_FILE_BYTES) {
      // Most files of a repository are small: held until their end, then written in one go, synchronously
      // (four async round trips per file through libuv's pool made unpacking I/O-latency bound).
      const chunks: Buffer[] = [];
      return {
        write: async (chunk) => {
          counted(chunk);
          if (size > SMALL_FILE_BYTES)
            refuse("DCM_ARCHIVE_CORRUPT", "the entry holds more bytes than its header says", e.name);
          chunks.push(chunk);
        },
        end: async () => {
          const fd = collisionAware(() => openSync(path, FILE_FLAGS, mode), e.name);
          try {
            writeFileSync(fd, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
            fchmodSync(fd, mode);
          } finally {
            closeSync(fd);
          }
          done();
        },
      };
    }
    const fh = await collisionAware(() => open(path, FILE_FLAGS, 0o644), e.name);
    this.open = fh;
    return {
      write: async (chunk) => {
        counted(chunk);
        await fh.write(chunk);
      },
      end: async () => {
        await fh.chmod(mode);
        await fh.close();
        this.open = undefined;
        done();
      },
    };
  }

  /** Lets the event loop run (HTTP, SSE, other builds) at least every YIELD_MS of unpacking. */
  private async breathe(): Promise<void> {
    if (performance.now() - this.lastYield < YIELD_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.lastYield = performance.now();
  }

  /** Closes a file left open by a refusal (its bytes are removed with the rest by the caller). */
  async abort(): Promise<void> {
    await this.open?.close().catch(() => {});
    this.open = undefined;
  }

  /** Strips a single top folder, checks and creates the links, and returns the files and the tree hash. */
  async finish(stripSingleFolder: boolean): Promise<UnpackResult> {
    const top = [...this.nodes.keys()].filter((k) => !k.includes("/"));
    const prefix =
      stripSingleFolder && top.length === 1 && this.nodes.get(top[0]!)?.type === "dir" && this.nodes.size > 1
        ? top[0]!
        : undefined;
    const tree = new Map<string, Node>();
    for (const [key, node] of this.nodes) {
      if (prefix === undefined) tree.set(key, node);
      else if (key !== prefix) tree.set(key.slice(prefix.length + 1), node);
    }
    if (![...tree.values()].some((n) => n.type !== "dir"))
      refuse("DCM_ARCHIVE_EMPTY", "the archive has folders only, or nothing");
    const budget = { steps: LINK_STEP_BUDGET };
    for (const [key, node] of tree) if (node.type === "symlink") resolveInside(tree, key, node, budget);
    if (prefix !== undefined) await this.strip(prefix);
    const files: UnpackedFile[] = [];
    const links: [string, string][] = [];
    for (const [key, node] of tree) {
      if (node.type === "symlink") {
        if (this.dest !== null) links.push([node.target, join(this.dest, ...key.split("/"))]);
        const sha256 = createHash("sha256").update(node.target).digest("hex");
        files.push({
          path: key,
          size: Buffer.byteLength(node.target),
          sha256,
          executable: false,
          symlink: node.target,
        });
      } else if (node.type === "file") {
        files.push({ path: key, size: node.size, sha256: node.sha256, executable: node.executable });
      }
    }
    // Links are independent of each other (their folders exist): a few at a time keep libuv's thread pool busy.
    for (let i = 0; i < links.length; i += LINK_BATCH)
      await Promise.all(links.slice(i, i + LINK_BATCH).map(([target, path]) => symlink(target, path)));
    files.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    const result: UnpackResult = { files, bytes: this.bytes, treeHash: treeHash(files) };
    if (prefix !== undefined) result.strippedPrefix = prefix;
    if (this.dest === null) {
      result.kept = new Map();
      for (const [key, bytes] of this.kept) {
        if (prefix === undefined) result.kept.set(key, bytes);
        else if (key.startsWith(`${prefix}/`)) result.kept.set(key.slice(prefix.length + 1), bytes);
      }
    }
    return result;
  }

  private async strip(prefix: string): Promise<void> {
    if (this.dest === null) return;
    const children = await readdir(join(this.dest, prefix));
    let aside = ".dcm-strip";
    while (aside === prefix || children.includes(aside)) aside += "_";
    await rename(join(this.dest, prefix), join(this.dest, aside));
    for (const child of children) await rename(join(this.dest, aside, child), join(this.dest, child));
    await rmdir(join(this.dest, aside));
  }
}

/** Walks a link's target through the finished tree, following other links; refuses any step above the root. */
function resolveInside(
  tree: Map<string, Node>,
  key: string,
  link: { target: string; name: string },
  budget: { steps: number },
): void {
  const cur = key.split("/").slice(0, -1);
  let queue = link.target.split("/");
  let hops = 0;
  while (queue.length > 0) {
    if (--budget.steps < 0)
      refuse(
        "DCM_ARCHIVE_SYMLINK_ESCAPE",
        `the archive's symbolic links take more than ${LINK_STEP_BUDGET} steps to check`,
        link.name,
      );
    const c = queue.shift()!;
    if (c === "" || c === ".") continue;
    if (c === "..") {
      if (cur.length === 0)
        refuse(
          "DCM_ARCHIVE_SYMLINK_ESCAPE",
          `the symbolic link's target ${JSON.stringify(link.target)} leads outside the repository`,
          link.name,
        );
      cur.pop();
      continue;
    }
    cur.push(c);
    const node = tree.get(cur.join("/"));
    if (node?.type === "symlink") {
      if (++hops > MAX_HOPS)
        refuse(
          "DCM_ARCHIVE_SYMLINK_ESCAPE",
          `the symbolic link's target ${JSON.stringify(link.target)} goes through more than ${MAX_HOPS} links (a loop?)`,
          link.name,
        );
      cur.pop();
      queue = [...node.target.split("/"), ...queue];
    }
  }
}

/** Runs `create`; EEXIST (only a case-insensitive or normalising file system gets there) is a duplicate. */
function collisionAware<T>(create: () => T, name: string): T {
  const duplicate = (err: unknown): never => {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      refuse(
        "DCM_ARCHIVE_DUPLICATE",
        "the path collides with another entry on this file system (letter case or Unicode form)",
        name,
      );
    throw err;
  };
  try {
    const r = create();
    return (r instanceof Promise ? r.catch(duplicate) : r) as T;
  } catch (err) {
    return duplicate(err);
  }
}

/** The tree hash of the file list (see the file header). */
export function treeHash(files: UnpackedFile[]): string {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const h = createHash("sha256");
  for (const f of sorted) {
    if (f.symlink !== undefined) h.update(`${f.path}\0l\0${f.symlink}\n`);
    else h.update(`${f.path}\0${f.executable ? "755" : "644"}\0${f.sha256}\n`);
  }
  return h.digest("hex");
}
