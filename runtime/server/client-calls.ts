/**
 * Server-to-client calls (issue 12, docs/protocol.md "Server-initiated
 * calls"): `distributor.callOnClient(clientId, fragment, args)` runs a
 * fragment wherever that client's distribution places it — in the client
 * (a `callFunction` the server sends, answered by the client's
 * `functionResult`) or on the server, as that client's call (same executer
 * path and client id as the client's own calls, so its per-client state
 * applies).
 *
 * Two halves: OutgoingCalls (one per connection: ids, timeouts, the
 * connection closing) and ClientCalls (one per distributor: routing and
 * typed errors).
 *
 * Known limitations: a client-placed call that the client answers with
 * DCM_WRONG_SIDE (its distribution changed meanwhile) is run on the server
 * once; a connection that closes mid-call fails the call
 * (DCM_CLIENT_DISCONNECTED) even if the client reconnects at once — whether
 * it ran there is unknown, so it is never run again.
 */
import { FragmentCallError } from "../abi/call-error.js";
import type { JsValue } from "../abi/js-values.js";
import type { Side } from "../abi/manifest-types.js";
import type { TypeTable } from "../abi/value-types.js";
import type { CallError, CallFunctionMessage, ServerMessage, WireValue } from "../protocol/messages.js";
import { argsFromWire, argsToWire, resultFromWire, resultToWire } from "../protocol/wire-values.js";
import type { ClientRegistry } from "./client-registry.js";
import { DistributorError } from "./distributor-error.js";
import type { Executer } from "./executer.js";
import type { FragmentRegistry } from "./fragment-registry.js";
import type { StatsBook } from "./stats.js";

export interface CallOnClientOptions {
  /** Milliseconds; capped at the server's `callTimeoutMs`. */
  timeoutMs?: number;
  /** Aborting fails the call with DCM_CALL_CANCELLED (the client gets `cancelCall`). */
  signal?: AbortSignal;
}

export interface CallOnClientResult<V = JsValue> {
  value: V;
  ranOn: Side;
  /** Milliseconds from the request to the answer. */
  ms: number;
}

/** The answer of one server-initiated call, as the client sent it. */
type ClientAnswer = { ok: true; value: WireValue } | { ok: false; error: CallError };

