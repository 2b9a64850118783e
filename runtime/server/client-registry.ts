/**
 * Client Registry (in memory): one record per client id — its distribution
 * (fragment -> side) with a version bumped on every change, and its open
 * connections. A client that reconnects with the same clientId claim
 * resumes its distribution; one without a connection for idleTimeoutMs is
 * forgotten.
 *
 * Large registries (100,000 clients): records are kept in creation order
 * with a sequence number, so that a page of the list starts with a binary
 * search instead of a walk; the per-fragment placement counts are kept up
 * to date on every change instead of being counted per request; anonymous
 * clients without a connection are kept in least-recently-used order, so
 * that the oldest idle one is evicted in O(1) when the cap is reached.
 */
import type { Side } from "../abi/manifest-types.js";
import type { DeployInfo, FragmentStatus, ServerMessage, UpdateFragmentsMessage } from "../protocol/messages.js";
import type { ClientInfo } from "./control-types.js";
import type { Distribution } from "./distribution.js";
import { DistributorError } from "./distributor-error.js";
import type { OutgoingCalls } from "./client-calls.js";
import type { FragmentRegistry } from "./fragment-registry.js";

/** What the registry needs of a connection. */
export interface ClientConnection {
  send(msg: ServerMessage): void;
  /** Server-initiated calls to this connection (runtime/server/client-calls.ts); absent for connections that cannot take them. */
  readonly outgoing?: OutgoingCalls;
}

export interface ClientRecord {
  clientId: string;
  /** Creation order: the cursor of the paginated list. */
  seq: number;
  /** Made by an anonymous session (counts against maxAnonymousClients). */
  anonymous: boolean;
  /** Removed from the registry (left in `order` until the next compaction). */
  gone?: boolean;
  subject?: string;
  distribution: Distribution;
  version: number;
  connections: Set<ClientConnection>;
  connectedAt?: Date;
  lastSeenAt: number;
  /** Round trip of the last server ping, ms. */
  rttMs?: number;
  /** The build the client last reported running (`deployApplied`, live redeploy). */
  deployApplied?: string;
}

export interface ClientPage {
  clients: ClientRecord[];
  /** Cursor of the next page; null after the last. */
  next: string | null;
}

export class ClientRegistry {
  private readonly clients = new Map<string, ClientRecord>();
  private timer: NodeJS.Timeout | null = null;
  /** Records in creation (seq) order, with removed ones until compaction. */
  private order: ClientRecord[] = [];
  private removedInOrder = 0;
  private nextSeq = 1;
  /** Anonymous clients without a connection, least recently seen first. */
  private readonly idleAnonymous = new Map<string, ClientRecord>();
  private anonymousCount = 0;
  /** fragment -> how many clients run it on each side. */
  private readonly placements = new Map<string, { client: number; server: number }>();
  /** The last live redeploy: every full update names it, so that a client that was away or started from an older dist switches too. */
  private deploy: DeployInfo | null = null;
  /** Called when a client is forgotten (idle sweep or eviction). */
  onRemove: ((c: ClientRecord) => void) | null = null;

  constructor(
    private fragments: FragmentRegistry,
    private readonly idleTimeoutMs: number,
    /** Anonymous clients kept at once (maxAnonymousClients). */
    private readonly maxAnonymous = Number.POSITIVE_INFINITY,
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
    for (const c of this.clients.values()) {
      if (c.connections.size === 0 && now - c.lastSeenAt >= this.idleTimeoutMs) {
        this.remove(c);
        n++;
      }
    }
    return n;
  }

  private count(id: string, side: Side, by: number): void {
    let p = this.placements.get(id);
    if (!p) {
      p = { client: 0, server: 0 };
      this.placements.set(id, p);
    }
    p[side] += by;
  }

