/**
 * The server Code Distributor as a fastify plugin:
 *
 *   await app.register(dcmDistributor, { dist, auth, allowedOrigins });
 *   const d = await registerDistributor(app, opts);   // the same, returning the Distributor
 *
 * Adds POST <prefix>/auth/{session,refresh,logout} and the WebSocket
 * `<prefix>/ws` (an `upgrade` listener on app.server). When registered with
 * fastify's own `prefix` option, that prefix is used for both.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import { Distributor } from "./distributor.js";
import type { DistributorOptions, Logger } from "./options.js";

export interface DcmPluginOptions extends DistributorOptions {
  /** Receives the distributor once it is running (registerDistributor uses this). */
  onDistributor?: (d: Distributor) => void;
}

function fastifyLogger(app: FastifyInstance): Logger {
  return {
    info: (m) => app.log.info(m),
    warn: (m) => app.log.warn(m),
    error: (m) => app.log.error(m),
  };
}

export const dcmDistributor: FastifyPluginAsync<DcmPluginOptions> = async (app, opts) => {
  const { onDistributor, ...rest } = opts;
  const relative = app.prefix !== "";
  const d = await Distributor.create({
    ...rest,
    prefix: relative ? app.prefix : rest.prefix,
    logger: rest.logger ?? fastifyLogger(app),
  });
  const base = d.prefix;
  for (const route of ["session", "refresh", "logout"]) {
    const path = `${base}/auth/${route}`;
    app.route({
      method: ["POST", "OPTIONS"],
      url: relative ? `/auth/${route}` : path,
      handler: async (req, reply) => {
        const r = await d.handleAuthHttp({
          method: req.method,
          path,
          headers: req.headers,
          body: req.body,
          address: req.ip,
        });
        if (!r) return reply.code(404).send({ error: { code: "DCM_HTTP_NOT_FOUND", message: "no such auth route" } });
        reply.code(r.status).headers(r.headers);
        return r.body === undefined ? reply.send() : reply.send(r.body);
      },
    });
  }
  const server = app.server;
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (d.handleUpgrade(req, socket, head)) return;
    // Nobody else handles upgrades: refuse rather than leave the socket hanging.
    if (server.listenerCount("upgrade") === 1) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    }
  };
  server.on("upgrade", onUpgrade);
  app.addHook("preClose", async () => {
    server.off("upgrade", onUpgrade);
    await d.close();
  });
  onDistributor?.(d);
};

/** Registers the plugin and returns the running Distributor (which implements DistributorControl). */
export async function registerDistributor(app: FastifyInstance, opts: DistributorOptions): Promise<Distributor> {
  let d: Distributor | undefined;
  await app.register(dcmDistributor, { ...opts, onDistributor: (x) => (d = x) });
  return d!;
}
