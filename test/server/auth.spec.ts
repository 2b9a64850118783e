import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLOSE_CODES } from "../../runtime/protocol/messages.js";
import { buildFixture, connect, connectReady, KEY1, KEY2, ORIGIN, startServer, type TestServer } from "./harness.js";

let built: Awaited<ReturnType<typeof buildFixture>>;
let server: TestServer;

beforeAll(async () => {
  built = await buildFixture("small");
  server = await startServer(built.dist, { helloTimeoutMs: 400 });
});

afterAll(async () => {
  await server?.close();
  await built?.cleanup();
});

const d = () => server.app.dcm.distributor;

describe("WebSocket authentication", () => {
  it("accepts the token in the subprotocol header, selects dcm.v1, and sends the full distribution", async () => {
    const { accessToken, clientId } = await d().issueAccessToken();
    const c = connect(server.wsUrl, { token: accessToken });
    await c.opened;
    expect(c.ws.protocol).toBe("dcm.v1");
    const u = await c.next((m) => m.type === "updateFragments");
    expect(u).toEqual({
      type: "updateFragments",
      full: true,
      version: 1,
      fragments: [
        { id: "add", runOn: "client" },
        { id: "shout", runOn: "server" },
      ],
    });
    expect(d().getClient(clientId)?.connected).toBe(true);
    await c.close();
  });

  it("accepts the token in a first hello message", async () => {
    const { accessToken } = await d().issueAccessToken();
    const c = connect(server.wsUrl, { token: accessToken, via: "hello" });
    await c.next((m) => m.type === "updateFragments");
    const r = await c.call("shout", ["hi"]);
    expect(r).toMatchObject({ ok: true, value: "HI!" });
    await c.close();
  });

  it("runs calls pipelined right behind the hello", async () => {
    const { accessToken } = await d().issueAccessToken();
    const c = connect(server.wsUrl, { protocols: ["dcm.v1"] });
    await c.opened;
    c.send({ type: "hello", protocol: 1, token: accessToken });
    const r = await c.call("shout", ["fast"]);
    expect(r).toMatchObject({ ok: true, value: "FAST!" });
    await c.close();
  });

  it("never reads a token from the URL", async () => {
    const { accessToken } = await d().issueAccessToken();
    // The only token is in the query: no hello follows, so the hello deadline closes it.
    const quiet = connect(server.wsUrl, { query: `?token=${accessToken}&access_token=${accessToken}` });
    expect(await quiet.closed).toMatchObject({ code: CLOSE_CODES.unauthorized });
    // A hello without a token is refused at once, whatever the URL holds.
    const c = connect(server.wsUrl, { query: `?token=${accessToken}` });
    await c.opened;
    c.send({ type: "hello", protocol: 1 });
    expect(await c.closed).toMatchObject({ code: CLOSE_CODES.unauthorized });
  });

  it("closes with 4401 for a missing or forged token, 4402 for an expired one", async () => {
    const none = connect(server.wsUrl, {});
    await none.opened;
    none.send({ type: "callFunction", callId: "x", fragment: "shout", args: ["a"] });
    expect((await none.closed).code).toBe(CLOSE_CODES.unauthorized);

    const garbage = connect(server.wsUrl, { token: "not.a.jwt" });
    expect((await garbage.closed).code).toBe(CLOSE_CODES.unauthorized);

    // Right kid, wrong secret.
    const forged = await new SignJWT({ clientId: "mallory" })
      .setProtectedHeader({ alg: "HS256", kid: KEY1.kid })
      .setSubject("mallory")
      .setAudience("dcm")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode("another-secret-of-at-least-32-bytes!!"));
    const f = connect(server.wsUrl, { token: forged });
    expect((await f.closed).code).toBe(CLOSE_CODES.unauthorized);

    // An unsigned token ("alg": "none").
    const body = Buffer.from(JSON.stringify({ clientId: "x", sub: "x", aud: "dcm", exp: 9e9 })).toString("base64url");
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${body}.`;
    const u = connect(server.wsUrl, { token: unsigned, via: "hello" });
    expect((await u.closed).code).toBe(CLOSE_CODES.unauthorized);

    const { accessToken: expired } = await d().issueAccessToken({ expiresInSeconds: -60 });
    const e = connect(server.wsUrl, { token: expired });
    expect((await e.closed).code).toBe(CLOSE_CODES.tokenExpired);
    const e2 = connect(server.wsUrl, { token: expired, via: "hello" });
    expect((await e2.closed).code).toBe(CLOSE_CODES.tokenExpired);
  });

  it("closes with 4406 for another protocol version", async () => {
    const { accessToken } = await d().issueAccessToken();
    const c = connect(server.wsUrl, {});
    await c.opened;
    c.send({ type: "hello", protocol: 99, token: accessToken });
    expect((await c.closed).code).toBe(CLOSE_CODES.protocolVersion);
  });

  it("closes with 4403 for an origin outside the allowlist, or none", async () => {
    const { accessToken } = await d().issueAccessToken();
    const bad = connect(server.wsUrl, { token: accessToken, origin: "http://evil.test" });
    expect((await bad.closed).code).toBe(CLOSE_CODES.forbiddenOrigin);
    const missing = connect(server.wsUrl, { token: accessToken, origin: null });
    expect((await missing.closed).code).toBe(CLOSE_CODES.forbiddenOrigin);
    expect(bad.messages).toEqual([]);
  });

  it("keeps connected clients through a key rotation; new tokens verify, removed keys do not", async () => {
    const a = await connectReady(server);
    const oldToken = (await d().issueAccessToken()).accessToken;
    d().setKeys([KEY2, KEY1]);
    try {
      expect(await a.client.call("shout", ["still"])).toMatchObject({ ok: true, value: "STILL!" });
      const fresh = await d().issueAccessToken();
      const header = JSON.parse(Buffer.from(fresh.accessToken.split(".")[0]!, "base64url").toString());
      expect(header).toMatchObject({ alg: "HS256", kid: "k2" });
      const b = connect(server.wsUrl, { token: fresh.accessToken });
      await b.next((m) => m.type === "updateFragments");
      // Tokens signed with the old key still verify while it is in the list.
      const old = connect(server.wsUrl, { token: oldToken });
      await old.next((m) => m.type === "updateFragments");
      await old.close();
      // Retire the old key: its tokens stop working, the connection made with one stays.
      d().setKeys([KEY2]);
      const refused = connect(server.wsUrl, { token: oldToken });
      expect((await refused.closed).code).toBe(CLOSE_CODES.unauthorized);
      expect(await a.client.call("shout", ["after"])).toMatchObject({ ok: true, value: "AFTER!" });
      await b.close();
    } finally {
      d().setKeys([KEY1]);
      await a.client.close();
    }
  });

  it("resumes a client's distribution when it reconnects with the same clientId", async () => {
    const first = await connectReady(server);
    await d().setLocation(first.clientId, "shout", "client");
    await first.client.next((m) => m.type === "updateFragments" && !m.full);
    await first.client.close();
    const again = await connectReady(server, { clientId: first.clientId });
    expect(again.update).toMatchObject({ full: true, version: 2 });
    expect(again.update.type === "updateFragments" && again.update.fragments).toContainEqual({
      id: "shout",
      runOn: "client",
    });
    await again.client.close();
  });
});

describe("HTTP session routes", () => {
  const post = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/dcm/auth/${path}`, { method: "POST", headers: { origin: ORIGIN, ...headers } });
  const cookieOf = (r: Response) => r.headers.get("set-cookie") ?? "";
  const tokenCookie = (r: Response) => /dcm_refresh=([^;]*)/.exec(cookieOf(r))![1]!;

  it("issues an access token and a strict refresh cookie, and refreshes by rotation", async () => {
    const r = await post("session");
    expect(r.status).toBe(200);
    const body = (await r.json()) as { accessToken: string; clientId: string; expiresIn: number; tokenType: string };
    expect(body).toMatchObject({ tokenType: "Bearer", expiresIn: 300 });
    const cookie = cookieOf(r);
    for (const attr of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/dcm/auth", "Max-Age=86400"])
      expect(cookie).toContain(attr);
    expect(r.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(r.headers.get("access-control-allow-credentials")).toBe("true");

    const c = connect(server.wsUrl, { token: body.accessToken });
    await c.next((m) => m.type === "updateFragments");
    await c.close();
    expect(d().getClient(body.clientId)).toBeDefined();

    const first = tokenCookie(r);
    const r2 = await post("refresh", { cookie: `dcm_refresh=${first}` });
    expect(r2.status).toBe(200);
    const b2 = (await r2.json()) as { accessToken: string; clientId: string };
    expect(b2.clientId).toBe(body.clientId);
    const second = tokenCookie(r2);
    expect(second).not.toBe(first);
    const c2 = connect(server.wsUrl, { token: b2.accessToken });
    await c2.next((m) => m.type === "updateFragments");
    await c2.close();

    // The spent cookie is refused, and its reuse revokes the whole family.
    const reuse = await post("refresh", { cookie: `dcm_refresh=${first}` });
    expect(reuse.status).toBe(401);
    expect(await reuse.json()).toMatchObject({ error: { code: "DCM_AUTH_REQUIRED" } });
    expect((await post("refresh", { cookie: `dcm_refresh=${second}` })).status).toBe(401);
  });

  it("refuses other origins, answers preflights, and needs a cookie to refresh", async () => {
    const evil = await post("session", { origin: "http://evil.test" });
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({ error: { code: "DCM_ORIGIN_FORBIDDEN" } });
    const pre = await fetch(`${server.url}/dcm/auth/session`, {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "POST" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-methods")).toBe("POST");
    const none = await post("refresh");
    expect(none.status).toBe(401);
    const out = await post("logout");
    expect(out.status).toBe(204);
    expect(cookieOf(out)).toContain("Max-Age=0");
  });
});
