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
 * server plugins. `<prefix>/dist/` serves the current dist (revalidated:
 * it changes with a live redeploy); `<prefix>/dists/<buildKey>/` serves one
 * dist by its build key, immutable, for the clients a redeploy switches
 * (the current one and the two before it: deploy/served-dists.ts).
 */
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from "fastify";
import type { DistributorControl } from "./control-types.js";
import { readClientFiles, ServedDists, type StaticFile } from "./deploy/served-dists.js";
import type { Distributor } from "./distributor.js";
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
  /** The dist folder the server started with, absolute (distributor.distDir is the current one after a redeploy). */
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
      const served = new ServedDists();
      served.add(distributor.manifest.buildKey, await readClientFiles(distributor.distDir, distributor.manifest));
      // A redeploy's files are read and verified before the switch (a failure refuses the deploy),
      // and served from the switch on (the same synchronous step that tells the clients).
      let pending: { key: string; files: Map<string, StaticFile> } | null = null;
      distributor.beforeSwitch.push(async (next) => {
        pending = { key: next.manifest.buildKey, files: await readClientFiles(next.dir, next.manifest) };
      });
      distributor.afterSwitch.push((r) => {
        if (pending?.key === r.id) served.add(pending.key, pending.files);
        pending = null;
      });
      const send = (req: FastifyRequest, reply: FastifyReply, f: StaticFile, cache: string) => {
        withSecurityHeaders(reply)
          .header("etag", f.etag)
          .header("cache-control", cache)
          .header("cross-origin-resource-policy", "same-origin")
          .header("cross-origin-embedder-policy", "require-corp")
          .type(f.type);
        if (req.headers["if-none-match"] === f.etag) return reply.code(304).send();
        return reply.send(f.body);
      };
      app.get(`${ctx.prefix}/dist/*`, async (req, reply) => {
        const name = (req.params as { "*": string })["*"];
        const f = served.current(name);
        if (!f) return sendError(reply, 404, "DCM_HTTP_NOT_FOUND", `no client file ${clip(name)} in the dist`);
        return send(req, reply, f, "no-cache");
      });
      app.get(`${ctx.prefix}/dists/:key/*`, async (req, reply) => {
        const { key, "*": name } = req.params as { key: string; "*": string };
        const f = served.versioned(key, name);
        if (!f)
          return sendError(reply, 404, "DCM_HTTP_NOT_FOUND", `no client file ${clip(name)} in dist ${clip(key)} (served: the current dist and the two before it)`);
        return send(req, reply, f, "public, max-age=31536000, immutable");
      });
    }
    for (const ext of extensions) await ext(server, ctx);
    return server;
  } catch (e) {
    await app.close().catch(() => {});
    throw e;
  }
}
