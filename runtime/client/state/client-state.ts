/**
 * The client's State Manager (the flow in runtime/protocol/messages.ts,
 * docs/state-transfer.md): takes part in the moves the server starts for
 * this client's stateful groups. On `transferBegin` it holds new calls of
 * the groups' fragments and waits for their calls in flight (to the server
 * when the group comes here, local ones when it goes there); it snapshots
 * the groups with their `get` accessors, or restores the server's snapshot
 * with `set`, applies the placement at the move's version, and then lets
 * the held calls go where the group now is. `transferAbort`, a refused
 * restore, or a lost connection release them to the side the group was on.
 *
 * Browser-safe (the checksum is WebCrypto's, async).
 */
import { FragmentCallError } from "../../abi/call-error.js";
import type { JsValue } from "../../abi/js-values.js";
import type { Manifest, ManifestGroup, Side } from "../../abi/manifest-types.js";
import { statefulGroups } from "../../abi/state-hosting.js";
import type { ClientMessage, FragmentStatus } from "../../protocol/messages.js";
import { groupStateFromWire, groupStateToWire } from "../../protocol/state-wire.js";
import type { Executor } from "../executor-types.js";

export interface ClientStateHost {
  readonly manifest: Manifest;
  readonly executor: Executor;
  send(msg: ClientMessage): boolean;
  /** Applies a committed move's placement at its version; `undo` puts the previous placement and version back. */
  applyMove(fragments: FragmentStatus[], version: number): { undo(): void };
}

interface Move {
  id: string;
  to: Side;
  groups: ManifestGroup[];
  fragments: FragmentStatus[];
  version: number;
  phase: "waiting" | "ready" | "restored" | "sent";
  undo: (() => void) | null;
}

