/**
 * Where `dcm build --out <dir>` may write, and how it gets there without
 * losing anything.
 *
 * - Only a dist dcm made is replaced: a folder holding the marker file
 *   `.dcm-dist` (written next to manifest.json) and a dcm manifest, and no
 *   file the manifest does not account for. A dist of an older dcm (no
 *   marker) counts when its manifest says `createdBy: "dcm …"` and every file
 *   is accounted for. A missing or empty folder is fine. Anything else (a
 *   folder of other files, a file, a symbolic link, the repository, the CFD's
 *   folder, the current folder, $HOME, the cache, any ancestor of those, `/`)
 *   is refused with DCM_OUT_UNSAFE before anything is touched.
 * - The dist is built in a staging folder beside the target
 *   (`.<name>.tmp-<pid>-XXXXXX`) and swapped in by two renames; the old dist
 *   is removed after. Every temporary path of a build (staging, compiler work
 *   folders, `.tmp-<pid>` cache files) is tracked here so that the CLI can
 *   remove them when SIGINT/SIGTERM arrives (`removeTempsSync`). A build
 *   killed outright (SIGKILL) leaves them behind; the next build removes
 *   those whose pid no longer runs (`removeStaleTemps`).
 * - File-system errors on the way (EACCES, EROFS, ENOENT under /proc, …)
 *   become DCM_BUILD_OUTPUT diagnostics.
 *
 * Known limitations: the swap is two renames, not one atomic exchange (Node
 * has no renameat2): for an instant the target does not exist, but at no time
 * is either dist lost. A pid reused by another process keeps its leftovers
 * until a later build. Builds in other pid namespaces (containers) that share
 * an output folder or cache with this one look dead from here: do not share a
 * cache folder across containers while builds run. Compiler processes still
 * running when the CLI exits on a signal are stopped by execa's exit hook; a
 * file one of them writes after that is removed by the next build.
 */
import { rmSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { DcmError, diag } from "../../runtime/diagnostics/catalog.js";

/** The marker file every dist carries, and its content (a format tag). */
export const DIST_MARKER = ".dcm-dist";
export const DIST_FORMAT = "dcm-dist 1";
const MARKER_TEXT = `${DIST_FORMAT}\nThis folder was written by \`dcm build\`; the next build into it replaces it whole.\n`;

/** Files a dist holds besides its modules and glue. */
const DIST_FILES = ["manifest.json", "fragments.js", "fragments.d.ts", DIST_MARKER];
/** More files than a dist ever has: the folder is not a dist (and is not walked further). */
const MAX_WALK = 2_000;

// ---- temporary paths of the running build ----

const temps = new Set<string>();

export function trackTemp(path: string): string {
  temps.add(path);
  return path;
}

export function untrackTemp(path: string): void {
  temps.delete(path);
}

/** Removes every temporary path of builds in this process (synchronous: the CLI calls it from a signal handler). */
export function removeTempsSync(): number {
  let n = 0;
  for (const p of temps) {
    try {
      rmSync(p, { recursive: true, force: true });
      n++;
    } catch {
      // Best effort: the next build removes what is left (removeStaleTemps).
    }
  }
  temps.clear();
  return n;
}

/** The pid part of names made by `tempPrefix` (and of `<file>.tmp-<pid>` cache files). */
const PID_IN_NAME = /\.tmp-(\d+)(?:[-.]|$)/;

/** A name part that tells whose build made a temporary path: `…tmp-<pid>-`. */
export function tempPrefix(base: string): string {
  return `${base}.tmp-${process.pid}-`;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes what builds that no longer run left in `dir`: entries whose name
 * `matches` and carries the pid of a process that is gone. Never throws.
 */
export async function removeStaleTemps(dir: string, matches: (name: string) => boolean): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!matches(name)) continue;
    const m = PID_IN_NAME.exec(name);
    const pid = Number(m?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
    await rm(join(dir, name), { recursive: true, force: true }).then(
      () => removed.push(name),
      () => {},
    );
  }
  return removed;
}

// ---- is the target safe to replace? ----

/** `p` resolved through the symbolic links of its longest existing prefix. */
async function realish(p: string): Promise<string> {
  let cur = resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await realpath(cur), ...rest.reverse());
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return resolve(p);
      rest.push(basename(cur));
      cur = parent;
    }
  }
}

const within = (ancestor: string, p: string) =>
  p === ancestor || p.startsWith(ancestor.endsWith(sep) ? ancestor : ancestor + sep);

function unsafe(out: string, what: string): DcmError {
  return new DcmError(
    diag(
      "DCM_OUT_UNSAFE",
      `--out ${out} ${what}; dcm replaces only a folder that \`dcm build\` made (it holds ${DIST_MARKER}), and touched nothing.`,
      {
        suggestion: `Give --out a new or empty folder, or move or remove ${out} yourself if you no longer need what is there.`,
      },
    ),
  );
}

export function outputError(path: string, e: unknown): DcmError {
  const err = e as NodeJS.ErrnoException;
  const msg = String(err?.message ?? e);
  const why = err?.code && !msg.startsWith(err.code) ? `${err.code}: ${msg}` : msg;
  return new DcmError(
    diag("DCM_BUILD_OUTPUT", `Cannot write the dist at ${path} (${why}).`, {
      suggestion: "Choose an --out folder in a place you can write to (not under /proc or a read-only file system).",
    }),
  );
}

