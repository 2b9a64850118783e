import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Side } from "../../runtime/abi/manifest-types.js";
import type { ClientInfo } from "../../runtime/server/control-types.js";
import { FRAGMENTS, startServer, type TestServer } from "./harness.js";
import { DistributorError, InMemoryControl } from "./in-memory-control.js";

type ErrorReply = { error: { code: string; message: string } };

let s: TestServer;
const P = "/dcm/api";

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return JSON.parse(text) as T;
}

async function expectError(res: Response, status: number, code: string, message?: RegExp): Promise<string> {
  const body = await json<ErrorReply>(res, status);
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toBe(code);
  if (message) expect(body.error.message).toMatch(message);
  return body.error.message;
}

const setLocationCalls = () => s.control.calls.filter((c) => c.method === "setLocation");

beforeEach(async () => {
  s = await startServer();
  s.control.connect("alice-1", "alice");
  s.control.connect("bob-1");
});
afterEach(() => s.close());

describe("GET /clients", () => {
  it("lists the clients with their distributions", async () => {
    s.control.disconnect("bob-1");
    const { clients } = await json<{ clients: ClientInfo[] }>(await s.req(`${P}/clients`), 200);
    expect(clients.map((c) => c.clientId)).toEqual(["alice-1", "bob-1"]);
    expect(clients[0]).toMatchObject({ subject: "alice", connected: true, version: 1, distribution: FRAGMENTS });
    expect(clients[1]!.connected).toBe(false);
    expect(clients[1]).not.toHaveProperty("subject");
    expect(clients[0]!.lastSeenAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("lists nothing when no client is known", async () => {
    s.control.clients.clear();
    expect(await json(await s.req(`${P}/clients`), 200)).toEqual({ clients: [], next: null });
  });
});

describe("GET /clients/:clientId", () => {
  it("returns one client", async () => {
    const c = await json<ClientInfo>(await s.req(`${P}/clients/alice-1`), 200);
    expect(c).toEqual(s.control.getClient("alice-1"));
  });

  it("decodes ids from the path", async () => {
    s.control.connect("user@example.com/tab 2");
    const c = await json<ClientInfo>(await s.req(`${P}/clients/${encodeURIComponent("user@example.com/tab 2")}`), 200);
    expect(c.clientId).toBe("user@example.com/tab 2");
  });

  it("answers 404 for an unknown client", async () => {
    await expectError(
      await s.req(`${P}/clients/carol`),
      404,
      "DCM_API_UNKNOWN_CLIENT",
      /No client `carol`.*GET \/dcm\/api\/clients/,
    );
  });

  it("answers 400 for an empty id", async () => {
    await expectError(
      await s.req(`${P}/clients/`),
      400,
      "DCM_API_BAD_REQUEST",
      /params\/clientId must NOT have fewer than 1 characters/,
    );
    await expectError(await s.req(`${P}/clients//fragments/add`), 400, "DCM_API_BAD_REQUEST", /params\/clientId/);
    await expectError(await s.req(`${P}/clients/alice-1/fragments/`), 400, "DCM_API_BAD_REQUEST", /params\/fragmentId/);
  });
});

describe("GET /clients/:clientId/fragments/:fragmentId", () => {
  it("returns where the fragment runs", async () => {
    expect(await json(await s.req(`${P}/clients/alice-1/fragments/greet`), 200)).toEqual({
      clientId: "alice-1",
      fragmentId: "greet",
      runOn: "server",
      version: 1,
    });
  });

  it("answers 404 with did-you-mean for an unknown fragment", async () => {
    const msg = await expectError(await s.req(`${P}/clients/alice-1/fragments/gret`), 404, "DCM_API_UNKNOWN_FRAGMENT");
    expect(msg).toBe("No fragment `gret`; did you mean `greet`?");
  });

  it("lists the fragments when nothing is near", async () => {
    await expectError(
      await s.req(`${P}/clients/alice-1/fragments/zzzzzzzzzzzz`),
      404,
      "DCM_API_UNKNOWN_FRAGMENT",
      /known fragments: `add`, `greet`, `hashPassword`, `formatDate`/,
    );
  });

  it("answers 404 for an unknown client", async () => {
    await expectError(await s.req(`${P}/clients/nobody/fragments/add`), 404, "DCM_API_UNKNOWN_CLIENT");
  });
});

describe("PUT /clients/:clientId/fragments/:fragmentId", () => {
  it("moves the fragment, calls setLocation exactly once and pushes updateFragments to that client", async () => {
    const res = await s.req(`${P}/clients/alice-1/fragments/add`, { method: "PUT", json: { runOn: "server" } });
    expect(await json(res, 200)).toEqual({ clientId: "alice-1", fragmentId: "add", runOn: "server", version: 2 });
    expect(setLocationCalls()).toEqual([{ method: "setLocation", args: ["alice-1", "add", "server"] }]);
    expect(s.control.calls).toHaveLength(1);
    expect(s.control.pushed).toEqual([{ clientId: "alice-1", fragments: { ...FRAGMENTS, add: "server" }, version: 2 }]);
    // Visible in the read routes at once; the other client is untouched.
    expect(await json(await s.req(`${P}/clients/alice-1/fragments/add`), 200)).toMatchObject({ runOn: "server" });
    expect(await json(await s.req(`${P}/clients/bob-1/fragments/add`), 200)).toMatchObject({ runOn: "client" });
  });

  it("calls setLocation once per request, also when moving back and forth", async () => {
    const sides: Side[] = ["server", "client", "server", "server"];
    for (const runOn of sides) {
      expect((await s.req(`${P}/clients/bob-1/fragments/formatDate`, { method: "PUT", json: { runOn } })).status).toBe(
        200,
      );
    }
    expect(setLocationCalls().map((c) => c.args[2])).toEqual(sides);
    expect(s.control.pushed.map((p) => p.fragments.formatDate)).toEqual(sides);
    expect(s.control.getClient("bob-1")!.version).toBe(5);
  });

  it("answers 400 for a bad body and does not call the distributor", async () => {
    const path = `${P}/clients/alice-1/fragments/add`;
    await expectError(
      await s.req(path, { method: "PUT", json: { runOn: "browser" } }),
      400,
      "DCM_API_BAD_REQUEST",
      /body\/runOn must be one of client, server/,
    );
    await expectError(
      await s.req(path, { method: "PUT", json: {} }),
      400,
      "DCM_API_BAD_REQUEST",
      /must have property `runOn`/,
    );
    await expectError(await s.req(path, { method: "PUT", json: ["server"] }), 400, "DCM_API_BAD_REQUEST");
    await expectError(await s.req(path, { method: "PUT" }), 400, "DCM_API_BAD_REQUEST");
    await expectError(
      await s.req(path, { method: "PUT", body: "{runOn:", headers: { "content-type": "application/json" } }),
      400,
      "DCM_API_BAD_REQUEST",
      /JSON/,
    );
    expect(s.control.calls).toEqual([]);
    expect(s.control.pushed).toEqual([]);
  });

  it("answers 404 for unknown ids and does not call the distributor", async () => {
    await expectError(
      await s.req(`${P}/clients/alice-1/fragments/hashPasword`, { method: "PUT", json: { runOn: "client" } }),
      404,
      "DCM_API_UNKNOWN_FRAGMENT",
      /did you mean `hashPassword`\?/,
    );
    await expectError(
      await s.req(`${P}/clients/eve/fragments/add`, { method: "PUT", json: { runOn: "client" } }),
      404,
      "DCM_API_UNKNOWN_CLIENT",
    );
    expect(s.control.calls).toEqual([]);
  });
});

describe("when the distributor fails", () => {
  it("answers 404 if the client vanished during the call", async () => {
    const control = new (class extends InMemoryControl {
      override async setLocation(clientId: string, fragmentId: string, side: Side): Promise<ClientInfo> {
        this.clients.delete(clientId);
        throw new DistributorError("DCM_UNKNOWN_CLIENT", `gone: ${clientId} ${fragmentId} ${side}`);
      }
    })({ ...FRAGMENTS });
    const t = await startServer({ control });
    control.connect("c1");
    try {
      await expectError(
        await t.req(`${P}/clients/c1/fragments/add`, { method: "PUT", json: { runOn: "server" } }),
        404,
        "DCM_API_UNKNOWN_CLIENT",
      );
    } finally {
      await t.close();
    }
  });

  it("passes on a client error the distributor raises with a catalog code and a 4xx status", async () => {
    const control = new (class extends InMemoryControl {
      override async setLocation(): Promise<ClientInfo> {
        throw new DistributorError("DCM_INVALID_SIDE", "fragment `add` has no server module", 409);
      }
    })({ ...FRAGMENTS });
    const t = await startServer({ control });
    control.connect("c1");
    try {
      const res = await t.req(`${P}/clients/c1/fragments/add`, { method: "PUT", json: { runOn: "server" } });
      expect(await json(res, 409)).toEqual({
        error: { code: "DCM_INVALID_SIDE", message: "fragment `add` has no server module" },
      });
    } finally {
      await t.close();
    }
  });

  it("answers 500 without leaking the internal message otherwise", async () => {
    const control = new (class extends InMemoryControl {
      override async setLocation(): Promise<ClientInfo> {
        throw new Error("socket exploded at 10.0.0.7");
      }
    })({ ...FRAGMENTS });
    const t = await startServer({ control });
    control.connect("c1");
    try {
      const msg = await expectError(
        await t.req(`${P}/clients/c1/fragments/add`, { method: "PUT", json: { runOn: "server" } }),
        500,
        "DCM_API_INTERNAL",
      );
      expect(msg).not.toContain("10.0.0.7");
    } finally {
      await t.close();
    }
  });
});

describe("POST /distribution", () => {
  it("applies several changes with one setLocations call and one push per affected client", async () => {
    const changes = [
      { clientId: "alice-1", fragmentId: "add", runOn: "server" },
      { clientId: "alice-1", fragmentId: "greet", runOn: "client" },
      { clientId: "bob-1", fragmentId: "hashPassword", runOn: "client" },
    ];
    const { clients } = await json<{ clients: ClientInfo[] }>(
      await s.req(`${P}/distribution`, { method: "POST", json: { changes } }),
      200,
    );
    expect(clients.map((c) => [c.clientId, c.version])).toEqual([
      ["alice-1", 2],
      ["bob-1", 2],
    ]);
    expect(clients[0]!.distribution).toEqual({ ...FRAGMENTS, add: "server", greet: "client" });
    expect(clients[1]!.distribution).toEqual({ ...FRAGMENTS, hashPassword: "client" });
    expect(s.control.calls).toEqual([
      { method: "setLocations", args: [changes.map(({ runOn, ...c }) => ({ ...c, side: runOn }))] },
    ]);
    expect(s.control.pushed.map((p) => p.clientId)).toEqual(["alice-1", "bob-1"]);
  });

  it("accepts a repeated identical change", async () => {
    const c = { clientId: "bob-1", fragmentId: "add", runOn: "server" };
    expect((await s.req(`${P}/distribution`, { method: "POST", json: { changes: [c, c] } })).status).toBe(200);
  });

  it("changes nothing if any id is unknown, and names every unknown id", async () => {
    const msg = await expectError(
      await s.req(`${P}/distribution`, {
        method: "POST",
        json: {
          changes: [
            { clientId: "alice-1", fragmentId: "add", runOn: "server" },
            { clientId: "alice-1", fragmentId: "formatDat", runOn: "server" },
            { clientId: "mallory", fragmentId: "add", runOn: "server" },
          ],
        },
      }),
      404,
      "DCM_API_UNKNOWN_FRAGMENT",
    );
    expect(msg).toMatch(/^Nothing was changed\./);
    expect(msg).toContain("changes[1].fragmentId: No fragment `formatDat`; did you mean `formatDate`?");
    expect(msg).toContain("changes[2].clientId: No client `mallory`");
    expect(s.control.calls).toEqual([]);
    expect(s.control.getClient("alice-1")!.distribution.add).toBe("client");
  });

  it("answers 400 for bad bodies", async () => {
    for (const body of [
      {},
      { changes: [] },
      { changes: [{ clientId: "alice-1", fragmentId: "add" }] },
      { changes: [{ clientId: "alice-1", fragmentId: "add", runOn: "edge" }] },
      { changes: [{ clientId: "", fragmentId: "add", runOn: "client" }] },
      { changes: "alice-1" },
    ]) {
      await expectError(await s.req(`${P}/distribution`, { method: "POST", json: body }), 400, "DCM_API_BAD_REQUEST");
    }
    await expectError(
      await s.req(`${P}/distribution`, {
        method: "POST",
        json: {
          changes: [
            { clientId: "alice-1", fragmentId: "add", runOn: "client" },
            { clientId: "alice-1", fragmentId: "add", runOn: "server" },
          ],
        },
      }),
      400,
      "DCM_API_BAD_REQUEST",
      /changes\[1\].*earlier change moves it to client/,
    );
    expect(s.control.calls).toEqual([]);
  });
});

describe("GET|PUT /defaults", () => {
  it("reads the distribution new clients start with", async () => {
    expect(await json(await s.req(`${P}/defaults`), 200)).toEqual({ fragments: FRAGMENTS });
  });

  it("changes the named fragments only; new clients get them, connected clients keep theirs", async () => {
    const res = await s.req(`${P}/defaults`, {
      method: "PUT",
      json: { fragments: { add: "server", greet: "client" } },
    });
    expect(await json(res, 200)).toEqual({ fragments: { ...FRAGMENTS, add: "server", greet: "client" } });
    expect(await json(await s.req(`${P}/defaults`), 200)).toEqual({
      fragments: { ...FRAGMENTS, add: "server", greet: "client" },
    });
    s.control.connect("new-1");
    expect(await json(await s.req(`${P}/clients/new-1/fragments/add`), 200)).toMatchObject({ runOn: "server" });
    expect(await json(await s.req(`${P}/clients/alice-1/fragments/add`), 200)).toMatchObject({ runOn: "client" });
    expect(s.control.pushed).toEqual([]);
  });

  it("accepts an empty change", async () => {
    expect(await json(await s.req(`${P}/defaults`, { method: "PUT", json: { fragments: {} } }), 200)).toEqual({
      fragments: FRAGMENTS,
    });
  });

  it("answers 400 for bad sides and 404 for unknown fragments, changing nothing", async () => {
    await expectError(
      await s.req(`${P}/defaults`, { method: "PUT", json: { fragments: { add: "cloud" } } }),
      400,
      "DCM_API_BAD_REQUEST",
      /body\/fragments\/add must be one of client, server/,
    );
    await expectError(
      await s.req(`${P}/defaults`, { method: "PUT", json: { add: "server" } }),
      400,
      "DCM_API_BAD_REQUEST",
    );
    await expectError(
      await s.req(`${P}/defaults`, { method: "PUT", json: { fragments: { add: "server", gree: "client" } } }),
      404,
      "DCM_API_UNKNOWN_FRAGMENT",
      /did you mean `greet`\?/,
    );
    expect(s.control.getDefaults()).toEqual(FRAGMENTS);
  });
});

describe("GET /fragments", () => {
  it("lists every fragment with its default, placement and statistics per side", async () => {
    for (const ms of [10, 20, 30, 40]) s.control.simulateCall("hashPassword", "server", ms);
    s.control.simulateCall("hashPassword", "server", 200, false);
    s.control.simulateCall("hashPassword", "client", 3);
    s.control.recordClientCall("alice-1", "hashPassword", 5, false);
    await s.req(`${P}/clients/alice-1/fragments/hashPassword`, { method: "PUT", json: { runOn: "client" } });

    const { fragments } = await json<{ fragments: Array<Record<string, unknown>> }>(await s.req(`${P}/fragments`), 200);
    expect(fragments.map((f) => f.id)).toEqual(Object.keys(FRAGMENTS));
    expect(fragments.find((f) => f.id === "hashPassword")).toEqual({
      id: "hashPassword",
      defaultRunOn: "server",
      placement: { client: 1, server: 1 },
      stats: {
        server: { calls: 5, errors: 1, p50Ms: 30, p99Ms: 200 },
        client: { calls: 2, errors: 1, p50Ms: 3, p99Ms: 5 },
      },
    });
    expect(fragments.find((f) => f.id === "add")).toEqual({
      id: "add",
      defaultRunOn: "client",
      placement: { client: 2, server: 0 },
      stats: {
        server: { calls: 0, errors: 0, p50Ms: null, p99Ms: null },
        client: { calls: 0, errors: 0, p50Ms: null, p99Ms: null },
      },
    });
  });
});

describe("unknown routes", () => {
  it("answer 404 in the API's error format", async () => {
    await expectError(await s.req(`${P}/nope`), 404, "DCM_API_NOT_FOUND", /No route GET \/dcm\/api\/nope/);
    await expectError(await s.req(`${P}/clients`, { method: "DELETE" }), 404, "DCM_API_NOT_FOUND");
  });
});
