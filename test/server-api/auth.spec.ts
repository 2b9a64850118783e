import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeysFromEnv, generateApiKey, registerApiController } from "../../runtime/server/api/index.js";
import { startServer, type TestServer } from "./harness.js";
import { InMemoryControl } from "./in-memory-control.js";

describe("API keys", () => {
  it("generateApiKey gives 32 random bytes as base64url", () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, "base64url")).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it("apiKeysFromEnv reads DCM_API_KEYS: comma-separated, trimmed, empty items ignored", () => {
    expect(apiKeysFromEnv({ DCM_API_KEYS: " aaaaaaaaaaaaaaaaaaaa , ,bbbbbbbbbbbbbbbbbbbb,, " })).toEqual([
      "aaaaaaaaaaaaaaaaaaaa",
      "bbbbbbbbbbbbbbbbbbbb",
    ]);
    expect(apiKeysFromEnv({ DCM_API_KEYS: "x1234567890123456,x1234567890123456" })).toEqual(["x1234567890123456"]);
    expect(apiKeysFromEnv({})).toEqual([]);
    expect(apiKeysFromEnv({ DCM_API_KEYS: " , " })).toEqual([]);
  });

  it("refuses to start without keys or with weak keys", async () => {
    const control = new InMemoryControl({ a: "client" });
    const app = Fastify();
    await expect(registerApiController(app, { control, apiKeys: [] })).rejects.toMatchObject({
      code: "DCM_API_CONFIG",
    });
    await expect(registerApiController(app, { control, apiKeys: ["short"] })).rejects.toMatchObject({
      code: "DCM_API_CONFIG",
    });
    await expect(
      registerApiController(app, { control, apiKeys: [generateApiKey()], rateLimit: { max: 0, timeWindowMs: 1000 } }),
    ).rejects.toMatchObject({ code: "DCM_API_CONFIG" });
    await expect(
      registerApiController(app, { control, apiKeys: [generateApiKey()], prefix: "api" }),
    ).rejects.toMatchObject({
      code: "DCM_API_CONFIG",
    });
    await app.close();
  });
});

describe("authentication", () => {
  let s: TestServer;
  const second = generateApiKey();
  beforeAll(async () => {
    const first = generateApiKey();
    s = await startServer({ apiKeys: [first, second] });
    s.control.connect("c1");
  });
  afterAll(() => s.close());

  async function expect401(res: Response, messagePart: RegExp) {
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("DCM_API_UNAUTHORIZED");
    expect(body.error.message).toMatch(messagePart);
  }

  it("answers 401 without a key, on every protected route", async () => {
    for (const [method, path] of [
      ["GET", "/dcm/api/clients"],
      ["GET", "/dcm/api/clients/c1"],
      ["GET", "/dcm/api/clients/c1/fragments/add"],
      ["PUT", "/dcm/api/clients/c1/fragments/add"],
      ["POST", "/dcm/api/distribution"],
      ["GET", "/dcm/api/defaults"],
      ["PUT", "/dcm/api/defaults"],
      ["GET", "/dcm/api/fragments"],
    ] as const) {
      const json = method === "GET" ? undefined : {};
      await expect401(await s.req(path, { method, key: null, json }), /Missing API key/);
    }
    expect(s.control.calls).toEqual([]);
  });

  it("answers 401 with a wrong key, and says invalid_token", async () => {
    const res = await s.req("/dcm/api/clients", { key: generateApiKey() });
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    await expect401(res, /not valid/);
    // A prefix or an extension of a valid key is not valid either.
    await expect401(await s.req("/dcm/api/clients", { key: s.key.slice(0, -1) }), /not valid/);
    await expect401(await s.req("/dcm/api/clients", { key: `${s.key}x` }), /not valid/);
  });

  it("answers 401 for other schemes and malformed headers", async () => {
    for (const authorization of [`Basic ${s.key}`, s.key, `Bearer`, `Bearer ${s.key} extra`]) {
      await expect401(await s.req("/dcm/api/clients", { key: null, headers: { authorization } }), /Bearer <key>/);
    }
  });

  it("never accepts a key in the query string", async () => {
    for (const q of [
      `api_key=${s.key}`,
      `access_token=${s.key}`,
      `key=${s.key}`,
      `token=${s.key}`,
      `anything=${s.key}`,
    ]) {
      await expect401(await s.req(`/dcm/api/clients?${q}`, { key: null }), /query string/);
      // Not even next to a valid header: the key has leaked into a URL.
      await expect401(await s.req(`/dcm/api/clients?${q}`), /query string/);
    }
  });

  it("accepts every configured key, with any case of the scheme", async () => {
    expect((await s.req("/dcm/api/clients")).status).toBe(200);
    expect((await s.req("/dcm/api/clients", { key: second })).status).toBe(200);
    const res = await s.req("/dcm/api/clients", { key: null, headers: { authorization: `bearer ${second}` } });
    expect(res.status).toBe(200);
  });

  it("serves the OpenAPI document without a key", async () => {
    const res = await s.req("/dcm/api/openapi.json", { key: null });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { openapi: string }).openapi).toBe("3.1.0");
  });

  it("leaves routes outside its prefix alone", async () => {
    const res = await s.req("/health", { key: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});
