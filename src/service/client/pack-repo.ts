/**
 * Packs a repository for `dcm submit` as a deterministic .tar.gz: the same
 * tree gives the same bytes (entries sorted by path, mtime 0, owner 0/0 with
 * no names, modes 644/755 only, no folders, gzip with a zero mtime), so the
 * service's content-addressed store answers an unchanged repository at once
 * and the upload can be compared byte for byte in tests.
 *
 * What is left out: whatever the repository's .gitignore files exclude
 * (nested ones apply below their folder, as git does; a folder git ignores
 * is not entered, so a later `!` rule cannot bring its files back), and
 * always `.git/`, `node_modules/`, `target/` and `dist/` at any depth
 * (gitignore's `name/` semantics), and the `exclude`d paths (the --out
 * folder). Symbolic links are packed as links; the service refuses those
 * that point outside the repository (DCM_ARCHIVE_SYMLINK_ESCAPE). Sockets,
 * FIFOs and devices are skipped.
 *
 * The limits are the service's default archive limits (files, bytes, one
 * file), checked while walking so that a repository the service would refuse
 * is refused here, before anything is read or uploaded, with what is big.
 *
 * Known limitations: .git/info/exclude and the user's global excludes file
 * are not read (only .gitignore files); the whole archive is held in memory
 * (the service's limits keep it at most a few hundred MiB).
 */
import { createHash } from "node:crypto";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { gzipSync } from "node:zlib";
import ignore, { type Ignore } from "ignore";
import { Header, Pax } from "tar";
import { dcmError } from "../../../runtime/diagnostics/catalog.js";
import { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS } from "../archive/unpack-archive.js";

/**
 * The service's default upload limit (src/service/create-build-service.ts's DEFAULT_UPLOAD_LIMIT; a
 * test keeps the two equal): repeated here so that the client does not load the server's code.
 */
export const SERVICE_UPLOAD_LIMIT = 256 * 1024 * 1024;

/** Left out at any depth, whatever the .gitignore files say. */
export const ALWAYS_LEFT_OUT = [".git/", "node_modules/", "target/", "dist/"];

export interface PackOptions {
  /** Absolute paths never packed (the --out folder when it is inside the repository). */
  exclude?: string[];
  limits?: Partial<Pick<ArchiveLimits, "maxFiles" | "maxTotalBytes" | "maxFileBytes">>;
  /** Bytes of the .tar.gz at most (default SERVICE_UPLOAD_LIMIT). */
  uploadLimit?: number;
}

export interface PackedEntry {
  /** Relative, `/`-separated. */
  path: string;
  size: number;
  executable: boolean;
  symlink?: string;
}

export interface PackedRepo {
  data: Buffer;
  sha256: string;
  entries: PackedEntry[];
  /** Bytes of the packed files before compression. */
  bytes: number;
}

interface Rules {
  /** The folder the rules belong to, relative to the root (`` for the root), `/`-separated. */
  base: string;
  ig: Ignore;
}

const always = ignore().add(ALWAYS_LEFT_OUT);

function ignored(rel: string, isDir: boolean, stack: Rules[]): boolean {
  const probe = isDir ? `${rel}/` : rel;
  if (always.ignores(probe)) return true;
  for (const r of stack) {
    const own = r.base ? probe.slice(r.base.length + 1) : probe;
    if (own && r.ig.ignores(own)) return true;
  }
  return false;
}

