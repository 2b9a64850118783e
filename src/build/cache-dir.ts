/**
 * dcm's cache folder (modules by content key, compiler work folders, cargo's
 * target folders, parse results under parses/: parse-cache-store.ts):
 * DCM_CACHE_DIR, else $XDG_CACHE_HOME/dcm, else ~/.cache/dcm.
 * Its own file so that language adapters can use it without importing the build.
 */
import { homedir } from "node:os";
import { join } from "node:path";

export function defaultCacheDir(): string {
  return process.env.DCM_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "dcm");
}
