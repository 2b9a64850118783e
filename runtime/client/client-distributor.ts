/**
 * The client Code Distributor (browser ESM, also runs in Node): keeps a
 * WebSocket to the server Code Distributor, applies `updateFragments`, and
 * runs each call where the current distribution places it — locally in an
 * Executor (client WASM), or on the server through `callFunction`.
 *
 * Until the first `updateFragments` of a connection arrives, and whenever
 * the connection is down, every fragment runs locally (the paper's
 * fallback). The access token travels in `Sec-WebSocket-Protocol`
 * (`dcm.v1, dcm.token.<jwt>`), never in the URL. Reconnects use jittered
 * exponential backoff. A server call cut off by a lost connection is run
 * again (locally, or on the server after reconnecting) when the fragment is
 * idempotent, and rejected with `DCM_CONNECTION_LOST` otherwise. Every call
 * has a timeout; AbortSignal cancels (sending `cancelCall`).
 *
 * Only relative imports with `.js` suffixes and no node: modules: the
 * compiled file loads in browsers without a bundler.
 */
import { FragmentCallError } from "../abi/call-error.js";
import { outputLines, outputPrefix } from "../abi/call-output.js";
import type { JsValue } from "../abi/js-values.js";
import type { Manifest, ManifestFragment, ManifestModule, Side } from "../abi/manifest-types.js";
import type { FragmentOutput, OutputHandler, OutputStream } from "../abi/output-types.js";
import type { Signature } from "../abi/value-types.js";
import {
  type CallFunctionMessage,
  CLOSE_CODES,
  type ClientMessage,
  type DeployInfo,
  type FragmentStatus,
  SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
} from "../protocol/messages.js";
import { argsToWire, resultFromWire } from "../protocol/wire-values.js";
import type { Executor, ExecutorInit, WorkerSpawner } from "./executor-types.js";
import { startExecutor } from "./load-modules.js";
import { callErrors } from "./module-host.js";
import { type ServerCallEvent, ServerCallHandler } from "./server-calls.js";
import { ClientStateManager } from "./state/client-state.js";
import { carryState, loadDeploy, type RedeployEvent } from "./redeploy.js";

/** The subset of the WebSocket API the client uses (browsers' WebSocket and the `ws` package both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketCtor = new (url: string, protocols: string[]) => WebSocketLike;

const WS_OPEN = 1;

export interface ReconnectOptions {
  /** First delay, ms. Default 250. */
  initialMs?: number;
  /** Largest delay, ms. Default 10 000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
}

export interface ClientOptions {
  /** WebSocket URL of the server Code Distributor, e.g. `wss://app.example.com/dcm/ws`. */
  url: string;
  /** An access token (JWT) for each connection attempt; called again on every reconnect. */
  getToken: () => Promise<string>;
  /** The dist's manifest, or where to fetch it (e.g. `/dcm/dist/manifest.json`). */
  manifest?: Manifest;
  manifestUrl?: string;
  /**
   * Where the client WASM module is: a URL (when the dist has one client
   * module) or a function of the manifest entry. Default: the module's
   * `file` resolved against `manifestUrl`.
   */
  moduleUrl?: string | ((m: ManifestModule) => string);
  /** Supplies module code directly (Node, tests): bytes or a compiled module. Overrides moduleUrl. */
  loadModule?: (m: ManifestModule) => Promise<Uint8Array | WebAssembly.Module>;
  /**
   * How local calls run: an Executor, "in-thread", "worker" (a pool of Web
   * Workers), or a factory. Default "worker" where Web Workers exist, else "in-thread".
   */
  executor?: Executor | "in-thread" | "worker" | ((init: ExecutorInit) => Executor);
  /** Pool size for "worker". */
  workers?: number;
  /** Worker spawner for "worker" (Node: nodeWorkerSpawner() of node-endpoint.js). */
  spawn?: WorkerSpawner;
  /** URL of the compiled executor-worker.js for "worker"; default beside this file. */
  workerUrl?: string | URL;
  /** Which fragments may be run again after a lost connection. Default: the manifest's `flags.idempotent`. */
  idempotent?: boolean | string[] | ((fragmentId: string) => boolean);
  /** Called whenever the effective distribution changes (an update, a disconnect, a reconnect). */
  onDistribution?: (d: Distribution) => void;
  /** Per-call timeout, ms (a call's own `timeoutMs` wins). Default 30 000. */
  timeoutMs?: number;
  reconnect?: ReconnectOptions;
  /** A connection attempt that does not open within this time is abandoned. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** The client pings this often and drops a connection silent for twice as long. 0 turns it off. Default 15 000 ms. */
  heartbeatMs?: number;
  /** Send the latencies of local calls to the server (`callStats`) so that its statistics cover both sides. Default true. */
  reportStats?: boolean;
  /** Default globalThis.WebSocket (Node 20: pass `WebSocket` of the `ws` package). */
  WebSocket?: WebSocketCtor;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Verify each module's sha256 against the manifest (needs crypto.subtle). Default true. */
  verifyModules?: boolean;
  /**
   * Receives what fragments run here print (docs/abi.md, "Output"), per call.
   * Default: the console, each line prefixed `[fragment <id>] ` (stdout with
   * console.log, stderr with console.warn: a fragment's stderr is its log,
   * not an error of the page). Fragments run on the server
   * print into the server's log, never here.
   */
  onOutput?: OutputHandler;
  /** Fragments the server may never run in this client through callOnClient (DCM_CALL_REFUSED). */
  privateFragments?: string[];
  /** false: refuse every server-initiated call (docs/protocol.md). Default true. */
  acceptServerCalls?: boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** ms; default the client's timeoutMs. */
  timeoutMs?: number;
  /** Server calls: run in the background on the server (`defer`). */
  defer?: boolean;
}

