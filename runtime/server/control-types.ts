/**
 * What the API Controller needs from the server Code Distributor (types only).
 * The distributor implements DistributorControl; the API Controller
 * (runtime/server/api/) only talks to this interface.
 */
import type { DeployResult } from "./deploy/deploy-types.js";
import type { Side } from "../abi/manifest-types.js";

export interface ClientInfo {
  clientId: string;
  /** Subject of the client's token (the user), when known. */
  subject?: string;
  connected: boolean;
  connectedAt?: string;
  lastSeenAt: string;
  /** fragment id -> where it runs for this client. */
  distribution: Record<string, Side>;
  /** Version of the distribution, bumped on every change. */
  version: number;
  /** In answers to placement changes: the fragments whose placement the request changed (moved groups' members included). */
  moved?: string[];
}

export interface SideStats {
  calls: number;
  errors: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface FragmentStats {
  fragment: string;
  client: SideStats;
  server: SideStats;
}

export interface ClientIdPage {
  clientIds: string[];
  /** Cursor of the next page; null after the last. */
  next: string | null;
}

export interface DistributorControl {
  /** Every client at once: O(clients); prefer pageClients on large servers. */
  listClients(): ClientInfo[];
  /**
   * The ids of up to `limit` clients after `cursor` (undefined: from the
   * start), in a stable order: a client that exists during a whole walk
   * appears exactly once. Ids only, so that the caller can build the
   * ClientInfo of a large page in slices. Throws DistributorError (400) for
   * a cursor it did not make.
   */
  pageClients?(cursor: string | undefined, limit: number): ClientIdPage;
  /** How many clients run the fragment on each side, without walking the clients. */
  placementCounts?(fragmentId: string): { client: number; server: number };
  getClient(clientId: string): ClientInfo | undefined;
  /** getClient's answer as JSON text, when the control can write it more cheaply (large pages). */
  clientInfoJson?(clientId: string): string | undefined;
  /** Sets one fragment's location for one client and pushes `updateFragments` at once. Throws DistributorError for unknown ids. */
  setLocation(clientId: string, fragmentId: string, side: Side): Promise<ClientInfo>;
  /** Sets several at once: one `updateFragments` per affected client. */
  setLocations(changes: Array<{ clientId: string; fragmentId: string; side: Side }>): Promise<ClientInfo[]>;
  /** The distribution new clients start with (initially the CFD's runOn). */
  getDefaults(): Record<string, Side>;
  setDefaults(changes: Record<string, Side>): Record<string, Side>;
  fragmentIds(): string[];
  /** Why a fragment cannot be called (a type or variable, a dependency without runOn, a signature that cannot cross), or undefined. */
  notCallable?(fragmentId: string): string | undefined;
  stats(): FragmentStats[];
  /**
   * Runs a fragment for one client where that client's distribution places it
   * (docs/protocol.md, "Server-initiated calls"); arguments and value as wire
   * values. Rejects with a DistributorError whose `status` is the HTTP answer.
   */
  callOnClientWire?(
    clientId: string,
    fragmentId: string,
    args: unknown,
    opts?: { timeoutMs?: number },
  ): Promise<{ value: unknown; ranOn: Side; ms: number }>;
  /** Live redeploy of an uploaded dist (.tar.gz): PUT <prefix>/api/dist. Throws DistributorError (4xx) for a dist it refuses; the running dist stays. */
  deployArchive?(body: Buffer): Promise<DeployResult>;
  /** Clients report the latency of calls they ran locally, so stats cover both sides. */
  recordClientCall?(clientId: string, fragmentId: string, ms: number, ok: boolean): void;
}