/** Every file and link of the repository that is packed, sorted by path, with the limits checked. */
export async function listRepo(repo: string, options: PackOptions = {}): Promise<PackedEntry[]> {
  const root = resolve(repo);
  const st = await lstat(root).catch(() => null);
  if (!st?.isDirectory())
    throw dcmError("DCM_SUBMIT_INPUT", `The repository ${repo} is not a folder.`, {
      suggestion: "Give `dcm submit` the repository's folder as its first argument.",
    });
  const lim = { ...DEFAULT_ARCHIVE_LIMITS, ...options.limits };
  const exclude = new Set((options.exclude ?? []).map((p) => resolve(p)));
  const entries: PackedEntry[] = [];
  let bytes = 0;
  const walk = async (dir: string, rel: string, stack: Rules[]): Promise<void> => {
    const gi = await readFile(join(dir, ".gitignore"), "utf8").catch(() => null);
    const rules = gi === null ? stack : [...stack, { base: rel, ig: ignore().add(gi) }];
    const names = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const d of names) {
      const abs = join(dir, d.name);
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (exclude.has(abs)) continue;
      if (d.isDirectory()) {
        if (!ignored(r, true, rules)) await walk(abs, r, rules);
        continue;
      }
      if (ignored(r, false, rules)) continue;
      if (d.isSymbolicLink()) {
        entries.push({ path: r, size: 0, executable: false, symlink: await readlink(abs) });
      } else if (d.isFile()) {
        const s = await lstat(abs);
        entries.push({ path: r, size: s.size, executable: (s.mode & 0o100) !== 0 });
        bytes += s.size;
      } else continue;
      if (entries.length > lim.maxFiles) throw tooBig(root, entries, `more than ${lim.maxFiles} files`);
      if (bytes > lim.maxTotalBytes) throw tooBig(root, entries, `more than ${mib(lim.maxTotalBytes)} in its files`);
    }
  };
  await walk(root, "", []);
  const huge = entries.filter((e) => e.size > lim.maxFileBytes);
  if (huge.length)
    throw dcmError(
      "DCM_SUBMIT_TOO_LARGE",
      `${huge.length} file(s) in ${repo} are larger than the service accepts for one file (${mib(lim.maxFileBytes)}): ${huge
        .slice(0, 5)
        .map((e) => `${e.path} (${mib(e.size)})`)
        .join(", ")}; nothing was uploaded.`,
      { suggestion: "Add them to .gitignore (data and binaries are not needed to build fragments)." },
    );
  // Sorted by the whole path (readdir order per folder is not the same as `a/b` vs `a.b`).
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** The refusal, naming the biggest top-level folders or files and how many files each holds. */
function tooBig(root: string, entries: PackedEntry[], what: string) {
  const groups = new Map<string, { files: number; bytes: number }>();
  for (const e of entries) {
    const top = e.path.includes("/") ? `${e.path.slice(0, e.path.indexOf("/"))}/` : e.path;
    const g = groups.get(top) ?? { files: 0, bytes: 0 };
    g.files++;
    g.bytes += e.size;
    groups.set(top, g);
  }
  const biggest = [...groups]
    .sort((a, b) => b[1].bytes - a[1].bytes || b[1].files - a[1].files)
    .slice(0, 5)
    .map(([name, g]) => `${name} (${g.files} files, ${mib(g.bytes)})`);
  return dcmError(
    "DCM_SUBMIT_TOO_LARGE",
    `The repository ${relative(process.cwd(), root) || "."} has ${what} after .gitignore, more than the service accepts; nothing was uploaded. The biggest: ${biggest.join(", ")}.`,
    {
      suggestion:
        "Add generated files, dependencies and data to .gitignore, or submit the subfolder that holds the code the CFD names.",
    },
  );
}

const BLOCK = 512;

function tarEntry(e: PackedEntry, data: Buffer | null): Buffer[] {
  const fields = {
    path: e.path,
    mode: e.symlink !== undefined ? 0o777 : e.executable ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    uname: "",
    gname: "",
    size: data?.length ?? 0,
    mtime: new Date(0),
    type: e.symlink !== undefined ? ("SymbolicLink" as const) : ("File" as const),
    ...(e.symlink !== undefined ? { linkpath: e.symlink } : {}),
  };
  const header = new Header(fields);
  const out: Buffer[] = [];
  // A path or link past ustar's fields goes in a PAX header before the entry (node-tar's own rule).
  if (header.encode()) {
    out.push(
      new Pax({
        path: e.path,
        ...(e.symlink !== undefined ? { linkpath: e.symlink } : {}),
        size: data?.length ?? 0,
        mtime: new Date(0),
      }).encode(),
    );
  }
  out.push(header.block!);
  if (data?.length) {
    out.push(data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) out.push(Buffer.alloc(pad));
  }
  return out;
}

/** Packs the repository (see the file header); throws DcmError DCM_SUBMIT_* when it is not a folder or too big. */
export async function packRepo(repo: string, options: PackOptions = {}): Promise<PackedRepo> {
  const root = resolve(repo);
  const entries = await listRepo(root, options);
  const parts: Buffer[] = [];
  let bytes = 0;
  for (const e of entries) {
    const data = e.symlink !== undefined ? null : await readFile(join(root, ...e.path.split("/")));
    // The file changed size between the walk and now: pack what is there, count what was read.
    if (data) {
      e.size = data.length;
      bytes += data.length;
    }
    parts.push(...tarEntry(e, data));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  // zlib writes a zero mtime and the same OS byte on every call: identical tars give identical gzip bytes.
  const data = gzipSync(Buffer.concat(parts), { level: 6 });
  if (data.length > (options.uploadLimit ?? SERVICE_UPLOAD_LIMIT))
    throw dcmError(
      "DCM_SUBMIT_TOO_LARGE",
      `The packed repository is ${mib(data.length)}, more than the service's upload limit (${mib(options.uploadLimit ?? SERVICE_UPLOAD_LIMIT)}); nothing was uploaded.`,
      {
        suggestion:
          "Add generated files, dependencies and data to .gitignore, or submit a smaller part of the repository.",
      },
    );
  return { data, sha256: createHash("sha256").update(data).digest("hex"), entries, bytes };
}

/** The CFD's path inside the repository (`/`-separated), or null when it lies outside. */
export function cfdPathIn(repo: string, cfd: string): string | null {
  const rel = relative(resolve(repo), resolve(cfd));
  if (!rel || rel.startsWith("..") || resolve(rel) === rel) return null;
  return rel.split(sep).join("/");
}
