/**
 * The server Code Distributor, independent of the HTTP framework: loads the
 * dist, starts the Fragment Executer, owns the registries, the tokens and
 * the WebSocket gateway, and implements DistributorControl for the API
 * Controller. plugin.ts (fastify) and attach.ts (node:http) mount it.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { JsValue } from "../abi/js-values.js";
import type { Manifest, Side } from "../abi/manifest-types.js";
import { ClientCalls, type CallOnClientOptions, type CallOnClientResult } from "./client-calls.js";
import { type IssuedAccess, type SigningKey, TokenService } from "./auth.js";
import { type HttpAuthRequest, type HttpAuthResponse, handleAuthHttp } from "./auth-http.js";
import { ClientRegistry } from "./client-registry.js";
import type { ClientInfo, ClientIdPage, DistributorControl, FragmentStats } from "./control-types.js";
import type { DeployResult } from "./deploy/deploy-types.js";
import { UploadFolder } from "./deploy/dist-upload.js";
import { loadServerDist, retireExecuter, type ServerDist } from "./deploy/load-server-dist.js";
import { stateResetGroups } from "./deploy/state-reset.js";
import { DistributorError } from "./distributor-error.js";
import type { Executer, ExecuterStats } from "./executer.js";
import type { FragmentRegistry } from "./fragment-registry.js";
import { type DistributorOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import type { SessionHost } from "./session.js";
import { SessionRateLimiter } from "./session-limits.js";
import { StatsBook } from "./stats.js";
import { WsGateway } from "./ws-gateway.js";
import { loadFragments } from "../abi/state-accessors.js";
import { startStateStore } from "./state/initial-state.js";
import type { StateStore } from "./state/state-store.js";
import { ServerTransfers } from "./state/server-transfers.js";
import { moveWithGroups } from "./state/group-moves.js";

async function defaultGlue(): Promise<NonNullable<ResolvedOptions["glue"]>> {
  const { glueFor } = await import("../../src/languages/registry.js");
  return glueFor;
}

export class Distributor implements DistributorControl {
  readonly opts: ResolvedOptions;
  readonly tokens: TokenService;
  /** The current dist's fragments; replaced by a live redeploy (deploy()). */
  fragments: FragmentRegistry;
  readonly clients: ClientRegistry;
  private readonly statsBook = new StatsBook();
  private executer: Executer;
  private readonly gateway: WsGateway;
  private closed: Promise<void> | null = null;
  private readonly sessionLimiter: SessionRateLimiter | null;
  private readonly clientCalls: ClientCalls;
  /** Per-client state of stateful groups (runtime/server/state/); replaced by a live redeploy. */
  state: StateStore;
  readonly transfers: ServerTransfers;
  /** What sessions read at each call: a redeploy swaps its fields in one synchronous step. */
  private readonly host: SessionHost;
  private currentDir: string;
  private readonly glue: NonNullable<ResolvedOptions["glue"]>;
  private readonly uploads: UploadFolder;
  /** Deploys run one at a time. */
  private deploying: Promise<unknown> = Promise.resolve();
  private readonly retiring = new Set<Promise<void>>();
  /**
   * Run with a new dist before any call or client is switched to it (create-server.ts reads its
   * client files here); one that throws refuses the deploy and the running dist stays.
   */
  readonly beforeSwitch: Array<(dist: ServerDist) => Promise<void>> = [];
  /** Run after a switch (the per-client state store drops the groups in `stateReset`). */
  readonly afterSwitch: Array<(result: DeployResult, previous: Manifest, next: Manifest) => void> = [];

  private constructor(
    opts: ResolvedOptions,
    dist: ServerDist,
    tokens: TokenService,
    glue: NonNullable<ResolvedOptions["glue"]>,
    state: StateStore,
  ) {
    const { fragments, executer } = dist;
    this.opts = opts;
    this.fragments = fragments;
    this.executer = executer;
    this.tokens = tokens;
    this.state = state;
    // Read at each call: a redeploy replaces the store and the executer.
    executer.statefulFor = (client, fragment) => this.state.callFor(client, fragment);
    this.currentDir = dist.dir;
    this.glue = glue;
    this.uploads = new UploadFolder(opts.deployDir);
    this.clients = new ClientRegistry(fragments, opts.idleTimeoutMs, opts.maxAnonymousClients);
    this.clients.onRemove = (c) => {
      tokens.revokeClient(c.clientId);
      this.state.evict(c.clientId);
    };
    const self = this;
    // Getters: a live redeploy replaces the store, the executer (its locks) and the types.
    this.transfers = new ServerTransfers({
      get store() {
        return self.state;
      },
      get locks() {
        return self.executer.stateLocks;
      },
      clients: this.clients,
      get types() {
        return self.fragments.manifest.types;
      },
      timeoutMs: opts.transferTimeoutMs,
    });
    this.clients.start();
    this.sessionLimiter = opts.sessionRateLimit ? new SessionRateLimiter(opts.sessionRateLimit) : null;
    const host: SessionHost = {
      opts,
      fragments,
      clients: this.clients,
      executer,
      stats: this.statsBook,
      types: fragments.manifest.types,
      state,
      transfers: this.transfers,
      closeWith: (ws, code, reason) => this.gateway.closeWith(ws, code, reason),
    };
    this.host = host;
    this.gateway = new WsGateway(host, tokens, this.originAllowed);
    this.clientCalls = new ClientCalls({
      clients: this.clients,
      get fragments() {
        return self.fragments;
      },
      get executer() {
        return self.executer;
      },
      stats: this.statsBook,
      get types() {
        return self.fragments.manifest.types;
      },
      callTimeoutMs: opts.callTimeoutMs,
      connectionOf: (clientId) => {
        const conns = [...(this.clients.get(clientId)?.connections ?? [])].filter((c) => c.outgoing);
        const last = conns[conns.length - 1];
        return last?.outgoing ? { outgoing: last.outgoing } : undefined;
      },
    });
  }

  /**
   * Runs `fragmentId` for one client wherever that client's distribution
   * places it: in the client (a server-initiated call, answered by the
   * client) or on the server as that client's call. Rejects with a
   * DistributorError: DCM_API_UNKNOWN_CLIENT / DCM_UNKNOWN_FRAGMENT (404),
   * DCM_CLIENT_DISCONNECTED (409), DCM_CALL_REFUSED (403, a fragment the
   * client keeps private), DCM_CALL_TIMEOUT (504), or the fragment's own
   * error (422). docs/protocol.md, "Server-initiated calls".
   */
  callOnClient(clientId: string, fragmentId: string, args: JsValue[], opts?: CallOnClientOptions): Promise<CallOnClientResult> {
    return this.clientCalls.call(clientId, fragmentId, args, opts);
  }

  /** callOnClient with arguments and result as wire values (docs/protocol.md), as the REST API takes them. */
  callOnClientWire(clientId: string, fragmentId: string, args: unknown, opts?: { timeoutMs?: number }): Promise<CallOnClientResult<unknown>> {
    return this.clientCalls.callWire(clientId, fragmentId, args, opts);
  }

  /** Loads the dist and starts the worker pool; throws DistributorError or the module's load error. */
  static async create(options: DistributorOptions): Promise<Distributor> {
    const opts = resolveOptions(options);
    const tokens = new TokenService(opts.auth);
    const glue = opts.glue ?? (await defaultGlue());
    const dist = await loadServerDist(opts.dist, opts, glue);
    let state: StateStore;
    try {
      state = await startStateStore(dist, opts);
    } catch (e) {
      await dist.executer.close();
      throw e;
    }
    return new Distributor(opts, dist, tokens, glue, state);
  }

  readonly originAllowed = (origin: string | undefined): boolean =>
    origin === undefined ? this.opts.allowMissingOrigin : this.opts.allowedOrigins.includes(origin);

  get prefix(): string {
    return this.opts.prefix;
  }

  /** The current dist folder, absolute (an upload folder after `PUT <prefix>/api/dist`). */
  get distDir(): string {
    return this.currentDir;
  }

  /** The current dist's manifest. */
  get manifest(): Manifest {
    return this.fragments.manifest;
  }

  /**
   * Live redeploy (docs/redeploy.md): loads and verifies the dist in
   * `distDir` like at start-up, starts its executer, then switches in one
   * synchronous step — calls already running finish on the old executer
   * (closed once drained), new calls go to the new one. Client placements
   * carry over for fragments that still exist; every connected client gets
   * a full `updateFragments` with `deploy`. A dist that fails to load throws
   * (DistributorError) and the running dist stays as it was.
   */
  deploy(distDir: string): Promise<DeployResult> {
    const run = this.deploying.then(() => this.deployNow(distDir));
    this.deploying = run.catch(() => {});
    return run;
  }

  /** deploy() of an uploaded .tar.gz: checked and unpacked into the server's own upload folder first. */
  deployArchive(body: Buffer): Promise<DeployResult> {
    const run = this.deploying.then(async () => {
      const dir = await this.uploads.unpack(body);
      try {
        const r = await this.deployNow(dir);
        await this.uploads.prune([dir, this.previousDir ?? ""]);
        return r;
      } catch (e) {
        await this.uploads.discard(dir);
        throw e;
      }
    });
    this.deploying = run.catch(() => {});
    return run;
  }

  private previousDir: string | null = null;

  private async deployNow(distDir: string): Promise<DeployResult> {
    if (this.closed) throw new DistributorError("DCM_DEPLOY_REFUSED", "the server is shutting down", 409);
    const next = await loadServerDist(distDir, this.opts, this.glue).catch((e: Error) => {
      if (e instanceof DistributorError) throw e;
      // A module that does not start (it traps while loading, a plugin that will not run here).
      throw new DistributorError("DCM_DEPLOY_REFUSED", `the new dist does not load: ${e?.message ?? e}`, 422);
    });
    try {
      for (const hook of this.beforeSwitch) await hook(next);
    } catch (e) {
      await next.executer.close();
      throw e;
    }
    let nextState: StateStore;
    try {
      nextState = await startStateStore(next, this.opts);
    } catch (e) {
      await next.executer.close();
      throw e instanceof DistributorError ? e : new DistributorError("DCM_DEPLOY_REFUSED", `the new dist's state cannot be read: ${(e as Error)?.message ?? e}`, 422);
    }
    const prev = { fragments: this.fragments, executer: this.executer, manifest: this.fragments.manifest };
    // Defaults an operator changed at runtime (PUT /defaults) carry over; the rest come from the new CFD.
    const changed: Record<string, Side> = {};
    for (const [id, side] of Object.entries(prev.fragments.getDefaults()))
      if (prev.fragments.get(id)?.runOn !== side && next.fragments.canPlace(id, side)) changed[id] = side;
    next.fragments.setDefaults(changed);
    const stateReset = stateResetGroups(prev.manifest, next.manifest);
    const id = next.manifest.buildKey;
    // The switch: no await from here to the end of rebase(), so no call sees half of it.
    this.fragments = next.fragments;
    this.executer = next.executer;
    this.host.fragments = next.fragments;
    this.host.executer = next.executer;
    this.host.types = next.manifest.types;
    // Per-client server state of groups whose state types did not change passes to the new dist's store.
    this.state.handOver(nextState, new Set(stateReset));
    this.state = nextState;
    this.host.state = nextState;
    next.executer.statefulFor = (client, fragment) => this.state.callFor(client, fragment);
    this.previousDir = this.currentDir;
    this.currentDir = next.dir;
    const clients = this.clients.rebase(next.fragments, { id, base: `${this.opts.prefix}/dists/${id}/`, stateReset });
    const before = new Set(prev.fragments.ids());
    const after = new Set(next.fragments.ids());
    const result: DeployResult = {
      id,
      previous: prev.manifest.buildKey,
      clients,
      stateReset,
      added: [...after].filter((x) => !before.has(x)).sort(),
      removed: [...before].filter((x) => !after.has(x)).sort(),
    };
    for (const hook of this.afterSwitch) {
      try {
        hook(result, prev.manifest, next.manifest);
      } catch (e) {
        this.opts.logger.error(`dcm: a redeploy hook failed: ${(e as Error).message}`);
      }
    }
    this.opts.logger.info(
      `dcm: deployed ${id} (was ${result.previous}); ${clients} clients told${stateReset.length ? `; state reset: ${stateReset.join(", ")}` : ""}`,
    );
    const retired = retireExecuter(prev.executer, this.opts.callTimeoutMs + this.opts.terminateGraceMs).finally(() =>
      this.retiring.delete(retired),
    );
    this.retiring.add(retired);
    return result;
  }

  /** Handles an upgrade request for `<prefix>/ws`; false for any other path (left to other listeners). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    return this.gateway.handleUpgrade(req, socket, head);
  }

  /** Handles the auth routes; null for any other path. */
  handleAuthHttp(req: HttpAuthRequest): Promise<HttpAuthResponse | null> {
    return handleAuthHttp(
      {
        prefix: this.opts.prefix,
        tokens: this.tokens,
        originAllowed: this.originAllowed,
        onSession: (clientId, subject, anonymous) => this.clients.touch(clientId, subject, anonymous),
        rateLimit: (address) => this.sessionLimiter?.take(address ?? "unknown") ?? 0,
        admitAnonymous: () => this.clients.admitAnonymous(),
      },
      req,
    );
  }

  /** Signs an access token directly (server-side integrations, tests). */
  issueAccessToken(
    claims: { clientId?: string; subject?: string; expiresInSeconds?: number } = {},
  ): Promise<IssuedAccess> {
    return this.tokens.issueAccess(claims);
  }

  /** Key rotation: the first key signs from now on, all verify; open connections are kept. */
  setKeys(keys: SigningKey[]): void {
    this.tokens.setKeys(keys);
  }

  /** Round trip of the last server ping to this client, ms. */
  rttMs(clientId: string): number | undefined {
    return this.clients.get(clientId)?.rttMs;
  }

  executerStats(): ExecuterStats {
    return this.executer.stats();
  }

  /** Open WebSocket connections. */
  connectionCount(): number {
    return this.gateway.sessions.size;
  }

  // ---- DistributorControl ----

  listClients(): ClientInfo[] {
    return [...this.clients.all()].map((c) => this.clients.info(c));
  }

  pageClients(cursor: string | undefined, limit: number): ClientIdPage {
    if (cursor !== undefined && !/^[0-9]{1,15}$/.test(cursor))
      throw new DistributorError("DCM_BAD_MESSAGE", `cursor ${JSON.stringify(cursor.slice(0, 80))} is not one this server gave`);
    const page = this.clients.page(cursor, limit);
    return { clientIds: page.clients.map((c) => c.clientId), next: page.next };
  }

  clientInfoJson(clientId: string): string | undefined {
    const c = this.clients.get(clientId);
    return c ? this.clients.infoJson(c) : undefined;
  }

  placementCounts(fragmentId: string): { client: number; server: number } {
    return this.clients.placement(fragmentId);
  }

  getClient(clientId: string): ClientInfo | undefined {
    const c = this.clients.get(clientId);
    return c ? this.clients.info(c) : undefined;
  }

  async setLocation(clientId: string, fragmentId: string, side: Side): Promise<ClientInfo> {
    const [info] = await this.setLocations([{ clientId, fragmentId, side }]);
    return info!;
  }

  /** A named fragment's group moves with it; stateful groups move with their state (runtime/server/state/group-moves.ts). */
  async setLocations(changes: Array<{ clientId: string; fragmentId: string; side: Side }>): Promise<ClientInfo[]> {
    if (!Array.isArray(changes)) throw new DistributorError("DCM_BAD_MESSAGE", "changes must be an array");
    const moved = await moveWithGroups(changes, {
      clients: this.clients,
      fragments: this.fragments,
      store: this.state,
      transfers: this.transfers,
    });
    return moved.map(({ client, moved: ids }) => ({ ...this.clients.info(client), moved: ids }));
  }

  getDefaults(): Record<string, Side> {
    return this.fragments.getDefaults();
  }

  setDefaults(changes: Record<string, Side>): Record<string, Side> {
    if (typeof changes !== "object" || changes === null)
      throw new DistributorError("DCM_BAD_MESSAGE", "changes must be an object");
    return this.fragments.setDefaults(changes);
  }

  fragmentIds(): string[] {
    return this.fragments.ids();
  }

  notCallable(fragmentId: string): string | undefined {
    return this.fragments.refusal(fragmentId);
  }

  stats(): FragmentStats[] {
    return this.statsBook.snapshot(this.fragments.ids());
  }

  recordClientCall(clientId: string, fragmentId: string, ms: number, ok: boolean): void {
    if (!this.fragments.get(fragmentId)) return;
    void clientId;
    this.statsBook.record(fragmentId, "client", ms, ok);
  }

  /** Closes connections (1001), cancels calls, stops the workers. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.deploying;
      await this.gateway.close();
      this.clients.stop();
      await Promise.all([this.executer.close(), ...this.retiring]);
      await this.uploads.close();
    })();
    return this.closed;
  }
}

export function createDistributor(options: DistributorOptions): Promise<Distributor> {
  return Distributor.create(options);
}
