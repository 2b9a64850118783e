/**
 * Per-client state on the server (docs/state-transfer.md): for each client
 * and stateful group, the latest snapshot its server-side calls left (one
 * record per part) and its size; plus each group's initial snapshot, taken
 * once at start on fresh instances. A client's slot is created on its first
 * stateful call (from the initial snapshot), dropped when its group moves to
 * the client, replaced when state arrives from the client, and evicted with
 * the client record. The sum of a client's snapshots is bounded by
 * `maxBytesPerClient`: a call whose snapshot would pass it fails with
 * DCM_STATE_TOO_LARGE and its state change is dropped.
 */
import type { JsValue } from "../../abi/js-values.js";
import type { Manifest, ManifestGroup } from "../../abi/manifest-types.js";
import { statefulGroups } from "../../abi/state-hosting.js";
import type { CallError } from "../../protocol/messages.js";
import { INITIAL_STAMP, type StateCall } from "./state-locks.js";

interface Slot {
  stamp: string;
  parts: JsValue[];
  bytes: number;
}

export class StateStore {
  readonly groups: Map<string, ManifestGroup>;
  /** Entry-point fragment id -> its stateful group. */
  readonly groupOf = new Map<string, ManifestGroup>();
  private readonly initial = new Map<string, { parts: JsValue[]; bytes: number }>();
  private clients = new Map<string, Map<string, Slot>>();
  private clientBytes = new Map<string, number>();
  /** Shared with a successor (stamps stay unique across a redeploy). */
  private gen = { n: 0 };
  /** Groups a redeploy reset: late commits of calls that ran on the old dist are dropped. */
  private retired: ReadonlySet<string> | null = null;

  constructor(
    manifest: Manifest,
    readonly maxBytesPerClient: number,
  ) {
    this.groups = statefulGroups(manifest);
    for (const g of this.groups.values()) for (const f of g.fragments) this.groupOf.set(f, g);
  }

  get empty(): boolean {
    return this.groups.size === 0;
  }

  setInitial(group: string, parts: JsValue[], bytes: number): void {
    this.initial.set(group, { parts, bytes });
  }

  /** The client's snapshot of a group (the initial one before its first call). */
  snapshot(client: string, group: string): { stamp: string; parts: JsValue[]; bytes: number } {
    const s = this.clients.get(client)?.get(group);
    if (s) return s;
    const init = this.initial.get(group);
    if (!init) throw new Error(`no initial snapshot of group ${group}`);
    return { stamp: INITIAL_STAMP, parts: init.parts, bytes: init.bytes };
  }

  /** Replaces a client's snapshot (a call ended, or state arrived from the client). */
  put(client: string, group: string, parts: JsValue[], bytes: number): { stamp: string } | { error: CallError } {
    if (this.retired?.has(group)) return { stamp: `${client}#retired` };
    let slots = this.clients.get(client);
    const before = slots?.get(group)?.bytes ?? 0;
    const total = (this.clientBytes.get(client) ?? 0) - before + bytes;
    if (total > this.maxBytesPerClient) {
      return {
        error: {
          code: "DCM_STATE_TOO_LARGE",
          message: `the state of client ${JSON.stringify(client)} would take ${total} bytes on the server (group \`${group}\`: ${bytes}), over maxStateBytesPerClient ${this.maxBytesPerClient}; the call's state change was dropped`,
        },
      };
    }
    if (!slots) {
      slots = new Map();
      this.clients.set(client, slots);
    }
    const stamp = `${client}#${++this.gen.n}`;
    slots.set(group, { stamp, parts, bytes });
    this.clientBytes.set(client, total);
    return { stamp };
  }

  /**
   * Live redeploy (docs/redeploy.md): this store's clients' snapshots pass to
   * `next` (the new dist's store, its initial snapshots already taken) for
   * every group not in `reset`; the others are dropped. The two share the
   * slots from here on, so a call still running on the old dist commits
   * where the new one reads; one of a reset group is dropped.
   */
  handOver(next: StateStore, reset: ReadonlySet<string>): void {
    for (const [client, slots] of this.clients) {
      for (const [group, slot] of [...slots]) {
        if (!reset.has(group) && next.groups.has(group)) continue;
        slots.delete(group);
        this.clientBytes.set(client, (this.clientBytes.get(client) ?? 0) - slot.bytes);
      }
      if (slots.size === 0) {
        this.clients.delete(client);
        this.clientBytes.delete(client);
      }
    }
    next.clients = this.clients;
    next.clientBytes = this.clientBytes;
    next.gen = this.gen;
    this.retired = new Set([...reset, ...[...this.groups.keys()].filter((g) => !next.groups.has(g))]);
  }

  /** Forgets a client's snapshot of a group (it moved to the client). */
  drop(client: string, group: string): void {
    const slots = this.clients.get(client);
    const s = slots?.get(group);
    if (!slots || !s) return;
    slots.delete(group);
    const left = (this.clientBytes.get(client) ?? 0) - s.bytes;
    if (slots.size === 0) {
      this.clients.delete(client);
      this.clientBytes.delete(client);
    } else this.clientBytes.set(client, left);
  }

  /** Forgets every snapshot of a client (its record was removed). */
  evict(client: string): void {
    this.clients.delete(client);
    this.clientBytes.delete(client);
  }

  bytesOf(client: string): number {
    return this.clientBytes.get(client) ?? 0;
  }

  /** Clients holding state. */
  size(): number {
    return this.clients.size;
  }

  /** The executer's view of a call of `fragment` by `client`, or undefined for a stateless fragment. */
  callFor(client: string, fragment: string): StateCall | undefined {
    const g = this.groupOf.get(fragment);
    if (!g) return undefined;
    return {
      key: stateKey(client, g.id),
      group: g.id,
      get: g.state.map((p) => p.get.id),
      set: g.state.map((p) => p.set.id),
      records: g.state.map((p) => p.record),
      current: () => this.snapshot(client, g.id),
      commit: (parts, bytes) => this.put(client, g.id, parts, bytes),
    };
  }
}

export function stateKey(client: string, group: string): string {
  return `${client}\u0000${group}`;
}
