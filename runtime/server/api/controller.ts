/**
 * The API Controller: a REST API over DistributorControl, for operators and
 * tools that move fragments between client and server at runtime.
 *
 * It only talks to DistributorControl (runtime/server/control-types.ts) and
 * keeps its hooks, error handler and rate limiter inside its own fastify scope,
 * so the rest of the server (the distributor's WebSocket route) is untouched.
 */
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { didYouMean } from "../../abi/did-you-mean.js";
import { CATALOG, dcmError, type ErrorCode } from "../../diagnostics/catalog.js";
import type { Side } from "../../abi/manifest-types.js";
import type { ClientInfo, DistributorControl, SideStats } from "../control-types.js";
import { clip } from "../http-shape.js";
import { ApiKeyRing, AUTH_MESSAGES } from "./auth.js";
import { ApiError, apiErrorHandler, errorBody } from "./errors.js";
import { buildOpenApiDocument } from "./openapi.js";
import { MAX_DIST_UPLOAD_BYTES, type OperationId, ROUTES } from "./schemas.js";

export const DEFAULT_PREFIX = "/dcm/api";
export const DEFAULT_RATE_LIMIT = { max: 600, timeWindowMs: 60_000 } as const;

export interface ApiControllerOptions {
  control: DistributorControl;
  /** Path prefix of every route; default `/dcm/api`. */
  prefix?: string;
  /** Accepted API keys (at least one, 16+ characters each); see apiKeysFromEnv(). */
  apiKeys: string[];
  /** Requests per API key per time window; default 600 per minute. */
  rateLimit?: { max: number; timeWindowMs: number };
}

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown> | unknown;

interface PlacementParams {
  clientId: string;
  fragmentId: string;
}
interface Change {
  clientId: string;
  fragmentId: string;
  runOn: Side;
}

const EMPTY_STATS: SideStats = { calls: 0, errors: 0, p50Ms: null, p99Ms: null };

