/**
 * Type-check results kept in dcm's cache folder (`<cache>/ts-check/`), so
 * that an unchanged rebuild does not load the compiler again. An entry is
 * found by a key over what decides the run before it happens (compiler
 * version, options source, roots), and used only when every file the run
 * read still has the same sha256 and no file module resolution looked for
 * has appeared since.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { type CheckRun, sha256 } from "./ts-program.js";

const FORMAT = 1;

interface Entry {
  format: number;
  key: string;
  run: CheckRun;
}

function entryPath(cacheDir: string, key: string): string {
  return join(cacheDir, "ts-check", `${key}.json`);
}

function fileHash(repo: string, file: string): string | undefined {
  try {
    return sha256(readFileSync(isAbsolute(file) ? file : join(repo, file)));
  } catch {
    return undefined;
  }
}

/** The cached run for `key`, when it still describes the files on disk. */
export function readCachedRun(cacheDir: string, key: string, repo: string): CheckRun | undefined {
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(entryPath(cacheDir, key), "utf8")) as Entry;
  } catch {
    return undefined;
  }
  if (entry.format !== FORMAT || entry.key !== key) return undefined;
  for (const f of entry.run.files) if (fileHash(repo, f.file) !== f.sha256) return undefined;
  for (const f of entry.run.absent) if (existsSync(join(repo, f))) return undefined;
  return entry.run;
}

/** Stores a run; a cache that cannot be written only costs the next check its speed. */
export function writeCachedRun(cacheDir: string, key: string, run: CheckRun): void {
  const path = entryPath(cacheDir, key);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    mkdirSync(join(cacheDir, "ts-check"), { recursive: true });
    writeFileSync(tmp, JSON.stringify({ format: FORMAT, key, run } satisfies Entry));
    renameSync(tmp, path);
  } catch {
    // read-only cache folder: check again next time
  }
}