export interface CallRecord {
  fragment: string;
  /** Where the call ran (the last attempt). */
  ranOn: Side;
  /** Wall time from call() to settlement, ms. */
  ms: number;
  ok: boolean;
  /** The error code of a failed call. */
  error?: string;
  /** The call was run again after its connection was lost or the server refused it as placed on the client. */
  retried: boolean;
  /** performance.now() when it settled. */
  at: number;
}

export interface CallResult {
  value: JsValue;
  ranOn: Side;
  ms: number;
  retried: boolean;
}

export type ConnectionState = "connecting" | "open" | "closed" | "stopped";

export interface Distribution {
  /** Where each fragment runs now (everything local while disconnected or before the first update). */
  effective: Record<string, Side>;
  /** The server's distribution of this connection (null until the first update). */
  server: Record<string, Side> | null;
  /** Version of the server distribution; null before the first update. */
  version: number | null;
  connected: boolean;
}

export interface ClientEvents {
  distribution: Distribution;
  connection: { state: ConnectionState; code?: number; reason?: string; delayMs?: number };
  call: CallRecord;
  error: Error;
  /** A call the server made in this client (distributor.callOnClient), answered or refused. */
  serverCall: ServerCallEvent;
  /** A live redeploy was applied (ok) or its modules could not be loaded (the old ones stay in use). */
  redeploy: RedeployEvent;
}

export interface DcmClient {
  /** The dist in use: replaced by a live redeploy (the `redeploy` event). */
  readonly manifest: Manifest;
  readonly executor: Executor;
  /** The client id of the current token (its `clientId` claim), once a token was fetched. */
  readonly clientId: string | null;
  readonly state: ConnectionState;
  /** Connected and holding a server distribution. */
  readonly connected: boolean;
  readonly distribution: Distribution;
  /** Runs a fragment where the distribution places it. Rejects with FragmentCallError. */
  call(fragmentId: string, args: JsValue[], opts?: CallOptions): Promise<JsValue>;
  /** The same, with where it ran and how long it took. */
  callWithInfo(fragmentId: string, args: JsValue[], opts?: CallOptions): Promise<CallResult>;
  /** Where a call of `fragmentId` would run now. */
  where(fragmentId: string): Side;
  /** The last calls (newest last, at most 200). */
  records(): CallRecord[];
  /** Round trip to the server, ms (rejects when not connected). */
  ping(timeoutMs?: number): Promise<number>;
  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof ClientEvents>(event: K, fn: (e: ClientEvents[K]) => void): () => void;
  /** Waits until connected with a server distribution (rejects on timeout). */
  whenConnected(timeoutMs?: number): Promise<void>;
  /** Closes the connection for good; calls in flight reject with DCM_CALL_CANCELLED. */
  close(): Promise<void>;
}

/** A server call that did not run and may be run elsewhere (never escapes to the caller). */
class Reroute {
  constructor(
    /** lost: cut off while the server may have run it; wrongSide / notSent: the server certainly did not run it. */
    readonly why: "lost" | "wrongSide" | "notSent",
    readonly error: FragmentCallError,
  ) {}
}

interface RemotePending {
  callId: string;
  fragment: string;
  sig: Signature;
  resolve: (v: JsValue) => void;
  reject: (e: FragmentCallError | Reroute) => void;
}

const RECORDS_KEPT = 200;
const STATS_FLUSH_MS = 2000;
const STATS_BATCH = 200;

function now(): number {
  return performance.now();
}

function unref(t: ReturnType<typeof setTimeout>): void {
  (t as { unref?: () => void }).unref?.();
}

/** The `clientId` (else `sub`) claim of a JWT, read without verifying (display only). */
export function tokenClientId(token: string): string | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const json = JSON.parse(atob(b64 + "===".slice((b64.length + 3) % 4)));
    const id = typeof json.clientId === "string" ? json.clientId : typeof json.sub === "string" ? json.sub : null;
    return id;
  } catch {
    return null;
  }
}

/** The default OutputHandler: the console, prefixed with the fragment id; consecutive lines of one stream in one console call. */
export function consoleOutput(o: FragmentOutput): void {
  const prefix = outputPrefix(o);
  let run: string[] = [];
  let stream: OutputStream | null = null;
  const flush = () => {
    if (run.length) (stream === "stdout" ? console.log : console.warn)(run.join("\n"));
    run = [];
  };
  for (const l of outputLines(o)) {
    if (l.stream !== stream) flush();
    stream = l.stream;
    run.push(prefix + l.line);
  }
  flush();
}

