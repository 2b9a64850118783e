/**
 * Puts a dist downloaded from the build service into `--out`, with the
 * safety of `dcm build --out` (src/build/out-dir.ts): only a missing or
 * empty folder or a dist dcm made is replaced, by a staging folder swapped
 * in; the download is unpacked with the service's own archive checks
 * (unpackArchive: no `..`, no links out, bounded sizes) and every file is
 * verified before the swap:
 *   - manifest.json must be the manifest of the build's record;
 *   - each module and glue file must have the sha256 the manifest gives it;
 *   - every other file must have the sha256 the service gives it (the ETag
 *     of GET /dcm/builds/{id}/dist/{file}); the `.dcm-dist` marker is
 *     written by this side, as `dcm build` does;
 *   - nothing else (no links, no file the manifest does not account for).
 * A mismatch is DCM_SUBMIT_DIST and leaves --out as it was.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Manifest } from "../../../runtime/abi/manifest-types.js";
import { dcmError } from "../../../runtime/diagnostics/catalog.js";
import { DIST_MARKER, discardStaging, makeStaging, type OutContext, swapIn } from "../../build/out-dir.js";
import { unpackArchive } from "../archive/unpack-archive.js";

export interface InstalledFile {
  path: string;
  size: number;
  sha256: string;
}

/** Canonical JSON (sorted keys): the manifest compared without regard to key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

function mismatch(what: string) {
  return dcmError("DCM_SUBMIT_DIST", `The dist downloaded from the build service ${what}; --out was left as it was.`, {
    suggestion: "Submit again; if it happens again, the service's store is damaged: tell its operator.",
  });
}

export async function installDist(
  archive: Buffer,
  manifest: Manifest | undefined,
  out: string,
  ctx: OutContext,
  /** The service's sha256 of a dist file the manifest does not hash (fragments.js, .dcm-dist…). */
  shaOf: (file: string) => Promise<string | null>,
): Promise<InstalledFile[]> {
  const staging = await makeStaging(out);
  try {
    // unpackArchive wants an empty folder: the marker makeStaging wrote goes back after the unpack.
    const marker = await readFile(join(staging, DIST_MARKER));
    await rm(join(staging, DIST_MARKER));
    const unpacked = await unpackArchive(archive, "tar.gz", staging, {}, { stripSingleFolder: false });
    const links = unpacked.files.filter((f) => f.symlink !== undefined);
    if (links.length) throw mismatch(`holds symbolic links (${links.map((f) => f.path).join(", ")})`);
    const byPath = new Map(unpacked.files.map((f) => [f.path, f]));
    const inDist = byPath.get("manifest.json");
    if (!inDist) throw mismatch("has no manifest.json");
    const own = JSON.parse(await readFile(join(staging, "manifest.json"), "utf8")) as Manifest;
    if (manifest && canonical(own) !== canonical(manifest))
      throw mismatch("holds a manifest.json other than the build's (GET /dcm/builds/{id})");
    const hashed = new Map<string, string>();
    for (const m of own.modules) {
      hashed.set(m.file, m.sha256);
      if (m.glue) hashed.set(m.glue.file, m.glue.sha256);
    }
    for (const [file, sha] of hashed) {
      const f = byPath.get(file);
      if (!f) throw mismatch(`lacks ${file}, which its manifest lists`);
      if (f.sha256 !== sha) throw mismatch(`holds ${file} with sha256 ${f.sha256}, not the manifest's ${sha}`);
    }
    for (const f of unpacked.files) {
      // The marker is dcm's own fixed text: ours replaces it below.
      if (hashed.has(f.path) || f.path === DIST_MARKER) continue;
      const sha = await shaOf(f.path);
      if (sha === null) throw mismatch(`holds ${f.path}, a file the service does not list`);
      if (sha !== f.sha256) throw mismatch(`holds ${f.path} with sha256 ${f.sha256}, not the service's ${sha}`);
    }
    await writeFile(join(staging, DIST_MARKER), marker);
    await swapIn(staging, out, ctx);
    return unpacked.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }));
  } catch (e) {
    await discardStaging(staging);
    throw e;
  }
}
