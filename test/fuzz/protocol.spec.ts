/**
 * Fuzzing the protocol message handling. For volume, the pure converters a
 * callFunction's arguments go through (runtime/protocol/wire-values.ts:
 * argsFromWire, and resultFromWire on the client): any JSON value against any
 * signature gives values or DCM_BAD_ARGUMENTS / ValueError, never another
 * error (which would escape the server's message handler). Then a subset
 * against the real server on loopback (createDcmServer with the small Go
 * fixture's dist): random text, forged and truncated messages on an
 * authenticated connection each get a typed reply or none, the connection
 * and the server stay up and a real call still answers; garbage in place of
 * `hello` closes only that connection.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FragmentCallError } from "../../runtime/abi/call-error.js";
import { ValueError } from "../../runtime/abi/value-errors.js";
import type { Signature, VType } from "../../runtime/abi/value-types.js";
import { CATALOG } from "../../runtime/diagnostics/catalog.js";
import { CLOSE_CODES, type ServerMessage } from "../../runtime/protocol/messages.js";
import { argsFromWire, resultFromWire } from "../../runtime/protocol/wire-values.js";
import { buildFixture, connect, connectReady, startServer, type TestServer } from "../server/harness.js";
import { ROOT, runCli } from "../support/run-cli.js";
import { TYPES, vtype } from "./arbitraries.js";
import { fuzz } from "./fuzz-config.js";

/** JSON values with the wire tags mixed in ($i, $b, $m, $f), as a forger would write them. */
const wireValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { maxDepth: 4, depthIdentifier: "wire" },
    fc.jsonValue({ maxDepth: 2 }),
    fc.record({ $i: fc.oneof(fc.string(), fc.bigInt().map(String), fc.constant("9".repeat(60))) }),
    fc.record({ $b: fc.oneof(fc.base64String(), fc.string()) }),
    fc.record({ $f: fc.constantFrom("NaN", "Infinity", "-Infinity", "-0", "nan", "") }),
    fc.record({ $m: fc.array(fc.oneof(fc.tuple(tie("v"), tie("v")), tie("v")), { maxLength: 4 }) }),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom("v", "next", "name", "kids", "x"), tie("v"), { maxKeys: 4 }),
    fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -0, 1e308, 2 ** 64, 0.5, null),
  ),
})).v;

const signature = fc.record({
  params: fc.array(fc.record({ name: fc.constantFrom("a", "b"), type: vtype, variadic: fc.constant(undefined) }), {
    maxLength: 3,
  }),
  results: fc.array(vtype, { maxLength: 2 }),
  error: fc.boolean(),
}) as fc.Arbitrary<Signature>;

describe("wire values (the server's argument parser) on forged input", () => {
  it("argsFromWire: anything -> values or DCM_BAD_ARGUMENTS", () => {
    fc.assert(
      fc.property(signature, fc.oneof(fc.array(wireValue, { maxLength: 4 }), wireValue), (sig, args) => {
        try {
          argsFromWire(args, sig, TYPES, "f");
        } catch (e) {
          if (!(e instanceof FragmentCallError && e.code === "DCM_BAD_ARGUMENTS")) throw e;
        }
      }),
      fuzz(3000),
    );
  });

  it("resultFromWire (the client's side): anything -> a value or ValueError", () => {
    fc.assert(
      fc.property(signature, wireValue, (sig, w) => {
        try {
          resultFromWire(w, sig, TYPES);
        } catch (e) {
          if (!(e instanceof ValueError)) throw e;
        }
      }),
      fuzz(3000),
    );
  });

  it("regression: a record nested 100,000 deep in JSON is DCM_BAD_ARGUMENTS, not a stack overflow out of the handler", () => {
    let v: unknown = null;
    for (let i = 0; i < 100_000; i++) v = { v: i, next: v };
    const sig: Signature = {
      params: [{ name: "n", type: { kind: "record", name: "Node" } }],
      results: [],
      error: false,
    };
    expect(() => argsFromWire([v], sig, TYPES, "f")).toThrow(expect.objectContaining({ code: "DCM_BAD_ARGUMENTS" }));
    expect(() => argsFromWire([v], sig, TYPES, "f")).toThrow(/nested deeper than 1000 records/);
    // The limit leaves room for honest depth.
    let ok: unknown = null;
    for (let i = 0; i < 900; i++) ok = { v: i, next: ok };
    expect(argsFromWire([ok], sig, TYPES, "f")).toHaveLength(1);
  });
});

