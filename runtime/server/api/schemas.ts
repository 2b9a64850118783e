/**
 * The one source of the API's shape: JSON schemas and the route table.
 * controller.ts hands these schemas to fastify (validation and serialisation);
 * openapi.ts builds the OpenAPI 3.1 document from the same objects.
 */

export type JsonSchema = { [key: string]: unknown };

const side = { type: "string", enum: ["client", "server"], description: "Where a fragment runs." } as const;
/** 100 is also fastify's default `maxParamLength`: longer path ids get 414 from the router. */
const id = { type: "string", minLength: 1, maxLength: 100 } as const;

export const SideSchema: JsonSchema = { ...side };

export const DistributionSchema: JsonSchema = {
  type: "object",
  description: "Fragment id -> side.",
  additionalProperties: SideSchema,
};

export const ClientInfoSchema: JsonSchema = {
  type: "object",
  required: ["clientId", "connected", "lastSeenAt", "distribution", "version"],
  properties: {
    clientId: { type: "string" },
    subject: { type: "string", description: "Subject of the client's token (the user), when known." },
    connected: { type: "boolean" },
    connectedAt: { type: "string", format: "date-time" },
    lastSeenAt: { type: "string", format: "date-time" },
    distribution: DistributionSchema,
    version: { type: "integer", description: "Version of the distribution, bumped on every change." },
    moved: {
      type: "array",
      items: { type: "string" },
      description:
        "In answers to placement changes: every fragment whose placement the request changed, the other members of a moved group included (groups move as one, docs/state-transfer.md).",
    },
  },
};

export const PlacementSchema: JsonSchema = {
  type: "object",
  required: ["clientId", "fragmentId", "runOn"],
  properties: {
    clientId: { type: "string" },
    fragmentId: { type: "string" },
    runOn: SideSchema,
    version: { type: "integer", description: "The client's distribution version after the request." },
    moved: {
      type: "array",
      items: { type: "string" },
      description:
        "In answers to PUT: every fragment whose placement changed, the other members of the fragment's group included.",
    },
  },
};

export const SideStatsSchema: JsonSchema = {
  type: "object",
  required: ["calls", "errors", "p50Ms", "p99Ms"],
  properties: {
    calls: { type: "integer", minimum: 0 },
    errors: { type: "integer", minimum: 0 },
    p50Ms: { type: ["number", "null"], description: "Median latency in ms; null without calls." },
    p99Ms: { type: ["number", "null"], description: "99th percentile latency in ms; null without calls." },
  },
};

export const FragmentSummarySchema: JsonSchema = {
  type: "object",
  required: ["id", "placement", "stats"],
  properties: {
    id: { type: "string" },
    notCallable: {
      type: "string",
      description:
        "Why the fragment cannot be called (DCM_NOT_CALLABLE's message): a type or variable, a dependency without `runOn`, or a signature that cannot cross the boundary. Absent when it can be called.",
    },
    defaultRunOn: { ...side, description: "Side new clients start with (absent if the fragment has no default)." },
    placement: {
      type: "object",
      description: "How many known clients run the fragment on each side.",
      required: ["client", "server"],
      properties: { client: { type: "integer" }, server: { type: "integer" } },
    },
    stats: {
      type: "object",
      required: ["client", "server"],
      properties: { client: SideStatsSchema, server: SideStatsSchema },
    },
  },
};

export const ErrorSchema: JsonSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", description: "A code of docs/errors.md (DCM_API_*)." },
        message: { type: "string" },
      },
    },
  },
};

/** Named schemas: the OpenAPI document refers to them as #/components/schemas/<name>. */
export const COMPONENT_SCHEMAS: Record<string, JsonSchema> = {
  Side: SideSchema,
  Distribution: DistributionSchema,
  ClientInfo: ClientInfoSchema,
  Placement: PlacementSchema,
  SideStats: SideStatsSchema,
  FragmentSummary: FragmentSummarySchema,
  Error: ErrorSchema,
};

const clientParams: JsonSchema = {
  type: "object",
  required: ["clientId"],
  properties: { clientId: { ...id, description: "Id of a client known to the distributor." } },
};

const placementParams: JsonSchema = {
  type: "object",
  required: ["clientId", "fragmentId"],
  properties: {
    clientId: { ...id, description: "Id of a client known to the distributor." },
    fragmentId: { ...id, description: "Id of a fragment in the manifest." },
  },
};

const change: JsonSchema = {
  type: "object",
  required: ["clientId", "fragmentId", "runOn"],
  additionalProperties: false,
  properties: { clientId: id, fragmentId: id, runOn: SideSchema },
};

/** `?cursor=&limit=` of the list routes. */
const pageQuery: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    cursor: {
      type: "string",
      pattern: "^[0-9]{0,15}$",
      description: "`next` of the previous page; absent or empty for the first page.",
    },
    limit: { type: "integer", minimum: 1, maximum: 1000, default: 100, description: "Items per page (1 to 1000)." },
  },
};

