/**
 * The server Code Distributor, independent of the HTTP framework: loads the
 * dist, starts the Fragment Executer, owns the registries, the tokens and
 * the WebSocket gateway, and implements DistributorControl for the API
 * Controller. plugin.ts (fastify) and attach.ts (node:http) mount it.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { join, resolve } from "node:path";
import type { Duplex } from "node:stream";
import type { Side } from "../abi/manifest-types.js";
import { readManifest } from "../node/load-dist.js";
import { type IssuedAccess, type SigningKey, TokenService } from "./auth.js";
import { type HttpAuthRequest, type HttpAuthResponse, handleAuthHttp } from "./auth-http.js";
import { ClientRegistry } from "./client-registry.js";
import type { ClientInfo, DistributorControl, FragmentStats } from "./control-types.js";
import { DistributorError } from "./distributor-error.js";
import { Executer, type ExecuterStats } from "./executer.js";
import type { WorkerModuleSpec } from "./executer-worker.js";
import { FragmentRegistry } from "./fragment-registry.js";
import { type DistributorOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import type { SessionHost } from "./session.js";
import { StatsBook } from "./stats.js";
import { WsGateway } from "./ws-gateway.js";

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

  private constructor(opts: ResolvedOptions, fragments: FragmentRegistry, executer: Executer, tokens: TokenService) {
    this.opts = opts;
    this.fragments = fragments;
    this.executer = executer;
    this.tokens = tokens;
    this.clients = new ClientRegistry(fragments, opts.idleTimeoutMs);
    this.clients.start();
    const host: SessionHost = {
      opts,
      fragments,
      clients: this.clients,
      executer,
      stats: this.statsBook,
      types: fragments.manifest.types,
      closeWith: (ws, code, reason) => this.gateway.closeWith(ws, code, reason),
    };
    this.gateway = new WsGateway(host, tokens, this.originAllowed);
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
    const glue = opts.glue ?? (await defaultGlue());
    const modules: WorkerModuleSpec[] = [];
    for (const m of fragments.serverModules) {
      const path = join(dir, m.file);
      const bytes = await readFile(path).catch(() => null);
      if (!bytes) throw new DistributorError("DCM_MODULE_CORRUPT", `${path} is missing: rebuild the dist`);
      const digest = createHash("sha256").update(bytes).digest("hex");
      if (digest !== m.sha256) {
        throw new DistributorError(
          "DCM_MODULE_CORRUPT",
          `${path} has sha256 ${digest}, the manifest says ${m.sha256}. Rebuild the dist.`,
        );
      }
      // The glue the dist carries for a module wins over the registry's (it may be made for this very build).
      const g = m.glue ? join(dir, m.glue.file) : m.target !== "native" ? glue(m.language, m.target) : undefined;
      if (m.glue) {
        const gb = await readFile(join(dir, m.glue.file)).catch(() => null);
        const gd = gb ? createHash("sha256").update(gb).digest("hex") : "missing";
        if (gd !== m.glue.sha256)
          throw new DistributorError("DCM_MODULE_CORRUPT", `${join(dir, m.glue.file)} has sha256 ${gd}, the manifest says ${m.glue.sha256}. Rebuild the dist.`);
      }
      if (m.target !== "native" && !g)
        throw new DistributorError("DCM_NO_MODULE_FOR_SIDE", `no runtime glue for ${m.language} ${m.target} modules`);
      modules.push({
        module: m,
        path,
        ...(g ? { glue: g } : {}),
        fragments: manifest.fragments.filter((f) => m.fragments.includes(f.id)),
        types: manifest.types,
      });
    }
    const executer = new Executer({
      modules,
      size: opts.workers,
      terminateGraceMs: opts.terminateGraceMs,
      logger: opts.logger,
    });
    await executer.start();
    return new Distributor(opts, fragments, executer, tokens);
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
        onSession: (clientId, subject) => this.clients.touch(clientId, subject),
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

  getClient(clientId: string): ClientInfo | undefined {
    const c = this.clients.get(clientId);
    return c ? this.clients.info(c) : undefined;
  }

  async setLocation(clientId: string, fragmentId: string, side: Side): Promise<ClientInfo> {
    const [c] = this.clients.setLocations([{ clientId, fragmentId, side }]);
    return this.clients.info(c!);
  }

  async setLocations(changes: Array<{ clientId: string; fragmentId: string; side: Side }>): Promise<ClientInfo[]> {
    if (!Array.isArray(changes)) throw new DistributorError("DCM_BAD_MESSAGE", "changes must be an array");
    return this.clients.setLocations(changes).map((c) => this.clients.info(c));
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