/** Every file under `dir` (relative, `/`-separated), or null when there are more than MAX_WALK entries or anything but files and folders. */
async function listFiles(dir: string): Promise<string[] | null> {
  const files: string[] = [];
  const queue = [""];
  let seen = 0;
  while (queue.length) {
    const rel = queue.shift()!;
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      if (++seen > MAX_WALK) return null;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) queue.push(r);
      else if (e.isFile()) files.push(r);
      else return null;
    }
  }
  return files;
}

/** Why the folder is not a replaceable dist, or null when it is one. */
async function notADist(dir: string): Promise<string | null> {
  const files = await listFiles(dir);
  if (!files) return "is a folder with many entries or special files, not a dcm dist";
  const marker = await readFile(join(dir, DIST_MARKER), "utf8").catch(() => null);
  let manifest: Manifest | null = null;
  try {
    manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Manifest;
  } catch {
    manifest = null;
  }
  const shown = files.slice(0, 5).join(", ") + (files.length > 5 ? `, … (${files.length} files)` : "");
  const isManifest =
    manifest &&
    typeof manifest === "object" &&
    Array.isArray(manifest.modules) &&
    typeof manifest.manifestVersion === "number";
  const marked = marker?.split("\n")[0] === DIST_FORMAT;
  const legacy = isManifest && typeof manifest!.createdBy === "string" && manifest!.createdBy.startsWith("dcm ");
  if (!isManifest || (!marked && !legacy)) return `holds files dcm did not write (${shown})`;
  const known = new Set(DIST_FILES);
  for (const m of manifest!.modules) {
    if (typeof m?.file === "string") known.add(m.file);
    if (typeof m?.glue?.file === "string") known.add(m.glue.file);
  }
  const foreign = files.filter((f) => !known.has(f));
  if (foreign.length)
    return `is a dcm dist that also holds files dcm did not write (${foreign.slice(0, 5).join(", ")}${foreign.length > 5 ? ", …" : ""})`;
  return null;
}

export interface OutContext {
  repo: string;
  cfd: string;
  cacheDir: string;
}

/**
 * Throws DCM_OUT_UNSAFE unless `out` is missing, an empty folder, or a dist
 * dcm made; DCM_BUILD_OUTPUT when it cannot even be looked at. Reads only.
 */
export async function checkOutDir(out: string, ctx: OutContext): Promise<void> {
  const real = await realish(out);
  const keep: Array<[string, string]> = [
    [await realish(ctx.repo), "the repository"],
    [dirname(await realish(ctx.cfd)), "the CFD's folder"],
    [await realish(process.cwd()), "the current folder"],
    [await realish(homedir()), "your home folder"],
    [await realish(ctx.cacheDir), "dcm's cache folder"],
  ];
  if (dirname(real) === real) throw unsafe(out, "is the root of the file system");
  for (const [p, name] of keep) {
    if (real === p) throw unsafe(out, `is ${name}`);
    if (within(real, p)) throw unsafe(out, `holds ${name} (${relative(real, p) || "."})`);
  }
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw outputError(out, e);
  }
  if (st.isSymbolicLink()) throw unsafe(out, "is a symbolic link");
  if (!st.isDirectory()) throw unsafe(out, "is a file, not a folder");
  let why: string | null;
  try {
    why = (await readdir(out)).length === 0 ? null : await notADist(out);
  } catch (e) {
    throw outputError(out, e);
  }
  if (why) throw unsafe(out, why);
}

/** True when `dir` carries the marker of this dist format. */
export async function hasDistMarker(dir: string): Promise<boolean> {
  const text = await readFile(join(dir, DIST_MARKER), "utf8").catch(() => null);
  return text?.split("\n")[0] === DIST_FORMAT;
}

// ---- staging and swap ----

const stagingBase = (out: string) => `.${basename(out)}`;

/** Creates the staging folder beside `out` (its parent is created when missing), after removing dead builds' leftovers there. */
export async function makeStaging(out: string): Promise<string> {
  const parent = dirname(out);
  try {
    await mkdir(parent, { recursive: true });
    const base = stagingBase(out);
    await removeStaleTemps(parent, (n) => n.startsWith(`${base}.tmp-`));
    const staging = trackTemp(await mkdtemp(join(parent, tempPrefix(base))));
    await writeFile(join(staging, DIST_MARKER), MARKER_TEXT);
    return staging;
  } catch (e) {
    throw outputError(out, e);
  }
}

/** Removes a staging folder that will not be swapped in. */
export async function discardStaging(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true }).catch(() => {});
  untrackTemp(staging);
}

/** Swaps the finished dist in after checking `out` again (it may have changed during the build); the old one is removed after. */
export async function swapIn(staging: string, out: string, ctx: OutContext): Promise<void> {
  await checkOutDir(out, ctx);
  const old = trackTemp(`${staging}.old`);
  try {
    const hadOut = await lstat(out).then(
      () => true,
      () => false,
    );
    if (hadOut) await rename(out, old);
    try {
      await rename(staging, out);
    } catch (e) {
      // Put the previous dist back: a failed build never loses it.
      if (hadOut) await rename(old, out).catch(() => {});
      throw e;
    }
    untrackTemp(staging);
    if (hadOut) await rm(old, { recursive: true, force: true });
  } catch (e) {
    throw e instanceof DcmError ? e : outputError(out, e);
  } finally {
    untrackTemp(old);
  }
}
