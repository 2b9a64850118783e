/**
 * The WebSocket endpoint `<prefix>/ws`: checks the Origin, takes the access
 * token from the `Sec-WebSocket-Protocol` header (`dcm.v1, dcm.token.<jwt>`;
 * the server selects `dcm.v1`, never the token) or from a first `hello`
 * message, and hands authenticated connections to a Session. A token in
 * the URL is never read. Failures close the connection with CLOSE_CODES
 * (the upgrade completes first so that the code reaches the client).
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { CLOSE_CODES, PROTOCOL_VERSION, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from "../protocol/messages.js";
import type { TokenService, VerifyResult } from "./auth.js";
import { Session, type SessionHost } from "./session.js";

/** Messages a client may pipeline behind its `hello` while the token is being verified. */
const MAX_EARLY_MESSAGES = 64;
const MAX_HELLO_BYTES = 64 * 1024;

export class WsGateway {
  private readonly wss: WebSocketServer;
  readonly sessions = new Set<Session>();
  private readonly sockets = new Set<WebSocket>();
  private pingTimer: NodeJS.Timeout | null = null;
  private closing = false;
  readonly path: string;

  constructor(
    private readonly host: SessionHost,
    private readonly tokens: TokenService,
    private readonly originAllowed: (origin: string | undefined) => boolean,
  ) {
    this.path = `${host.opts.prefix}/ws`;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      // Messages over maxMessageBytes get an error reply; this hard cap protects memory (close 1009).
      maxPayload: host.opts.maxMessageBytes * 4 + 1024,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    const interval = host.opts.pingIntervalMs;
    if (interval > 0) {
      this.pingTimer = setInterval(() => this.pingAll(interval), interval);
      this.pingTimer.unref();
    }
  }

  /** True when the request is for this endpoint (and is now handled). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== this.path) return false;
    if (this.closing) {
      socket.destroy();
      return true;
    }
    socket.on("error", () => {});
    const origin = req.headers.origin;
    const okOrigin = this.originAllowed(origin);
    const offered = String(req.headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((s) => s.trim());
    const headerToken = offered
      .find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX))
      ?.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
    // Verify before completing the upgrade, so that no message arrives before the session exists.
    const verified: Promise<VerifyResult | null> =
      okOrigin && headerToken ? this.tokens.verifyAccess(headerToken) : Promise.resolve(null);
    void verified.then((v) => {
      if (socket.destroyed) return;
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onOpen(ws, okOrigin, v));
    });
    return true;
  }

  closeWith(ws: WebSocket, code: number, reason: string): void {
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
    // A peer that does not answer the close handshake is cut off.
    setTimeout(() => ws.terminate(), 2000).unref();
  }

  private onOpen(ws: WebSocket, okOrigin: boolean, v: VerifyResult | null): void {
    this.sockets.add(ws);
    ws.on("close", () => this.sockets.delete(ws));
    ws.on("error", () => {});
    if (this.closing) {
      this.closeWith(ws, CLOSE_CODES.goingAway, "server shutting down");
      return;
    }
    if (!okOrigin) {
      this.closeWith(ws, CLOSE_CODES.forbiddenOrigin, "DCM_ORIGIN_FORBIDDEN");
      return;
    }
    if (v) {
      this.onVerified(ws, v, []);
      return;
    }
    this.awaitHello(ws);
  }

  private onVerified(ws: WebSocket, v: VerifyResult, early: Array<[RawData, boolean]>): void {
    if (!v.ok) {
      if (v.reason === "expired") this.closeWith(ws, CLOSE_CODES.tokenExpired, "DCM_TOKEN_EXPIRED");
      else this.closeWith(ws, CLOSE_CODES.unauthorized, "DCM_AUTH_REQUIRED");
      return;
    }
    if (ws.readyState !== ws.OPEN) return;
    const s = new Session(this.host, ws, v.claims.clientId, v.claims.subject);
    this.sessions.add(s);
    ws.on("message", (data, isBinary) => this.handle(s, data as Buffer, isBinary));
    ws.on("close", () => {
      this.sessions.delete(s);
      s.onClose();
    });
    for (const [data, isBinary] of early) this.handle(s, data as Buffer, isBinary);
  }

  /** One message; a failure handling it (a bug) answers that message and never escapes to end the process (test/fuzz/protocol.spec.ts). */
  private handle(s: Session, data: Buffer, isBinary: boolean): void {
    try {
      s.onMessage(data, isBinary);
    } catch (e) {
      this.host.opts.logger.error(`dcm: a message of client ${s.client.clientId} failed: ${(e as Error)?.stack ?? e}`);
      s.send({ type: "error", code: "DCM_BAD_MESSAGE", message: "the server could not handle this message" });
    }
  }

  /** No token in the header: the first message must be `hello` with one, within helloTimeoutMs. */
  private awaitHello(ws: WebSocket): void {
    const timer = setTimeout(
      () => this.closeWith(ws, CLOSE_CODES.unauthorized, "DCM_AUTH_REQUIRED"),
      this.host.opts.helloTimeoutMs,
    );
    timer.unref();
    let early: Array<[RawData, boolean]> | null = null;
    const onMessage = (data: RawData, isBinary: boolean) => {
      if (early) {
        // Pipelined behind the hello: kept until the token is verified.
        if (early.length >= MAX_EARLY_MESSAGES) {
          this.closeWith(ws, 1008, "too many messages before authentication");
          return;
        }
        early.push([data, isBinary]);
        return;
      }
      clearTimeout(timer);
      let m: { type?: unknown; protocol?: unknown; token?: unknown } | null = null;
      try {
        // A hello is small; anything big before authentication is refused unread.
        const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
        m = isBinary || size > MAX_HELLO_BYTES ? null : JSON.parse(String(data));
      } catch {
        m = null;
      }
      if (!m || typeof m !== "object" || m.type !== "hello") {
        this.closeWith(ws, CLOSE_CODES.unauthorized, "DCM_AUTH_REQUIRED");
        return;
      }
      if (m.protocol !== PROTOCOL_VERSION) {
        this.closeWith(ws, CLOSE_CODES.protocolVersion, "DCM_PROTOCOL_VERSION");
        return;
      }
      if (typeof m.token !== "string" || !m.token) {
        this.closeWith(ws, CLOSE_CODES.unauthorized, "DCM_AUTH_REQUIRED");
        return;
      }
      early = [];
      void this.tokens.verifyAccess(m.token).then((v) => {
        ws.off("message", onMessage);
        this.onVerified(ws, v, early!);
      });
    };
    ws.on("message", onMessage);
    ws.on("close", () => clearTimeout(timer));
  }

  private pingAll(interval: number): void {
    const now = performance.now();
    for (const s of this.sessions) {
      if (now - s.lastHeard > 2 * interval + 1000) {
        s.ws.terminate();
        continue;
      }
      s.ping();
    }
  }

  /** Closes every connection with 1001 (going away) and stops accepting new ones. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.pingTimer) clearInterval(this.pingTimer);
    const open = [...this.sockets];
    await Promise.all(
      open.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === ws.CLOSED) return resolve();
            const t = setTimeout(() => {
              ws.terminate();
              resolve();
            }, 1000);
            ws.once("close", () => {
              clearTimeout(t);
              resolve();
            });
            ws.close(CLOSE_CODES.goingAway, "server shutting down");
          }),
      ),
    );
    this.wss.close();
  }
}
