/**
 * The one source of the build service's HTTP shape: JSON schemas and the
 * route table. build-routes.ts hands these schemas to fastify (validation
 * and serialisation); the OpenAPI 3.1 document at GET /dcm/builds/openapi.json
 * is made from the same objects (runtime/server/api/openapi.ts).
 */
import type { OpenApiRoute } from "../../../runtime/server/api/openapi.js";
import { ErrorSchema, type JsonSchema } from "../../../runtime/server/api/schemas.js";

const BUILD_STATES = ["queued", "running", "succeeded", "failed", "cancelled"];

export const DiagnosticSchema: JsonSchema = {
  type: "object",
  required: ["code", "severity", "message"],
  properties: {
    code: { type: "string", description: "A code of docs/errors.md." },
    severity: { type: "string", enum: ["error", "warning", "hint"] },
    message: { type: "string" },
    pos: {
      type: "object",
      required: ["file", "line", "col"],
      properties: {
        file: { type: "string", description: "Relative to the repository's root." },
        line: { type: "integer" },
        col: { type: "integer" },
      },
    },
    suggestion: { type: "string" },
    fragment: { type: "string" },
  },
};

export const StageSchema: JsonSchema = {
  type: "object",
  required: ["name", "startedAt"],
  properties: {
    name: { type: "string", description: "`unpack`, `analysis`, `check`, `generate:<language>`, `compile:<language>`, `package`, `swap`, `store`." },
    startedAt: { type: "string", format: "date-time" },
    ms: { type: "integer", description: "Absent while the stage runs." },
  },
};

export const BuildSchema: JsonSchema = {
  type: "object",
  required: ["id", "state", "createdAt", "updatedAt", "stages", "diagnostics", "cfdPath", "driver", "key"],
  properties: {
    id: { type: "string" },
    key: { type: "string", description: "The build key (sha256 of everything that decides the artifacts)." },
    state: { type: "string", enum: BUILD_STATES },
    reason: { type: "string", description: "Why a build failed or was cancelled: `interrupted`, `wall-time limit`, …" },
    fromStore: { type: "boolean", description: "True when the dist came from the store without building." },
    createdAt: { type: "string", format: "date-time" },
    updatedAt: { type: "string", format: "date-time" },
    cfdPath: { type: "string" },
    driver: { type: "string", enum: ["sandbox", "container", "local"] },
    stages: { type: "array", items: StageSchema },
    diagnostics: { type: "array", items: DiagnosticSchema },
    manifest: { type: "object", additionalProperties: true, description: "The dist's manifest.json (docs/abi.md), once succeeded." },
  },
};

export const SubmissionSchema: JsonSchema = {
  type: "object",
  description: "multipart/form-data. `repo` is required, and one of `cfd` and `cfdPath`.",
  required: ["repo"],
  properties: {
    repo: { type: "string", format: "binary", description: "The repository as a .tar.gz or .zip (told apart by its first bytes)." },
    cfd: { type: "string", format: "binary", description: "The CFD file (YAML); written at `cfdPath` (default `dcm.yaml`) in the repository." },
    cfdPath: { type: "string", description: "The CFD's path inside the repository (relative, `/`-separated)." },
  },
};

export const LanguagesSchema: JsonSchema = {
  type: "object",
  required: ["dcm", "languages"],
  properties: {
    dcm: { type: "string", description: "dcm's version." },
    drivers: { type: "array", items: { type: "string" }, description: "The driver this service builds with." },
    languages: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "displayName", "extensions", "toolchains"],
        properties: {
          id: { type: "string" },
          displayName: { type: "string" },
          extensions: { type: "array", items: { type: "string" } },
          toolchains: {
            type: "array",
            items: {
              type: "object",
              required: ["name", "found"],
              properties: {
                name: { type: "string" },
                found: { type: "boolean" },
                version: { type: "string" },
                installHint: { type: "string" },
              },
            },
          },
        },
      },
    },
  },
};

