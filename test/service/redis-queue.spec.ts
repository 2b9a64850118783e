/**
 * The BullMQ build queue and its worker against a real redis-server, with a
 * small runner of the test's own (the queue is under test here; the real
 * build runner runs in redis-workers.spec.ts): one job per key shared by its
 * submissions, events fanned out to each, cancel of a waiting and of a
 * running job from another node, a runner that throws, a worker that shuts
 * down and hands its job to another, and Redis going away and coming back.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DcmError } from "../../runtime/diagnostics/catalog.js";
import { BullmqBuildQueue, type BuildWorker, startBuildWorker } from "../../src/service/redis/bullmq-queue.js";
import { RedisBuildStateStore } from "../../src/service/redis/redis-state.js";
import type { BuildJob, BuildRecord, RunBuildJob } from "../../src/service/service-types.js";
import { ROOT } from "../support/run-cli.js";
import { hasRedisServer, startRedis, type TestRedis } from "./redis-server.js";

let n = 0;
function submission(state: RedisBuildStateStore, key: string): Promise<string> {
  const id = `b${++n}-${key}`;
  const now = new Date().toISOString();
  const rec: BuildRecord = {
    id,
    key,
    owner: "o",
    state: "queued",
    createdAt: now,
    updatedAt: now,
    stages: [],
    diagnostics: [],
    cfdPath: "cfd.yaml",
    driver: "local",
  };
  return state.create(rec).then(() => id);
}

function job(key: string): BuildJob {
  return { key, archive: "0".repeat(64), archiveKind: "tar.gz", cfdPath: "cfd.yaml", driver: "local" };
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

const finished = (state: RedisBuildStateStore, id: string) => async () =>
  ["succeeded", "failed", "cancelled"].includes((await state.get(id))?.state ?? "");

describe.skipIf(!hasRedisServer())("BullMQ build queue", () => {
  let redis: TestRedis;
  let state: RedisBuildStateStore;
  let queue: BullmqBuildQueue;
  const workers: BuildWorker[] = [];
  const runs = new Map<string, number>();
  const gates = new Map<string, () => void>();

  // Keys decide what the runner does: `wait-*` waits for its gate or its signal, `throw-*` throws.
  const runner: RunBuildJob = async (j, reporter, signal) => {
    runs.set(j.key, (runs.get(j.key) ?? 0) + 1);
    await reporter.stage({ name: "compile", startedAt: new Date().toISOString() });
    await reporter.event({ type: "output", step: "compile", stream: "stdout", line: `building ${j.key}` });
    if (j.key.startsWith("throw-")) throw new Error("the runner broke");
    if (j.key.startsWith("wait-")) {
      await new Promise<void>((resolve) => {
        gates.set(j.key, resolve);
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      if (signal.aborted) return { state: "cancelled", reason: "aborted", diagnostics: [] };
    }
    await reporter.event({ type: "stage", stage: "compile", phase: "finished", ms: 1 });
    return { state: "succeeded", diagnostics: [] };
  };

  const opts = { prefix: "q1", lockDurationMs: 2000, stalledIntervalMs: 1000 };

  beforeAll(async () => {
    redis = await startRedis();
    state = await RedisBuildStateStore.connect(redis.url, { prefix: "q1:" });
    queue = await BullmqBuildQueue.connect(redis.url, state, opts);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close(0)));
    await queue?.close();
    await state?.close();
    await redis?.stop();
  });

  async function worker(o: Partial<Parameters<typeof startBuildWorker>[3]> = {}): Promise<BuildWorker> {
    const w = await startBuildWorker(redis.url, state, runner, { ...opts, concurrency: 2, ...o });
    workers.push(w);
    await w.ready;
    return w;
  }

  it("runs identical submissions as one job and gives each its events and final state", async () => {
    await worker();
    const [a, b] = [await submission(state, "wait-same"), await submission(state, "wait-same")];
    await Promise.all([queue.enqueue(job("wait-same")), queue.enqueue(job("wait-same"))]);
    await waitFor(() => gates.has("wait-same"));
    gates.get("wait-same")!();
    await waitFor(finished(state, a));
    await waitFor(finished(state, b));
    expect(runs.get("wait-same")).toBe(1);
    for (const id of [a, b]) {
      const rec = await state.get(id);
      expect(rec?.state).toBe("succeeded");
      expect(rec?.stages.map((s) => s.name)).toEqual(["compile"]);
      const events = await state.events(id, 0);
      expect(events.map((e) => e.type)).toEqual(["state", "output", "stage", "state"]);
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(events.at(-1)).toMatchObject({ type: "state", state: "succeeded" });
    }
    // Resubmitting the key after it finished runs it again (the service asks the store first; the queue does not refuse).
    const c = await submission(state, "plain-1");
    await queue.enqueue(job("plain-1"));
    await waitFor(finished(state, c));
    const d = await submission(state, "plain-1");
    await queue.enqueue(job("plain-1"));
    await waitFor(finished(state, d));
    expect(runs.get("plain-1")).toBe(2);
  });

  it("cancels a running job from another node: the runner's signal aborts", async () => {
    const other = await BullmqBuildQueue.connect(redis.url, state, opts);
    try {
      const id = await submission(state, "wait-cancel");
      await queue.enqueue(job("wait-cancel"));
      await waitFor(() => gates.has("wait-cancel"));
      expect(await other.cancel("wait-cancel")).toBe(true);
      await waitFor(finished(state, id));
      const rec = await state.get(id);
      expect(rec).toMatchObject({ state: "cancelled", reason: "cancelled by the submitter" });
      expect(await other.cancel("wait-cancel")).toBe(false);
      expect(await other.cancel("no-such-key")).toBe(false);
    } finally {
      await other.close();
    }
  });

  it("cancels a waiting job by removing it", async () => {
    // A queue no worker serves, so the job stays waiting.
    const idle = await BullmqBuildQueue.connect(redis.url, state, { prefix: "idle" });
    try {
      const id = await submission(state, "wait-never");
      await idle.enqueue(job("wait-never"));
      expect(await idle.cancel("wait-never")).toBe(true);
      expect(await state.get(id)).toMatchObject({ state: "cancelled" });
      expect(await idle.cancel("wait-never")).toBe(false);
    } finally {
      await idle.close();
    }
  });

  it("marks the build failed, with a diagnostic, when the runner throws", async () => {
    const id = await submission(state, "throw-1");
    await queue.enqueue(job("throw-1"));
    await waitFor(finished(state, id));
    const rec = await state.get(id);
    expect(rec?.state).toBe("failed");
    expect(rec?.diagnostics.map((d) => d.code)).toEqual(["DCM_REDIS_JOB_CRASHED"]);
    expect(rec?.diagnostics[0]?.message).toContain("the runner broke");
  });

  it("a worker that shuts down releases its running job, and another worker finishes it", async () => {
    const leaving = await startBuildWorker(redis.url, state, runner, { ...opts, prefix: "q2" });
    await leaving.ready;
    const q2 = await BullmqBuildQueue.connect(redis.url, state, { prefix: "q2" });
    try {
      const id = await submission(state, "wait-release");
      await q2.enqueue(job("wait-release"));
      await waitFor(() => gates.has("wait-release"));
      gates.delete("wait-release");
      await leaving.close(100);
      // Released, not finished: the record is still unfinished and the job is back in the queue.
      expect((await state.get(id))?.state).toBe("running");
      const stayer = await worker({ prefix: "q2" });
      await waitFor(() => gates.has("wait-release"));
      gates.get("wait-release")!();
      await waitFor(finished(state, id));
      expect((await state.get(id))?.state).toBe("succeeded");
      expect(runs.get("wait-release")).toBe(2);
      await stayer.close(0);
    } finally {
      await q2.close();
    }
  });

  it("a worker killed mid-build (SIGKILL) loses its job to another worker, which finishes it", async () => {
    const child = spawn(
      process.execPath,
      // tsx as a loader, not its CLI: the CLI runs the script in a child process that SIGKILL would not reach.
      ["--import", "tsx", join(ROOT, "test/service/fixtures/hanging-worker.ts"), redis.url, "q3", "q1:"],
      { stdio: ["ignore", "pipe", "inherit"], cwd: ROOT },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const exited = new Promise((r) => child.once("exit", r));
    const q3 = await BullmqBuildQueue.connect(redis.url, state, { prefix: "q3" });
    try {
      await waitFor(() => out.includes("ready"), 60_000);
      const id = await submission(state, "wait-stall");
      await q3.enqueue(job("wait-stall"));
      await waitFor(() => out.includes("running wait-stall"));
      expect((await state.get(id))?.state).toBe("running");
      child.kill("SIGKILL");
      await exited;
      // Only now a worker of this process joins the queue: it can only get the job through the stalled check.
      await worker({ prefix: "q3" });
      await waitFor(() => gates.has("wait-stall"), 30_000);
      gates.get("wait-stall")!();
      await waitFor(finished(state, id), 30_000);
      expect((await state.get(id))?.state).toBe("succeeded");
      const events = await state.events(id, 0);
      expect(events.filter((e) => e.type === "output").map((e) => (e as { line: string }).line)).toEqual([
        "hanging on wait-stall",
        "building wait-stall",
      ]);
      expect(events.find((e) => e.type === "state" && e.reason?.startsWith("restarted"))).toBeTruthy();
    } finally {
      child.kill("SIGKILL");
      await q3.close();
    }
  });

  it("answers DCM_REDIS_UNAVAILABLE while Redis is down; after it restarts, queue and worker go on", async () => {
    await redis.kill();
    let err: unknown;
    await queue.enqueue(job("plain-down")).catch((e) => (err = e));
    expect(err).toBeInstanceOf(DcmError);
    expect((err as DcmError).code).toBe("DCM_REDIS_UNAVAILABLE");
    await redis.restart();
    // The restarted Redis is empty (no persistence): a new submission.
    let id = "";
    await waitFor(async () => {
      try {
        id = await submission(state, "plain-after");
        await queue.enqueue(job("plain-after"));
        return true;
      } catch {
        return false;
      }
    });
    await waitFor(finished(state, id), 30_000);
    expect((await state.get(id))?.state).toBe("succeeded");
  });
});
