/**
 * The server's half of moving a client's stateful groups (the flow in
 * runtime/protocol/messages.ts, docs/state-transfer.md). One move per client
 * at a time (`serial`); the placement and the client's version change only
 * when the move commits. While a group moves to the client, new server calls
 * of that client's group are held (state-locks.ts) and the admitted ones
 * drain, whoever made them; held calls run on the server when the move
 * fails, and are answered DCM_WRONG_SIDE (the caller re-routes) when it
 * succeeds.
 *
 * Known limitations: a client with more than one open connection (several
 * tabs of one client id) cannot move stateful groups (each tab has its own
 * instances); a timeout that fires right after the client applied a move to
 * itself leaves the client's copy stale until the next move (the server's
 * copy stays the one in use).
 */
import { encodeValue } from "../../abi/codec.js";
import type { JsValue } from "../../abi/js-values.js";
import type { ManifestGroup, Side } from "../../abi/manifest-types.js";
import { partType } from "../../abi/state-hosting.js";
import type { TypeTable } from "../../abi/value-types.js";
import type { CallError, FragmentStatus, GroupState, ServerMessage } from "../../protocol/messages.js";
import { groupStateFromWire, groupStateToWire } from "../../protocol/state-wire.js";
import type { ClientConnection, ClientRecord, ClientRegistry } from "../client-registry.js";
import { DistributorError } from "../distributor-error.js";
import type { StateLocks } from "./state-locks.js";
import { type StateStore, stateKey } from "./state-store.js";

export interface TransferHost {
  store: StateStore;
  locks: StateLocks;
  clients: ClientRegistry;
  types: TypeTable;
  timeoutMs: number;
}

type Phase = "begin" | "ready" | "sent" | "done";

interface Transfer {
  id: string;
  client: ClientRecord;
  conn: ClientConnection;
  groups: ManifestGroup[];
  to: Side;
  fragments: FragmentStatus[];
  version: number;
  phase: Phase;
  timer: NodeJS.Timeout;
  resolve(): void;
  reject(e: DistributorError): void;
}

let nextTransfer = 1;

const names = (gs: ManifestGroup[]) => gs.map((g) => `\`${g.id}\``).join(", ");

export class ServerTransfers {
  private readonly active = new Map<string, Transfer>();
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Moves committed and failed (stats, tests). */
  committed = 0;
  failed = 0;

  constructor(private readonly host: TransferHost) {}