const nextCursor: JsonSchema = {
  type: ["string", "null"],
  description: "Cursor of the next page (pass it as `cursor`); null on the last page.",
};

export type OperationId =
  | "listClients"
  | "getClient"
  | "getPlacement"
  | "setPlacement"
  | "setDistribution"
  | "getDefaults"
  | "setDefaults"
  | "listFragments"
  | "callOnClient"
  | "deployDist"
  | "getOpenApi";

export interface RouteDef {
  operationId: OperationId;
  method: "GET" | "PUT" | "POST";
  /** Relative to the prefix, fastify syntax (`:param`). */
  path: string;
  summary: string;
  description?: string;
  /** false: no API key needed and no rate limit. */
  auth: boolean;
  schema: {
    params?: JsonSchema;
    querystring?: JsonSchema;
    body?: JsonSchema;
    /** Status code -> schema of the JSON reply. */
    response: Record<number, JsonSchema>;
  };
  /** false: the 200 schema is only documented, not used by fastify to serialise. */
  serialize?: boolean;
  /** A body that is not JSON (its media type): read as bytes, `schema.body` only documents it. */
  bodyType?: string;
}

/** Largest dist `PUT /dist` accepts, bytes of the .tar.gz. */
export const MAX_DIST_UPLOAD_BYTES = 256 * 1024 * 1024;

export const DeployResultSchema: JsonSchema = {
  type: "object",
  required: ["id", "previous", "clients", "stateReset", "added", "removed"],
  properties: {
    id: { type: "string", description: "The new dist's manifest buildKey." },
    previous: { type: "string", description: "The buildKey of the dist it replaced." },
    clients: { type: "integer", minimum: 0, description: "Connected clients told to switch (an `updateFragments` with `deploy`)." },
    stateReset: {
      type: "array",
      items: { type: "string" },
      description: "Groups whose state restarts from its initial values (state types changed, or the group is gone).",
    },
    added: { type: "array", items: { type: "string" }, description: "Fragment ids the new dist adds." },
    removed: { type: "array", items: { type: "string" }, description: "Fragment ids the new dist no longer has." },
  },
};

const errors = (...codes: number[]): Record<number, JsonSchema> =>
  Object.fromEntries(codes.map((c) => [c, ErrorSchema]));

const authErrors = [401, 429];

