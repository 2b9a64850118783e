/**
 * The client's half of server-initiated calls (docs/protocol.md,
 * "Server-initiated calls"): the server sends `callFunction` for a fragment
 * this client runs locally; the client runs it on its own executor (the
 * same path as its own calls, so a group being moved holds it too) and
 * answers `functionResult`. `cancelCall` from the server aborts it.
 *
 * Refused, with DCM_CALL_REFUSED: fragments the application marks private
 * (`privateFragments`), every call when `acceptServerCalls: false`, and
 * fragments this client does not hold. A fragment the client's distribution
 * now places on the server is answered DCM_WRONG_SIDE: the server then runs
 * it there.
 */
import { FragmentCallError } from "../abi/call-error.js";
import type { JsValue } from "../abi/js-values.js";
import type { ManifestFragment, Side } from "../abi/manifest-types.js";
import type { TypeTable } from "../abi/value-types.js";
import type { ClientMessage, FunctionResultMessage } from "../protocol/messages.js";
import { argsFromWire, resultToWire } from "../protocol/wire-values.js";

export interface ServerCallOptions {
  /** Fragments the server may never run in this client (DCM_CALL_REFUSED). */
  privateFragments?: string[];
  /** false: refuse every server-initiated call. Default true. */
  acceptServerCalls?: boolean;
}

/** ClientEvents.serverCall: one server-initiated call this client answered. */
export interface ServerCallEvent {
  fragment: string;
  ok: boolean;
  /** Where it ran: "client", or "server" when the distribution moved it meanwhile. */
  ranOn: Side | null;
  ms: number;
  /** The error code when it failed or was refused. */
  error?: string;
}

export interface ServerCallHost {
  fragment(id: string): ManifestFragment | undefined;
  types: TypeTable;
  /** Whether this client runs `id` locally now. */
  runsLocally(id: string): boolean;
  run(
    id: string,
    args: JsValue[],
    opts: { signal: AbortSignal; timeoutMs: number },
  ): Promise<{ value: JsValue; ranOn: Side }>;
  send(msg: ClientMessage): boolean;
  onServerCall(e: ServerCallEvent): void;
}

const MAX_RUNNING = 1024;

export class ServerCallHandler {
  private readonly running = new Map<string, AbortController>();
  private readonly privateIds: ReadonlySet<string>;

  constructor(
    private readonly host: ServerCallHost,
    private readonly opts: ServerCallOptions,
  ) {
    this.privateIds = new Set(opts.privateFragments ?? []);
  }

  /** A `callFunction` from the server; true when it started running here (false: answered with a refusal, or ignored). */
  onCall(m: Record<string, unknown>): boolean {
    const callId = m.callId;
    if (typeof callId !== "string" || callId.length === 0 || callId.length > 128 || this.running.has(callId)) return false;
    const id = typeof m.fragment === "string" ? m.fragment : "";
    const t0 = performance.now();
    const refuse = (code: string, message: string): false => {
      this.answer({ type: "functionResult", callId, ok: false, error: { code, message } });
      this.host.onServerCall({ fragment: id, ok: false, ranOn: null, ms: performance.now() - t0, error: code });
      return false;
    };
    if (this.opts.acceptServerCalls === false)
      return refuse("DCM_CALL_REFUSED", "this client takes no server-initiated calls (acceptServerCalls: false)");
    if (this.privateIds.has(id))
      return refuse(
        "DCM_CALL_REFUSED",
        `fragment \`${id}\` is private to this client (privateFragments); the server may not run it here`,
      );
    const f = this.host.fragment(id);
    if (!f?.signature)
      return refuse("DCM_CALL_REFUSED", `this client holds no callable fragment ${JSON.stringify(id).slice(0, 120)}`);
    if (!this.host.runsLocally(id))
      return refuse(
        "DCM_WRONG_SIDE",
        `fragment \`${id}\` runs on the server in this client's distribution; run it there`,
      );
    if (this.running.size >= MAX_RUNNING)
      return refuse("DCM_TOO_MANY_CALLS", `${this.running.size} server-initiated calls are running in this client`);
    let args: JsValue[];
    try {
      args = argsFromWire(m.args, f.signature, this.host.types, id);
    } catch (e) {
      const err = e instanceof FragmentCallError ? e : new FragmentCallError("DCM_BAD_ARGUMENTS", String(e), id);
      return refuse(err.code, err.message);
    }
    const timeoutMs = typeof m.timeoutMs === "number" && m.timeoutMs > 0 ? m.timeoutMs : 30_000;
    const ctl = new AbortController();
    this.running.set(callId, ctl);
    const sig = f.signature;
    void this.host.run(id, args, { signal: ctl.signal, timeoutMs }).then(
      ({ value, ranOn }) => {
        this.running.delete(callId);
        let wire: unknown;
        try {
          wire = resultToWire(value, sig, this.host.types);
        } catch (e) {
          refuse("DCM_FRAGMENT_PANIC", `the result does not fit the signature: ${(e as Error).message}`);
          return;
        }
        this.answer({ type: "functionResult", callId, ok: true, value: wire });
        this.host.onServerCall({ fragment: id, ok: true, ranOn, ms: performance.now() - t0 });
      },
      (e: unknown) => {
        this.running.delete(callId);
        const err =
          e instanceof FragmentCallError
            ? e
            : new FragmentCallError("DCM_FRAGMENT_PANIC", String((e as Error)?.message ?? e), id);
        refuse(err.code, err.message);
      },
    );
    return true;
  }

  /** `cancelCall` from the server: the call's result is no longer wanted. */
  onCancel(callId: unknown): void {
    if (typeof callId !== "string") return;
    this.running.get(callId)?.abort();
  }

  /** The connection is gone: nobody waits for these answers any more. */
  abortAll(): void {
    for (const ctl of this.running.values()) ctl.abort();
    this.running.clear();
  }

  private answer(msg: FunctionResultMessage): void {
    this.host.send(msg);
  }
}
