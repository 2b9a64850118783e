/**
 * The Redis BuildStateStore against a real redis-server: records, event order
 * and replay, live events across two stores (two service nodes), pagination,
 * the active set of a key, expiry of finished builds, and a clear error while
 * Redis is down.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DcmError } from "../../runtime/diagnostics/catalog.js";
import { RedisBuildStateStore } from "../../src/service/redis/redis-state.js";
import type { BuildEvent, BuildRecord } from "../../src/service/service-types.js";
import { hasRedisServer, startRedis, type TestRedis } from "./redis-server.js";

function record(id: string, over: Partial<BuildRecord> = {}): BuildRecord {
  const now = new Date().toISOString();
  return {
    id,
    key: `key-${id}`,
    owner: "owner-a",
    state: "queued",
    createdAt: now,
    updatedAt: now,
    stages: [],
    diagnostics: [],
    cfdPath: "cfd.yaml",
    driver: "sandbox",
    ...over,
  };
}

describe.skipIf(!hasRedisServer())("Redis build state store", () => {
  let redis: TestRedis;
  let a: RedisBuildStateStore;
  let b: RedisBuildStateStore;

  beforeAll(async () => {
    redis = await startRedis();
    a = await RedisBuildStateStore.connect(redis.url, { prefix: "t1:" });
    b = await RedisBuildStateStore.connect(redis.url, { prefix: "t1:" });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it("stores a record, patches fields, and any node reads it", async () => {
    await a.create(record("r1"));
    const patched = await a.update("r1", {
      state: "running",
      stages: [{ name: "unpack", startedAt: new Date().toISOString(), ms: 3 }],
    });
    expect(patched?.state).toBe("running");
    const seen = await b.get("r1");
    expect(seen).toEqual(patched);
    expect(seen?.stages.map((s) => s.name)).toEqual(["unpack"]);
    // A patch with `reason: undefined` removes the field.
    await b.update("r1", { reason: "x" });
    expect((await a.get("r1"))?.reason).toBe("x");
    await b.update("r1", { reason: undefined });
    expect(await a.get("r1")).not.toHaveProperty("reason");
    expect(await a.get("nope")).toBeNull();
    expect(await a.update("nope", { state: "failed" })).toBeNull();
    // update() on an unknown id must not create a half record.
    expect(await b.get("nope")).toBeNull();
  });

  it("numbers events from 1 in order, also when appended concurrently from two nodes, and replays after a seq", async () => {
    await a.create(record("r2"));
    const appended = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).append("r2", { type: "output", step: "go", stream: "stdout", line: `line ${i}` }),
      ),
    );
    const seqs = appended.map((e) => e.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const all = await b.events("r2", 0);
    expect(all.map((e) => e.seq)).toEqual(seqs);
    // What append returned is what is stored, field for field.
    for (const e of appended) expect(all[e.seq - 1]).toEqual(e);
    const tail = await a.events("r2", 35);
    expect(tail.map((e) => e.seq)).toEqual([36, 37, 38, 39, 40]);
    expect(await a.events("r2", 40)).toEqual([]);
    expect(await a.events("unknown", 0)).toEqual([]);
  });

  it("delivers live events to a subscriber on another node, in order, until it unsubscribes", async () => {
    await a.create(record("r3"));
    const got: BuildEvent[] = [];
    const unsubscribe = await b.subscribe("r3", (e) => got.push(e));
    const sent: BuildEvent[] = [];
    sent.push(await a.append("r3", { type: "queued" }));
    sent.push(await a.append("r3", { type: "stage", stage: "unpack", phase: "started" }));
    sent.push(await a.append("r3", { type: "state", state: "succeeded", fromStore: false }));
    await waitFor(() => got.length === 3);
    expect(got).toEqual(sent);
    await unsubscribe();
    await a.append("r3", { type: "output", step: "x", stream: "stderr", line: "after" });
    // A round trip through the subscriber's node: had the event been delivered, it would be there by now.
    await b.get("r3");
    await new Promise((r) => setTimeout(r, 100));
    expect(got.length).toBe(3);
  });

  it("tracks the unfinished submissions of a key and drops them when they finish", async () => {
    await a.create(record("s1", { key: "shared" }));
    await b.create(record("s2", { key: "shared" }));
    await a.create(record("s3", { key: "shared", state: "succeeded", fromStore: true }));
    expect(await b.activeByKey("shared")).toEqual(["s1", "s2"]);
    await b.update("s1", { state: "running" });
    expect(await a.activeByKey("shared")).toEqual(["s1", "s2"]);
    await b.update("s1", { state: "cancelled", reason: "cancelled by the submitter" });
    expect(await a.activeByKey("shared")).toEqual(["s2"]);
    await a.update("s2", { state: "succeeded" });
    expect(await a.activeByKey("shared")).toEqual([]);
  });

  it("pages an owner's builds newest first with an opaque cursor", async () => {
    const base = Date.parse("2026-01-01T00:00:00Z");
    const ids = Array.from({ length: 7 }, (_, i) => `p${i}`);
    for (const [i, id] of ids.entries()) {
      await a.create(record(id, { owner: "pager", createdAt: new Date(base + i * 1000).toISOString() }));
    }
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await b.listByOwner("pager", { limit: 3, ...(cursor ? { cursor } : {}) });
      pages.push(page.items.map((r) => r.id));
      cursor = page.next;
    } while (cursor);
    expect(pages).toEqual([
      ["p6", "p5", "p4"],
      ["p3", "p2", "p1"],
      ["p0"],
    ]);
    expect((await a.listByOwner("nobody", { limit: 5 })).items).toEqual([]);
  });

  it("lets finished builds and their events expire after the TTL", async () => {
    const short = await RedisBuildStateStore.connect(redis.url, { prefix: "t2:", ttlSeconds: 1 });
    try {
      await short.create(record("e1", { owner: "ttl" }));
      await short.append("e1", { type: "queued" });
      await short.update("e1", { state: "failed", reason: "x" });
      await waitFor(async () => (await short.get("e1")) === null, 10_000);
      expect(await short.events("e1", 0)).toEqual([]);
      // The owner's list skips (and prunes) the expired build.
      expect((await short.listByOwner("ttl", { limit: 10 })).items).toEqual([]);
    } finally {
      await short.close();
    }
  });

  it("fails with DCM_REDIS_UNAVAILABLE while Redis is down, and works again after it restarts", async () => {
    const s = await RedisBuildStateStore.connect(redis.url, { prefix: "t3:" });
    await redis.kill();
    try {
      let err: unknown;
      await waitFor(async () => {
        try {
          await s.get("x");
          return false;
        } catch (e) {
          err = e;
          return true;
        }
      });
      expect(err).toBeInstanceOf(DcmError);
      expect((err as DcmError).code).toBe("DCM_REDIS_UNAVAILABLE");
      await redis.restart();
      await waitFor(async () => {
        try {
          await s.create(record("after"));
          return true;
        } catch {
          return false;
        }
      }, 15_000);
      expect((await s.get("after"))?.id).toBe("after");
      // The other nodes' connections came back too.
      await waitFor(async () => (await a.get("r1").catch(() => undefined)) === null, 15_000);
    } finally {
      await s.close();
    }
  });
});

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
