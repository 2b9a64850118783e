import { afterEach, describe, expect, it } from "vitest";
import { generateApiKey } from "../../runtime/server/api/index.js";
import { startServer, type TestServer } from "./harness.js";

describe("rate limit per API key", () => {
  let s: TestServer | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it("answers 429 with Retry-After beyond the limit, per key and not per IP", async () => {
    const a = generateApiKey();
    const b = generateApiKey();
    s = await startServer({ apiKeys: [a, b], rateLimit: { max: 3, timeWindowMs: 60_000 } });
    for (let i = 0; i < 3; i++) {
      const ok = await s.req("/dcm/api/clients", { key: a });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("x-ratelimit-remaining")).toBe(String(2 - i));
    }
    const over = await s.req("/dcm/api/fragments", { key: a });
    expect(over.status).toBe(429);
    const retry = Number(over.headers.get("retry-after"));
    expect(Number.isInteger(retry)).toBe(true);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    const body = (await over.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("DCM_API_RATE_LIMITED");
    expect(body.error.message).toMatch(/this API key/);

    // Same IP, other key: its own budget.
    expect((await s.req("/dcm/api/clients", { key: b })).status).toBe(200);
    // Requests without a valid key are refused before they count, and do not use up a key's budget.
    for (let i = 0; i < 5; i++) expect((await s.req("/dcm/api/clients", { key: null })).status).toBe(401);
    expect((await s.req("/dcm/api/clients", { key: b })).status).toBe(200);
    // The OpenAPI document is not limited.
    expect((await s.req("/dcm/api/openapi.json", { key: a })).status).toBe(200);
  });

  it("refuses a PUT over the limit before it reaches the distributor, and lets the key in again after the window", async () => {
    s = await startServer({ rateLimit: { max: 2, timeWindowMs: 400 } });
    s.control.connect("c1");
    expect(
      (await s.req("/dcm/api/clients/c1/fragments/add", { method: "PUT", json: { runOn: "server" } })).status,
    ).toBe(200);
    expect(
      (await s.req("/dcm/api/clients/c1/fragments/add", { method: "PUT", json: { runOn: "client" } })).status,
    ).toBe(200);
    const over = await s.req("/dcm/api/clients/c1/fragments/add", { method: "PUT", json: { runOn: "server" } });
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("1");
    // The refused request did not reach the distributor.
    expect(s.control.calls.filter((c) => c.method === "setLocation")).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 500));
    expect((await s.req("/dcm/api/clients")).status).toBe(200);
  });

  it("defaults to 600 requests per minute", async () => {
    s = await startServer();
    const res = await s.req("/dcm/api/clients");
    expect(res.headers.get("x-ratelimit-limit")).toBe("600");
    expect(res.headers.get("x-ratelimit-reset")).toBe("60");
  });
});
