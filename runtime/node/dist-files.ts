/**
 * Reading a file a manifest names, the way every Node host does (loadDist /
 * openDist / `dcm invoke`, the server distributor, the server's static dist
 * route): the path must be a plain relative path (runtime/abi/dist-paths.ts)
 * and must stay inside the dist after symbolic links are followed
 * (DCM_MANIFEST_UNSAFE_PATH); a missing file is DCM_MODULE_MISSING, a file
 * whose sha256 differs from the manifest's DCM_MODULE_CORRUPT.
 *
 * Known limitations: the file is checked, then read; a symbolic link swapped
 * in between by someone who can write the dist is not caught (whoever can
 * write the dist can change the manifest too).
 */
import { createHash } from "node:crypto";
import { readFile, realpath } from "node:fs/promises";
import { join, sep } from "node:path";
import { distPathProblem } from "../abi/dist-paths.js";

export class DistFileError extends Error {
  constructor(
    readonly code: "DCM_MANIFEST_UNSAFE_PATH" | "DCM_MODULE_MISSING" | "DCM_MODULE_CORRUPT",
    message: string,
  ) {
    super(message);
    this.name = "DistFileError";
  }
}

/** The absolute path of `rel` in `dir`, after checking that it stays inside `dir` (symbolic links followed). */
export async function distFilePath(dir: string, rel: unknown, what: string): Promise<string> {
  const why = distPathProblem(rel);
  if (why)
    throw new DistFileError(
      "DCM_MANIFEST_UNSAFE_PATH",
      `${what} path ${JSON.stringify(rel)?.slice(0, 200)} in ${join(dir, "manifest.json")} ${why}; refused.`,
    );
  const full = join(dir, rel as string);
  let real: string;
  let realDir: string;
  try {
    realDir = await realpath(dir);
    real = await realpath(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR")
      throw new DistFileError(
        "DCM_MODULE_MISSING",
        `${full} (the ${what} ${join(dir, "manifest.json")} lists) is missing. Rebuild the dist, or copy the whole dist folder.`,
      );
    throw new DistFileError(
      "DCM_MODULE_MISSING",
      `${full} (the ${what} ${join(dir, "manifest.json")} lists) cannot be read: ${(e as Error).message}.`,
    );
  }
  if (!real.startsWith(realDir + sep))
    throw new DistFileError(
      "DCM_MANIFEST_UNSAFE_PATH",
      `${what} ${full} is a symbolic link to ${real}, outside the dist folder; refused.`,
    );
  return full;
}

/** The bytes of a file the manifest names, checked against `sha256` when given. */
export async function readDistFile(
  dir: string,
  rel: unknown,
  sha256: string | undefined,
  what: string,
): Promise<{ path: string; bytes: Buffer }> {
  const path = await distFilePath(dir, rel, what);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new DistFileError(
      "DCM_MODULE_MISSING",
      `${path} (the ${what} the manifest lists) cannot be read: ${(e as Error).message}.`,
    );
  }
  if (sha256 !== undefined) {
    const digest = createHash("sha256").update(bytes).digest("hex");
    if (digest !== sha256)
      throw new DistFileError(
        "DCM_MODULE_CORRUPT",
        `${path} has sha256 ${digest}, the manifest says ${sha256}. Rebuild the dist.`,
      );
  }
  return { path, bytes };
}
