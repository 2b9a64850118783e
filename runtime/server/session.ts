/**
 * One authenticated WebSocket connection: parses and checks every message,
 * hands calls to the Fragment Executer, matches results by callId, answers
 * pings, and measures round trips with its own pings. A message that cannot
 * be handled gets an `error` reply; the connection stays open.
 */
import type { WebSocket } from "ws";
import { FragmentCallError } from "../abi/call-error.js";
import { outputPrinter } from "../abi/call-output.js";
import type { JsValue } from "../abi/js-values.js";
import type { ManifestFragment } from "../abi/manifest-types.js";
import type { TypeTable } from "../abi/value-types.js";
import type { CallError, CallFunctionMessage, FunctionResultMessage, ServerMessage } from "../protocol/messages.js";
import { CLOSE_CODES, PROTOCOL_VERSION } from "../protocol/messages.js";
import { argsFromWire, resultToWire } from "../protocol/wire-values.js";
import { OutgoingCalls } from "./client-calls.js";
import type { ClientConnection, ClientRecord, ClientRegistry } from "./client-registry.js";
import type { CallHandle, Executer } from "./executer.js";
import type { FragmentRegistry } from "./fragment-registry.js";
import type { ResolvedOptions } from "./options.js";
import type { ServerTransfers } from "./state/server-transfers.js";
import type { StateStore } from "./state/state-store.js";
import type { StatsBook } from "./stats.js";

/** fragments, executer and types are replaced together by a live redeploy: read them at each use, never keep them. */
export interface SessionHost {
  opts: ResolvedOptions;
  fragments: FragmentRegistry;
  clients: ClientRegistry;
  executer: Executer;
  stats: StatsBook;
  types: TypeTable;
  /** Per-client state of stateful groups and their moves (runtime/server/state/). */
  state: StateStore;
  transfers: ServerTransfers;
  /** Closes the connection with a protocol close code. */
  closeWith(ws: WebSocket, code: number, reason: string): void;
}

const MAX_CALL_ID = 128;

/** The callId of a message that could not be parsed, from its first bytes, when it plainly has one. */
function sniffCallId(text: string): string | undefined {
  const m = /"callId"\s*:\s*"([^"\\]{1,128})"/.exec(text.slice(0, 4096));
  return m?.[1];
}

let nextSessionId = 1;

export class Session implements ClientConnection {
  readonly id = nextSessionId++;
  readonly client: ClientRecord;
  /** performance.now() of the last message from the client. */
  lastHeard = performance.now();
  private readonly pending = new Map<string, CallHandle>();
  /** Calls the server sends to this client (runtime/server/client-calls.ts). */
  readonly outgoing: OutgoingCalls;
  private readonly pings = new Set<number>();
  private closed = false;

  constructor(
    private readonly host: SessionHost,
    readonly ws: WebSocket,
    clientId: string,
    subject: string,
  ) {
    this.outgoing = new OutgoingCalls((m) => this.send(m), host.opts.maxPendingCalls);
    this.client = host.clients.attach(clientId, subject, this);
  }