export const ROUTES: RouteDef[] = [
  {
    operationId: "listClients",
    method: "GET",
    path: "/clients",
    summary: "List the clients known to the distributor, with their distributions, a page at a time",
    description:
      "Clients in a stable order, `limit` per page (default 100, at most 1000). Follow `next` until it is null: a client that exists during the whole walk appears exactly once, even while others come and go.",
    auth: true,
    schema: {
      querystring: pageQuery,
      response: {
        200: {
          type: "object",
          required: ["clients", "next"],
          properties: { clients: { type: "array", items: ClientInfoSchema }, next: nextCursor },
        },
        ...errors(400, ...authErrors),
      },
    },
  },
  {
    operationId: "getClient",
    method: "GET",
    path: "/clients/:clientId",
    summary: "One client and its distribution",
    auth: true,
    schema: { params: clientParams, response: { 200: ClientInfoSchema, ...errors(400, ...authErrors, 404) } },
  },
  {
    operationId: "getPlacement",
    method: "GET",
    path: "/clients/:clientId/fragments/:fragmentId",
    summary: "Where one fragment runs for one client",
    auth: true,
    schema: { params: placementParams, response: { 200: PlacementSchema, ...errors(400, ...authErrors, 404) } },
  },
  {
    operationId: "setPlacement",
    method: "PUT",
    path: "/clients/:clientId/fragments/:fragmentId",
    summary: "Move one fragment of one client",
    description:
      "Sets where the fragment runs for this client; its whole group moves with it (docs/state-transfer.md). A stateless fragment moves at once (`updateFragments`); a stateful group moves with its state (transferBegin … transferResult) and the answer comes when the move has committed. 409 DCM_TRANSFER_FAILED: the client is not connected, or could not restore the state, and the group stays; 504 DCM_TRANSFER_TIMEOUT: the move did not finish within transferTimeoutMs, and the group stays.",
    auth: true,
    schema: {
      params: placementParams,
      body: { type: "object", required: ["runOn"], additionalProperties: false, properties: { runOn: SideSchema } },
      response: { 200: PlacementSchema, ...errors(400, ...authErrors, 404, 409, 504) },
    },
  },
  {
    operationId: "setDistribution",
    method: "POST",
    path: "/distribution",
    summary: "Move several fragments of several clients at once",
    description:
      "All ids are checked first: if any is unknown, nothing changes (404); a request that puts members of one group on different sides changes nothing (400 DCM_GROUP_SPLIT). Otherwise each named fragment's group moves with it: stateless fragments at once (one `updateFragments` per client), stateful groups with their state (409/504 as for PUT .../fragments/{fragmentId}).",
    auth: true,
    schema: {
      body: {
        type: "object",
        required: ["changes"],
        additionalProperties: false,
        properties: { changes: { type: "array", minItems: 1, maxItems: 10000, items: change } },
      },
      response: {
        200: {
          type: "object",
          required: ["clients"],
          properties: {
            clients: { type: "array", items: ClientInfoSchema, description: "The affected clients, after the change." },
          },
        },
        ...errors(400, ...authErrors, 404, 409, 504),
      },
    },
  },
  {
    operationId: "getDefaults",
    method: "GET",
    path: "/defaults",
    summary: "The distribution new clients start with",
    auth: true,
    schema: {
      response: {
        200: { type: "object", required: ["fragments"], properties: { fragments: DistributionSchema } },
        ...errors(...authErrors),
      },
    },
  },
  {
    operationId: "setDefaults",
    method: "PUT",
    path: "/defaults",
    summary: "Change the distribution new clients start with",
    description: "Only the fragments named in the body change; clients already connected keep their distribution.",
    auth: true,
    schema: {
      body: {
        type: "object",
        required: ["fragments"],
        additionalProperties: false,
        properties: { fragments: DistributionSchema },
      },
      response: {
        200: { type: "object", required: ["fragments"], properties: { fragments: DistributionSchema } },
        ...errors(400, ...authErrors, 404),
      },
    },
  },
  {
    operationId: "listFragments",
    method: "GET",
    path: "/fragments",
    summary: "Fragment ids with call statistics per side, a page at a time",
    description:
      "Fragments in manifest order, `limit` per page (default 100, at most 1000); follow `next` until it is null.",
    auth: true,
    schema: {
      querystring: pageQuery,
      response: {
        200: {
          type: "object",
          required: ["fragments", "next"],
          properties: { fragments: { type: "array", items: FragmentSummarySchema }, next: nextCursor },
        },
        ...errors(400, ...authErrors),
      },
    },
  },
  {
    operationId: "callOnClient",
    method: "POST",
    path: "/clients/:clientId/calls",
    summary: "Run a fragment for one client, where that client's distribution places it",
    description:
      "Runs the fragment in the client (a server-initiated `callFunction`, answered by the client) when it is client-placed for this client, else on the server as this client's call (its per-client state applies). `args` and `value` are wire values (docs/protocol.md: 64-bit integers as `{\"$i\": \"…\"}`, bytes as `{\"$b\": \"<base64>\"}`, maps as `{\"$m\": [[k, v], …]}`). Errors: 404 unknown client or fragment; 409 the client is not connected or disconnected mid-call (`DCM_CLIENT_DISCONNECTED`; whether it ran is unknown); 403 the client refused (`DCM_CALL_REFUSED`: a fragment it keeps private); 422 the fragment failed or is not callable (its own code); 504 no answer in time (`DCM_CALL_TIMEOUT`).",
    auth: true,
    schema: {
      params: clientParams,
      body: {
        type: "object",
        required: ["fragment", "args"],
        additionalProperties: false,
        properties: {
          fragment: { ...id, description: "Id of a fragment in the manifest." },
          args: { type: "array", maxItems: 256, description: "One wire value per parameter." },
          timeoutMs: { type: "integer", minimum: 1, maximum: 600000, description: "Capped at the server's call timeout." },
        },
      },
      response: {
        200: {
          type: "object",
          required: ["value", "ranOn", "ms"],
          properties: {
            value: { description: "The result as a wire value (null for no result, an array for several)." },
            ranOn: SideSchema,
            ms: { type: "number", description: "Milliseconds from the request to the answer." },
          },
        },
        ...errors(400, ...authErrors, 403, 404, 409, 422, 502, 504),
      },
    },
  },
  {
    operationId: "deployDist",
    method: "PUT",
    path: "/dist",
    summary: "Deploy a new build of the application to the running server (live redeploy)",
    description:
      "The body is the dist folder as a .tar.gz (`content-type: application/gzip`, at most 256 MiB). It is checked as hostile input (the archive checks of the build service), unpacked into a folder of the server's own, verified like at start-up (manifest, sha256 of every module) and loaded; then new calls go to it while calls in flight finish on the old dist, and every connected client is told to switch between calls (docs/redeploy.md). A dist that is refused leaves the running one untouched: 400 (not a .tar.gz, bad manifest, missing or altered module, no glue for a module), 413 (too large), 422 (a hostile archive: DCM_ARCHIVE_*, or a dist that fails to load: DCM_DEPLOY_REFUSED).",
    auth: true,
    bodyType: "application/gzip",
    schema: {
      body: { type: "string", format: "binary", description: "The dist folder as .tar.gz (`dcm deploy` packs it reproducibly)." },
      response: { 200: DeployResultSchema, ...errors(400, ...authErrors, 413, 422) },
    },
  },
  {
    operationId: "getOpenApi",
    method: "GET",
    path: "/openapi.json",
    summary: "This OpenAPI 3.1 document",
    auth: false,
    serialize: false,
    schema: { response: { 200: { type: "object", description: "An OpenAPI 3.1 document." } } },
  },
];