export const SERVICE_COMPONENTS: Record<string, JsonSchema> = {
  Build: BuildSchema,
  Stage: StageSchema,
  Diagnostic: DiagnosticSchema,
  Error: ErrorSchema,
};

const idParams: JsonSchema = {
  type: "object",
  required: ["id"],
  // Any string (up to 100 characters): an id that is not one of this key's builds is a 404, whatever its form.
  properties: { id: { type: "string", minLength: 1, maxLength: 100, description: "The build id POST answered with." } },
};

const errors = (...codes: number[]): Record<number, JsonSchema> =>
  Object.fromEntries(codes.map((c) => [c, ErrorSchema]));

export const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  202: "Accepted: the build is queued (or answered from the store); `Location` names it",
  206: "Partial content (a Range request)",
  304: "Not modified (If-None-Match matched the ETag)",
  400: "The request is not valid (DCM_SERVICE_BAD_UPLOAD, DCM_SERVICE_CFD_NOT_YAML, DCM_ARCHIVE_*)",
  401: "No valid API key (DCM_API_UNAUTHORIZED)",
  404: "No such build for this key, or no such artifact (DCM_SERVICE_UNKNOWN_BUILD, DCM_SERVICE_NO_DIST)",
  413: "The upload is larger than the service accepts (DCM_REQUEST_TOO_LARGE)",
  416: "The range is not inside the file (DCM_SERVICE_RANGE)",
  422: "The archive is refused by its checks: a hostile or oversized archive (DCM_ARCHIVE_*)",
  429: "Too many requests with this API key (DCM_API_RATE_LIMITED)",
  503: "The service is shutting down, or its Redis is unreachable (DCM_SERVICE_UNAVAILABLE, DCM_REDIS_UNAVAILABLE)",
};

export type ServiceOperation =
  | "submitBuild"
  | "getBuild"
  | "buildEvents"
  | "distFile"
  | "distArchive"
  | "cancelBuild"
  | "listBuilds"
  | "listLanguages"
  | "getOpenApi";

export interface ServiceRoute extends OpenApiRoute {
  operationId: ServiceOperation;
  method: "GET" | "POST" | "DELETE";
  /** Absolute path (fastify syntax). */
  path: string;
  /** false: the success schema is only documented, the handler streams (SSE, files). */
  serialize?: boolean;
}

const etagHeaders = {
  ETag: { schema: { type: "string" }, description: "The file's sha256, quoted." },
  "Cache-Control": { schema: { type: "string" }, description: "`public, max-age=31536000, immutable`: the artifacts of a build never change." },
};

