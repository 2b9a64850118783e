/**
 * The real server Code Distributor for the client tests: started on
 * 127.0.0.1 with fixed keys (so tokens survive a restart on the same port),
 * the API Controller mounted, and an optional TCP proxy in front that a
 * test can cut to simulate a lost connection.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import WebSocket from "ws";
import type { WebSocketCtor } from "../../runtime/client/client-distributor.js";
import { registerApiController } from "../../runtime/server/api/index.js";
import { createDcmServer, type DcmServer, type DcmServerOptions } from "../../runtime/server/create-server.js";

export const ORIGIN = "http://client.test";
export const KEY = { kid: "ck1", secret: "client-tests-secret-0123456789-abcdef!" };
export const API_KEY = "client-test-api-key-0123456789abcdef";

export interface RunningServer {
  app: DcmServer;
  port: number;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

export async function startServer(
  dist: string,
  port = 0,
  opts: Partial<DcmServerOptions> = {},
): Promise<RunningServer> {
  const app = await createDcmServer({
    dist,
    auth: { keys: [KEY] },
    allowedOrigins: [ORIGIN],
    workers: 2,
    pingIntervalMs: 0,
    apiKeys: [API_KEY],
    extensions: [
      async (a, ctx) => {
        await registerApiController(a, { control: ctx.control, apiKeys: ctx.apiKeys });
      },
    ],
    ...opts,
  });
  const url = await app.listen({ port, host: "127.0.0.1" });
  const p = Number(new URL(url).port);
  let closing: Promise<void> | null = null;
  return {
    app,
    port: p,
    url,
    wsUrl: `ws://127.0.0.1:${p}${app.dcm.prefix}/ws`,
    close: () => (closing ??= app.close()),
  };
}

/** `ws`'s WebSocket with the Origin header a browser would send. */
export function wsWithOrigin(origin = ORIGIN): WebSocketCtor {
  return class extends WebSocket {
    constructor(url: string, protocols: string[]) {
      super(url, protocols, { origin });
    }
  } as unknown as WebSocketCtor;
}

/** A TCP proxy to `port`; `cut()` drops every open connection (new ones still get through). */
export async function startProxy(port: () => number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const open = new Set<Socket>();
  const server: Server = createServer((a) => {
    const b = tcpConnect(port(), "127.0.0.1");
    open.add(a);
    open.add(b);
    const end = () => {
      a.destroy();
      b.destroy();
      open.delete(a);
      open.delete(b);
    };
    a.on("error", end).on("close", end);
    b.on("error", end).on("close", end);
    a.pipe(b);
    b.pipe(a);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : 0,
    cut() {
      for (const s of open) s.destroy();
      open.clear();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `pred` holds (or fails after timeoutMs). */
export async function until(pred: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
