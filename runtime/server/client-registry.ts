/**
 * Client Registry (in memory): one record per client id — its distribution
 * (fragment -> side) with a version bumped on every change, and its open
 * connections. A client that reconnects with the same clientId claim
 * resumes its distribution; one without a connection for idleTimeoutMs is
 * forgotten.
 */
import type { Side } from "../abi/manifest-types.js";
import type { FragmentStatus, ServerMessage, UpdateFragmentsMessage } from "../protocol/messages.js";
import type { ClientInfo } from "./control-types.js";
import { DistributorError } from "./distributor-error.js";
import type { FragmentRegistry } from "./fragment-registry.js";

/** What the registry needs of a connection. */
export interface ClientConnection {
  send(msg: ServerMessage): void;
}

export interface ClientRecord {
  clientId: string;
  subject?: string;
  distribution: Map<string, Side>;
  version: number;
  connections: Set<ClientConnection>;
  connectedAt?: Date;
  lastSeenAt: number;
  /** Round trip of the last server ping, ms. */
  rttMs?: number;
}

export class ClientRegistry {
  private readonly clients = new Map<string, ClientRecord>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly fragments: FragmentRegistry,
    private readonly idleTimeoutMs: number,
  ) {}

  start(): void {
    if (this.timer) return;
    const every = Math.max(50, Math.min(60_000, Math.floor(this.idleTimeoutMs / 4)));
    this.timer = setInterval(() => this.sweep(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Forgets clients without a connection that have been idle too long. Returns how many. */
  sweep(now = Date.now()): number {
    let n = 0;
    for (const [id, c] of this.clients) {
      if (c.connections.size === 0 && now - c.lastSeenAt >= this.idleTimeoutMs) {
        this.clients.delete(id);
        n++;
      }
    }
    return n;
  }

  get(clientId: string): ClientRecord | undefined {
    return this.clients.get(clientId);
  }

  all(): IterableIterator<ClientRecord> {
    return this.clients.values();
  }

  /** Creates a record without a connection (a session was opened), or refreshes one. */
  touch(clientId: string, subject?: string): ClientRecord {
    let c = this.clients.get(clientId);
    if (!c) {
      c = {
        clientId,
        distribution: this.fragments.initialDistribution(),
        version: 1,
        connections: new Set(),
        lastSeenAt: Date.now(),
      };
      this.clients.set(clientId, c);
    }
    if (subject !== undefined) c.subject = subject;
    c.lastSeenAt = Date.now();
    return c;
  }

  /** A connection authenticated as `clientId`: creates or resumes the record and sends the full distribution. */
  attach(clientId: string, subject: string, conn: ClientConnection): ClientRecord {
    const c = this.touch(clientId, subject);
    c.connections.add(conn);
    c.connectedAt = new Date();
    conn.send(this.fullUpdate(c));
    return c;
  }

  detach(c: ClientRecord, conn: ClientConnection): void {
    c.connections.delete(conn);
    c.lastSeenAt = Date.now();
    if (c.connections.size === 0) c.connectedAt = undefined;
  }

  fullUpdate(c: ClientRecord): UpdateFragmentsMessage {
    const fragments: FragmentStatus[] = [...c.distribution].map(([id, runOn]) => ({ id, runOn }));
    return { type: "updateFragments", fragments, full: true, version: c.version };
  }

  info(c: ClientRecord): ClientInfo {
    const info: ClientInfo = {
      clientId: c.clientId,
      connected: c.connections.size > 0,
      lastSeenAt: new Date(c.lastSeenAt).toISOString(),
      distribution: Object.fromEntries(c.distribution),
      version: c.version,
    };
    if (c.subject !== undefined) info.subject = c.subject;
    if (c.connectedAt) info.connectedAt = c.connectedAt.toISOString();
    return info;
  }

  /**
   * Applies location changes: validates all first (DistributorError for
   * unknown clients, fragments or sides), then bumps each affected client's
   * version once and pushes one partial `updateFragments` to its connections.
   */
  setLocations(changes: Array<{ clientId: string; fragmentId: string; side: Side }>): ClientRecord[] {
    const byClient = new Map<ClientRecord, Map<string, Side>>();
    for (const ch of changes) {
      const c = this.clients.get(ch.clientId);
      if (!c) throw new DistributorError("DCM_UNKNOWN_CLIENT", `no client ${JSON.stringify(ch.clientId)}`, 404);
      this.fragments.checkPlacement(ch.fragmentId, ch.side);
      const m = byClient.get(c) ?? new Map<string, Side>();
      byClient.set(c, m);
      m.set(ch.fragmentId, ch.side);
    }
    for (const [c, m] of byClient) {
      const changed: FragmentStatus[] = [];
      for (const [id, side] of m) {
        if (c.distribution.get(id) === side) continue;
        c.distribution.set(id, side);
        changed.push({ id, runOn: side });
      }
      if (changed.length === 0) continue;
      c.version++;
      const msg: UpdateFragmentsMessage = {
        type: "updateFragments",
        fragments: changed,
        full: false,
        version: c.version,
      };
      for (const conn of c.connections) conn.send(msg);
    }
    return [...byClient.keys()];
  }

  size(): number {
    return this.clients.size;
  }
}
