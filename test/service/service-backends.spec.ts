/**
 * The embedded service's backends on their own (no server, no toolchain):
 * the directory store (marker, atomic dists, paths), the file state store
 * (order, pages, eviction, builds left unfinished become failed
 * "interrupted" on reopening) and the in-process queue (one job per key,
 * cancel, close). The queue runs a stand-in RunBuildJob: the queue, not the
 * build, is under test here.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { x as tarExtract } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedBuildQueue } from "../../src/service/queue/embedded-queue.js";
import type { BuildJob, BuildRecord, JobResult, RunBuildJob } from "../../src/service/service-types.js";
import { FileBuildStateStore, newBuildId } from "../../src/service/state/file-state.js";
import { DirArtifactStore } from "../../src/service/store/dir-store.js";
import { sha256 } from "./service-helpers.js";

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-service-backends-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const KEY1 = "a".repeat(64);
const KEY2 = "b".repeat(64);

function record(key: string, owner = "k1", createdAt = new Date().toISOString()): BuildRecord {
  return { id: newBuildId(), key, owner, state: "queued", createdAt, updatedAt: createdAt, stages: [], diagnostics: [], cfdPath: "dcm.yaml", driver: "sandbox" };
}

describe("the directory store", () => {
  it("refuses a folder it did not make, and stores dists and blobs whole", async () => {
    const foreign = join(scratch, "foreign");
    await mkdir(foreign);
    await writeFile(join(foreign, "notes.txt"), "mine");
    await expect(DirArtifactStore.open(foreign)).rejects.toMatchObject({ diagnostics: [{ code: "DCM_SERVICE_STORE" }] });
    expect(await readdir(foreign)).toEqual(["notes.txt"]);

    const store = await DirArtifactStore.open(join(scratch, "store"));
    const dist = join(scratch, "dist");
    await mkdir(join(dist, "client"), { recursive: true });
    await writeFile(join(dist, "manifest.json"), "{}\n");
    await writeFile(join(dist, "client", "x.wasm"), Buffer.from([0, 97, 115, 109]));
    expect(await store.hasDist(KEY1)).toBe(false);
    // Two workers putting the same key at once: one dist, whole.
    await Promise.all([store.putDist(KEY1, dist), store.putDist(KEY1, dist)]);
    expect(await store.listDist(KEY1)).toEqual([
      { path: "client/x.wasm", size: 4, sha256: sha256(Buffer.from([0, 97, 115, 109])) },
      { path: "manifest.json", size: 3, sha256: sha256(Buffer.from("{}\n")) },
    ]);
    const part = await store.readDistFile(KEY1, "client/x.wasm", { start: 1, end: 2 });
    const chunks: Buffer[] = [];
    for await (const c of part!.stream as AsyncIterable<Buffer>) chunks.push(c);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([97, 115]));
    for (const p of ["../store/.dcm-store", "/etc/passwd", "client/../manifest.json", ".dcm-store-files.json"])
      expect(await store.readDistFile(KEY1, p), p).toBeNull();
    await expect(store.listDist("../../etc")).rejects.toMatchObject({ diagnostics: [{ code: "DCM_SERVICE_STORE" }] });

    const blob = Buffer.from("archive bytes");
    await store.putBlob(sha256(blob), blob);
    expect(await store.getBlob(sha256(blob))).toEqual(blob);
    await expect(store.putBlob(KEY2, blob)).rejects.toMatchObject({ diagnostics: [{ code: "DCM_SERVICE_STORE" }] });
    expect(await readdir(join(scratch, "store", "tmp"))).toEqual([]);
    // Opened again: the same store.
    expect(await (await DirArtifactStore.open(join(scratch, "store"))).hasDist(KEY1)).toBe(true);
  });

  it("opens one new store from several openers at once (serve nodes and workers starting together)", async () => {
    const root = join(scratch, "store-race");
    const stores = await Promise.all(Array.from({ length: 8 }, () => DirArtifactStore.open(root)));
    expect(stores.every((s) => s.root === root)).toBe(true);
    expect((await readdir(root)).sort()).toEqual([".dcm-store", "blobs", "dists", "state", "tmp"]);
  });

  it("packs a dist's tar.gz once, reproducibly, holding exactly the dist's files", async () => {
    const store = await DirArtifactStore.open(join(scratch, "store-archive"));
    const dist = join(scratch, "dist-archive");
    await mkdir(join(dist, "server"), { recursive: true });
    await writeFile(join(dist, "manifest.json"), '{"v":1}\n');
    await writeFile(join(dist, "server", "go.so"), randomBytes(3000));
    await store.putDist(KEY2, dist);
    const read = async () => {
      const a = (await store.readDistArchive(KEY2))!;
      const chunks: Buffer[] = [];
      for await (const c of a.stream as AsyncIterable<Buffer>) chunks.push(c);
      return { ...a, bytes: Buffer.concat(chunks) };
    };
    const first = await read();
    expect(first.size).toBe(first.bytes.length);
    expect(first.sha256).toBe(sha256(first.bytes));
    const listed: string[] = [];
    const out = join(scratch, "unpacked-archive");
    await mkdir(out);
    await new Promise<void>((resolve, reject) => {
      const x = tarExtract({ cwd: out, onReadEntry: (e) => listed.push(e.path) });
      x.on("finish", resolve).on("error", reject);
      x.end(first.bytes);
    });
    expect(listed.sort()).toEqual(["manifest.json", "server/go.so"]);
    expect(await readFile(join(out, "server", "go.so"))).toEqual(await readFile(join(dist, "server", "go.so")));
    // A store made before dists were packed at put time: packed on first read, to the same bytes.
    await rm(join(store.root, "dists", KEY2, ".dcm-dist.tar.gz"));
    await rm(join(store.root, "dists", KEY2, ".dcm-dist.json"));
    expect((await read()).bytes).toEqual(first.bytes);
    expect(await store.readDistArchive(KEY1)).toBeNull();
    expect(await store.readDistFile(KEY2, ".dcm-dist.tar.gz")).toBeNull();
  });
});

describe("the file state store", () => {
  it("numbers events in order, pages newest first, evicts finished builds from memory but not from disk", async () => {
    const dir = join(scratch, "state1");
    await mkdir(dir);
    const state = await FileBuildStateStore.open(dir, { cacheSize: 2 });
    const recs = Array.from({ length: 5 }, (_, i) => record(KEY1, "k1", new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()));
    for (const r of recs) {
      await state.create(r);
      await state.append(r.id, { type: "queued" });
      await state.update(r.id, { state: "succeeded" });
      await state.append(r.id, { type: "state", state: "succeeded" });
    }
    const seen: number[] = [];
    const unsub = await state.subscribe(recs[0]!.id, (e) => seen.push(e.seq));
    await state.append(recs[0]!.id, { type: "output", step: "s", stream: "stdout", line: "late" });
    await unsub();
    expect(seen).toEqual([3]);
    expect((await state.events(recs[0]!.id, 0)).map((e) => [e.seq, e.type])).toEqual([[1, "queued"], [2, "state"], [3, "output"]]);
    expect((await state.events(recs[0]!.id, 2)).map((e) => e.seq)).toEqual([3]);
    const p1 = await state.listByOwner("k1", { limit: 2 });
    expect(p1.items.map((r) => r.id)).toEqual([recs[4]!.id, recs[3]!.id]);
    const p2 = await state.listByOwner("k1", { limit: 2, cursor: p1.next! });
    const p3 = await state.listByOwner("k1", { limit: 2, cursor: p2.next! });
    expect([...p2.items, ...p3.items].map((r) => r.id)).toEqual([recs[2]!.id, recs[1]!.id, recs[0]!.id]);
    expect(p3.next).toBeUndefined();
    expect((await state.listByOwner("k2", { limit: 10 })).items).toEqual([]);
    expect(await state.get("0".repeat(24))).toBeNull();
    expect(await state.get("../../etc/passwd")).toBeNull();
    await state.close();
  });

  it("marks builds a stopped service left queued or running as failed \"interrupted\" when it opens again", async () => {
    const dir = join(scratch, "state2");
    await mkdir(dir);
    const first = await FileBuildStateStore.open(dir);
    const queued = record(KEY1);
    const running = record(KEY2);
    const done = record(KEY2);
    for (const r of [queued, running, done]) {
      await first.create(r);
      await first.append(r.id, { type: "queued" });
    }
    await first.update(running.id, { state: "running" });
    await first.update(done.id, { state: "succeeded" });
    await first.append(done.id, { type: "state", state: "succeeded" });
    // No close(): the process "died" here.
    const second = await FileBuildStateStore.open(dir);
    for (const r of [queued, running]) {
      expect(await second.get(r.id)).toMatchObject({ state: "failed", reason: "interrupted" });
      expect((await second.events(r.id, 0)).pop()).toMatchObject({ type: "state", state: "failed", reason: "interrupted" });
    }
    expect(await second.get(done.id)).toMatchObject({ state: "succeeded" });
    expect(await second.activeByKey(KEY2)).toEqual([]);
  });
});

describe("the in-process queue", () => {
  function gatedRunner() {
    const runs: string[] = [];
    const gates = new Map<string, () => void>();
    const run: RunBuildJob = async (job: BuildJob, reporter, signal): Promise<JobResult> => {
      runs.push(job.key);
      await reporter.event({ type: "output", step: "stand-in", stream: "stdout", line: `building ${job.key.slice(0, 4)}` });
      await new Promise<void>((resolve) => {
        gates.set(job.key, resolve);
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      return signal.aborted ? { state: "cancelled", diagnostics: [] } : { state: "succeeded", diagnostics: [] };
    };
    return { run, runs, open: (key: string) => gates.get(key)?.() };
  }
  const job = (key: string): BuildJob => ({ key, archive: KEY2, archiveKind: "zip", cfdPath: "dcm.yaml", driver: "sandbox" });
  const settle = () => new Promise((r) => setTimeout(r, 50));

  it("runs one job per key for every submission of it, each seeing the whole history", async () => {
    const dir = join(scratch, "state3");
    await mkdir(dir);
    const state = await FileBuildStateStore.open(dir);
    const r = gatedRunner();
    const queue = new EmbeddedBuildQueue(state, r.run, { concurrency: 1 });
    const a = record(KEY1);
    await state.create(a);
    await queue.enqueue(job(KEY1));
    await settle();
    const b = record(KEY1);
    await state.create(b);
    await queue.enqueue(job(KEY1)); // joins the running job
    await settle();
    expect(r.runs).toEqual([KEY1]);
    expect((await state.get(b.id))!.state).toBe("running");
    r.open(KEY1);
    await settle();
    for (const id of [a.id, b.id]) {
      expect(await state.get(id)).toMatchObject({ state: "succeeded" });
      expect((await state.events(id, 0)).map((e) => (e.type === "state" ? e.state : e.type))).toEqual(["running", "output", "succeeded"]);
    }
    await queue.close();
  });

  it("cancels by key, and close() marks queued and running jobs failed \"interrupted\"", async () => {
    const dir = join(scratch, "state4");
    await mkdir(dir);
    const state = await FileBuildStateStore.open(dir);
    const r = gatedRunner();
    const queue = new EmbeddedBuildQueue(state, r.run, { concurrency: 1 });
    const [a, b, c] = [record(KEY1), record(KEY2), record("c".repeat(64))];
    for (const x of [a, b, c]) await state.create(x);
    await queue.enqueue(job(KEY1));
    await settle();
    expect(await queue.cancel(KEY1)).toBe(true);
    await settle();
    expect(await state.get(a.id)).toMatchObject({ state: "cancelled", reason: "cancelled by the submitter" });
    expect(await queue.cancel(KEY1)).toBe(false);
    await queue.enqueue(job(KEY2)); // runs
    await queue.enqueue(job(c.key)); // waits for the slot
    await settle();
    await queue.close();
    expect(await state.get(b.id)).toMatchObject({ state: "failed", reason: "interrupted" });
    expect(await state.get(c.id)).toMatchObject({ state: "failed", reason: "interrupted" });
    expect(r.runs).toEqual([KEY1, KEY2]);
  });
});