interface Outgoing {
  resolve(a: ClientAnswer): void;
  reject(e: DistributorError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** The server-initiated calls of one connection. */
export class OutgoingCalls {
  private readonly pending = new Map<string, Outgoing>();
  /** Calls given up on (timeout, cancel): their late answers are dropped quietly, not refused as forged. */
  private readonly abandoned = new Set<string>();
  private seq = 0;
  private closed = false;

  constructor(
    private readonly send: (msg: ServerMessage) => void,
    private readonly limit: number,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Sends `callFunction` to the client and waits for its `functionResult`. */
  call(fragment: string, args: WireValue[], timeoutMs: number, signal?: AbortSignal): Promise<ClientAnswer> {
    if (this.closed) return Promise.reject(disconnected(fragment, "before the call"));
    if (this.pending.size >= this.limit)
      return Promise.reject(
        new DistributorError(
          "DCM_TOO_MANY_CALLS",
          `${this.pending.size} server-initiated calls are already waiting for this client (limit ${this.limit}); wait for their answers`,
          429,
        ),
      );
    const callId = `s${++this.seq}`;
    return new Promise<ClientAnswer>((resolve, reject) => {
      const done = () => {
        clearTimeout(entry.timer);
        this.pending.delete(callId);
        signal?.removeEventListener("abort", onAbort);
      };
      const entry: Outgoing = {
        resolve: (a) => {
          done();
          resolve(a);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        timer: setTimeout(() => {
          this.abandon(callId);
          this.send({ type: "cancelCall", callId });
          entry.reject(
            new DistributorError(
              "DCM_CALL_TIMEOUT",
              `the client did not answer the call of \`${fragment}\` within ${timeoutMs} ms; it was asked to cancel it`,
              504,
            ),
          );
        }, timeoutMs),
      };
      const onAbort = () => {
        this.abandon(callId);
        this.send({ type: "cancelCall", callId });
        entry.reject(
          new DistributorError("DCM_CALL_CANCELLED", `the call of \`${fragment}\` was cancelled by its caller`, 499),
        );
      };
      if (signal?.aborted) {
        clearTimeout(entry.timer);
        reject(
          new DistributorError("DCM_CALL_CANCELLED", `the call of \`${fragment}\` was cancelled by its caller`, 499),
        );
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(callId, entry);
      const msg: CallFunctionMessage = { type: "callFunction", callId, fragment, args, timeoutMs };
      this.send(msg);
    });
  }

  /** A `functionResult` from the client: the error message to answer with when it is not one of ours, else null. */
  onResult(m: Record<string, unknown>): string | null {
    const callId = m.callId;
    if (typeof callId !== "string") return "functionResult needs a string `callId`";
    const p = this.pending.get(callId);
    if (!p && this.abandoned.delete(callId)) return null;
    if (!p)
      return `functionResult for ${JSON.stringify(callId).slice(0, 140)}, which is not a server-initiated call waiting for an answer`;
    if (m.ok === true) {
      if (!("value" in m)) return "functionResult with `ok: true` needs a `value`";
      p.resolve({ ok: true, value: m.value });
      return null;
    }
    const err = m.error as { code?: unknown; message?: unknown } | undefined;
    if (m.ok !== false || !err || typeof err.code !== "string" || typeof err.message !== "string")
      return "functionResult needs `ok: true` with a `value`, or `ok: false` with `error: {code, message}` (strings)";
    p.resolve({ ok: false, error: { code: err.code.slice(0, 100), message: err.message.slice(0, 4000) } });
    return null;
  }

  private abandon(callId: string): void {
    this.abandoned.add(callId);
    if (this.abandoned.size > 1024) this.abandoned.delete(this.abandoned.values().next().value!);
  }

  /** The connection closed: every call waiting on it fails at once. */
  close(): void {
    this.closed = true;
    for (const p of [...this.pending.values()]) p.reject(disconnected("", "during the call"));
  }
}

function disconnected(fragment: string, when: string): DistributorError {
  const what = fragment ? ` of \`${fragment}\`` : "";
  return new DistributorError(
    "DCM_CLIENT_DISCONNECTED",
    `the client disconnected ${when}${what}; whether it ran is unknown, so it was not run again`,
    409,
  );
}

/** What ClientCalls needs of the distributor. */
export interface ClientCallsHost {
  clients: ClientRegistry;
  fragments: FragmentRegistry;
  executer: Executer;
  stats: StatsBook;
  types: TypeTable;
  callTimeoutMs: number;
  /** The connection of a client that can take server-initiated calls, if it is connected. */
  connectionOf(clientId: string): { outgoing: OutgoingCalls } | undefined;
}

export class ClientCalls {
  constructor(private readonly host: ClientCallsHost) {}

  /** Runs `fragment` for `clientId` where its distribution says; values in and out are JS values. */
  async call(
    clientId: string,
    fragment: string,
    args: JsValue[],
    opts: CallOnClientOptions = {},
  ): Promise<CallOnClientResult> {
    const sig = this.signature(fragment);
    let wire: WireValue[];
    try {
      wire = argsToWire(args, sig, this.host.types, fragment);
    } catch (e) {
      throw asDistributorError(e, fragment);
    }
    return this.run(clientId, fragment, wire, args, opts, (w) => resultFromWire(w, sig, this.host.types));
  }

  /** The same with wire values in and out (docs/protocol.md), for the REST API. */
  async callWire(
    clientId: string,
    fragment: string,
    args: unknown,
    opts: CallOnClientOptions = {},
  ): Promise<CallOnClientResult<WireValue>> {
    const sig = this.signature(fragment);
    let js: JsValue[];
    try {
      js = argsFromWire(args, sig, this.host.types, fragment);
    } catch (e) {
      throw asDistributorError(e, fragment);
    }
    const wire = argsToWire(js, sig, this.host.types, fragment);
    return this.run(
      clientId,
      fragment,
      wire,
      js,
      opts,
      (w) => w,
      (v) => resultToWire(v, sig, this.host.types),
    );
  }

  private signature(fragment: string) {
    const f = this.host.fragments.get(fragment);
    if (!f)
      throw new DistributorError(
        "DCM_UNKNOWN_FRAGMENT",
        `no fragment ${JSON.stringify(fragment).slice(0, 200)} in the served dist`,
        404,
      );
    if (!f.signature)
      throw new DistributorError(
        "DCM_NOT_CALLABLE",
        f.notCallable ?? `fragment \`${fragment}\` is a ${f.kind}, not a function or method`,
        422,
      );
    return f.signature;
  }

  private async run<V>(
    clientId: string,
    fragment: string,
    wire: WireValue[],
    js: JsValue[],
    opts: CallOnClientOptions,
    fromClient: (w: WireValue) => V,
    fromServer: (v: JsValue) => V = (v) => v as V,
  ): Promise<CallOnClientResult<V>> {
    const rec = this.host.clients.get(clientId);
    if (!rec)
      throw new DistributorError(
        "DCM_API_UNKNOWN_CLIENT",
        `no client ${JSON.stringify(clientId).slice(0, 120)} is known to the distributor`,
        404,
      );
    const timeoutMs = Math.min(opts.timeoutMs ?? Infinity, this.host.callTimeoutMs);
    const t0 = performance.now();
    if (rec.distribution.get(fragment) === "client") {
      const conn = this.host.connectionOf(clientId);
      if (!conn)
        throw new DistributorError(
          "DCM_CLIENT_DISCONNECTED",
          `client ${JSON.stringify(clientId).slice(0, 120)} runs \`${fragment}\` in its browser but is not connected; call again once it is`,
          409,
        );
      const answer = await conn.outgoing.call(fragment, wire, timeoutMs, opts.signal);
      const ms = performance.now() - t0;
      if (answer.ok) {
        this.host.stats.record(fragment, "client", ms, true);
        try {
          return { value: fromClient(answer.value), ranOn: "client", ms };
        } catch (e) {
          throw new DistributorError(
            "DCM_BAD_MESSAGE",
            `the client's result does not fit the signature of \`${fragment}\`: ${(e as Error).message}`,
            502,
          );
        }
      }
      // The client's distribution changed under the call: it did not run there, so it runs here.
      if (answer.error.code !== "DCM_WRONG_SIDE") {
        this.host.stats.record(fragment, "client", ms, false);
        throw clientRefusal(answer.error, fragment);
      }
    }
    const outcome = await this.host.executer.run({ fragment, args: js, lane: null, client: clientId, timeoutMs })
      .outcome;
    const ms = performance.now() - t0;
    this.host.stats.record(fragment, "server", outcome.ms ?? ms, outcome.ok);
    if (!outcome.ok)
      throw new DistributorError(outcome.error.code, outcome.error.message, statusOf(outcome.error.code));
    return { value: fromServer(outcome.value), ranOn: "server", ms };
  }
}

function statusOf(code: string): number {
  if (code === "DCM_CALL_TIMEOUT") return 504;
  if (code === "DCM_TOO_MANY_CALLS") return 429;
  if (code === "DCM_CALL_REFUSED") return 403;
  if (code === "DCM_BAD_ARGUMENTS") return 400;
  // The fragment ran and failed (its error, a panic, a limit): the request was fine, the call was not.
  return 422;
}

function clientRefusal(error: CallError, fragment: string): DistributorError {
  const message = error.message || `the client answered the call of \`${fragment}\` with ${error.code}`;
  return new DistributorError(error.code, message, statusOf(error.code));
}

function asDistributorError(e: unknown, fragment: string): DistributorError {
  if (e instanceof FragmentCallError) return new DistributorError(e.code, e.message, statusOf(e.code));
  return new DistributorError("DCM_BAD_ARGUMENTS", `arguments of \`${fragment}\`: ${(e as Error)?.message ?? e}`, 400);
}
