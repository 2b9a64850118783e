/**
 * Shared by the state benchmarks: the dist (a language's real
 * `fixtures/state` built with `dcm build`'s buildDist when `--lang` is given,
 * else the hand-written glue dist of bench/state-glue-dist.ts), a server on
 * 127.0.0.1 and Node clients of it.
 */
import { join } from "node:path";
import WebSocket from "ws";
import type { DcmClient, WebSocketCtor } from "../runtime/client/client-distributor.js";
import { createClient } from "../runtime/client/node-client.js";
import { createDcmServer, type DcmServer, type DcmServerOptions } from "../runtime/server/create-server.js";
import { buildDist } from "../src/build/build-dist.js";
import { projectRoot } from "../src/core/paths.js";
import { benchTmp } from "./bench-util.js";
import { writeGlueDist } from "./state-glue-dist.js";

const ORIGIN = "http://bench.local";
const KEY = { kid: "bench", secret: "state-benchmark-secret-0123456789abcdef" };

/** The dist to measure and what it is. */
export async function stateDist(lang: string | undefined): Promise<{ dist: string; what: string; cleanup(): Promise<void> }> {
  if (!lang) {
    const g = await writeGlueDist();
    return { dist: g.dist, what: "hand-written glue dist (JavaScript module, bench/state-glue-dist.ts)", cleanup: g.cleanup };
  }
  const repo = join(projectRoot(), "languages", lang, "fixtures", "state");
  const out = benchTmp(`state-${lang}-dist`);
  await buildDist({ repo, cfd: join(repo, "dcm.yaml"), out, cacheDir: benchTmp("dcm-cache") });
  return { dist: out, what: `languages/${lang}/fixtures/state built by dcm build`, cleanup: async () => {} };
}

export interface StateBenchServer {
  app: DcmServer;
  client(clientId: string): Promise<DcmClient>;
  close(): Promise<void>;
}

export async function startStateServer(dist: string, opts: Partial<DcmServerOptions> = {}): Promise<StateBenchServer> {
  const app = await createDcmServer({
    dist,
    auth: { keys: [KEY] },
    allowedOrigins: [ORIGIN],
    pingIntervalMs: 0,
    logger: { info() {}, warn() {}, error() {} },
    ...opts,
  } as DcmServerOptions);
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const wsUrl = `ws://127.0.0.1:${new URL(url).port}${app.dcm.prefix}/ws`;
  const clients: DcmClient[] = [];
  const WS = class extends WebSocket {
    constructor(u: string, protocols: string[]) {
      super(u, protocols, { origin: ORIGIN, perMessageDeflate: false });
    }
  } as unknown as WebSocketCtor;
  return {
    app,
    async client(clientId) {
      const c = await createClient({
        url: wsUrl,
        getToken: async () => (await app.dcm.distributor.issueAccessToken({ clientId })).accessToken,
        dist,
        executor: "in-thread",
        WebSocket: WS,
        heartbeatMs: 0,
        reportStats: false,
        onOutput: () => {},
      });
      clients.push(c);
      await c.whenConnected(10_000);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await app.close();
    },
  };
}