  send(msg: ServerMessage): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(msg));
  }

  private error(code: string, message: string, callId?: string): void {
    this.send(callId === undefined ? { type: "error", code, message } : { type: "error", code, message, callId });
  }

  private fail(callId: string, error: CallError): void {
    this.send({ type: "functionResult", callId, ok: false, error } satisfies FunctionResultMessage);
  }

  /** Sends a ping; the client's pong gives the round trip. */
  ping(): void {
    const t = performance.now();
    this.pings.add(t);
    if (this.pings.size > 8) this.pings.delete(this.pings.values().next().value!);
    this.send({ type: "ping", t });
  }

  onMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    this.lastHeard = performance.now();
    this.client.lastSeenAt = Date.now();
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    // The state of a group moving to the server may be larger than a call (up to the WebSocket's hard cap).
    if (buf.length > this.host.opts.maxMessageBytes && !this.host.transfers.expectsState(this)) {
      const text = buf.subarray(0, 4096).toString("utf8");
      this.error(
        "DCM_MESSAGE_TOO_LARGE",
        `message of ${buf.length} bytes is over the limit of ${this.host.opts.maxMessageBytes}`,
        sniffCallId(text),
      );
      return;
    }
    if (isBinary) {
      this.error("DCM_BAD_MESSAGE", "binary frames are not part of the protocol: send JSON text frames");
      return;
    }
    const text = buf.toString("utf8");
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      this.error("DCM_BAD_MESSAGE", `not valid JSON: ${(e as Error).message}`, sniffCallId(text));
      return;
    }
    if (typeof msg !== "object" || msg === null || Array.isArray(msg)) {
      this.error("DCM_BAD_MESSAGE", "a message must be a JSON object with a `type`");
      return;
    }
    const m = msg as Record<string, unknown>;
    switch (m.type) {
      case "callFunction":
        this.onCall(m);
        return;
      case "functionResult": {
        // The answer to a server-initiated call; anything else is refused and changes nothing.
        const problem = this.outgoing.onResult(m);
        if (problem) this.error("DCM_BAD_MESSAGE", problem, typeof m.callId === "string" ? m.callId.slice(0, MAX_CALL_ID) : undefined);
        return;
      }
      case "cancelCall":
        if (typeof m.callId !== "string") {
          this.error("DCM_BAD_MESSAGE", "cancelCall needs a string `callId`");
          return;
        }
        // A call that already finished: nothing to do (its result is on its way or delivered).
        this.pending.get(m.callId)?.cancel("the client cancelled the call");
        return;
      case "ping":
        if (typeof m.t !== "number") {
          this.error("DCM_BAD_MESSAGE", "ping needs a number `t`");
          return;
        }
        this.send({ type: "pong", t: m.t, serverTime: Date.now() });
        return;
      case "pong":
        if (typeof m.t !== "number") {
          this.error("DCM_BAD_MESSAGE", "pong needs a number `t`");
          return;
        }
        // Only answers to this server's pings count; others are ignored.
        if (this.pings.delete(m.t)) this.client.rttMs = performance.now() - m.t;
        return;
      case "hello":
        if (m.protocol !== PROTOCOL_VERSION) {
          this.host.closeWith(this.ws, CLOSE_CODES.protocolVersion, "DCM_PROTOCOL_VERSION");
        }
        return;
      case "callStats":
        this.onCallStats(m);
        return;
      case "deployApplied":
        // Live redeploy: the client now runs this build (docs/redeploy.md).
        if (typeof m.id === "string" && m.id.length <= 128) this.client.deployApplied = m.id;
        return;
      case "transferReady":
      case "stateTransfer":
      case "transferResult":
        void this.host.transfers.onMessage(this, m).then((e) => {
          if (e) this.error(e.code, e.message);
        });
        return;
      default:
        if (typeof m.type !== "string") {
          this.error("DCM_BAD_MESSAGE", "a message needs a string `type`");
          return;
        }
        this.error(
          "DCM_UNKNOWN_MESSAGE",
          `unknown message type ${JSON.stringify(m.type).slice(0, 80)}`,
          typeof m.callId === "string" ? m.callId : undefined,
        );
        return;
    }
  }

  private onCallStats(m: Record<string, unknown>): void {
    if (!Array.isArray(m.calls)) {
      this.error("DCM_BAD_MESSAGE", "callStats needs an array `calls`");
      return;
    }
    for (const c of m.calls.slice(0, 1000) as Array<Record<string, unknown>>) {
      if (!c || typeof c.fragment !== "string" || typeof c.ms !== "number" || typeof c.ok !== "boolean") continue;
      if (!this.host.fragments.get(c.fragment)) continue;
      this.host.stats.record(c.fragment, "client", c.ms, c.ok);
    }
  }

  private onCall(m: Record<string, unknown>): void {
    const callId = m.callId;
    if (typeof callId !== "string" || callId.length === 0 || callId.length > MAX_CALL_ID) {
      this.error("DCM_BAD_MESSAGE", `callFunction needs a string \`callId\` of 1 to ${MAX_CALL_ID} characters`);
      return;
    }
    if (typeof m.fragment !== "string") {
      this.error("DCM_BAD_MESSAGE", "callFunction needs a string `fragment`", callId);
      return;
    }
    if (!Array.isArray(m.args)) {
      this.error("DCM_BAD_MESSAGE", "callFunction needs `args`, an array", callId);
      return;
    }
    if (m.defer !== undefined && typeof m.defer !== "boolean") {
      this.error("DCM_BAD_MESSAGE", "`defer` must be a boolean", callId);
      return;
    }
    if (m.timeoutMs !== undefined && !(typeof m.timeoutMs === "number" && m.timeoutMs > 0)) {
      this.error("DCM_BAD_MESSAGE", "`timeoutMs` must be a positive number", callId);
      return;
    }
    if (this.pending.has(callId)) {
      this.error("DCM_BAD_MESSAGE", `callId ${JSON.stringify(callId)} is already in flight`, callId);
      return;
    }
    const msg = m as unknown as CallFunctionMessage;
    const id = msg.fragment;
    const f = this.host.fragments.get(id);
    const refusal = this.refusal(id, f);
    if (refusal || !f?.signature) {
      this.fail(callId, refusal ?? { code: "DCM_NOT_CALLABLE", message: `fragment \`${id}\` is not callable` });
      return;
    }
    let args: JsValue[];
    try {
      args = argsFromWire(msg.args, f.signature, this.host.types, id);
    } catch (e) {
      if (!(e instanceof FragmentCallError)) throw e;
      this.fail(callId, e.toJSON());
      return;
    }
    const sig = f.signature;
    // A stateful fragment runs in this client's state (the executer asks the distributor's StateStore).
    const handle = this.host.executer.run({
      fragment: id,
      args,
      lane: msg.defer ? null : `s${this.id}`,
      client: this.client.clientId,
      // The server's limit is an upper bound: a client may only shorten it.
      timeoutMs: Math.min(msg.timeoutMs ?? Infinity, this.host.opts.callTimeoutMs),
      onOutput: (o) => this.logOutput({ fragment: id, client: this.client.clientId, ...o }),
    });
    this.pending.set(callId, handle);
    void handle.outcome.then((o) => {
      this.pending.delete(callId);
      if (!(o.ok === false && o.error.code === "DCM_CALL_CANCELLED")) this.host.stats.record(id, "server", o.ms, o.ok);
      if (!o.ok) {
        this.fail(callId, o.error);
        return;
      }
      let value: unknown;
      try {
        value = resultToWire(o.value, sig, this.host.types);
      } catch (e) {
        const message = `the result does not fit the signature: ${(e as Error).message}`;
        this.fail(callId, { code: "DCM_FRAGMENT_PANIC", message });
        return;
      }
      this.send({ type: "functionResult", callId, ok: true, value });
    });
  }

  /** What a fragment printed goes to the server's logger, a line per message, never to the client (docs/protocol.md). */
  private readonly logOutput = outputPrinter((text) => {
    for (const line of text.slice(0, -1).split("\n")) this.host.opts.logger.info(line);
  });

  /** Why this client may not run fragment `id` here, or null. */
  private refusal(id: string, f: ManifestFragment | undefined): CallError | null {
    if (!f) return { code: "DCM_UNKNOWN_FRAGMENT", message: `no fragment ${JSON.stringify(id).slice(0, 200)}` };
    if (!f.signature)
      return {
        code: "DCM_NOT_CALLABLE",
        message: f.notCallable ?? `fragment \`${id}\` is a ${f.kind}, not a function or method`,
      };
    if (this.client.distribution.get(id) === "client") {
      return {
        code: "DCM_WRONG_SIDE",
        message: `fragment \`${id}\` runs on the client in this client's distribution (version ${this.client.version}); run it locally`,
      };
    }
    const limit = this.host.opts.maxPendingCalls;
    if (this.pending.size >= limit) {
      return { code: "DCM_TOO_MANY_CALLS", message: `${this.pending.size} calls are in flight (limit ${limit})` };
    }
    return null;
  }

  /** The connection closed: its calls are cancelled and the client record keeps its distribution. */
  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.pending.values()) h.cancel("the connection closed");
    this.pending.clear();
    this.outgoing.close();
    this.host.transfers.onClose(this);
    this.host.clients.detach(this.client, this);
  }
}
