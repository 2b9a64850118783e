/** Helpers of the archive tests: folders as the tests expect them, independent of the code under test. */
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { DcmError } from "../../../runtime/diagnostics/catalog.js";
import type { ArchiveRefusal } from "../../../src/service/archive/archive-refusal.js";
import { type ArchiveLimits, checkArchive, unpackArchive } from "../../../src/service/archive/unpack-archive.js";

export interface FolderFile {
  path: string;
  mode: "644" | "755" | "l";
  /** sha256 of the content, or the link's target. */
  value: string;
}

/** Every file and link below `root` (folders are implied), sorted by path bytes. */
export function listFolder(root: string, prefix = ""): FolderFile[] {
  const out: FolderFile[] = [];
  for (const name of readdirSync(join(root, prefix))) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const full = join(root, rel);
    const st = lstatSync(full);
    if (st.isSymbolicLink()) out.push({ path: rel, mode: "l", value: readlinkSync(full) });
    else if (st.isDirectory()) out.push(...listFolder(root, rel));
    else
      out.push({
        path: rel,
        mode: st.mode & 0o111 ? "755" : "644",
        value: createHash("sha256").update(readFileSync(full)).digest("hex"),
      });
  }
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/** The tree hash as the API documents it, computed from a folder on disk. */
export function folderTreeHash(root: string): string {
  const h = createHash("sha256");
  for (const f of listFolder(root)) h.update(`${f.path}\0${f.mode}\0${f.value}\n`);
  return h.digest("hex");
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `dcm-archive-${tag}-`));
}

/** Every path below `dir` (folders too), for "nothing else was written" checks. */
export function allPaths(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${name}` : name;
    out.push(rel);
    const st = lstatSync(join(dir, rel));
    if (st.isDirectory() && !st.isSymbolicLink()) out.push(...allPaths(dir, rel));
  }
  return out.sort();
}

/** Awaits a refusal and checks its code (and that it is a DcmError, not another exception). */
export async function expectRefusal(p: Promise<unknown>, code: string): Promise<DcmError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}, got success`).toBeInstanceOf(DcmError);
  expect((err as DcmError).code).toBe(code);
  expect((err as DcmError).diagnostics[0]!.suggestion).toBeTruthy();
  return err as DcmError;
}

let staged = 0;
/** A fresh folder holding `sentinel/keep.txt`; the destination is `<it>/dest` (not created). */
export function stage(work: string): { dir: string; dest: string; sentinel: string } {
  const dir = join(work, `case-${++staged}`);
  mkdirSync(join(dir, "sentinel"), { recursive: true });
  writeFileSync(join(dir, "sentinel", "keep.txt"), "keep\n");
  return { dir, dest: join(dir, "dest"), sentinel: join(dir, "sentinel") };
}

export function expectUntouched(dir: string): void {
  expect(allPaths(dir)).toEqual(["sentinel", "sentinel/keep.txt"]);
  expect(readFileSync(join(dir, "sentinel", "keep.txt"), "utf8")).toBe("keep\n");
}

export interface Case {
  title: string;
  kind: "tar.gz" | "zip";
  bytes: (sentinel: string) => Buffer;
  code: string;
  /** The entry named in the refusal (checked in the message too). */
  entry?: string;
  limits?: Partial<ArchiveLimits>;
  /** A word the refusal's message must hold (what the entry is, the limit…). */
  says?: string;
}

/** Unpacks the case's archive beside a sentinel: refused with its code (and entry), nothing left. */
export async function refusedAndClean(work: string, c: Case): Promise<void> {
  const { dir, dest, sentinel } = stage(work);
  const err = await expectRefusal(unpackArchive(c.bytes(sentinel), c.kind, dest, c.limits), c.code);
  if (c.entry !== undefined) {
    expect((err as ArchiveRefusal).entry).toBe(c.entry);
    expect(err.message).toContain(JSON.stringify(c.entry));
  }
  if (c.says !== undefined) expect(err.message).toContain(c.says);
  expectUntouched(dir);
  // The check-only pass refuses the same archive the same way.
  const checked = await expectRefusal(checkArchive(c.bytes(sentinel), c.kind, c.limits), c.code);
  if (c.entry !== undefined) expect((checked as ArchiveRefusal).entry).toBe(c.entry);
  expectUntouched(dir);
}
