/**
 * Node-only: the entry of `dcm/client` under Node (package.json's `node`
 * export condition). The same API as the browser entry (index.ts), with the
 * defaults a Node process needs:
 *  - `WebSocket`: Node 20 has no global WebSocket; the `ws` package's is used
 *    when the global one is missing;
 *  - `dist`: a local dist folder (the one `dcm build` wrote) instead of
 *    `manifest`/`manifestUrl`: manifest.json and the client modules are read
 *    from disk, each module checked against the manifest's sha256;
 *  - `executor: "worker"` runs the worker pool on worker_threads
 *    (nodeWorkerSpawner) unless `spawn` is given.
 *
 *   import { createClient } from "dcm/client";
 *   const dcm = await createClient({ url: "ws://127.0.0.1:3000/dcm/ws", getToken, dist: "./dist" });
 *
 * Never served to browsers (serve-web.ts lists it as Node-only).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { WebSocket as NodeWebSocket } from "ws";
import { FragmentCallError } from "../abi/call-error.js";
import type { Manifest } from "../abi/manifest-types.js";
import { readDistFile } from "../node/dist-files.js";
import {
  type ClientOptions,
  createClient as createBrowserClient,
  type DcmClient,
  type WebSocketCtor,
} from "./client-distributor.js";
import { nodeWorkerSpawner } from "./node-endpoint.js";

export * from "./index.js";
export { nodeWorkerSpawner, type NodeSpawnerOptions } from "./node-endpoint.js";

export interface NodeClientOptions extends Omit<ClientOptions, "manifest"> {
  manifest?: Manifest;
  /** A dist folder on disk: its manifest.json and client modules are used (sha256-checked) unless `manifest`/`loadModule` are given. */
  dist?: string;
}

async function readManifest(dist: string): Promise<Manifest> {
  const file = join(dist, "manifest.json");
  try {
    return JSON.parse(await readFile(file, "utf8")) as Manifest;
  } catch (e) {
    throw new FragmentCallError(
      "DCM_MANIFEST_INVALID",
      `${file} cannot be read as a manifest (${(e as Error).message}); pass the folder \`dcm build\` wrote.`,
      "",
    );
  }
}

/** createClient with Node's defaults (see the top of this file). */
export async function createClient(opts: NodeClientOptions): Promise<DcmClient> {
  const { dist, ...rest } = opts;
  const o: ClientOptions = { ...rest };
  if (!o.WebSocket && typeof (globalThis as { WebSocket?: unknown }).WebSocket !== "function") {
    o.WebSocket = NodeWebSocket as unknown as WebSocketCtor;
  }
  if (dist !== undefined) {
    if (!o.manifest && !o.manifestUrl) o.manifest = await readManifest(dist);
    o.loadModule ??= async (m) => {
      const { bytes } = await readDistFile(dist, m.file, m.sha256, "module").catch(
        (e: { code?: string; message: string }) => {
          throw new FragmentCallError(e.code ?? "DCM_MODULE_MISSING", e.message, "");
        },
      );
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    };
  }
  if (o.executor === "worker" && !o.spawn) o.spawn = nodeWorkerSpawner();
  return createBrowserClient(o);
}