describe("the real server on loopback", () => {
  let built: Awaited<ReturnType<typeof buildFixture>>;
  let server: TestServer;

  beforeAll(async () => {
    built = await buildFixture("small");
    server = await startServer(built.dist, { maxMessageBytes: 16 * 1024 });
  });

  afterAll(async () => {
    await server?.close();
    await built?.cleanup();
  });

  const TYPES_OF_MESSAGES = [
    "callFunction",
    "cancelCall",
    "ping",
    "pong",
    "hello",
    "callStats",
    "stateTransfer",
    "updateFragments",
    "error",
    "",
  ];
  const forged = fc.record(
    {
      type: fc.oneof(fc.constantFrom(...TYPES_OF_MESSAGES), fc.string(), fc.integer(), fc.constant(null)),
      callId: fc.oneof(fc.string({ maxLength: 200 }), fc.integer(), fc.constant("c")),
      fragment: fc.oneof(fc.constantFrom("add", "shout", "__proto__", "constructor"), fc.string()),
      args: fc.oneof(fc.array(wireValue, { maxLength: 3 }), wireValue),
      t: fc.oneof(fc.double(), fc.string()),
      protocol: fc.oneof(fc.constant(1), fc.integer()),
      timeoutMs: fc.oneof(fc.integer(), fc.double(), fc.string()),
      defer: fc.oneof(fc.boolean(), fc.string()),
      calls: fc.oneof(
        fc.array(fc.record({ fragment: fc.string(), ms: fc.double(), ok: fc.boolean() }), { maxLength: 3 }),
        wireValue,
      ),
    },
    { requiredKeys: [] },
  );
  const frame = fc.oneof(
    forged.map((m) => JSON.stringify(m)),
    // Truncated: a valid-looking message cut anywhere.
    fc.tuple(forged, fc.nat()).map(([m, n]) => {
      const s = JSON.stringify(m);
      return s.slice(0, n % (s.length + 1));
    }),
    fc.string({ maxLength: 300 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.constantFrom(
      "",
      "{",
      "[]",
      "null",
      '{"type":"callFunction"}',
      '{"__proto__":{"type":"ping"}}',
      "x".repeat(20_000),
    ),
  );

  const isTyped = (m: ServerMessage): boolean => {
    const code =
      (m as { code?: string; error?: { code?: string } }).code ?? (m as { error?: { code?: string } }).error?.code;
    if (m.type === "error") return typeof code === "string" && code in CATALOG;
    if (m.type === "functionResult") return m.ok || (typeof code === "string" && code in CATALOG);
    return ["pong", "ping", "updateFragments"].includes(m.type);
  };

  it("random, forged and truncated frames: typed replies or none; the connection, the server and real calls survive", async () => {
    let { client } = await connectReady(server);
    let sentinel = 0;
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 12 }), async (frames) => {
        for (const f of frames) client.send(f);
        sent += frames.length;
        // A ping after the batch: its pong means every frame before it was handled.
        const t = ++sentinel + 0.5;
        client.send({ type: "ping", t });
        const end = await Promise.race([
          client.next((m) => m.type === "pong" && m.t === t).then(() => null),
          client.closed,
        ]);
        const bad = client.messages.filter((m) => !isTyped(m));
        expect(bad, JSON.stringify(bad).slice(0, 500)).toEqual([]);
        client.messages.length = 0;
        if (end) {
          // The one message that may end a connection: `hello` with another protocol version (docs/protocol.md).
          expect(end.code).toBe(CLOSE_CODES.protocolVersion);
          expect(frames.some((f) => f.includes('"type":"hello"'))).toBe(true);
          ({ client } = await connectReady(server));
        }
      }),
      fuzz(40, 6),
    );
    expect(sent).toBeGreaterThan(50);
    expect(await client.call("shout", ["still here"])).toMatchObject({ ok: true, value: "STILL HERE!" });
    await client.close();
  }, 60_000);

  it("garbage instead of `hello` closes that connection only", async () => {
    await fc.assert(
      fc.asyncProperty(frame, async (f) => {
        const c = connect(server.wsUrl); // no token: the first message must be hello
        await c.opened;
        c.send(f);
        const closed = await c.closed;
        expect(closed.code).toBeGreaterThanOrEqual(1000);
      }),
      fuzz(15, 6),
    );
    const { client } = await connectReady(server);
    expect(await client.call("shout", ["ok"])).toMatchObject({ ok: true, value: "OK!" });
    await client.close();
  }, 60_000);
});

describe("regression on the real server: a recursive record nested 50,000 deep", () => {
  let dir: string;
  let server: TestServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcm-fuzz-deep-"));
    const repo = join(dir, "deep");
    await cp(join(ROOT, "test/fuzz/fixtures/deep"), repo, { recursive: true });
    const b = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", join(dir, "dist")]);
    expect(b.code, b.stderr).toBe(0);
    server = await startServer(join(dir, "dist"), { maxMessageBytes: 4 * 2 ** 20 });
  });

  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const chain = (n: number) => `${'{"v":1,"next":'.repeat(n)}null${"}".repeat(n)}`;

  it("is answered DCM_BAD_ARGUMENTS (it overflowed the stack inside the message handler and ended the server); honest depth still runs", async () => {
    const { client } = await connectReady(server);
    client.send(`{"type":"callFunction","callId":"deep","fragment":"length","args":[${chain(50_000)}]}`);
    const r = await client.result("deep");
    expect(r).toMatchObject({ ok: false, error: { code: "DCM_BAD_ARGUMENTS" } });
    expect(r.ok === false && r.error.message).toMatch(/nested deeper than 1000 records/);
    client.send(`{"type":"callFunction","callId":"ok","fragment":"length","args":[${chain(500)}]}`);
    expect(await client.result("ok")).toMatchObject({ ok: true, value: 500 });
    await client.close();
  });
});
