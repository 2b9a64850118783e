/**
 * The server Code Distributor, independent of the HTTP framework: loads the
 * dist, starts the Fragment Executer, owns the registries, the tokens and
 * the WebSocket gateway, and implements DistributorControl for the API
 * Controller. plugin.ts (fastify) and attach.ts (node:http) mount it.
 */
import type { IncomingMessage } from "node:http";
import { resolve } from "node:path";
import type { Duplex } from "node:stream";
import type { JsValue } from "../abi/js-values.js";
import type { Manifest, Side } from "../abi/manifest-types.js";
import { DistFileError, readDistFile } from "../node/dist-files.js";
import { ClientCalls, type CallOnClientOptions, type CallOnClientResult } from "./client-calls.js";
import { readManifest } from "../node/load-dist.js";
import { type IssuedAccess, type SigningKey, TokenService } from "./auth.js";
import { type HttpAuthRequest, type HttpAuthResponse, handleAuthHttp } from "./auth-http.js";
import { ClientRegistry } from "./client-registry.js";
import type { ClientInfo, ClientIdPage, DistributorControl, FragmentStats } from "./control-types.js";
import { DistributorError } from "./distributor-error.js";
import { Executer, type ExecuterStats } from "./executer.js";
import type { WorkerModuleSpec } from "./executer-worker.js";
import { FragmentRegistry } from "./fragment-registry.js";
import { type DistributorOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import type { SessionHost } from "./session.js";
import { SessionRateLimiter } from "./session-limits.js";
import { StatsBook } from "./stats.js";
import { WsGateway } from "./ws-gateway.js";
import { loadFragments } from "../abi/state-accessors.js";
import { encodeValue } from "../abi/codec.js";
import { StateStore } from "./state/state-store.js";
import { ServerTransfers } from "./state/server-transfers.js";
import { moveWithGroups } from "./state/group-moves.js";

async function defaultGlue(): Promise<NonNullable<ResolvedOptions["glue"]>> {
  const { glueFor } = await import("../../src/languages/registry.js");
  return glueFor;
}

export class Distributor implements DistributorControl {
  readonly opts: ResolvedOptions;
  readonly tokens: TokenService;
  readonly fragments: FragmentRegistry;
  readonly clients: ClientRegistry;
  private readonly statsBook = new StatsBook();
  private readonly executer: Executer;
  private readonly gateway: WsGateway;
  private closed: Promise<void> | null = null;
  private readonly sessionLimiter: SessionRateLimiter | null;
  private readonly clientCalls: ClientCalls;
  /** Per-client state of stateful groups (runtime/server/state/). */
  readonly state: StateStore;
  readonly transfers: ServerTransfers;

  private constructor(
    opts: ResolvedOptions,
    fragments: FragmentRegistry,
    executer: Executer,
    tokens: TokenService,
    state: StateStore,
  ) {
    this.opts = opts;
    this.fragments = fragments;
    this.executer = executer;
    this.tokens = tokens;
    this.state = state;
    executer.statefulFor = (client, fragment) => state.callFor(client, fragment);
    this.clients = new ClientRegistry(fragments, opts.idleTimeoutMs, opts.maxAnonymousClients);
    this.clients.onRemove = (c) => {
      tokens.revokeClient(c.clientId);
      state.evict(c.clientId);
    };
    this.transfers = new ServerTransfers({
      store: state,
      locks: executer.stateLocks,
      clients: this.clients,
      types: fragments.manifest.types,
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
    this.gateway = new WsGateway(host, tokens, this.originAllowed);
    this.clientCalls = new ClientCalls({
      clients: this.clients,
      fragments,
      executer,
      stats: this.statsBook,
      types: fragments.manifest.types,
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
    const dir = resolve(opts.dist);
    const manifest = await readManifest(dir).catch((e: Error & { code?: string }) => {
      throw new DistributorError(e.code ?? "DCM_MANIFEST_INVALID", e.message);
    });
    const fragments = new FragmentRegistry(manifest, opts.target);
    for (const j of fragments.joinedGroups)
      opts.logger.warn(`dcm: the CFD places the fragments of group ${j.group} on both sides; the group starts on the ${j.side} (groups move as one)`);
    const glue = opts.glue ?? (await defaultGlue());
    // The workers also load the state accessors (loadFragments; never callable by clients: the registry does not know them).
    const modules: WorkerModuleSpec[] = [];
    for (const m of fragments.serverModules) {
      // Paths stay inside the dist, the files exist and hash to what the manifest says (runtime/node/dist-files.ts).
      const asDistributorError = (e: unknown) => (e instanceof DistFileError ? new DistributorError(e.code, e.message) : e);
      const { path } = await readDistFile(dir, m.file, m.sha256, "module").catch((e) => {
        throw asDistributorError(e);
      });
      // The glue the dist carries for a module wins over the registry's (it may be made for this very build).
      const g = m.glue
        ? (
            await readDistFile(dir, m.glue.file, m.glue.sha256, "glue").catch((e) => {
              throw asDistributorError(e);
            })
          ).path
        : m.target !== "native"
          ? glue(m.language, m.target)
          : undefined;
      if (m.target !== "native" && !g)
        throw new DistributorError("DCM_NO_MODULE_FOR_SIDE", `no runtime glue for ${m.language} ${m.target} modules`);
      modules.push({
        module: m,
        path,
        ...(g ? { glue: g } : {}),
        fragments: loadFragments(manifest, m),
        types: manifest.types,
        isolation: { isolation: opts.isolation, memoryLimitMb: opts.memoryLimitMb },
      });
    }
    const executer = new Executer({
      modules,
      size: opts.workers,
      maxRunningPerClient: opts.maxRunningPerClient,
      maxQueuedPerClient: opts.maxQueuedPerClient,
      // A fragment's unbounded JS allocation ends its worker (DCM_FRAGMENT_PANIC), not the server.
      ...(opts.memoryLimitMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: opts.memoryLimitMb } } : {}),
      terminateGraceMs: opts.terminateGraceMs,
      logger: opts.logger,
    });
    await executer.start();
    const state = new StateStore(manifest, opts.maxStateBytesPerClient);
    try {
      await Distributor.initialState(executer, state, manifest.types, opts.callTimeoutMs);
    } catch (e) {
      await executer.close();
      throw e;
    }
    return new Distributor(opts, fragments, executer, tokens, state);
  }

  /** Each stateful group's initial snapshot, from the `get` accessors of fresh instances. */
  private static async initialState(executer: Executer, state: StateStore, types: Manifest["types"], timeoutMs: number) {
    for (const g of state.groups.values()) {
      const parts: JsValue[] = [];
      let bytes = 0;
      for (const p of g.state) {
        const o = await executer.run({ fragment: p.get.id, args: [], lane: null, client: "$dcm", timeoutMs }).outcome;
        if (!o.ok)
          throw new DistributorError(o.error.code, `the initial state of group ${g.id} could not be read (${p.get.id}): ${o.error.message}`);
        bytes += encodeValue({ kind: "record", name: p.record }, types, o.value).length;
        parts.push(o.value);
      }
      state.setInitial(g.id, parts, bytes);
    }
  }

  readonly originAllowed = (origin: string | undefined): boolean =>
    origin === undefined ? this.opts.allowMissingOrigin : this.opts.allowedOrigins.includes(origin);

  get prefix(): string {
    return this.opts.prefix;
  }

  get distDir(): string {
    return resolve(this.opts.dist);
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
      await this.gateway.close();
      this.clients.stop();
      await this.executer.close();
    })();
    return this.closed;
  }
}

export function createDistributor(options: DistributorOptions): Promise<Distributor> {
  return Distributor.create(options);
}