/** Connects a client: fetches the manifest and the client modules, starts the executor, opens the WebSocket. */
export async function createClient(opts: ClientOptions): Promise<DcmClient> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  let manifest = opts.manifest;
  let manifestBase: string | undefined;
  if (opts.manifestUrl) {
    manifestBase = new URL(opts.manifestUrl, (globalThis as { location?: { href: string } }).location?.href).href;
  }
  if (!manifest) {
    if (!manifestBase)
      throw new FragmentCallError("DCM_MANIFEST_INVALID", "createClient needs `manifest` or `manifestUrl`.", "");
    const res = await doFetch(manifestBase);
    if (!res.ok) throw new FragmentCallError("DCM_MANIFEST_INVALID", `GET ${manifestBase}: HTTP ${res.status}`, "");
    manifest = (await res.json()) as Manifest;
    if (!Array.isArray(manifest.fragments) || !Array.isArray(manifest.modules)) {
      throw new FragmentCallError("DCM_MANIFEST_INVALID", `${manifestBase} is not a dcm manifest`, "");
    }
  }
  const m = manifest;
  let executor: Executor;
  let ownsExecutor = true;
  if (opts.executor && typeof opts.executor === "object") {
    executor = opts.executor;
    ownsExecutor = false;
  } else executor = await startExecutor(m, opts, manifestBase, opts.onOutput ?? consoleOutput);
  const client = new ClientDistributor(m, executor, ownsExecutor, opts, manifestBase);
  try {
    await executor.ready;
  } catch (e) {
    await client.close();
    throw e;
  }
  return client;
}

export class ClientDistributor implements DcmClient {
  /** Replaced together (with byId) by a live redeploy, between calls. */
  manifest: Manifest;
  executor: Executor;
  clientId: string | null = null;
  state: ConnectionState = "closed";
  private readonly opts: ClientOptions;
  private ownsExecutor: boolean;
  private byId: Map<string, ManifestFragment>;
  private readonly manifestBase: string | undefined;
  /** Live redeploy: while set, new calls wait for the switch; the build being loaded. */
  private switching: Promise<void> | null = null;
  private loadingDeploy: string | null = null;
  /** Local calls in flight (the switch waits for them to finish on the old executor). */
  private localRunning = 0;
  private localIdle: (() => void) | null = null;
  private readonly isIdempotent: (id: string) => boolean;
  private readonly defaultTimeout: number;
  /** Executor options of a call with the default timeout (shared: no allocation per call). */
  private readonly execOpts: { timeoutMs: number };
  private readonly WS: WebSocketCtor;

  private ws: WebSocketLike | null = null;
  /** The server's distribution on the current connection; null until its first update. */
  private serverDist: Map<string, Side> | null = null;
  private version: number | null = null;
  private live = false;
  private closed = false;
  private stopped = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private readonly remote = new Map<string, RemotePending>();
  private readonly pings = new Map<number, (rtt: number) => void>();
  private callSeq = 0;
  private readonly callPrefix: string;
  private readonly recs: CallRecord[] = [];
  private localStats: Array<{ fragment: string; ms: number; ok: boolean }> = [];
  private readonly listeners: { [K in keyof ClientEvents]: Set<(e: ClientEvents[K]) => void> } = {
    distribution: new Set(),
    connection: new Set(),
    call: new Set(),
    error: new Set(),
    serverCall: new Set(),
    redeploy: new Set(),
  };
  private readonly serverCalls: ServerCallHandler;
  private connectedWaiters = new Set<() => void>();
  /** Moves of stateful groups (runtime/client/state/). */
  readonly stateManager: ClientStateManager;

