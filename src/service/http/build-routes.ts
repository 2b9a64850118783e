/**
 * The build service's routes (the table and schemas: build-schemas.ts),
 * behind the same Bearer API keys and per-key rate limit as `dcm run`'s API
 * (runtime/server/api/auth.ts). Errors are `{"error":{"code","message"}}`
 * (runtime/server/http-shape.ts). A build of another key answers 404, like
 * an unknown id: ids are not secrets, but another key's builds stay invisible.
 */
import { extname } from "node:path";
import multipart from "@fastify/multipart";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { distPathProblem } from "../../../runtime/abi/dist-paths.js";
import { DcmError } from "../../../runtime/diagnostics/catalog.js";
import { AUTH_MESSAGES, ApiKeyRing } from "../../../runtime/server/api/auth.js";
import { ApiError, apiErrorHandler } from "../../../runtime/server/api/errors.js";
import { openApiDocument } from "../../../runtime/server/api/openapi.js";
import { clip, errorBody } from "../../../runtime/server/http-shape.js";
import type { BuildRecord } from "../service-types.js";
import { SERVICE_COMPONENTS, SERVICE_ROUTES, STATUS_TEXT, type ServiceOperation } from "./build-schemas.js";
import { streamEvents } from "./sse.js";
import type { BuildServiceCore, Submission } from "../build-service-core.js";

export class ServiceError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Archive refusals the upload's form causes (400) against what its content is (422). */
const MALFORMED = new Set(["DCM_ARCHIVE_KIND", "DCM_ARCHIVE_CORRUPT", "DCM_ARCHIVE_NOT_TAR", "DCM_ARCHIVE_EMPTY"]);

export function statusOfDcmError(e: DcmError): number {
  const code = e.diagnostics[0]?.code ?? "";
  if (code === "DCM_ARCHIVE_DEST" || code === "DCM_SERVICE_STORE") return 500;
  if (code.split("_")[1] === "ARCHIVE") return MALFORMED.has(code) ? 400 : 422;
  // The service shutting down, or its Redis unreachable (DCM_REDIS_UNAVAILABLE of the Redis backend).
  if (code.endsWith("_UNAVAILABLE")) return 503;
  return 400;
}

function serviceErrorHandler(err: Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof ServiceError) {
    for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
    return reply.code(err.statusCode).send(errorBody(err.code, err.message));
  }
  if (err instanceof DcmError) {
    const d = err.diagnostics[0]!;
    const status = statusOfDcmError(err);
    if (status === 503) reply.header("retry-after", "5");
    const message = d.suggestion ? `${d.message} (${d.suggestion})` : d.message;
    return reply.code(status).send(errorBody(d.code, message));
  }
  const code = (err as { code?: string }).code;
  if (code === "FST_REQ_FILE_TOO_LARGE" || code === "FST_PARTS_LIMIT" || code === "FST_FILES_LIMIT")
    return reply.code(413).send(errorBody("DCM_REQUEST_TOO_LARGE", `${err.message} (the upload limit of this service)`));
  if (code === "FST_INVALID_MULTIPART_CONTENT_TYPE")
    return reply.code(400).send(errorBody("DCM_SERVICE_BAD_UPLOAD", "the request is not multipart/form-data"));
  return apiErrorHandler(err as Parameters<typeof apiErrorHandler>[0], req, reply);
}

/** The record as the API shows it (the schema drops nothing it needs). */
function view(r: BuildRecord): Omit<BuildRecord, "owner"> {
  const { owner: _owner, ...rest } = r;
  return rest;
}

const TYPES: Record<string, string> = {
  ".wasm": "application/wasm",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

/** One `bytes=` range of a file of `size` bytes; null when absent or not one range (the whole file then), "bad" when unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | "bad" {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return header.trim().startsWith("bytes=") && header.includes(",") ? null : "bad";
  const [a, b] = [m[1]!, m[2]!];
  if (a === "" && b === "") return "bad";
  let start: number;
  let end: number;
  if (a === "") {
    const n = Number(b);
    if (n === 0) return "bad";
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || end < start) return "bad";
  return { start, end };
}

export interface RouteOptions {
  core: BuildServiceCore;
  apiKeys: readonly string[];
  rateLimit: { max: number; timeWindowMs: number };
  /** Largest upload, bytes (413 past it). */
  uploadLimitBytes: number;
  heartbeatMs: number;
}

