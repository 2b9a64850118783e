/**
 * Builds an OpenAPI 3.1 document from a route table whose schema objects are
 * the ones fastify validates and serialises with: the distributor API's
 * (schemas.ts, buildOpenApiDocument) and the build service's
 * (src/service/http, through openApiDocument). A schema object that is one of
 * the component schemas (by identity) becomes a `$ref`.
 */
import { COMPONENT_SCHEMAS, type JsonSchema, ROUTES, type RouteDef } from "./schemas.js";

/** What openApiDocument needs of a route: RouteDef's fields, any method, other media types. */
export interface OpenApiRoute {
  operationId: string;
  method: string;
  path: string;
  summary: string;
  description?: string;
  auth: boolean;
  schema: {
    params?: JsonSchema;
    querystring?: JsonSchema;
    body?: JsonSchema;
    response: Record<number, JsonSchema>;
  };
  /** The request body's media type (default application/json). */
  bodyType?: string;
  /** Media type per status code (default application/json). */
  responseTypes?: Record<number, string>;
  /** The path in the document when it differs (a fastify wildcard `*` → `{file}`). */
  docPath?: string;
  /** Response headers per status code, beyond the 401/429 ones. */
  responseHeaders?: Record<number, Record<string, { schema: JsonSchema; description: string }>>;
}

export interface OpenApiSpec {
  prefix: string;
  routes: readonly OpenApiRoute[];
  components: Record<string, JsonSchema>;
  info: { title: string; version: string; description: string };
  /** Description per status code. */
  statusText: Record<number, string>;
  /** How the bearer key is described. */
  keyDescription: string;
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  400: "The request does not match the schema (DCM_API_BAD_REQUEST), or a fragment that is not callable cannot be moved (DCM_NOT_CALLABLE)",
  401: "No valid API key (DCM_API_UNAUTHORIZED)",
  404: "Unknown client or fragment (DCM_API_UNKNOWN_CLIENT, DCM_API_UNKNOWN_FRAGMENT)",
  413: "The body is larger than the route accepts (DCM_REQUEST_TOO_LARGE)",
  422: "The uploaded dist was refused: a hostile archive (DCM_ARCHIVE_*) or a dist that fails to load (DCM_DEPLOY_REFUSED)",
  429: "Too many requests with this API key (DCM_API_RATE_LIMITED)",
};

/** Deep copy, replacing component schemas (matched by identity) with `$ref`s. */
function withRefs(schema: unknown, byObject: Map<unknown, string>, top: unknown): unknown {
  if (schema !== top && byObject.has(schema)) return { $ref: `#/components/schemas/${byObject.get(schema)}` };
  if (Array.isArray(schema)) return schema.map((s) => withRefs(s, byObject, top));
  if (schema && typeof schema === "object") {
    return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, withRefs(v, byObject, top)]));
  }
  return schema;
}

/** `/clients/:clientId` -> `/clients/{clientId}`. */
export function openApiPath(prefix: string, path: string): string {
  return `${prefix}${path}`.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

function operation(r: OpenApiRoute, ref: (s: JsonSchema) => unknown, statusText: Record<number, string>): Record<string, unknown> {
  const op: Record<string, unknown> = { operationId: r.operationId, summary: r.summary };
  if (r.description) op.description = r.description;
  if (!r.auth) op.security = [];
  const params = r.schema.params;
  if (params) {
    const props = (params.properties ?? {}) as Record<string, JsonSchema>;
    op.parameters = Object.entries(props).map(([key, s]) => {
      const name = key === "*" ? (r.docPath?.match(/\{([^}]+)\}$/)?.[1] ?? "path") : key;
      const { description, ...schema } = s;
      const p: Record<string, unknown> = { name, in: "path", required: true, schema: ref(schema) };
      if (description) p.description = description;
      return p;
    });
  }
  const query = r.schema.querystring;
  if (query) {
    const props = (query.properties ?? {}) as Record<string, JsonSchema>;
    const list = (op.parameters as unknown[] | undefined) ?? [];
    for (const [name, s] of Object.entries(props)) {
      const { description, ...schema } = s;
      const p: Record<string, unknown> = { name, in: "query", required: false, schema: ref(schema) };
      if (description) p.description = description;
      list.push(p);
    }
    op.parameters = list;
  }
  if (r.schema.body) {
    op.requestBody = { required: true, content: { [r.bodyType ?? "application/json"]: { schema: ref(r.schema.body) } } };
  }
  const responses: Record<string, unknown> = {};
  for (const [code, schema] of Object.entries(r.schema.response)) {
    const res: Record<string, unknown> = {
      description: statusText[Number(code)] ?? "",
      content: { [r.responseTypes?.[Number(code)] ?? "application/json"]: { schema: ref(schema) } },
    };
    const extra = r.responseHeaders?.[Number(code)];
    if (extra) res.headers = { ...extra };
    if (code === "401") res.headers = { "WWW-Authenticate": { schema: { type: "string" }, description: "`Bearer`" } };
    if (code === "429") {
      res.headers = {
        "Retry-After": { schema: { type: "integer" }, description: "Seconds until the API key may send again." },
      };
    }
    responses[code] = res;
  }
  op.responses = responses;
  return op;
}

export function openApiDocument(spec: OpenApiSpec): Record<string, unknown> {
  const byObject = new Map<unknown, string>(Object.entries(spec.components).map(([name, s]) => [s, name]));
  const ref = (s: JsonSchema) => withRefs(s, byObject, undefined);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of spec.routes) {
    const p = openApiPath(spec.prefix, r.docPath ?? r.path);
    paths[p] ??= {};
    paths[p][r.method.toLowerCase()] = operation(r, ref, spec.statusText);
  }
  const components = Object.fromEntries(
    Object.entries(spec.components).map(([name, s]) => [name, withRefs(s, byObject, s)]),
  );
  return {
    openapi: "3.1.0",
    info: spec.info,
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: spec.keyDescription } },
      schemas: components,
    },
  };
}

export function buildOpenApiDocument(prefix: string, routes: RouteDef[] = ROUTES): Record<string, unknown> {
  return openApiDocument({
    prefix,
    routes,
    components: COMPONENT_SCHEMAS,
    statusText: STATUS_TEXT,
    info: {
      title: "dcm API Controller",
      version: "1",
      description:
        "Inspect connected clients and move fragments between client and server at runtime. " +
        "Every route but this document needs `Authorization: Bearer <key>`; see docs/api.md.",
    },
    keyDescription: "An API key from DCM_API_KEYS.",
  });
}
