/**
 * What the Fragment Executer knows of stateful calls (docs/state-transfer.md):
 * a call of a group with state runs in its client's state, one at a time
 * per client and group (`key`), and a move of the group holds new calls of
 * that key while the calls already admitted drain.
 *
 * Why a snapshot after every call: any worker of the pool may run the next
 * call of a client, and a worker's instance holds one client's state per
 * group at a time. So each stateful call ends with the group's `get`
 * accessors, the main thread keeps the snapshot (state-store.ts), and a
 * worker whose instance holds another snapshot (`stamp`) restores the
 * client's with `set` before the call. A worker that runs one client's
 * calls back to back restores nothing. Stateless calls pay nothing.
 *
 * Known limitations: a call that times out (its worker is terminated) or
 * traps loses the state changes it made: the client's previous snapshot
 * stays, and the next call restores it.
 */
import type { JsValue } from "../../abi/js-values.js";
import type { CallError } from "../../protocol/messages.js";

/** The stamp of a fresh instance's state (the module's initial values). */
export const INITIAL_STAMP = "init";
/** A worker whose state for a group is unknown (a failed snapshot): always restored before use. */
export const UNKNOWN_STAMP = "?";

export interface StateCall {
  /** Client and group: calls with one key never run at once and are held while the group moves. */
  key: string;
  group: string;
  /** Accessor ids of each part, in part order, and the parts' record type names. */
  get: string[];
  set: string[];
  records: string[];
  /** The snapshot the call starts from (read when it starts): its stamp and values. */
  current(): { stamp: string; parts: JsValue[] };
  /** Keeps the snapshot taken after the call; returns its stamp, or an error (the change is dropped). */
  commit(parts: JsValue[], bytes: number): { stamp: string } | { error: CallError };
}

/** What a worker gets with a stateful call. */
export interface WorkerStateCall {
  group: string;
  get: string[];
  set: string[];
  records: string[];
  /** Present when the worker's instance must first be set to this snapshot. */
  restore?: JsValue[];
}

/** What a worker answers with a stateful call's result: the group's snapshot after it (absent when it could not be taken). */
export interface WorkerStateResult {
  parts: JsValue[];
  /** Size of the parts in the binary value encoding. */
  bytes: number;
}

type Admit = (failWith: CallError | null) => void;

interface Hold {
  admits: Admit[];
}

export class StateLocks {
  /** Keys with a call running. */
  readonly busy = new Set<string>();
  private readonly activeCount = new Map<string, number>();
  private readonly holds = new Map<string, Hold>();
  private readonly drainWaiters = new Map<string, Array<() => void>>();

  constructor(private readonly onRelease: () => void) {}

  static freshSlot(): Map<string, string> {
    return new Map();
  }

  /** The stamp a worker's instance holds for `group` (fresh: the initial one). */
  static loaded(slot: Map<string, string>, group: string): string {
    return slot.get(group) ?? INITIAL_STAMP;
  }

  /** True when the job is held (its key is moving): `admit` runs when the move ends. */
  admit(_job: unknown, admit: Admit): boolean {
    const h = this.holds.get((_job as { stateful: StateCall }).stateful.key);
    if (!h) return false;
    h.admits.push(admit);
    return true;
  }

  /** Calls of `key` queued or running changed by `by`. */
  active(key: string, by: number): void {
    const n = (this.activeCount.get(key) ?? 0) + by;
    if (n > 0) {
      this.activeCount.set(key, n);
      return;
    }
    this.activeCount.delete(key);
    const ws = this.drainWaiters.get(key);
    if (ws) {
      this.drainWaiters.delete(key);
      for (const w of ws) w();
    }
  }

  /** Calls of `key` admitted (queued or running). */
  inFlight(key: string): number {
    return this.activeCount.get(key) ?? 0;
  }

  holding(key: string): boolean {
    return this.holds.has(key);
  }

  /** From now on new calls of `key` wait for release(). */
  hold(key: string): void {
    if (!this.holds.has(key)) this.holds.set(key, { admits: [] });
  }

  /** Resolves once no call of `key` is queued or running (held ones do not count). */
  drained(key: string): Promise<void> {
    if (this.inFlight(key) === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const ws = this.drainWaiters.get(key) ?? [];
      ws.push(resolve);
      this.drainWaiters.set(key, ws);
    });
  }

  /** Ends a hold: the held calls are queued (failWith null) or fail with `failWith`. */
  release(key: string, failWith: CallError | null = null): void {
    const h = this.holds.get(key);
    if (!h) return;
    this.holds.delete(key);
    for (const a of h.admits) a(failWith);
    this.onRelease();
  }

  /** Calls held for `key` (tests, stats). */
  held(key: string): number {
    return this.holds.get(key)?.admits.length ?? 0;
  }
}