  constructor(
    manifest: Manifest,
    executor: Executor,
    ownsExecutor: boolean,
    opts: ClientOptions,
    manifestBase?: string,
  ) {
    this.manifest = manifest;
    this.manifestBase = manifestBase;
    this.executor = executor;
    const self = this;
    this.stateManager = new ClientStateManager({
      // Read at each use: a live redeploy replaces both (redeploy()).
      get manifest() {
        return self.manifest;
      },
      get executor() {
        return self.executor;
      },
      send: (msg) => this.send(msg),
      applyMove: (fragments, version) => this.applyMove(fragments, version),
    });
    this.ownsExecutor = ownsExecutor;
    this.opts = opts;
    this.byId = new Map(manifest.fragments.map((f) => [f.id, f]));
    const idem = opts.idempotent;
    this.isIdempotent =
      typeof idem === "function"
        ? idem
        : typeof idem === "boolean"
          ? () => idem
          : Array.isArray(idem)
            ? (id) => idem.includes(id)
            : (id) => this.byId.get(id)?.flags?.idempotent === true;
    this.defaultTimeout = opts.timeoutMs ?? 30_000;
    this.execOpts = { timeoutMs: this.defaultTimeout };
    const WS = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!WS) throw new Error("No WebSocket implementation: pass `WebSocket` (Node 20: the `ws` package).");
    this.WS = WS;
    this.callPrefix = `${Math.random().toString(36).slice(2, 8)}-`;
    if (opts.onDistribution) this.listeners.distribution.add(opts.onDistribution);
    this.serverCalls = new ServerCallHandler(
      {
        fragment: (id) => this.byId.get(id),
        types: manifest.types,
        runsLocally: (id) => this.executor.has(id) && this.where(id) === "client",
        run: (id, args, o) => this.callWithInfo(id, args, o),
        send: (msg) => this.send(msg),
        onServerCall: (e) => this.emit("serverCall", e),
      },
      opts,
    );
    const hb = opts.heartbeatMs ?? 15_000;
    if (hb > 0) {
      this.heartbeatTimer = setInterval(() => this.heartbeat(hb), hb);
      unref(this.heartbeatTimer);
    }
    if (opts.reportStats !== false) {
      this.statsTimer = setInterval(() => this.flushStats(), STATS_FLUSH_MS);
      unref(this.statsTimer);
    }
    void this.connect();
  }

  // ---- distribution ----

  get connected(): boolean {
    return this.live && this.serverDist !== null;
  }

  where(fragmentId: string): Side {
    const local = this.executor.has(fragmentId);
    if (!local) return "server";
    // Disconnected: a stateful group last placed on the server waits for the server (its state is there).
    if (!this.live || this.serverDist === null) return this.stateManager.lastSide(fragmentId) ?? "client";
    return this.serverDist.get(fragmentId) ?? "client";
  }

  get distribution(): Distribution {
    const effective: Record<string, Side> = {};
    for (const f of this.manifest.fragments) if (f.signature) effective[f.id] = this.where(f.id);
    return {
      effective,
      server: this.serverDist ? Object.fromEntries(this.serverDist) : null,
      version: this.version,
      connected: this.connected,
    };
  }

  private applyUpdate(fragments: FragmentStatus[], full: boolean, version: number): void {
    // The first update of a connection is taken as it is (a restarted server counts from 1 again).
    if (this.serverDist !== null && this.version !== null && version <= this.version) return;
    const next = full || this.serverDist === null ? new Map<string, Side>() : new Map(this.serverDist);
    for (const s of fragments) {
      if (s && typeof s.id === "string" && (s.runOn === "client" || s.runOn === "server")) next.set(s.id, s.runOn);
    }
    const first = this.serverDist === null;
    this.serverDist = next;
    this.stateManager.noteSides(next);
    this.version = version;
    if (first) {
      this.attempt = 0;
      for (const w of this.connectedWaiters) w();
      this.connectedWaiters.clear();
    }
    this.emit("distribution", this.distribution);
  }

  /** A committed state move's placement (client/state/client-state.ts); undo() restores what was before. */
  private applyMove(fragments: FragmentStatus[], version: number): { undo(): void } {
    const before = this.serverDist ? new Map(this.serverDist) : null;
    const beforeVersion = this.version;
    this.applyUpdate(fragments, false, version);
    return {
      undo: () => {
        if (this.serverDist === null || this.version !== version) return;
        this.serverDist = before;
        this.version = beforeVersion;
        if (before) this.stateManager.noteSides(before);
        this.emit("distribution", this.distribution);
      },
    };
  }

  // ---- events ----

  on<K extends keyof ClientEvents>(event: K, fn: (e: ClientEvents[K]) => void): () => void {
    const set = this.listeners[event] as Set<(e: ClientEvents[K]) => void>;
    set.add(fn);
    return () => set.delete(fn);
  }

  private emit<K extends keyof ClientEvents>(event: K, e: ClientEvents[K]): void {
    for (const fn of this.listeners[event] as Set<(e: ClientEvents[K]) => void>) {
      try {
        fn(e);
      } catch {
        // A listener's error must not break the client.
      }
    }
  }

  private setState(state: ConnectionState, extra: Omit<ClientEvents["connection"], "state"> = {}): void {
    this.state = state;
    this.emit("connection", { state, ...extra });
  }

  whenConnected(timeoutMs = this.defaultTimeout): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.closed || this.stopped)
      return Promise.reject(new FragmentCallError("DCM_CONNECTION_LOST", "the client does not reconnect", ""));
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        this.connectedWaiters.delete(done);
        reject(new FragmentCallError("DCM_CONNECTION_LOST", `not connected within ${timeoutMs} ms`, ""));
      }, timeoutMs);
      this.connectedWaiters.add(done);
    });
  }

  // ---- connection ----

  private async connect(): Promise<void> {
    if (this.closed || this.stopped) return;
    this.setState("connecting");
    let token: string;
    try {
      token = await this.opts.getToken();
    } catch (e) {
      this.emit("error", new Error(`getToken failed: ${(e as Error)?.message ?? e}`));
      this.scheduleReconnect();
      return;
    }
    if (this.closed || this.stopped) return;
    this.clientId = tokenClientId(token) ?? this.clientId;
    let ws: WebSocketLike;
    try {
      ws = new this.WS(this.opts.url, [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token]);
    } catch (e) {
      this.emit("error", new Error(`cannot open ${this.opts.url}: ${(e as Error)?.message ?? e}`));
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.connectTimer = setTimeout(() => {
      if (this.ws === ws && !this.live) this.dropSocket(ws, 4000, "connect timeout");
    }, this.opts.connectTimeoutMs ?? 10_000);
    unref(this.connectTimer);
    ws.onopen = () => {
      if (this.ws !== ws) return;
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.live = true;
      this.lastHeard = now();
      this.setState("open");
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.lastHeard = now();
      this.onMessage(ev.data);
    };
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      if (this.ws === ws) this.disconnected(ev.code, ev.reason);
    };
  }

  /** Gives up on a socket at once (no waiting for a close handshake a dead peer never answers). */
  private dropSocket(ws: WebSocketLike, code: number, reason: string): void {
    ws.onopen = ws.onmessage = ws.onclose = null;
    try {
      ws.close(1000, reason);
    } catch {
      // already closing
    }
    if (this.ws === ws) this.disconnected(code, reason);
  }

  private disconnected(code: number, reason: string): void {
    const wasUsing = this.connected;
    this.stateManager.reset();
    this.ws = null;
    this.live = false;
    this.serverDist = null;
    this.version = null;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    for (const resolve of this.pings.values()) resolve(Number.NaN);
    this.pings.clear();
    this.serverCalls.abortAll();
    // Server calls cut off by the loss: re-routed or rejected by their callers.
    const lost = [...this.remote.values()];
    this.remote.clear();
    for (const p of lost) {
      p.reject(
        new Reroute(
          "lost",
          new FragmentCallError(
            "DCM_CONNECTION_LOST",
            `the connection to the server was lost during the call of \`${p.fragment}\` (${code}${reason ? ` ${reason}` : ""})`,
            p.fragment,
          ),
        ),
      );
    }
    if (wasUsing) this.emit("distribution", this.distribution);
    if (this.closed) return;
    if (code === CLOSE_CODES.forbiddenOrigin || code === CLOSE_CODES.protocolVersion) {
      this.stopped = true;
      this.setState("stopped", { code, reason });
      this.emit(
        "error",
        new Error(`the server refused this client for good (${code} ${reason}); fragments run locally`),
      );
      return;
    }
    if (code === CLOSE_CODES.unauthorized)
      this.emit("error", new Error(`the server refused the token (${code} ${reason})`));
    this.scheduleReconnect(code === CLOSE_CODES.tokenExpired ? 0 : undefined, code, reason);
  }

  private scheduleReconnect(delayMs?: number, code?: number, reason?: string): void {
    if (this.closed || this.stopped || this.reconnectTimer) return;
    const r = this.opts.reconnect ?? {};
    const initial = r.initialMs ?? 250;
    const max = r.maxMs ?? 10_000;
    const factor = r.factor ?? 2;
    let delay = delayMs;
    if (delay === undefined) {
      const exp = Math.min(max, initial * factor ** this.attempt);
      // "Equal jitter": half fixed, half random, so that clients of a restarted server spread out.
      delay = exp / 2 + Math.random() * (exp / 2);
      this.attempt++;
    }
    this.setState("closed", { ...(code !== undefined ? { code } : {}), ...(reason ? { reason } : {}), delayMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
  }

  private heartbeat(interval: number): void {
    const ws = this.ws;
    if (!ws || !this.live) return;
    if (now() - this.lastHeard > 2 * interval) {
      this.dropSocket(ws, 4008, "no answer from the server");
      return;
    }
    this.send({ type: "ping", t: now() });
  }

  private send(msg: ClientMessage): boolean {
    const ws = this.ws;
    if (!ws || !this.live || ws.readyState !== WS_OPEN) return false;
    try {
      ws.send(JSON.stringify(msg));
      return true;
    } catch {
      return false;
    }
  }

  private onMessage(data: unknown): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data as ArrayBuffer));
    } catch {
      return;
    }
    if (!m || typeof m !== "object") return;
    switch (m.type) {
      case "updateFragments":
        if (Array.isArray(m.fragments) && typeof m.version === "number") {
          this.applyUpdate(m.fragments as FragmentStatus[], m.full === true, m.version);
          if (m.deploy && typeof m.deploy === "object") void this.redeploy(m.deploy as DeployInfo);
        }
        return;
      case "functionResult": {
        const p = typeof m.callId === "string" ? this.remote.get(m.callId) : undefined;
        if (!p) return;
        this.remote.delete(p.callId);
        if (m.ok === true) {
          let v: JsValue;
          try {
            v = resultFromWire(m.value, p.sig, this.manifest.types);
          } catch (e) {
            p.reject(
              new FragmentCallError(
                "DCM_BAD_MESSAGE",
                `the server's result does not fit the signature: ${(e as Error).message}`,
                p.fragment,
              ),
            );
            return;
          }
          p.resolve(v);
        } else {
          const err = (m.error ?? {}) as { code?: unknown; message?: unknown };
          const e = new FragmentCallError(
            typeof err.code === "string" ? err.code : "DCM_FRAGMENT_PANIC",
            typeof err.message === "string" ? err.message : "the server reported an error",
            p.fragment,
          );
          // The server did not run it: the distribution changed under the call. Run it where it now belongs.
          p.reject(e.code === "DCM_WRONG_SIDE" ? new Reroute("wrongSide", e) : e);
        }
        return;
      }
      case "error": {
        const p = typeof m.callId === "string" ? this.remote.get(m.callId) : undefined;
        const e = new FragmentCallError(
          typeof m.code === "string" ? m.code : "DCM_BAD_MESSAGE",
          typeof m.message === "string" ? m.message : "protocol error",
          p?.fragment ?? "",
        );
        if (p) {
          this.remote.delete(p.callId);
          p.reject(e);
        } else this.emit("error", e);
        return;
      }
      case "callFunction":
        this.serverCalls.onCall(m);
        return;
      case "cancelCall":
        this.serverCalls.onCancel(m.callId);
        return;
      case "ping":
        if (typeof m.t === "number") this.send({ type: "pong", t: m.t, serverTime: Date.now() } as ClientMessage);
        return;
      case "transferBegin":
      case "stateTransfer":
      case "transferResult":
      case "transferAbort":
        this.stateManager.onMessage(m);
        return;
      case "pong": {
        if (typeof m.t !== "number") return;
        const resolve = this.pings.get(m.t);
        if (resolve) {
          this.pings.delete(m.t);
          resolve(now() - m.t);
        }
        return;
      }
    }
  }

  ping(timeoutMs = 5000): Promise<number> {
    if (!this.live) return Promise.reject(new FragmentCallError("DCM_CONNECTION_LOST", "not connected", ""));
    let t = now();
    while (this.pings.has(t)) t += 1e-6;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(t);
        reject(new FragmentCallError("DCM_CALL_TIMEOUT", `no pong within ${timeoutMs} ms`, ""));
      }, timeoutMs);
      this.pings.set(t, (rtt) => {
        clearTimeout(timer);
        if (Number.isNaN(rtt)) reject(new FragmentCallError("DCM_CONNECTION_LOST", "the connection closed", ""));
        else resolve(rtt);
      });
      if (!this.send({ type: "ping", t })) {
        clearTimeout(timer);
        this.pings.delete(t);
        reject(new FragmentCallError("DCM_CONNECTION_LOST", "not connected", ""));
      }
    });
  }

  private flushStats(): void {
    if (this.localStats.length === 0 || !this.connected) return;
    const calls = this.localStats.splice(0, STATS_BATCH);
    if (!this.send({ type: "callStats", calls } as unknown as ClientMessage)) this.localStats.unshift(...calls);
  }

  // ---- calls ----

  records(): CallRecord[] {
    return this.recs.slice();
  }

  call(fragmentId: string, args: JsValue[], opts?: CallOptions): Promise<JsValue> {
    // Fast path: a local call without a signal needs no retry loop (nothing can cut it off).
    if (opts === undefined || (opts.signal === undefined && opts.defer === undefined)) {
      const f = this.byId.get(fragmentId);
      if (
        f !== undefined &&
        f.signature !== undefined &&
        !this.closed &&
        this.switching === null &&
        this.where(fragmentId) === "client" &&
        !this.stateManager.touches(fragmentId)
      ) {
        const t0 = now();
        const timeoutMs = opts?.timeoutMs;
        this.localRunning++;
        const p = this.executor.call(fragmentId, args, timeoutMs === undefined ? this.execOpts : { timeoutMs });
        return p.then(
          (v) => {
            this.localDone();
            this.recordLocal(fragmentId, t0, true);
            return v;
          },
          (e) => {
            this.localDone();
            const err =
              e instanceof FragmentCallError
                ? e
                : new FragmentCallError("DCM_FRAGMENT_PANIC", String((e as Error)?.message ?? e), fragmentId);
            this.recordLocal(fragmentId, t0, false, err.code);
            throw err;
          },
        );
      }
    }
    return this.run(fragmentId, args, opts, null);
  }

  private recordLocal(fragment: string, t0: number, ok: boolean, error?: string): void {
    const t = now();
    this.record(
      error === undefined
        ? { fragment, ranOn: "client", ms: t - t0, ok, retried: false, at: t }
        : { fragment, ranOn: "client", ms: t - t0, ok, error, retried: false, at: t },
      null,
    );
  }

  async callWithInfo(fragmentId: string, args: JsValue[], opts?: CallOptions): Promise<CallResult> {
    const info = { ranOn: "client" as Side, ms: 0, retried: false };
    const value = await this.run(fragmentId, args, opts, info);
    return { value, ...info };
  }

  private fragment(id: string): ManifestFragment {
    const f = this.byId.get(id);
    if (!f) {
      const ids = this.manifest.fragments.map((x) => x.id).join(", ");
      throw new FragmentCallError(
        "DCM_UNKNOWN_FRAGMENT",
        `No fragment \`${id}\` in the manifest (fragments: ${ids}).`,
        id,
      );
    }
    if (!f.signature)
      throw new FragmentCallError(
        "DCM_NOT_CALLABLE",
        f.notCallable ?? `Fragment \`${id}\` is a ${f.kind}, not a function or method.`,
        id,
      );
    return f;
  }

  private record(rec: CallRecord, info: { ranOn: Side; ms: number; retried: boolean } | null): void {
    if (info) {
      info.ranOn = rec.ranOn;
      info.ms = rec.ms;
      info.retried = rec.retried;
    }
    this.recs.push(rec);
    if (this.recs.length > RECORDS_KEPT * 2) this.recs.splice(0, this.recs.length - RECORDS_KEPT);
    if (rec.ranOn === "client" && this.opts.reportStats !== false && this.localStats.length < 10_000) {
      this.localStats.push({ fragment: rec.fragment, ms: rec.ms, ok: rec.ok });
    }
    if (this.listeners.call.size > 0) this.emit("call", rec);
  }

  private async run(
    id: string,
    args: JsValue[],
    opts: CallOptions | undefined,
    info: { ranOn: Side; ms: number; retried: boolean } | null,
  ): Promise<JsValue> {
    const t0 = now();
    if (this.closed) throw callErrors.closed(id);
    // A live redeploy is switching executors: calls made meanwhile wait for it (briefly) and run on the new one.
    while (this.switching) await this.switching;
    const f = this.fragment(id);
    const signal = opts?.signal;
    const timeoutMs = opts?.timeoutMs ?? this.defaultTimeout;
    const deadline = t0 + timeoutMs;
    let retried = false;
    let side: Side = this.where(id);
    const finish = (ok: boolean, error?: string) =>
      this.record(
        { fragment: id, ranOn: side, ms: now() - t0, ok, ...(error ? { error } : {}), retried, at: now() },
        info,
      );
    try {
      for (;;) {
        if (signal?.aborted) throw callErrors.aborted(id, signal.reason);
        const left = deadline - now();
        if (left <= 0) throw callErrors.timeout(id, timeoutMs);
        const held = this.stateManager.hold(id);
        if (held) {
          // Its group is moving: wait, then run it where the group is.
          await this.waitHeld(held, left, signal, id, timeoutMs);
          continue;
        }
        side = this.where(id);
        if (side === "client") {
          const done = this.stateManager.track(id, "client");
          try {
            const v = await this.callLocal(id, args, signal ? { signal, timeoutMs: left } : { timeoutMs: left });
            finish(true);
            return v;
          } finally {
            done();
          }
        }
        if (!this.connected) {
          // Only the server can run it (no client module): wait for a connection.
          await this.waitConnected(left, signal, id);
          continue;
        }
        const done = this.stateManager.track(id, "server");
        try {
          const v = await this.callRemote(f, args, opts, left, timeoutMs, signal);
          done();
          finish(true);
          return v;
        } catch (e) {
          done();
          if (!(e instanceof Reroute)) throw e;
          if (e.why === "lost" && !this.isIdempotent(id)) throw e.error;
          retried = true;
          if (e.why === "wrongSide" && this.connected && this.where(id) === "server") {
            // A stateful group's state is on one side only: never guess.
            if (this.stateManager.touches(id)) throw e.error;
            // The server says client but our copy of the distribution says server: an update is on its way.
            // Run it locally rather than bounce.
            if (this.executor.has(id)) {
              side = "client";
              const v = await this.callLocal(
                id,
                args,
                signal ? { signal, timeoutMs: deadline - now() } : { timeoutMs: deadline - now() },
              );
              finish(true);
              return v;
            }
            throw e.error;
          }
        }
      }
    } catch (e) {
      const err =
        e instanceof FragmentCallError
          ? e
          : new FragmentCallError("DCM_FRAGMENT_PANIC", String((e as Error)?.message ?? e), id);
      finish(false, err.code);
      throw err;
    }
  }

  /** Waits for a held call's release, within its deadline. */
  private waitHeld(
    held: Promise<void>,
    left: number,
    signal: AbortSignal | undefined,
    id: string,
    timeoutMs: number,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        cleanup();
        reject(callErrors.aborted(id, signal?.reason));
      };
      const t = setTimeout(() => {
        cleanup();
        reject(callErrors.timeout(id, timeoutMs));
      }, left);
      const cleanup = () => {
        clearTimeout(t);
        signal?.removeEventListener("abort", onAbort);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      void held.then(() => {
        cleanup();
        resolve();
      });
    });
  }

  private async callLocal(id: string, args: JsValue[], o: { signal?: AbortSignal; timeoutMs: number }): Promise<JsValue> {
    this.localRunning++;
    try {
      return await this.executor.call(id, args, o);
    } finally {
      this.localDone();
    }
  }

  private localDone(): void {
    if (--this.localRunning === 0 && this.localIdle) this.localIdle();
  }

  // ---- live redeploy (redeploy.ts, docs/redeploy.md) ----

  /**
   * Loads the deployed dist in the background, then switches between calls:
   * new calls wait, local calls in flight finish on the old executor, the
   * state of the groups this client runs is carried over where the server
   * did not reset it, and the new executor takes over. A failed load keeps
   * the old modules (event `redeploy` with ok false); the next deploy retries.
   */
  private async redeploy(info: DeployInfo): Promise<void> {
    if (typeof info.id !== "string" || !Array.isArray(info.stateReset)) return;
    if (info.id === this.manifest.buildKey) {
      this.send({ type: "deployApplied", id: info.id });
      return;
    }
    if (this.loadingDeploy === info.id) return;
    this.loadingDeploy = info.id;
    let loaded: Awaited<ReturnType<typeof loadDeploy>>;
    try {
      loaded = await loadDeploy(info, this.opts, this.manifestBase, this.opts.onOutput ?? consoleOutput);
    } catch (e) {
      if (this.loadingDeploy === info.id) this.loadingDeploy = null;
      const error =
        e instanceof FragmentCallError ? e : new FragmentCallError("DCM_REDEPLOY_LOAD_FAILED", String((e as Error)?.message ?? e), "");
      this.emit("redeploy", { id: info.id, ok: false, error });
      this.emit("error", error);
      return;
    }
    // A newer deploy arrived meanwhile, or the client closed: this one is dropped.
    if (this.closed || this.loadingDeploy !== info.id) {
      await loaded.executor.close().catch(() => {});
      return;
    }
    let release!: () => void;
    this.switching = new Promise<void>((r) => (release = r));
    const old = { manifest: this.manifest, executor: this.executor };
    let swapped = false;
    try {
      if (this.localRunning > 0) await new Promise<void>((r) => (this.localIdle = r));
      this.localIdle = null;
      const reset = new Set(info.stateReset.filter((g) => typeof g === "string"));
      // Groups this client runs (by the placement of their fragments) keep their state unless the server reset them.
      const local = (old.manifest.groups ?? []).filter(
        (g) => g.state.length > 0 && !reset.has(g.id) && g.fragments.some((f) => this.where(f) === "client"),
      );
      const { carried, failed } = await carryState(old, loaded, local.map((g) => g.id));
      for (const f of failed) {
        reset.add(f.group);
        this.emit("error", new Error(`redeploy ${info.id}: the state of group ${f.group} restarts: ${f.reason}`));
      }
      this.manifest = loaded.manifest;
      this.executor = loaded.executor;
      this.byId = new Map(loaded.manifest.fragments.map((f) => [f.id, f]));
      this.stateManager.rebase();
      swapped = true;
      this.loadingDeploy = null;
      this.switching = null;
      release();
      this.send({ type: "deployApplied", id: info.id });
      this.emit("redeploy", { id: info.id, ok: true, stateReset: [...reset].sort(), carried });
      this.emit("distribution", this.distribution);
    } finally {
      if (this.switching) {
        this.switching = null;
        release();
      }
      if (!swapped) await loaded.executor.close().catch(() => {});
    }
    if (swapped) await old.executor.close().catch(() => {});
  }

  private waitConnected(left: number, signal: AbortSignal | undefined, id: string): Promise<void> {
    if (this.closed || this.stopped) {
      return Promise.reject(
        new FragmentCallError(
          "DCM_CONNECTION_LOST",
          `\`${id}\` runs only on the server and the client is not connected`,
          id,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const done = () => {
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(callErrors.aborted(id, signal?.reason));
      };
      const t = setTimeout(() => {
        cleanup();
        reject(
          new FragmentCallError(
            "DCM_CONNECTION_LOST",
            `\`${id}\` runs only on the server and no connection came up in time`,
            id,
          ),
        );
      }, left);
      const cleanup = () => {
        clearTimeout(t);
        this.connectedWaiters.delete(done);
        signal?.removeEventListener("abort", onAbort);
      };
      this.connectedWaiters.add(done);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private callRemote(
    f: ManifestFragment,
    args: JsValue[],
    opts: CallOptions | undefined,
    left: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<JsValue> {
    const sig = f.signature!;
    const wire = argsToWire(args, sig, this.manifest.types, f.id);
    const callId = `${this.callPrefix}${++this.callSeq}`;
    return new Promise<JsValue>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const giveUp = (err: FragmentCallError) => {
        if (!this.remote.delete(callId)) return;
        cleanup();
        this.send({ type: "cancelCall", callId });
        reject(err);
      };
      const onAbort = () => giveUp(callErrors.aborted(f.id, signal?.reason));
      this.remote.set(callId, {
        callId,
        fragment: f.id,
        sig,
        resolve: (v) => {
          cleanup();
          resolve(v);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      });
      timer = setTimeout(() => giveUp(callErrors.timeout(f.id, timeoutMs)), left);
      signal?.addEventListener("abort", onAbort, { once: true });
      const msg: CallFunctionMessage = {
        type: "callFunction",
        callId,
        fragment: f.id,
        args: wire,
        timeoutMs: Math.max(1, Math.ceil(left)),
      };
      if (opts?.defer) msg.defer = true;
      if (!this.send(msg)) {
        // The socket went away between where() and now: the server never saw the call.
        this.remote.delete(callId);
        cleanup();
        reject(new Reroute("notSent", new FragmentCallError("DCM_CONNECTION_LOST", "not connected", f.id)));
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of [this.reconnectTimer, this.connectTimer]) if (t) clearTimeout(t);
    for (const t of [this.heartbeatTimer, this.statsTimer]) if (t) clearInterval(t);
    this.flushStats();
    const ws = this.ws;
    const pending = [...this.remote.values()];
    this.remote.clear();
    for (const p of pending) p.reject(callErrors.closed(p.fragment));
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close(1000, "client closed");
      } catch {
        // ignore
      }
    }
    this.ws = null;
    this.live = false;
    this.serverDist = null;
    this.setState("stopped");
    if (this.ownsExecutor) await this.executor.close();
  }
}
