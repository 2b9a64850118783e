/**
 * Test support for the server Code Distributor: builds the fixture dists
 * with the real CLI, starts real servers on 127.0.0.1 (port 0), and drives
 * them with a real `ws` client.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import type { ServerMessage } from "../../runtime/protocol/messages.js";
import { createDcmServer, type DcmServer, type DcmServerOptions } from "../../runtime/server/create-server.js";
import { runCli } from "../support/run-cli.js";

export const ORIGIN = "http://app.test";
export const KEY1 = { kid: "k1", secret: "test-secret-number-one-32-bytes-long!!" };
export const KEY2 = { kid: "k2", secret: "test-secret-number-two-32-bytes-long!!" };

const FIXTURES = {
  small: fileURLToPath(new URL("../e2e/fixtures/small", import.meta.url)),
  slow: fileURLToPath(new URL("./fixtures/slow", import.meta.url)),
  gate: fileURLToPath(new URL("./fixtures/gate", import.meta.url)),
  "hostile-go": fileURLToPath(new URL("./fixtures/hostile-go", import.meta.url)),
  "hostile-rust": fileURLToPath(new URL("./fixtures/hostile-rust", import.meta.url)),
  "hostile-ts": fileURLToPath(new URL("./fixtures/hostile-ts", import.meta.url)),
};

/** Copies a fixture repository to a temp dir and builds it; returns the dist folder. */
export async function buildFixture(name: keyof typeof FIXTURES): Promise<{ dist: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `dcm-server-${name}-`));
  const repo = join(dir, name);
  await cp(FIXTURES[name]!, repo, { recursive: true });
  const dist = join(dir, "dist");
  const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", dist]);
  if (r.code !== 0) throw new Error(`dcm build ${name} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return { dist, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface TestServer {
  app: DcmServer;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

export async function startServer(dist: string, opts: Partial<DcmServerOptions> = {}): Promise<TestServer> {
  const app = await createDcmServer({
    dist,
    auth: { keys: [KEY1] },
    allowedOrigins: [ORIGIN],
    workers: 2,
    pingIntervalMs: 0,
    ...opts,
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { app, url, wsUrl: `${url.replace(/^http/, "ws")}${app.dcm.prefix}/ws`, close: () => app.close() };
}

export interface Closed {
  code: number;
  reason: string;
}

/** A `ws` client that keeps every message and lets tests wait for the ones they expect. */
export class TestClient {
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<Closed>;
  readonly opened: Promise<void>;
  private waiters: Array<{ pred: (m: ServerMessage) => boolean; resolve(m: ServerMessage): void }> = [];
  private nextId = 1;
  /** Answer server pings automatically. */
  autoPong = true;

  constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })));
    this.opened = new Promise((resolve, reject) => {
      ws.on("open", () => resolve());
      ws.on("error", reject);
    });
    this.opened.catch(() => {});
    ws.on("message", (data) => {
      const m = JSON.parse(String(data)) as ServerMessage;
      if (m.type === "ping" && this.autoPong) this.send({ type: "pong", t: m.t, serverTime: Date.now() });
      this.messages.push(m);
      const w = this.waiters.find((x) => x.pred(m));
      if (w) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(m);
      }
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  /** The first message (already received or future) that matches. */
  next<T extends ServerMessage = ServerMessage>(pred: (m: ServerMessage) => boolean, timeoutMs = 10_000): Promise<T> {
    const seen = this.messages.find(pred);
    if (seen) {
      this.messages.splice(this.messages.indexOf(seen), 1);
      return Promise.resolve(seen as T);
    }
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages).slice(0, 800)}`),
          ),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(t);
          this.messages.splice(this.messages.indexOf(m), 1);
          resolve(m as T);
        },
      });
    });
  }

  /** Sends callFunction and returns the callId. */
  callAsync(fragment: string, args: unknown[], extra: Record<string, unknown> = {}): string {
    const callId = `c${this.nextId++}`;
    this.send({ type: "callFunction", callId, fragment, args, ...extra });
    return callId;
  }

  result(callId: string, timeoutMs?: number) {
    return this.next<Extract<ServerMessage, { type: "functionResult" }>>(
      (m) => m.type === "functionResult" && m.callId === callId,
      timeoutMs,
    );
  }

  call(fragment: string, args: unknown[], extra: Record<string, unknown> = {}) {
    return this.result(this.callAsync(fragment, args, extra));
  }

  close(): Promise<Closed> {
    this.ws.close();
    return this.closed;
  }
}

export interface ConnectOptions {
  token?: string;
  via?: "subprotocol" | "hello";
  origin?: string | null;
  query?: string;
  protocols?: string[];
}

export function connect(wsUrl: string, o: ConnectOptions = {}): TestClient {
  const via = o.via ?? "subprotocol";
  const protocols = o.protocols ?? (o.token && via === "subprotocol" ? ["dcm.v1", `dcm.token.${o.token}`] : ["dcm.v1"]);
  const ws = new WebSocket(
    `${wsUrl}${o.query ?? ""}`,
    protocols,
    o.origin === null ? {} : { origin: o.origin ?? ORIGIN },
  );
  const c = new TestClient(ws);
  if (o.token && via === "hello") ws.on("open", () => c.send({ type: "hello", protocol: 1, token: o.token }));
  return c;
}

/** Connects with a fresh token and waits for the first (full) updateFragments. */
export async function connectReady(server: TestServer, o: ConnectOptions & { clientId?: string } = {}) {
  const issued = await server.app.dcm.distributor.issueAccessToken(o.clientId ? { clientId: o.clientId } : {});
  const c = connect(server.wsUrl, { token: issued.accessToken, ...o });
  const update = await c.next((m) => m.type === "updateFragments");
  return { client: c, clientId: issued.clientId, update, token: issued.accessToken };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
