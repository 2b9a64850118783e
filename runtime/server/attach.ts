/**
 * The server Code Distributor on a plain node:http (or https) server:
 *
 *   const server = http.createServer(async (req, res) => {
 *     if (await dcm.handleRequest(req, res)) return;   // the auth routes
 *     ... the application's own routes ...
 *   });
 *   const dcm = await attachDistributor(server, { dist, auth, allowedOrigins });
 *
 * The WebSocket `<prefix>/ws` is served through an `upgrade` listener.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { Distributor } from "./distributor.js";
import type { DistributorOptions } from "./options.js";

const MAX_AUTH_BODY = 16 * 1024;

export interface AttachedDistributor {
  distributor: Distributor;
  /** Serves the auth routes; false for any other request (left to the caller). */
  handleRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Removes the listener and closes the distributor (not the server). */
  close(): Promise<void>;
}

const TOO_LARGE = Symbol("too large");

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_AUTH_BODY) chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_AUTH_BODY) return resolve(TOO_LARGE);
      const text = Buffer.concat(chunks).toString("utf8").trim();
      if (!text) return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(undefined);
      }
    });
    req.on("error", () => resolve(undefined));
  });
}

export async function attachDistributor(server: Server, opts: DistributorOptions): Promise<AttachedDistributor> {
  const d = await Distributor.create(opts);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (d.handleUpgrade(req, socket, head)) return;
    if (server.listenerCount("upgrade") === 1) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    }
  };
  server.on("upgrade", onUpgrade);
  return {
    distributor: d,
    async handleRequest(req, res) {
      const path = (req.url ?? "/").split("?")[0]!;
      if (!path.startsWith(`${d.prefix}/auth/`)) return false;
      const body = req.method === "POST" ? await readBody(req) : undefined;
      if (body === TOO_LARGE) {
        const text = JSON.stringify({
          error: { code: "DCM_REQUEST_TOO_LARGE", message: `the request body is over ${MAX_AUTH_BODY} bytes` },
        });
        res.writeHead(413, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
        res.end(text);
        return true;
      }
      const r = await d.handleAuthHttp({
        method: req.method ?? "GET",
        path,
        headers: req.headers,
        body,
        ...(req.socket.remoteAddress ? { address: req.socket.remoteAddress } : {}),
      });
      if (!r) return false;
      const text = r.body === undefined ? "" : JSON.stringify(r.body);
      res.writeHead(r.status, { ...r.headers, ...(text ? { "content-type": "application/json; charset=utf-8" } : {}) });
      res.end(text);
      return true;
    },
    async close() {
      server.off("upgrade", onUpgrade);
      await d.close();
    },
  };
}