  /** Forgets a client (its connections, if any, stay open until they close). */
  remove(c: ClientRecord): void {
    if (c.gone || this.clients.get(c.clientId) !== c) return;
    c.gone = true;
    this.clients.delete(c.clientId);
    this.idleAnonymous.delete(c.clientId);
    if (c.anonymous) this.anonymousCount--;
    for (const [id, side] of c.distribution) this.count(id, side, -1);
    this.removedInOrder++;
    // Compaction keeps `order` within twice the live size; amortised O(1) per removal.
    if (this.removedInOrder > 1024 && this.removedInOrder * 2 > this.order.length) {
      this.order = this.order.filter((x) => !x.gone);
      this.removedInOrder = 0;
    }
    this.onRemove?.(c);
  }

  /**
   * Makes room for one more anonymous client under `max`: evicts the
   * anonymous client idle the longest when at the cap. False when every
   * anonymous client is connected (nothing to evict).
   */
  admitAnonymous(max = this.maxAnonymous): boolean {
    while (this.anonymousCount >= max) {
      const oldest = this.idleAnonymous.values().next();
      if (oldest.done) return false;
      this.remove(oldest.value);
    }
    return true;
  }

  anonymousClients(): number {
    return this.anonymousCount;
  }

  /**
   * A page of the list in creation order: up to `limit` clients created
   * after the one the cursor names. A client that exists during the whole
   * walk appears exactly once; one created meanwhile appears at most once.
   */
  page(cursor: string | undefined, limit: number): ClientPage {
    const after = cursor === undefined ? 0 : Number(cursor);
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.order[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    const clients: ClientRecord[] = [];
    let i = lo;
    for (; i < this.order.length && clients.length < limit; i++) {
      const c = this.order[i]!;
      if (!c.gone) clients.push(c);
    }
    while (i < this.order.length && this.order[i]!.gone) i++;
    const more = i < this.order.length && clients.length > 0;
    return { clients, next: more ? String(clients[clients.length - 1]!.seq) : null };
  }

  /** How many clients run fragment `id` on each side. */
  placement(id: string): { client: number; server: number } {
    const p = this.placements.get(id);
    return { client: p?.client ?? 0, server: p?.server ?? 0 };
  }

  get(clientId: string): ClientRecord | undefined {
    return this.clients.get(clientId);
  }

  all(): IterableIterator<ClientRecord> {
    return this.clients.values();
  }

  /**
   * Creates a record without a connection (a session was opened), or
   * refreshes one. `anonymous`: made by a session without a subject of the
   * application (only decides for a new record).
   */
  touch(clientId: string, subject?: string, anonymous = false): ClientRecord {
    let c = this.clients.get(clientId);
    if (!c) {
      // A refresh or a connection of a client forgotten meanwhile: room is made the same way as for a
      // new session, but a token holder is not refused when every anonymous client is connected.
      if (anonymous) this.admitAnonymous();
      c = {
        clientId,
        seq: this.nextSeq++,
        anonymous,
        distribution: this.fragments.initialDistribution(),
        version: 1,
        connections: new Set(),
        lastSeenAt: Date.now(),
      };
      this.clients.set(clientId, c);
      this.order.push(c);
      if (anonymous) this.anonymousCount++;
      for (const [id, side] of c.distribution) this.count(id, side, 1);
    }
    if (subject !== undefined) c.subject = subject;
    c.lastSeenAt = Date.now();
    if (c.anonymous && c.connections.size === 0) {
      // Most recently seen goes last.
      this.idleAnonymous.delete(clientId);
      this.idleAnonymous.set(clientId, c);
    }
    return c;
  }

  /** A connection authenticated as `clientId`: creates or resumes the record and sends the full distribution. */
  attach(clientId: string, subject: string, conn: ClientConnection): ClientRecord {
    // A token of an anonymous session names the client as its subject.
    const c = this.touch(clientId, subject, subject === clientId);
    c.connections.add(conn);
    this.idleAnonymous.delete(clientId);
    c.connectedAt = new Date();
    conn.send(this.fullUpdate(c));
    return c;
  }

  detach(c: ClientRecord, conn: ClientConnection): void {
    c.connections.delete(conn);
    c.lastSeenAt = Date.now();
    if (c.connections.size > 0) return;
    c.connectedAt = undefined;
    if (c.anonymous && !c.gone) {
      this.idleAnonymous.delete(c.clientId);
      this.idleAnonymous.set(c.clientId, c);
    }
  }

  fullUpdate(c: ClientRecord): UpdateFragmentsMessage {
    const fragments: FragmentStatus[] = [...c.distribution].map(([id, runOn]) => ({ id, runOn }));
    const msg: UpdateFragmentsMessage = { type: "updateFragments", fragments, full: true, version: c.version };
    if (this.deploy) msg.deploy = this.deploy;
    return msg;
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

  /** info(c) as JSON text, written directly (a page of 1,000 clients makes far less garbage). */
  infoJson(c: ClientRecord): string {
    let text = `{"clientId":${JSON.stringify(c.clientId)},"connected":${c.connections.size > 0},"lastSeenAt":"${new Date(c.lastSeenAt).toISOString()}","distribution":${c.distribution.toJsonText()},"version":${c.version}`;
    if (c.subject !== undefined) text += `,"subject":${JSON.stringify(c.subject)}`;
    if (c.connectedAt) text += `,"connectedAt":"${c.connectedAt.toISOString()}"`;
    return `${text}}`;
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
        const before = c.distribution.get(id);
        if (before === side) continue;
        if (before) this.count(id, before, -1);
        this.count(id, side, 1);
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

  /**
   * Commits the placement of a state transfer (runtime/server/state/): the
   * transferring connection applies it from its transferBegin at `version`;
   * any other connection of the client gets an `updateFragments`.
   */
  commitMove(c: ClientRecord, fragments: FragmentStatus[], version: number, mover: ClientConnection | null): void {
    for (const { id, runOn } of fragments) {
      const before = c.distribution.get(id);
      if (before === runOn) continue;
      if (before) this.count(id, before, -1);
      this.count(id, runOn, 1);
      c.distribution.set(id, runOn);
    }
    c.version = Math.max(c.version + 1, version);
    const msg: UpdateFragmentsMessage = { type: "updateFragments", fragments, full: false, version: c.version };
    for (const conn of c.connections) if (conn !== mover || c.version !== version) conn.send(msg);
  }

  size(): number {
    return this.clients.size;
  }

  /**
   * Live redeploy: every client's distribution moves to `next`'s fragments —
   * its own placements carry over for fragments that still exist and may be
   * placed there, new fragments take `next`'s defaults, removed ones drop
   * out — and each connected client gets a full `updateFragments` with
   * `deploy`. Returns how many clients were told.
   */
  rebase(next: FragmentRegistry, deploy: DeployInfo): number {
    this.fragments = next;
    this.deploy = deploy;
    this.placements.clear();
    let told = 0;
    for (const c of this.clients.values()) {
      const before = c.distribution;
      c.distribution = next.initialDistribution();
      for (const [id, side] of before) {
        if (c.distribution.get(id) === undefined || c.distribution.get(id) === side) continue;
        if (next.canPlace(id, side)) c.distribution.set(id, side);
      }
      // The new build may group fragments the client had on different sides: such a group starts
      // where the new dist's defaults put it (groups move as one).
      for (const g of next.manifest.groups ?? []) {
        const sides = new Set(g.fragments.map((f) => c.distribution.get(f)).filter((x) => x !== undefined));
        if (sides.size < 2) continue;
        const defaults = next.initialDistribution();
        for (const f of g.fragments) {
          const side = defaults.get(f);
          if (side) c.distribution.set(f, side);
        }
      }
      for (const [id, side] of c.distribution) this.count(id, side, 1);
      c.version++;
      if (c.connections.size === 0) continue;
      const msg = this.fullUpdate(c);
      for (const conn of c.connections) conn.send(msg);
      told++;
    }
    return told;
  }
}
