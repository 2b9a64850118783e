/**
 * An uploaded dist (`PUT <prefix>/api/dist`, a .tar.gz) is hostile input
 * until checked: every check of the build service's archive unpacking
 * (runtime/archive: names, links, bombs, sizes) runs while it is written
 * into a new folder of the server's own upload folder, never over a dist in
 * use. The caller then loads it like any dist (manifest, sha256 of every
 * module) and removes it if that fails. Uploads older than the last
 * KEPT_UPLOADS are removed after each successful deploy.
 */
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ArchiveLimits, archiveKindOf, unpackArchive } from "../../archive/unpack-archive.js";
import { DistributorError } from "../distributor-error.js";

/** Upload folders kept: the current dist's and the previous one's (its executer may still be draining). */
export const KEPT_UPLOADS = 2;

/** A dist is a few modules and their glue: far tighter limits than a repository's. */
export const DIST_ARCHIVE_LIMITS: Partial<ArchiveLimits> = {
  maxFiles: 1000,
  maxTotalBytes: 512 * 1024 * 1024,
  maxFileBytes: 256 * 1024 * 1024,
  maxDepth: 16,
};

export class UploadFolder {
  private root: string | null = null;
  private seq = 0;

  constructor(private readonly configured: string | undefined) {}

  private async base(): Promise<string> {
    if (this.root) return this.root;
    if (this.configured) {
      await mkdir(this.configured, { recursive: true });
      this.root = this.configured;
    } else this.root = await mkdtemp(join(tmpdir(), "dcm-deploys-"));
    return this.root;
  }

  /**
   * Unpacks `body` into a new folder and returns its path. Throws
   * DistributorError DCM_DEPLOY_NOT_A_DIST (400) for anything but a .tar.gz,
   * or the archive's DCM_ARCHIVE_* refusal (422); nothing is left behind.
   */
  async unpack(body: Buffer): Promise<string> {
    if (archiveKindOf(body.subarray(0, 8)) !== "tar.gz")
      throw new DistributorError(
        "DCM_DEPLOY_NOT_A_DIST",
        "the body is not a .tar.gz archive: send the dist folder packed as .tar.gz (`dcm deploy <dist> --to <url>` does it)",
        400,
      );
    const dir = join(await this.base(), `${Date.now()}-${++this.seq}`);
    try {
      await unpackArchive(body, "tar.gz", dir, DIST_ARCHIVE_LIMITS);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      const err = e as Error & { code?: string; diagnostics?: Array<{ message: string }> };
      if (typeof err.code === "string" && /^DCM_ARCHIVE_/.test(err.code))
        throw new DistributorError(err.code, `the uploaded dist was refused: ${err.diagnostics?.[0]?.message ?? err.message}`, 422);
      throw e;
    }
    return dir;
  }

  async discard(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  /** Removes the upload folders other than `keep`. */
  async prune(keep: string[]): Promise<void> {
    if (!this.root) return;
    const names = await readdir(this.root).catch(() => [] as string[]);
    for (const n of names) {
      const p = join(this.root, n);
      if (!keep.includes(p)) await rm(p, { recursive: true, force: true });
    }
  }

  /** Removes the whole upload folder when this server made it. */
  async close(): Promise<void> {
    if (this.root && !this.configured) await rm(this.root, { recursive: true, force: true });
  }
}