export const SERVICE_ROUTES: ServiceRoute[] = [
  {
    operationId: "submitBuild",
    method: "POST",
    path: "/dcm/builds",
    summary: "Submit a repository and a CFD; answers at once with the queued build",
    description:
      "The archive is checked (and unpacked) before anything is queued: a hostile one is refused with 400/422 and its DCM_ARCHIVE_* code. The same inputs as an earlier build are answered from the store (`state: succeeded`, `fromStore: true`).",
    auth: true,
    bodyType: "multipart/form-data",
    schema: { body: SubmissionSchema, response: { 202: BuildSchema, ...errors(400, 401, 413, 422, 429, 503) } },
    responseHeaders: { 202: { Location: { schema: { type: "string" }, description: "The build's URL." } } },
    serialize: false,
  },
  {
    operationId: "listBuilds",
    method: "GET",
    path: "/dcm/builds",
    summary: "This API key's builds, newest first, a page at a time",
    auth: true,
    schema: {
      querystring: {
        type: "object",
        additionalProperties: false,
        properties: {
          cursor: { type: "string", maxLength: 200, pattern: "^[A-Za-z0-9_-]*$", description: "`next` of the previous page." },
          limit: { type: "integer", minimum: 1, maximum: 100, default: 20, description: "Builds per page (1 to 100)." },
        },
      },
      response: {
        200: {
          type: "object",
          required: ["builds", "next"],
          properties: {
            builds: { type: "array", items: BuildSchema },
            next: { type: ["string", "null"], description: "Cursor of the next page; null on the last." },
          },
        },
        ...errors(400, 401, 429),
      },
    },
  },
  {
    operationId: "getBuild",
    method: "GET",
    path: "/dcm/builds/:id",
    summary: "A build's state, stages, diagnostics and (once succeeded) manifest",
    auth: true,
    schema: { params: idParams, response: { 200: BuildSchema, ...errors(400, 401, 404, 429) } },
  },
  {
    operationId: "cancelBuild",
    method: "DELETE",
    path: "/dcm/builds/:id",
    summary: "Cancel a build: its toolchain processes are killed",
    description:
      "When other submissions share the build (same inputs), only this one is cancelled and the build goes on for them. A finished build is answered as it is.",
    auth: true,
    schema: { params: idParams, response: { 200: BuildSchema, ...errors(400, 401, 404, 429) } },
  },
  {
    operationId: "buildEvents",
    method: "GET",
    path: "/dcm/builds/:id/events",
    summary: "Server-sent events of a build: what happened so far, then live until its final state",
    description:
      "`event:` is the type (queued, stage, output, diagnostic, state), `data:` the JSON of the event, `id:` its sequence number. Send `Last-Event-ID` to resume after an event. Comments (`:`) are heartbeats. The stream ends after the final `state` event.",
    auth: true,
    schema: {
      params: idParams,
      response: { 200: { type: "string", description: "text/event-stream" }, ...errors(400, 401, 404, 429) },
    },
    responseTypes: { 200: "text/event-stream" },
    serialize: false,
  },
  {
    operationId: "distArchive",
    method: "GET",
    path: "/dcm/builds/:id/dist.tar.gz",
    summary: "The whole dist of a succeeded build as a .tar.gz",
    description:
      "Reproducible (times fixed at 1970, no owners) and packed once when the dist was stored: ETag = the archive's sha256; immutable caching; If-None-Match → 304.",
    auth: true,
    schema: {
      params: idParams,
      response: {
        200: { type: "string", format: "binary" },
        304: { type: "string", description: "No body." },
        ...errors(400, 401, 404, 429),
      },
    },
    responseTypes: { 200: "application/gzip" },
    responseHeaders: { 200: etagHeaders },
    serialize: false,
  },
  {
    operationId: "distFile",
    method: "GET",
    path: "/dcm/builds/:id/dist/*",
    docPath: "/dcm/builds/:id/dist/{file}",
    summary: "One artifact of a succeeded build (`manifest.json`, `client/go.wasm`, …)",
    description: "ETag = the file's sha256; immutable caching; If-None-Match → 304; one `Range: bytes=` range → 206 (or 416).",
    auth: true,
    schema: {
      params: {
        type: "object",
        required: ["id", "*"],
        properties: { id: idParams.properties && (idParams.properties as Record<string, JsonSchema>).id, "*": { type: "string", description: "The file's path in the dist." } },
      },
      response: {
        200: { type: "string", format: "binary" },
        206: { type: "string", format: "binary" },
        304: { type: "string", description: "No body." },
        ...errors(400, 401, 404, 416, 429),
      },
    },
    responseTypes: { 200: "application/octet-stream", 206: "application/octet-stream" },
    responseHeaders: { 200: etagHeaders, 206: etagHeaders },
    serialize: false,
  },
  {
    operationId: "listLanguages",
    method: "GET",
    path: "/dcm/languages",
    summary: "The languages this service builds, the toolchains it found and their versions",
    auth: true,
    schema: { response: { 200: LanguagesSchema, ...errors(401, 429) } },
  },
  {
    operationId: "getOpenApi",
    method: "GET",
    path: "/dcm/builds/openapi.json",
    summary: "This document (no API key needed)",
    auth: false,
    schema: { response: { 200: { type: "object", additionalProperties: true } } },
    serialize: false,
  },
];
