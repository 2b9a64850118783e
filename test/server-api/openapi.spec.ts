import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTES } from "../../runtime/server/api/index.js";
import { startServer, type TestServer } from "./harness.js";

type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  security: unknown[];
};
type Operation = {
  operationId: string;
  security?: unknown[];
  parameters?: Array<{ name: string; in: string; required: boolean; schema: unknown; description?: string }>;
  requestBody?: { required: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema: unknown }>; headers?: Record<string, unknown> }
  >;
};

/** Replaces every `$ref` into components by the component itself. */
function deref(x: unknown, doc: Doc): unknown {
  if (Array.isArray(x)) return x.map((v) => deref(v, doc));
  if (x && typeof x === "object") {
    const ref = (x as { $ref?: unknown }).$ref;
    if (typeof ref === "string") {
      const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
      expect(m, `unresolvable $ref ${ref}`).not.toBeNull();
      expect(doc.components.schemas, `missing component ${ref}`).toHaveProperty(m![1]!);
      return deref(doc.components.schemas[m![1]!], doc);
    }
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, deref(v, doc)]));
  }
  return x;
}

function collectRefs(x: unknown, out: string[] = []): string[] {
  if (Array.isArray(x)) for (const v of x) collectRefs(v, out);
  else if (x && typeof x === "object") {
    for (const [k, v] of Object.entries(x)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

describe("GET /openapi.json", () => {
  let s: TestServer;
  let raw: string;
  let doc: Doc;
  beforeAll(async () => {
    s = await startServer();
    const res = await s.req("/dcm/api/openapi.json", { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    raw = await res.text();
    doc = JSON.parse(raw) as Doc;
  });
  afterAll(() => s.close());

  it("is JSON with openapi 3.1.0, bearer security and resolvable refs", () => {
    expect(() => JSON.parse(raw)).not.toThrow();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toBeTruthy();
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    for (const ref of collectRefs(doc)) expect(ref).toMatch(/^#\/components\/schemas\//);
    expect(() => deref(doc, doc)).not.toThrow();
    const opIds = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
    expect(new Set(opIds).size).toBe(opIds.length);
  });

  it("lists every route fastify serves under the prefix, and nothing else", () => {
    const served = s.routes
      .filter((r) => r.url.startsWith("/dcm/api/") && r.method !== "HEAD")
      .flatMap((r) =>
        (Array.isArray(r.method) ? r.method : [r.method]).map((m) => `${m} ${r.url.replace(/:(\w+)/g, "{$1}")}`),
      )
      .sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(documented).toEqual(served);
    expect(documented).toEqual(
      [
        "GET /dcm/api/clients",
        "GET /dcm/api/clients/{clientId}",
        "GET /dcm/api/clients/{clientId}/fragments/{fragmentId}",
        "PUT /dcm/api/clients/{clientId}/fragments/{fragmentId}",
        "POST /dcm/api/clients/{clientId}/calls",
        "POST /dcm/api/distribution",
        "PUT /dcm/api/dist",
        "GET /dcm/api/defaults",
        "PUT /dcm/api/defaults",
        "GET /dcm/api/fragments",
        "GET /dcm/api/openapi.json",
      ].sort(),
    );
  });

  it("documents the very schemas fastify validates and serialises with", () => {
    for (const r of s.routes.filter((r) => r.url.startsWith("/dcm/api/") && r.method !== "HEAD")) {
      const op = doc.paths[r.url.replace(/:(\w+)/g, "{$1}")]![String(r.method).toLowerCase()]!;
      const schema = (r.schema ?? {}) as {
        params?: { properties: Record<string, unknown>; required: string[] };
        querystring?: { properties: Record<string, unknown> };
        body?: unknown;
        response?: Record<string, unknown>;
      };
      const where = `${r.method} ${r.url}`;
      // A bytes body (PUT /dist: a .tar.gz) is read by a content-type parser, not a JSON schema: documented under its media type.
      const raw = ROUTES.find((d) => d.bodyType && `/dcm/api${d.path}` === r.url && d.method === r.method);
      if (raw) expect(op.requestBody!.content[raw.bodyType!]!.schema, where).toEqual(raw.schema.body);
      else if (schema.body)
        expect(deref(op.requestBody!.content["application/json"]!.schema, doc), where).toEqual(schema.body);
      else expect(op.requestBody, where).toBeUndefined();
      const inPath = (op.parameters ?? []).filter((p) => p.in === "path");
      const inQuery = (op.parameters ?? []).filter((p) => p.in === "query");
      const described = (ps: typeof inPath) =>
        Object.fromEntries(
          ps.map((p) => [
            p.name,
            { ...(deref(p.schema, doc) as object), ...(p.description ? { description: p.description } : {}) },
          ]),
        );
      if (schema.querystring) {
        expect(described(inQuery), where).toEqual(schema.querystring.properties);
        expect(inQuery.every((p) => !p.required)).toBe(true);
      } else expect(inQuery, where).toEqual([]);
      if (schema.params) {
        const fromDoc = Object.fromEntries(
          inPath.map((p) => [
            p.name,
            { ...(deref(p.schema, doc) as object), ...(p.description ? { description: p.description } : {}) },
          ]),
        );
        expect(fromDoc, where).toEqual(schema.params.properties);
        expect(inPath.every((p) => p.required)).toBe(true);
        expect(schema.params.required.sort()).toEqual(Object.keys(fromDoc).sort());
      } else expect(inPath, where).toEqual([]);
      for (const [code, s2] of Object.entries(schema.response ?? {})) {
        expect(deref(op.responses[code]!.content!["application/json"]!.schema, doc), `${where} ${code}`).toEqual(s2);
      }
    }
  });

  it("documents errors, auth and rate-limit headers per route", () => {
    for (const r of ROUTES) {
      const op = doc.paths[`/dcm/api${r.path.replace(/:(\w+)/g, "{$1}")}`]![r.method.toLowerCase()]!;
      expect(op.responses["200"]).toBeDefined();
      if (r.auth) {
        expect(op.security).toBeUndefined();
        expect(op.responses["401"]!.headers).toHaveProperty("WWW-Authenticate");
        expect(op.responses["429"]!.headers).toHaveProperty("Retry-After");
        expect(op.responses["401"]!.content!["application/json"]!.schema).toEqual({
          $ref: "#/components/schemas/Error",
        });
      } else {
        expect(op.security).toEqual([]);
      }
      if (r.schema.params) expect(op.responses["404"], r.path).toBeDefined();
      if (r.schema.body || r.schema.params) expect(op.responses["400"], r.path).toBeDefined();
    }
    const put = doc.paths["/dcm/api/clients/{clientId}/fragments/{fragmentId}"]!.put!;
    expect(put.requestBody!.required).toBe(true);
    expect(put.requestBody!.content["application/json"]!.schema).toMatchObject({
      required: ["runOn"],
      properties: { runOn: { $ref: "#/components/schemas/Side" } },
    });
    expect(doc.components.schemas.Side).toMatchObject({ enum: ["client", "server"] });
  });
});

describe("prefix", () => {
  it("serves and documents routes under a custom prefix", async () => {
    const s = await startServer({ prefix: "/ops/dcm/" });
    try {
      s.control.connect("c1");
      expect((await s.req("/ops/dcm/clients/c1")).status).toBe(200);
      expect((await s.req("/dcm/api/clients/c1")).status).toBe(404);
      const doc = (await (await s.req("/ops/dcm/openapi.json", { key: null })).json()) as Doc;
      expect(Object.keys(doc.paths)).toContain("/ops/dcm/clients/{clientId}");
    } finally {
      await s.close();
    }
  });

  it("does not double the prefix when registered as a plugin with app.register", async () => {
    const s = await startServer({ prefix: "/x", asPlugin: true });
    try {
      expect((await s.req("/x/clients")).status).toBe(200);
      const doc = (await (await s.req("/x/openapi.json", { key: null })).json()) as Doc;
      expect(Object.keys(doc.paths)).toContain("/x/clients");
    } finally {
      await s.close();
    }
  });

  it("uses /dcm/api when registered as a plugin without a prefix", async () => {
    const s = await startServer({ asPlugin: true });
    try {
      expect((await s.req("/dcm/api/clients")).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
