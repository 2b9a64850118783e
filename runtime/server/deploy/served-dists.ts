/**
 * The client files of the dists a server serves (manifest.json,
 * fragments.js, fragments.d.ts, the portable modules meant for the client
 * and their glue — never the server plugins), read into memory once and
 * verified like every host reads them (inside the dist, present, with the
 * manifest's sha256). After a live redeploy the previous dists stay served
 * under their versioned path so that a client still loading (or still
 * running) an older build finds its files; the last KEPT are kept.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Manifest } from "../../abi/manifest-types.js";
import { DistFileError, readDistFile } from "../../node/dist-files.js";
import { DistributorError } from "../distributor-error.js";

export interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  ".json": "application/json; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
};

/** Dists served at once: the current one and the two before it. */
export const KEPT_DISTS = 3;

/** Reads and verifies a dist's client files; throws DistributorError for a missing or altered module. */
export async function readClientFiles(dir: string, manifest: Manifest): Promise<Map<string, StaticFile>> {
  const bodies: Array<[string, Buffer | null]> = [];
  for (const name of ["manifest.json", "fragments.js", "fragments.d.ts"])
    bodies.push([name, await readFile(join(dir, name)).catch(() => null)]);
  const read = (file: string, sha256: string, what: string) =>
    readDistFile(dir, file, sha256, what).then(
      (r) => r.bytes,
      (e) => {
        throw e instanceof DistFileError ? new DistributorError(e.code, e.message) : e;
      },
    );
  for (const m of manifest.modules) {
    if (m.target === "native" || !m.sides.includes("client")) continue;
    bodies.push([m.file, await read(m.file, m.sha256, "client module")]);
    if (m.glue) bodies.push([m.glue.file, await read(m.glue.file, m.glue.sha256, "glue")]);
  }
  const files = new Map<string, StaticFile>();
  for (const [name, body] of bodies) {
    if (!body) continue;
    const ext = name.slice(name.lastIndexOf("."));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
    files.set(name, { body, type: TYPES[ext] ?? "application/octet-stream", etag });
  }
  return files;
}

export class ServedDists {
  /** buildKey -> files, oldest first. */
  private readonly byKey = new Map<string, Map<string, StaticFile>>();
  private currentKey = "";

  /** Makes `key` the current dist (the one `<prefix>/dist/` serves); older ones beyond KEPT_DISTS are dropped. */
  add(key: string, files: Map<string, StaticFile>): void {
    this.byKey.delete(key);
    this.byKey.set(key, files);
    this.currentKey = key;
    while (this.byKey.size > KEPT_DISTS) this.byKey.delete(this.byKey.keys().next().value!);
  }

  current(name: string): StaticFile | undefined {
    return this.byKey.get(this.currentKey)?.get(name);
  }

  versioned(key: string, name: string): StaticFile | undefined {
    return this.byKey.get(key)?.get(name);
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }
}