function normalizePrefix(prefix: string): string {
  if (prefix === "" || prefix === "/") return "";
  if (!prefix.startsWith("/"))
    throw dcmError("DCM_API_CONFIG", `The API prefix must start with \`/\`: got \`${prefix}\`.`);
  if (/[?#:*\s]/.test(prefix))
    throw dcmError("DCM_API_CONFIG", `The API prefix must be a plain path: got \`${prefix}\`.`);
  return prefix.replace(/\/+$/, "");
}

function quote(s: string): string {
  return `\`${s.length > 80 ? `${s.slice(0, 80)}…` : s}\``;
}

/** Wraps DistributorControl with the API's checks and 404 messages. */
class ControlFacade {
  constructor(
    private readonly control: DistributorControl,
    private readonly prefix: string,
  ) {}

  unknownClient(clientId: string): ApiError {
    return new ApiError(
      404,
      "DCM_API_UNKNOWN_CLIENT",
      `No client ${quote(clientId)} is known to the distributor; GET ${this.prefix}/clients lists the clients.`,
    );
  }

  unknownFragment(fragmentId: string, ids: string[]): ApiError {
    const hint = didYouMean(fragmentId, ids);
    const known =
      ids.length <= 10
        ? `known fragments: ${ids.map((i) => `\`${i}\``).join(", ") || "none"}`
        : `GET ${this.prefix}/fragments lists them`;
    return new ApiError(404, "DCM_API_UNKNOWN_FRAGMENT", `No fragment ${quote(fragmentId)}; ${hint ?? `${known}.`}`);
  }

  client(clientId: string): ClientInfo {
    const c = this.control.getClient(clientId);
    if (!c) throw this.unknownClient(clientId);
    return c;
  }

  fragment(fragmentId: string): void {
    const ids = this.control.fragmentIds();
    if (!ids.includes(fragmentId)) throw this.unknownFragment(fragmentId, ids);
  }

  /** Runs a distributor call; if it throws because an id vanished meanwhile, answers 404 instead of 500. */
  async call<T>(fn: () => Promise<T> | T, recheck: () => void): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      recheck();
      throw err;
    }
  }
}

export const DEFAULT_PAGE_LIMIT = 100;
/** Clients serialised between two turns of the event loop. */
const SLICE = 100;
export const MAX_PAGE_LIMIT = 1000;

/** `?cursor=&limit=` (the schema has checked their form). */
function pageQuery(req: FastifyRequest): { cursor: string | undefined; limit: number } {
  const q = (req.query ?? {}) as { cursor?: string; limit?: number };
  return { cursor: q.cursor || undefined, limit: q.limit ?? DEFAULT_PAGE_LIMIT };
}

function countPlacements(clients: ClientInfo[]): Map<string, { client: number; server: number }> {
  const counts = new Map<string, { client: number; server: number }>();
  for (const c of clients) {
    for (const [id, side] of Object.entries(c.distribution)) {
      let p = counts.get(id);
      if (!p) {
        p = { client: 0, server: 0 };
        counts.set(id, p);
      }
      p[side]++;
    }
  }
  return counts;
}

function handlers(
  control: DistributorControl,
  facade: ControlFacade,
): Record<Exclude<OperationId, "getOpenApi">, Handler> {
  const placementOf = (client: ClientInfo, fragmentId: string) => {
    const runOn = client.distribution[fragmentId] ?? control.getDefaults()[fragmentId];
    if (runOn === undefined) {
      throw new ApiError(
        404,
        "DCM_API_UNKNOWN_FRAGMENT",
        `Client ${quote(client.clientId)} has no placement for fragment ${quote(fragmentId)}.`,
      );
    }
    return { clientId: client.clientId, fragmentId, runOn, version: client.version };
  };

  return {
    listClients: async (req, reply) => {
      const { cursor, limit } = pageQuery(req);
      let page: { clientIds: string[]; next: string | null };
      if (control.pageClients) page = control.pageClients(cursor, limit);
      else {
        // A control without pages: the offset is the cursor.
        const all = control.listClients().map((c) => c.clientId);
        const from = cursor === undefined ? 0 : Number(cursor);
        page = {
          clientIds: all.slice(from, from + limit),
          next: from + limit < all.length ? String(from + limit) : null,
        };
      }
      // A page of 1,000 clients is about a megabyte of JSON: built in slices, the event loop
      // serves others between them. A client forgotten meanwhile is left out.
      const parts: string[] = [];
      const json = (id: string) => {
        if (control.clientInfoJson) return control.clientInfoJson(id);
        const c = control.getClient(id);
        return c && JSON.stringify(c);
      };
      for (let i = 0; i < page.clientIds.length; i += SLICE) {
        if (i > 0) await new Promise((r) => setImmediate(r));
        for (const id of page.clientIds.slice(i, i + SLICE)) {
          const text = json(id);
          if (text !== undefined) parts.push(text);
        }
      }
      return reply
        .type("application/json; charset=utf-8")
        .send(`{"clients":[${parts.join(",")}],"next":${JSON.stringify(page.next)}}`);
    },

    getClient: (req) => facade.client((req.params as { clientId: string }).clientId),

    getPlacement: (req) => {
      const { clientId, fragmentId } = req.params as PlacementParams;
      const client = facade.client(clientId);
      facade.fragment(fragmentId);
      return placementOf(client, fragmentId);
    },

    setPlacement: async (req) => {
      const { clientId, fragmentId } = req.params as PlacementParams;
      const { runOn } = req.body as { runOn: Side };
      facade.client(clientId);
      facade.fragment(fragmentId);
      const updated = await facade.call(
        () => control.setLocation(clientId, fragmentId, runOn),
        () => {
          facade.client(clientId);
          facade.fragment(fragmentId);
        },
      );
      return { ...placementOf(updated, fragmentId), ...(updated.moved ? { moved: updated.moved } : {}) };
    },

    setDistribution: async (req) => {
      const { changes } = req.body as { changes: Change[] };
      const ids = control.fragmentIds();
      const idSet = new Set(ids);
      const problems: ApiError[] = [];
      const seen = new Map<string, Side>();
      const checkedClients = new Map<string, boolean>();
      changes.forEach((c, i) => {
        if (!checkedClients.has(c.clientId))
          checkedClients.set(c.clientId, control.getClient(c.clientId) !== undefined);
        if (!checkedClients.get(c.clientId)) {
          const e = facade.unknownClient(c.clientId);
          problems.push(new ApiError(404, e.apiCode, `changes[${i}].clientId: ${e.message}`));
        }
        if (!idSet.has(c.fragmentId)) {
          const e = facade.unknownFragment(c.fragmentId, ids);
          problems.push(new ApiError(404, e.apiCode, `changes[${i}].fragmentId: ${e.message}`));
        }
        const key = JSON.stringify([c.clientId, c.fragmentId]);
        const before = seen.get(key);
        if (before !== undefined && before !== c.runOn) {
          throw new ApiError(
            400,
            "DCM_API_BAD_REQUEST",
            `changes[${i}] moves fragment ${quote(c.fragmentId)} of client ${quote(c.clientId)} to ${c.runOn}, but an earlier change moves it to ${before}.`,
          );
        }
        seen.set(key, c.runOn);
      });
      if (problems.length) {
        const shown = problems.slice(0, 5).map((p) => p.message);
        if (problems.length > 5) shown.push(`and ${problems.length - 5} more`);
        throw new ApiError(404, problems[0]!.apiCode, `Nothing was changed. ${shown.join(" ")}`);
      }
      const clients = await facade.call(
        () =>
          control.setLocations(changes.map((c) => ({ clientId: c.clientId, fragmentId: c.fragmentId, side: c.runOn }))),
        () => {
          for (const c of changes) {
            facade.client(c.clientId);
            facade.fragment(c.fragmentId);
          }
        },
      );
      return { clients };
    },

    callOnClient: async (req, reply) => {
      const { clientId } = req.params as { clientId: string };
      const body = req.body as { fragment: string; args: unknown[]; timeoutMs?: number };
      facade.client(clientId);
      facade.fragment(body.fragment);
      if (!control.callOnClientWire)
        throw new ApiError(404, "DCM_API_NOT_FOUND", "This distributor does not run server-initiated calls.");
      try {
        const opts = body.timeoutMs !== undefined ? { timeoutMs: body.timeoutMs } : {};
        return await control.callOnClientWire(clientId, body.fragment, body.args, opts);
      } catch (err) {
        // Every outcome of the call has its own status (504 and 502 too): answered here, not by the 4xx-only handler.
        const { status, code } = err as { status?: unknown; code?: unknown };
        if (typeof status === "number" && typeof code === "string" && code in CATALOG)
          return reply.code(status === 499 ? 409 : status).send(errorBody(code as ErrorCode, (err as Error).message));
        throw err;
      }
    },

    getDefaults: () => ({ fragments: control.getDefaults() }),

    setDefaults: async (req) => {
      const { fragments } = req.body as { fragments: Record<string, Side> };
      for (const f of Object.keys(fragments)) facade.fragment(f);
      const updated = await facade.call(
        () => control.setDefaults(fragments),
        () => {
          for (const f of Object.keys(fragments)) facade.fragment(f);
        },
      );
      return { fragments: updated };
    },

    listFragments: (req) => {
      const { cursor, limit } = pageQuery(req);
      const all = control.fragmentIds();
      const from = cursor === undefined ? 0 : Number(cursor);
      const ids = all.slice(from, from + limit);
      const stats = new Map(control.stats().map((s) => [s.fragment, s]));
      const defaults = control.getDefaults();
      // Without counts kept by the control, they are counted here: O(clients) per request.
      const counted = control.placementCounts ? null : countPlacements(control.listClients());
      return {
        fragments: ids.map((id) => {
          const placement = control.placementCounts?.(id) ?? counted?.get(id) ?? { client: 0, server: 0 };
          const s = stats.get(id);
          const refusal = control.notCallable?.(id);
          return {
            id,
            ...(refusal !== undefined ? { notCallable: refusal } : {}),
            ...(defaults[id] ? { defaultRunOn: defaults[id] } : {}),
            placement,
            stats: { client: s?.client ?? EMPTY_STATS, server: s?.server ?? EMPTY_STATS },
          };
        }),
        next: from + limit < all.length ? String(from + limit) : null,
      };
    },

    deployDist: async (req) => {
      if (!control.deployArchive)
        throw new ApiError(404, "DCM_API_NOT_FOUND", "This distributor does not take live redeploys.");
      return control.deployArchive(req.body as Buffer);
    },
  };
}

/**
 * Registers the API Controller's routes under `prefix` (default `/dcm/api`).
 *
 * Call it directly (`await registerApiController(app, opts)`) or as a plugin
 * (`app.register(registerApiController, opts)`; fastify then applies `prefix`
 * itself and it is not added twice). Everything it adds lives in its own
 * encapsulated scope.
 */
export async function registerApiController(app: FastifyInstance, opts: ApiControllerOptions): Promise<void> {
  const { control } = opts;
  if (!control) throw dcmError("DCM_API_CONFIG", "registerApiController needs `control` (a DistributorControl).");
  const ring = new ApiKeyRing(opts.apiKeys);
  const limit = opts.rateLimit ?? DEFAULT_RATE_LIMIT;
  if (
    !(Number.isInteger(limit.max) && limit.max > 0 && Number.isFinite(limit.timeWindowMs) && limit.timeWindowMs > 0)
  ) {
    throw dcmError("DCM_API_CONFIG", "`rateLimit` needs a positive integer `max` and a positive `timeWindowMs`.");
  }
  const prefix = normalizePrefix(opts.prefix ?? DEFAULT_PREFIX);
  // Registered as a plugin with `{prefix}`: fastify has applied the prefix to `app` already.
  const alreadyPrefixed = prefix !== "" && app.prefix.endsWith(prefix);

  await app.register(
    async (api) => {
      const fullPrefix = api.prefix;
      const facade = new ControlFacade(control, fullPrefix);
      let openApi: string | undefined;

      api.setErrorHandler(apiErrorHandler);
      api.setNotFoundHandler((req, reply) => {
        reply
          .code(404)
          .send(
            errorBody(
              "DCM_API_NOT_FOUND",
              `No route ${req.method} ${clip(req.url.split("?")[0] ?? "")}; GET ${fullPrefix}/openapi.json lists the routes.`,
            ),
          );
      });

      // Routes that need no key: the OpenAPI document.
      for (const r of ROUTES.filter((r) => !r.auth)) {
        api.route({
          method: r.method,
          url: r.path,
          schema: r.serialize === false ? {} : r.schema,
          handler: async (_req, reply) => {
            openApi ??= JSON.stringify(buildOpenApiDocument(fullPrefix));
            return reply.type("application/json; charset=utf-8").send(openApi);
          },
        });
      }

      // Routes behind the API key and the per-key rate limit.
      await api.register(async (secured) => {
        const keyIds = new WeakMap<FastifyRequest, string>();
        secured.addHook("onRequest", async (req) => {
          const r = ring.authenticate(req.headers.authorization, (req.query ?? {}) as Record<string, unknown>);
          if (!r.ok) {
            const challenge =
              r.reason === "invalid" ? 'Bearer realm="dcm-api", error="invalid_token"' : 'Bearer realm="dcm-api"';
            throw new ApiError(401, "DCM_API_UNAUTHORIZED", AUTH_MESSAGES[r.reason], { "WWW-Authenticate": challenge });
          }
          keyIds.set(req, r.keyId);
        });
        // After authentication (onRequest), before the body is parsed: only
        // authenticated requests count, and they count per API key.
        await secured.register(rateLimit, {
          global: true,
          hook: "preParsing",
          max: limit.max,
          timeWindow: limit.timeWindowMs,
          keyGenerator: (req) => keyIds.get(req) ?? "unauthenticated",
          errorResponseBuilder: (_req, ctx) =>
            new ApiError(
              429,
              "DCM_API_RATE_LIMITED",
              `Rate limit of ${ctx.max} requests per ${limit.timeWindowMs / 1000} s exceeded for this API key; retry in ${ctx.after}.`,
            ),
        });
        // PUT /dist: the dist as .tar.gz bytes; checked as an archive by the distributor, not by a JSON schema.
        secured.addContentTypeParser(
          ["application/gzip", "application/x-gzip"],
          { parseAs: "buffer", bodyLimit: MAX_DIST_UPLOAD_BYTES },
          (_req, body, done) => done(null, body),
        );
        const hs = handlers(control, facade);
        for (const r of ROUTES.filter((r) => r.auth)) {
          const handler = hs[r.operationId as Exclude<OperationId, "getOpenApi">];
          secured.route({
            method: r.method,
            url: r.path,
            schema: r.bodyType ? { ...r.schema, body: {} } : r.schema,
            handler: async (req, reply) => handler(req, reply),
          });
        }
      });
    },
    { prefix: alreadyPrefixed ? "" : prefix },
  );
}