  /** Runs `fn` after the client's previous placement changes have finished. */
  serial<T>(clientId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(clientId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.chains.set(clientId, tail);
    void tail.then(() => {
      if (this.chains.get(clientId) === tail) this.chains.delete(clientId);
    });
    return next;
  }

  /** A transfer of this connection expects a (large) stateTransfer from it. */
  expectsState(conn: ClientConnection): boolean {
    for (const t of this.active.values()) if (t.conn === conn && t.to === "server" && t.phase === "begin") return true;
    return false;
  }

  /**
   * Moves stateful `groups` of client `c` to `to`; `fragments` is the
   * placement of every member, applied on commit. Rejects with a
   * DistributorError (409 DCM_TRANSFER_FAILED, 504 DCM_TRANSFER_TIMEOUT);
   * the groups then stay where they were.
   */
  move(c: ClientRecord, groups: ManifestGroup[], to: Side, fragments: FragmentStatus[]): Promise<void> {
    const from: Side = to === "client" ? "server" : "client";
    const conns = [...c.connections];
    if (conns.length !== 1) {
      const why =
        conns.length === 0
          ? `client ${JSON.stringify(c.clientId)} is not connected, and the state of group(s) ${names(groups)} must move with it (it lives ${from === "client" ? "in the client" : "on the server for this client"}); connect the client first (stateless fragments move without it)`
          : `client ${JSON.stringify(c.clientId)} has ${conns.length} open connections, each with its own state; stateful group(s) ${names(groups)} move only with exactly one`;
      return Promise.reject(new DistributorError("DCM_TRANSFER_FAILED", `Cannot move to the ${to}: ${why}.`, 409));
    }
    if (this.active.has(c.clientId))
      return Promise.reject(
        new DistributorError("DCM_TRANSFER_FAILED", `a move of client ${JSON.stringify(c.clientId)} is in progress`, 409),
      );
    return new Promise<void>((resolve, reject) => {
      const t: Transfer = {
        id: `t${nextTransfer++}`,
        client: c,
        conn: conns[0]!,
        groups,
        to,
        fragments,
        version: c.version + 1,
        phase: "begin",
        timer: setTimeout(() => this.timeout(t), this.host.timeoutMs),
        resolve,
        reject,
      };
      t.timer.unref?.();
      this.active.set(c.clientId, t);
      t.conn.send({
        type: "transferBegin",
        transferId: t.id,
        groups: groups.map((g) => g.id),
        to,
        fragments,
        version: t.version,
      });
    });
  }

  private keys(t: Transfer): string[] {
    return t.groups.map((g) => stateKey(t.client.clientId, g.id));
  }

  private end(t: Transfer, failure: DistributorError | null): void {
    if (t.phase === "done") return;
    t.phase = "done";
    clearTimeout(t.timer);
    if (this.active.get(t.client.clientId) === t) this.active.delete(t.client.clientId);
    if (failure) {
      this.failed++;
      // The groups stay: held calls run where they were.
      for (const k of this.keys(t)) this.host.locks.release(k, null);
      t.reject(failure);
      return;
    }
    this.committed++;
    this.host.clients.commitMove(t.client, t.fragments, t.version, t.conn);
    if (t.to === "client") {
      for (const g of t.groups) this.host.store.drop(t.client.clientId, g.id);
      const moved: CallError = {
        code: "DCM_WRONG_SIDE",
        message: `the group moved to the client (version ${t.client.version}); run it locally`,
      };
      for (const k of this.keys(t)) this.host.locks.release(k, moved);
    }
    t.resolve();
  }

  private timeout(t: Transfer): void {
    if (t.phase === "done") return;
    const waiting =
      t.phase === "begin"
        ? t.to === "client"
          ? "transferReady (the client did not finish its calls in flight)"
          : "stateTransfer (the client did not send its state)"
        : t.phase === "ready"
          ? "the server's calls in flight for this client"
          : "transferResult (the client did not confirm the restore)";
    const message = `Moving group(s) ${names(t.groups)} of client ${JSON.stringify(t.client.clientId)} to the ${t.to} timed out after ${this.host.timeoutMs} ms waiting for ${waiting}; the group(s) stay on the ${t.to === "client" ? "server" : "client"}.`;
    t.conn.send({ type: "transferAbort", transferId: t.id, error: { code: "DCM_TRANSFER_TIMEOUT", message } });
    this.end(t, new DistributorError("DCM_TRANSFER_TIMEOUT", message, 504));
  }

  /** The connection closed: its move fails (the groups stay). */
  onClose(conn: ClientConnection): void {
    for (const t of this.active.values()) {
      if (t.conn !== conn) continue;
      this.end(
        t,
        new DistributorError(
          "DCM_TRANSFER_FAILED",
          `Client ${JSON.stringify(t.client.clientId)} disconnected while group(s) ${names(t.groups)} moved to the ${t.to}; they stay where they were.`,
          409,
        ),
      );
    }
  }

  /**
   * Handles transferReady / stateTransfer / transferResult from a connection.
   * Returns a protocol error to send back for a message that fits no move
   * (unknown transferId, wrong phase, broken state): nothing changes then,
   * except that a move whose state was refused fails.
   */
  async onMessage(conn: ClientConnection, m: Record<string, unknown>): Promise<{ code: string; message: string } | null> {
    const t = [...this.active.values()].find((x) => x.id === m.transferId && x.conn === conn);
    if (!t) {
      return {
        code: "DCM_BAD_MESSAGE",
        message: `${m.type}: no move ${JSON.stringify(m.transferId)?.slice(0, 80)} is in progress for this connection`,
      };
    }
    const wrongPhase = (expected: string) => ({
      code: "DCM_BAD_MESSAGE",
      message: `${m.type} is not expected now in move ${t.id} (to the ${t.to}, phase ${t.phase}); expected ${expected}`,
    });
    switch (m.type) {
      case "transferReady":
        if (t.to !== "client" || t.phase !== "begin") return wrongPhase(t.to === "client" ? "transferResult" : "stateTransfer");
        t.phase = "ready";
        void this.sendState(t);
        return null;
      case "stateTransfer":
        if (t.to !== "server" || t.phase !== "begin") return wrongPhase(t.to === "client" ? "transferReady or transferResult" : "nothing");
        return this.receiveState(t, m.groups);
      case "transferResult": {
        // ok false: the client cannot take part (it could not snapshot, or restore, or does not know a group), in any phase.
        if (m.ok !== true) {
          const e = (m.error ?? {}) as Partial<CallError>;
          const why = typeof e.message === "string" ? e.message.slice(0, 500) : "no reason given";
          const what = t.to === "client" ? "restore" : "send the state of";
          this.end(
            t,
            new DistributorError(
              "DCM_TRANSFER_FAILED",
              `Client ${JSON.stringify(t.client.clientId)} could not ${what} group(s) ${names(t.groups)}: ${why}; they stay on the ${t.to === "client" ? "server" : "client"}.`,
              409,
            ),
          );
          return null;
        }
        if (t.to !== "client" || t.phase !== "sent") return wrongPhase(t.to === "client" ? "transferReady" : "stateTransfer");
        this.end(t, null);
        return null;
      }
      default:
        return { code: "DCM_UNKNOWN_MESSAGE", message: `unexpected ${String(m.type)}` };
    }
  }

  /** Move to the client: hold and drain the server's calls of the groups, then send their snapshots. */
  private async sendState(t: Transfer): Promise<void> {
    const keys = this.keys(t);
    for (const k of keys) this.host.locks.hold(k);
    await Promise.all(keys.map((k) => this.host.locks.drained(k)));
    if (t.phase !== "ready") return;
    let groups: GroupState[];
    try {
      groups = await Promise.all(
        t.groups.map((g) =>
          groupStateToWire(g, this.host.store.snapshot(t.client.clientId, g.id).parts, this.host.types),
        ),
      );
    } catch (e) {
      const message = `The server could not encode the state of group(s) ${names(t.groups)}: ${(e as Error).message}`;
      t.conn.send({ type: "transferAbort", transferId: t.id, error: { code: "DCM_TRANSFER_FAILED", message } });
      this.end(t, new DistributorError("DCM_TRANSFER_FAILED", message, 409));
      return;
    }
    if (t.phase !== "ready") return;
    t.phase = "sent";
    t.conn.send({ type: "stateTransfer", transferId: t.id, groups } satisfies ServerMessage);
  }

  /** Move to the server: check and restore the client's snapshots into its slots, then commit. */
  private async receiveState(t: Transfer, groups: unknown): Promise<{ code: string; message: string } | null> {
    const refuse = (why: string) => {
      const message = `The server refused the state of group(s) ${names(t.groups)} from client ${JSON.stringify(t.client.clientId)}: ${why}; they stay on the client.`;
      t.conn.send({ type: "transferResult", transferId: t.id, ok: false, error: { code: "DCM_TRANSFER_FAILED", message } });
      this.end(t, new DistributorError("DCM_TRANSFER_FAILED", message, 409));
      return { code: "DCM_TRANSFER_FAILED", message };
    };
    if (!Array.isArray(groups) || groups.length !== t.groups.length) return refuse(`expected ${t.groups.length} group state(s)`);
    t.phase = "sent";
    const decoded: Array<{ g: ManifestGroup; parts: JsValue[]; bytes: number }> = [];
    for (const g of t.groups) {
      const gs = groups.find((x) => (x as { group?: unknown })?.group === g.id);
      if (!gs) return refuse(`no state for group \`${g.id}\``);
      let parts: JsValue[];
      try {
        parts = await groupStateFromWire(g, gs, this.host.types);
      } catch (e) {
        return refuse((e as Error).message);
      }
      const bytes = g.state.reduce((n, p, i) => n + encodeValue(partType(p), this.host.types, parts[i]!).length, 0);
      decoded.push({ g, parts, bytes });
    }
    if (t.phase !== "sent") return null;
    const put: string[] = [];
    for (const d of decoded) {
      const r = this.host.store.put(t.client.clientId, d.g.id, d.parts, d.bytes);
      if ("error" in r) {
        for (const id of put) this.host.store.drop(t.client.clientId, id);
        return refuse(r.error.message);
      }
      put.push(d.g.id);
    }
    this.end(t, null);
    t.conn.send({ type: "transferResult", transferId: t.id, ok: true });
    return null;
  }
}
