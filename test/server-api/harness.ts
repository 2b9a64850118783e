/** Starts a real fastify server with the API Controller on 127.0.0.1, port 0. */
import Fastify, { type FastifyInstance, type RouteOptions } from "fastify";
import { type ApiControllerOptions, generateApiKey, registerApiController } from "../../runtime/server/api/index.js";
import { InMemoryControl } from "./in-memory-control.js";

export interface TestServer {
  app: FastifyInstance;
  base: string;
  control: InMemoryControl;
  key: string;
  /** Routes fastify registered (collected with an onRoute hook). */
  routes: RouteOptions[];
  /** fetch relative to `base`; sends the key unless `key: null`. */
  req(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export const FRAGMENTS = { add: "client", greet: "server", hashPassword: "server", formatDate: "client" } as const;

export async function startServer(
  opts: Partial<Omit<ApiControllerOptions, "control">> & { control?: InMemoryControl; asPlugin?: boolean } = {},
): Promise<TestServer> {
  const control = opts.control ?? new InMemoryControl({ ...FRAGMENTS });
  const key = opts.apiKeys?.[0] ?? generateApiKey();
  const app = Fastify({ logger: false });
  const routes: RouteOptions[] = [];
  app.addHook("onRoute", (r) => {
    routes.push(r);
  });
  const options: ApiControllerOptions = { control, apiKeys: opts.apiKeys ?? [key] };
  if (opts.prefix !== undefined) options.prefix = opts.prefix;
  if (opts.rateLimit) options.rateLimit = opts.rateLimit;
  if (opts.asPlugin) await app.register(registerApiController, options);
  else await registerApiController(app, options);
  // Something else on the same server, outside the API scope.
  app.get("/health", async () => ({ ok: true }));
  await app.listen({ host: "127.0.0.1", port: 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === "string") throw new Error("no port");
  const base = `http://127.0.0.1:${addr.port}`;
  return {
    app,
    base,
    control,
    key,
    routes,
    req(path, init = {}) {
      const { key: k = key, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (k !== null) headers.set("authorization", `Bearer ${k}`);
      if (json !== undefined) headers.set("content-type", "application/json");
      return fetch(base + path, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
    },
    close: () => app.close(),
  };
}
