/**
 * A small but real in-memory DistributorControl: the test double for the
 * server Code Distributor (built elsewhere). It keeps clients, defaults and
 * call statistics, and logs the `updateFragments` messages it would push.
 */
import type { Side } from "../../runtime/abi/manifest-types.js";
import type { ClientInfo, DistributorControl, FragmentStats, SideStats } from "../../runtime/server/control-types.js";

/** Same shape as the distributor's own DistributorError: a catalog code and the HTTP status an API would answer with. */
export class DistributorError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "DistributorError";
  }
}

/** One `updateFragments` the distributor would send to a client. */
export interface PushedUpdate {
  clientId: string;
  fragments: Record<string, Side>;
  version: number;
}

interface Samples {
  ms: number[];
  errors: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

export class InMemoryControl implements DistributorControl {
  readonly clients = new Map<string, ClientInfo>();
  readonly pushed: PushedUpdate[] = [];
  /** Every call of setLocation / setLocations, in order. */
  readonly calls: Array<{ method: "setLocation" | "setLocations"; args: unknown[] }> = [];
  private defaults: Record<string, Side>;
  private readonly samples = new Map<string, Record<Side, Samples>>();
  private clock = Date.parse("2026-01-01T00:00:00Z");

  constructor(defaults: Record<string, Side>) {
    this.defaults = { ...defaults };
    for (const id of Object.keys(defaults))
      this.samples.set(id, { client: { ms: [], errors: 0 }, server: { ms: [], errors: 0 } });
  }

  private now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  /** A client connects: it starts with the current defaults. */
  connect(clientId: string, subject?: string): ClientInfo {
    const at = this.now();
    const info: ClientInfo = {
      clientId,
      ...(subject !== undefined ? { subject } : {}),
      connected: true,
      connectedAt: at,
      lastSeenAt: at,
      distribution: { ...this.defaults },
      version: 1,
    };
    this.clients.set(clientId, info);
    return structuredClone(info);
  }

  disconnect(clientId: string): void {
    const c = this.clients.get(clientId);
    if (c) {
      c.connected = false;
      c.lastSeenAt = this.now();
    }
  }

  /** Records one call of a fragment on a side, as the distributor would after running or relaying it. */
  simulateCall(fragmentId: string, side: Side, ms: number, ok = true): void {
    const s = this.samples.get(fragmentId);
    if (!s) throw new DistributorError("DCM_UNKNOWN_FRAGMENT", `unknown fragment ${fragmentId}`, 404);
    s[side].ms.push(ms);
    if (!ok) s[side].errors++;
  }

  recordClientCall(_clientId: string, fragmentId: string, ms: number, ok: boolean): void {
    this.simulateCall(fragmentId, "client", ms, ok);
  }

  listClients(): ClientInfo[] {
    return [...this.clients.values()].map((c) => structuredClone(c));
  }

  getClient(clientId: string): ClientInfo | undefined {
    const c = this.clients.get(clientId);
    return c && structuredClone(c);
  }

  private check(clientId: string, fragmentId: string): ClientInfo {
    const c = this.clients.get(clientId);
    if (!c) throw new DistributorError("DCM_UNKNOWN_CLIENT", `unknown client ${clientId}`, 404);
    if (!this.samples.has(fragmentId))
      throw new DistributorError("DCM_UNKNOWN_FRAGMENT", `unknown fragment ${fragmentId}`, 404);
    return c;
  }

  private push(c: ClientInfo): void {
    c.version++;
    this.pushed.push({ clientId: c.clientId, fragments: { ...c.distribution }, version: c.version });
  }

  async setLocation(clientId: string, fragmentId: string, side: Side): Promise<ClientInfo> {
    this.calls.push({ method: "setLocation", args: [clientId, fragmentId, side] });
    const c = this.check(clientId, fragmentId);
    c.distribution[fragmentId] = side;
    this.push(c);
    return structuredClone(c);
  }

  async setLocations(changes: Array<{ clientId: string; fragmentId: string; side: Side }>): Promise<ClientInfo[]> {
    this.calls.push({ method: "setLocations", args: [structuredClone(changes)] });
    for (const ch of changes) this.check(ch.clientId, ch.fragmentId);
    const touched = new Map<string, ClientInfo>();
    for (const ch of changes) {
      const c = this.clients.get(ch.clientId)!;
      c.distribution[ch.fragmentId] = ch.side;
      touched.set(c.clientId, c);
    }
    for (const c of touched.values()) this.push(c);
    return [...touched.values()].map((c) => structuredClone(c));
  }

  getDefaults(): Record<string, Side> {
    return { ...this.defaults };
  }

  setDefaults(changes: Record<string, Side>): Record<string, Side> {
    for (const id of Object.keys(changes)) {
      if (!this.samples.has(id)) throw new DistributorError("DCM_UNKNOWN_FRAGMENT", `unknown fragment ${id}`, 404);
    }
    this.defaults = { ...this.defaults, ...changes };
    return this.getDefaults();
  }

  fragmentIds(): string[] {
    return [...this.samples.keys()];
  }

  stats(): FragmentStats[] {
    const side = (s: Samples): SideStats => {
      const sorted = [...s.ms].sort((a, b) => a - b);
      return { calls: s.ms.length, errors: s.errors, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
    };
    return [...this.samples.entries()].map(([fragment, s]) => ({
      fragment,
      client: side(s.client),
      server: side(s.server),
    }));
  }
}