/** Why an accessor call failed, for the server's message. */
function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class ClientStateManager {
  private groups: Map<string, ManifestGroup>;
  private readonly groupOf = new Map<string, ManifestGroup>();
  /** Calls in flight per group and side. */
  private readonly inflight = new Map<string, { client: number; server: number }>();
  private readonly idleWaiters = new Map<string, Array<() => void>>();
  /** Groups whose calls are held, with the release of each held call. */
  private readonly holds = new Map<string, Array<() => void>>();
  private move: Move | null = null;
  /** The last move restored here, until the next one: a late transferAbort undoes it. */
  private restored: Move | null = null;
  /** Moves committed (tests, the page). */
  moves = 0;

  constructor(private readonly host: ClientStateHost) {
    this.groups = new Map();
    this.rebase();
  }

  /** Takes the groups of the host's manifest again (a live redeploy replaced it); holds and calls in flight stay. */
  rebase(): void {
    this.groups = statefulGroups(this.host.manifest);
    this.groupOf.clear();
    for (const g of this.groups.values()) for (const f of g.fragments) this.groupOf.set(f, g);
  }

  /** The side the server last placed each stateful fragment on (kept across disconnects). */
  private readonly sides = new Map<string, Side>();

  noteSides(dist: ReadonlyMap<string, Side>): void {
    for (const id of this.groupOf.keys()) {
      const s = dist.get(id);
      if (s) this.sides.set(id, s);
    }
  }

  /** Where a stateful fragment's state was when the connection was last up (undefined: never connected, or stateless). */
  lastSide(fragmentId: string): Side | undefined {
    return this.sides.get(fragmentId);
  }

  /** Whether a fragment belongs to a stateful group (its calls go through hold() and track()). */
  touches(fragmentId: string): boolean {
    return this.groupOf.has(fragmentId);
  }

  /** A promise that settles when the fragment's group stops moving, or null when it is not moving. */
  hold(fragmentId: string): Promise<void> | null {
    const g = this.groupOf.get(fragmentId);
    const h = g ? this.holds.get(g.id) : undefined;
    if (!h) return null;
    return new Promise<void>((resolve) => h.push(resolve));
  }

  /** Counts a call of the fragment in flight on `side`; call the result when it settles. */
  track(fragmentId: string, side: Side): () => void {
    const g = this.groupOf.get(fragmentId);
    if (!g) return () => {};
    let n = this.inflight.get(g.id);
    if (!n) {
      n = { client: 0, server: 0 };
      this.inflight.set(g.id, n);
    }
    n[side]++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      n![side]--;
      this.wake(g.id);
    };
  }

  private wake(group: string): void {
    const ws = this.idleWaiters.get(group);
    if (!ws) return;
    this.idleWaiters.delete(group);
    for (const w of ws) w();
  }

  /** Resolves when no call of the groups is in flight on `side`. */
  private async idle(groups: ManifestGroup[], side: Side): Promise<void> {
    for (const g of groups) {
      while ((this.inflight.get(g.id)?.[side] ?? 0) > 0) {
        await new Promise<void>((resolve) => {
          const ws = this.idleWaiters.get(g.id) ?? [];
          ws.push(resolve);
          this.idleWaiters.set(g.id, ws);
        });
      }
    }
  }

  private release(groups: ManifestGroup[]): void {
    for (const g of groups) {
      const h = this.holds.get(g.id);
      this.holds.delete(g.id);
      for (const r of h ?? []) r();
    }
  }

  /** The connection is gone: a move in progress is off (the server keeps the groups where they were). */
  reset(): void {
    const m = this.move;
    this.move = null;
    if (m) this.release(m.groups);
  }

  /** Handles transferBegin / stateTransfer / transferResult / transferAbort. */
  onMessage(m: Record<string, unknown>): void {
    switch (m.type) {
      case "transferBegin":
        void this.begin(m);
        return;
      case "stateTransfer":
        void this.restore(m);
        return;
      case "transferResult":
        this.result(m);
        return;
      case "transferAbort":
        this.abort(m);
        return;
    }
  }

  private async begin(m: Record<string, unknown>): Promise<void> {
    const id = m.transferId;
    if (typeof id !== "string" || !Array.isArray(m.groups) || (m.to !== "client" && m.to !== "server")) return;
    if (!Array.isArray(m.fragments) || typeof m.version !== "number") return;
    const groups: ManifestGroup[] = [];
    for (const gid of m.groups) {
      const g = typeof gid === "string" ? this.groups.get(gid) : undefined;
      if (!g) {
        // Another build than the server's: refuse so that the group stays.
        this.host.send({
          type: "transferResult",
          transferId: id,
          ok: false,
          error: { code: "DCM_TRANSFER_FAILED", message: `this client's dist has no stateful group ${JSON.stringify(gid)}` },
        });
        return;
      }
      groups.push(g);
    }
    if (this.move) this.release(this.move.groups);
    this.restored = null;
    const mv: Move = {
      id,
      to: m.to,
      groups,
      fragments: m.fragments as FragmentStatus[],
      version: m.version,
      phase: "waiting",
      undo: null,
    };
    this.move = mv;
    for (const g of groups) if (!this.holds.has(g.id)) this.holds.set(g.id, []);
    if (mv.to === "client") {
      // Our calls to the server must be answered before the server snapshots.
      await this.idle(groups, "server");
      if (this.move !== mv) return;
      mv.phase = "ready";
      this.host.send({ type: "transferReady", transferId: id });
      return;
    }
    await this.idle(groups, "client");
    if (this.move !== mv) return;
    try {
      const states = [];
      for (const g of groups) {
        const parts: JsValue[] = [];
        for (const p of g.state) parts.push(await this.host.executor.call(p.get.id, []));
        states.push(await groupStateToWire(g, parts, this.host.manifest.types));
      }
      if (this.move !== mv) return;
      mv.phase = "sent";
      this.host.send({ type: "stateTransfer", transferId: id, groups: states });
    } catch (e) {
      // The server times out and keeps the groups here; tell it now instead.
      this.host.send({
        type: "transferResult",
        transferId: id,
        ok: false,
        error: { code: "DCM_TRANSFER_FAILED", message: `the client could not snapshot its state: ${reason(e)}` },
      });
      this.move = null;
      this.release(groups);
    }
  }

  private async restore(m: Record<string, unknown>): Promise<void> {
    const mv = this.move;
    if (!mv || mv.id !== m.transferId || mv.to !== "client" || mv.phase !== "ready") return;
    const fail = (message: string) => {
      this.host.send({
        type: "transferResult",
        transferId: mv.id,
        ok: false,
        error: { code: "DCM_TRANSFER_FAILED", message },
      });
      if (this.move === mv) this.move = null;
      this.release(mv.groups);
    };
    const received = Array.isArray(m.groups) ? m.groups : [];
    try {
      for (const g of mv.groups) {
        const gs = received.find((x) => (x as { group?: unknown })?.group === g.id);
        if (!gs) throw new FragmentCallError("DCM_TRANSFER_FAILED", `no state for group \`${g.id}\``, "");
        const parts = await groupStateFromWire(g, gs, this.host.manifest.types);
        for (let i = 0; i < g.state.length; i++) await this.host.executor.call(g.state[i]!.set.id, [parts[i]!]);
      }
    } catch (e) {
      fail(`the client could not restore the state: ${reason(e)}`);
      return;
    }
    if (this.move !== mv) return;
    mv.phase = "restored";
    mv.undo = this.host.applyMove(mv.fragments, mv.version).undo;
    this.host.send({ type: "transferResult", transferId: mv.id, ok: true });
    this.move = null;
    this.restored = mv;
    this.moves++;
    this.release(mv.groups);
  }

  private result(m: Record<string, unknown>): void {
    const mv = this.move;
    if (!mv || mv.id !== m.transferId || mv.to !== "server" || mv.phase !== "sent") return;
    this.move = null;
    if (m.ok === true) {
      this.host.applyMove(mv.fragments, mv.version);
      this.moves++;
    }
    this.release(mv.groups);
  }

  private abort(m: Record<string, unknown>): void {
    if (this.restored && this.restored.id === m.transferId) {
      // The server gave up just as we restored: the group is still on the server there.
      this.restored.undo?.();
      this.restored = null;
      return;
    }
    const mv = this.move;
    if (!mv || mv.id !== m.transferId) return;
    this.move = null;
    this.release(mv.groups);
  }
}