export async function registerBuildRoutes(app: FastifyInstance, opts: RouteOptions): Promise<void> {
  const { core } = opts;
  const ring = new ApiKeyRing(opts.apiKeys);
  let openApi: string | undefined;
  app.setErrorHandler(serviceErrorHandler);
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .send(errorBody("DCM_HTTP_NOT_FOUND", `no route ${req.method} ${clip(req.url.split("?")[0] ?? "")}; GET /dcm/builds/openapi.json lists the routes`));
  });
  const route = (op: ServiceOperation) => SERVICE_ROUTES.find((r) => r.operationId === op)!;
  const schemaOf = (op: ServiceOperation) => {
    const r = route(op);
    if (r.serialize !== false) return r.schema;
    const { response: _r, body: _b, ...rest } = r.schema;
    return rest;
  };

  app.get(route("getOpenApi").path, async (_req, reply) => {
    openApi ??= JSON.stringify(
      openApiDocument({
        prefix: "",
        routes: SERVICE_ROUTES,
        components: SERVICE_COMPONENTS,
        statusText: STATUS_TEXT,
        info: {
          title: "dcm build service",
          version: "1",
          description:
            "Submit a repository and a CFD, follow the build, download its artifacts. Every route but this document needs `Authorization: Bearer <key>`; see docs/build-service.md.",
        },
        keyDescription: "An API key from the service's DCM_API_KEYS.",
      }),
    );
    return reply.type("application/json; charset=utf-8").send(openApi);
  });

  await app.register(async (secured) => {
    const owners = new WeakMap<FastifyRequest, string>();
    secured.addHook("onRequest", async (req) => {
      const r = ring.authenticate(req.headers.authorization, (req.query ?? {}) as Record<string, unknown>);
      if (!r.ok) {
        const challenge =
          r.reason === "invalid" ? 'Bearer realm="dcm-builds", error="invalid_token"' : 'Bearer realm="dcm-builds"';
        throw new ApiError(401, "DCM_API_UNAUTHORIZED", AUTH_MESSAGES[r.reason], { "WWW-Authenticate": challenge });
      }
      owners.set(req, r.keyId);
    });
    await secured.register(rateLimit, {
      global: true,
      hook: "preParsing",
      max: opts.rateLimit.max,
      timeWindow: opts.rateLimit.timeWindowMs,
      keyGenerator: (req) => owners.get(req) ?? "unauthenticated",
      errorResponseBuilder: (_req, ctx) =>
        new ApiError(429, "DCM_API_RATE_LIMITED", `Rate limit of ${ctx.max} requests per ${opts.rateLimit.timeWindowMs / 1000} s exceeded for this API key; retry in ${ctx.after}.`),
    });
    await secured.register(multipart, {
      limits: { fileSize: opts.uploadLimitBytes, files: 2, fields: 4, parts: 6, fieldSize: 4096 },
      throwFileSizeLimit: true,
    });
    const owner = (req: FastifyRequest) => owners.get(req)!;
    const mine = async (req: FastifyRequest): Promise<BuildRecord> => {
      const { id } = req.params as { id: string };
      const r = await core.get(id);
      if (!r || r.owner !== owner(req))
        throw new ServiceError(404, "DCM_SERVICE_UNKNOWN_BUILD", `no build ${clip(id)} for this API key`);
      return r;
    };

    secured.post(route("submitBuild").path, { schema: schemaOf("submitBuild") }, async (req, reply) => {
      if (!req.isMultipart())
        throw new ServiceError(400, "DCM_SERVICE_BAD_UPLOAD", "the request is not multipart/form-data: send `repo` (and `cfd` or `cfdPath`) as form parts");
      const sub: Partial<Submission> = {};
      for await (const part of req.parts()) {
        if (part.type === "file") {
          const data = await part.toBuffer();
          if (part.fieldname === "repo") sub.archive = data;
          else if (part.fieldname === "cfd") sub.cfdText = data.toString("utf8");
          else throw new ServiceError(400, "DCM_SERVICE_BAD_UPLOAD", `unknown file part \`${clip(part.fieldname)}\`: send \`repo\` and \`cfd\``);
        } else if (part.fieldname === "cfdPath") sub.cfdPath = String(part.value);
        else if (part.fieldname === "cfd") sub.cfdText = String(part.value);
        else throw new ServiceError(400, "DCM_SERVICE_BAD_UPLOAD", `unknown field \`${clip(part.fieldname)}\`: send \`repo\`, \`cfd\` or \`cfdPath\``);
      }
      if (!sub.archive) throw new ServiceError(400, "DCM_SERVICE_BAD_UPLOAD", "no `repo` part: attach the repository as a .tar.gz or .zip");
      if (sub.cfdText === undefined && sub.cfdPath === undefined)
        throw new ServiceError(400, "DCM_SERVICE_BAD_UPLOAD", "neither `cfd` nor `cfdPath`: attach the CFD file, or name its path inside the archive");
      const record = await core.submit({ ...(sub as Submission), owner: owner(req) });
      return reply.code(202).header("location", `/dcm/builds/${record.id}`).send(view(record));
    });

    secured.get(route("listBuilds").path, { schema: schemaOf("listBuilds") }, async (req) => {
      const q = req.query as { cursor?: string; limit?: number };
      const page = await core.state.listByOwner(owner(req), { limit: q.limit ?? 20, ...(q.cursor ? { cursor: q.cursor } : {}) });
      return { builds: page.items.map(view), next: page.next ?? null };
    });

    secured.get(route("getBuild").path, { schema: schemaOf("getBuild") }, async (req) => view(await mine(req)));

    secured.delete(route("cancelBuild").path, { schema: schemaOf("cancelBuild") }, async (req) => view(await core.cancel(await mine(req))));

    secured.get(route("buildEvents").path, { schema: schemaOf("buildEvents") }, async (req, reply) => {
      const r = await mine(req);
      const last = Number(req.headers["last-event-id"] ?? 0);
      await streamEvents(reply, core.state, r.id, Number.isInteger(last) && last > 0 ? last : 0, opts.heartbeatMs);
    });

    secured.get(route("distArchive").path, { schema: schemaOf("distArchive") }, async (req, reply) => {
      const r = await mine(req);
      if (r.state !== "succeeded") throw new ServiceError(404, "DCM_SERVICE_NO_DIST", `build ${r.id} is ${r.state}, not succeeded: it has no dist`);
      const archive = await core.distArchive(r.key);
      if (!archive) throw new ServiceError(404, "DCM_SERVICE_NO_DIST", `the dist of build ${r.id} is no longer in the store`);
      const etag = `"${archive.sha256}"`;
      reply
        .type("application/gzip")
        .header("etag", etag)
        .header("content-disposition", `attachment; filename="dist-${r.id}.tar.gz"`)
        .header("cache-control", "private, max-age=31536000, immutable");
      const inm = req.headers["if-none-match"];
      if (inm && inm.split(",").some((t) => t.trim() === etag || t.trim() === "*")) {
        (archive.stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
        return reply.code(304).send();
      }
      return reply.header("content-length", archive.size).send(archive.stream);
    });

    secured.get(route("distFile").path, { schema: schemaOf("distFile") }, async (req, reply) => {
      const r = await mine(req);
      const path = (req.params as { "*": string })["*"];
      if (distPathProblem(path) !== null)
        throw new ServiceError(404, "DCM_SERVICE_NO_DIST", `\`${clip(path)}\` is not a file path of a dist`);
      if (r.state !== "succeeded") throw new ServiceError(404, "DCM_SERVICE_NO_DIST", `build ${r.id} is ${r.state}, not succeeded: it has no dist`);
      const files = await core.store.listDist(r.key);
      const f = files?.find((x) => x.path === path);
      if (!f) throw new ServiceError(404, "DCM_SERVICE_NO_DIST", `the dist of build ${r.id} has no file \`${clip(path)}\``);
      const etag = `"${f.sha256}"`;
      reply
        .header("etag", etag)
        .header("cache-control", "private, max-age=31536000, immutable")
        .header("accept-ranges", "bytes")
        .header("x-content-type-options", "nosniff")
        .type(TYPES[extname(path)] ?? "application/octet-stream");
      const inm = req.headers["if-none-match"];
      if (inm && inm.split(",").some((t) => t.trim() === etag || t.trim() === "*")) return reply.code(304).send();
      const range = parseRange(req.headers.range, f.size);
      if (range === "bad")
        throw new ServiceError(416, "DCM_SERVICE_RANGE", `the range \`${clip(req.headers.range ?? "")}\` is not inside the file's ${f.size} bytes`, {
          "content-range": `bytes */${f.size}`,
        });
      const read = await core.store.readDistFile(r.key, path, range ?? undefined);
      if (!read) throw new ServiceError(404, "DCM_SERVICE_NO_DIST", `the dist of build ${r.id} has no file \`${clip(path)}\``);
      if (range) reply.code(206).header("content-range", `bytes ${range.start}-${range.end}/${f.size}`);
      return reply.header("content-length", read.size).send(read.stream);
    });

    secured.get(route("listLanguages").path, { schema: schemaOf("listLanguages") }, async () => core.languagesInfo());
  });
}
