/**
 * A ready fastify server around the Code Distributor (what `dcm run` starts):
 * the distributor plugin, the dist's client files under `<prefix>/dist/`,
 * and extension hooks for more routes (the API Controller, an example page).
 *
 *   const app = await createDcmServer({ dist, auth, allowedOrigins, apiKeys });
 *   await app.register(myApi, { control: app.dcm.control, apiKeys: app.dcm.apiKeys });
 *   await app.listen({ port: 8080, host: "127.0.0.1" });
 *
 * Only client-side files are served: manifest.json, fragments.js,
 * fragments.d.ts, the portable modules meant for the client (and their glue) — never the
 * server plugins.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { DistributorControl } from "./control-types.js";
import { DistFileError, readDistFile } from "../node/dist-files.js";
import type { Distributor } from "./distributor.js";
import { DistributorError } from "./distributor-error.js";
import type { DistributorOptions } from "./options.js";
import {
  clientErrorHandler,
  clip,
  frameworkError,
  httpErrorHandler,
  notFound,
  sendError,
  urlLengthHook,
  withSecurityHeaders,
} from "./http-shape.js";
import { registerDistributor } from "./plugin.js";

export interface DcmServerContext {
  distributor: Distributor;
  /** What the API Controller talks to. */
  control: DistributorControl;
  /** Keys for the API Controller (REST); separate from the clients' JWTs. */
  apiKeys: string[];
  /** The URL prefix, e.g. `/dcm` (empty for the root). */
  prefix: string;
  /** The dist folder, absolute. */
  distDir: string;
}

export type DcmServer = FastifyInstance & { dcm: DcmServerContext };

/** Registers more routes on the server; runs after the distributor is up, before the server listens. */
export type DcmServerExtension = (app: DcmServer, ctx: DcmServerContext) => void | Promise<void>;

export interface DcmServerOptions extends DistributorOptions {
  apiKeys?: string[];
  /** Serve the dist's client files under `<prefix>/dist/`. Default true. */
  serveDist?: boolean;
  extensions?: DcmServerExtension[];
  /** Options for Fastify() (logger, trustProxy, …). */
  fastify?: FastifyServerOptions;
}

interface StaticFile {
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

/**
 * Read once at start-up. The modules (and glue) are read like every host
 * reads them (runtime/node/dist-files.ts): inside the dist, present, with the
 * manifest's sha256, else the server does not start.
 */
async function clientFiles(d: Distributor): Promise<Map<string, StaticFile>> {
  const manifest = d.fragments.manifest;
  const bodies: Array<[string, Buffer | null]> = [];
  for (const name of ["manifest.json", "fragments.js", "fragments.d.ts"])
    bodies.push([name, await readFile(join(d.distDir, name)).catch(() => null)]);
  // Portable modules meant for the client, and the glue that loads the non-wasm ones.
  const read = (file: string, sha256: string, what: string) =>
    readDistFile(d.distDir, file, sha256, what).then(
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

export async function createDcmServer(opts: DcmServerOptions): Promise<DcmServer> {
  const { apiKeys = [], serveDist = true, extensions = [], fastify, ...distOpts } = opts;
  // Errors in the documented shape, even those fastify's router and Node's parser produce.
  const shaped: FastifyServerOptions = { clientErrorHandler, frameworkErrors: frameworkError };
  const app = Fastify({ ...shaped, ...(fastify ?? {}) });
  app.setNotFoundHandler(notFound);
  app.setErrorHandler(httpErrorHandler);
  app.addHook("onRequest", urlLengthHook);
  try {
    const distributor = await registerDistributor(app, distOpts);
    const ctx: DcmServerContext = {
      distributor,
      control: distributor,
      apiKeys,
      prefix: distributor.prefix,
      distDir: distributor.distDir,
    };
    app.decorate("dcm", ctx);
    const server = app as unknown as DcmServer;
    if (serveDist) {
      const files = await clientFiles(distributor);
      app.get(`${ctx.prefix}/dist/*`, async (req, reply) => {
        const name = (req.params as { "*": string })["*"];
        const f = files.get(name);
        if (!f) return sendError(reply, 404, "DCM_HTTP_NOT_FOUND", `no client file ${clip(name)} in the dist`);
        withSecurityHeaders(reply)
          .header("etag", f.etag)
          .header("cache-control", "no-cache")
          .header("cross-origin-resource-policy", "same-origin")
          .header("cross-origin-embedder-policy", "require-corp")
          .type(f.type);
        if (req.headers["if-none-match"] === f.etag) return reply.code(304).send();
        return reply.send(f.body);
      });
    }
    for (const ext of extensions) await ext(server, ctx);
    return server;
  } catch (e) {
    await app.close().catch(() => {});
    throw e;
  }
}
