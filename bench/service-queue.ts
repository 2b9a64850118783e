/**
 * What the Redis queue costs per job: the same trivial job (one stage, one
 * output line, succeeded at once) through the embedded service's queue and
 * state (EmbeddedBuildQueue + FileBuildStateStore, `dcm serve` alone) and
 * through Redis (BullmqBuildQueue + a BullMQ worker + RedisBuildStateStore,
 * `dcm serve --redis` with its own worker), both in this process, against a
 * redis-server started for the run on a free loopback port. Per job: create
 * the submission's record, enqueue, wait for its final state event. Measured
 * one job at a time (latency) and 8 at a time (throughput), alternating the
 * two backends so both see the same machine state.
 *
 * Run: `npm run build && node build/bench/service-queue.js`.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedBuildQueue } from "../src/service/queue/embedded-queue.js";
import { BullmqBuildQueue, startBuildWorker } from "../src/service/redis/bullmq-queue.js";
import { RedisBuildStateStore } from "../src/service/redis/redis-state.js";
import type { BuildQueue, BuildRecord, BuildStateStore, RunBuildJob } from "../src/service/service-types.js";
import { FileBuildStateStore, newBuildId } from "../src/service/state/file-state.js";
import { banner, fmtMs, fmtRatio, fmtSpread, isMain, printTable, stats, verdict } from "./bench-util.js";

const JOBS = 200;
const ROUNDS = 3;
const PARALLEL = 8;

const trivial: RunBuildJob = async (job, reporter) => {
  await reporter.stage({ name: "compile", startedAt: new Date().toISOString(), ms: 0 });
  await reporter.event({ type: "output", step: "compile", stream: "stdout", line: job.key });
  return { state: "succeeded", diagnostics: [] };
};

interface Backend {
  name: string;
  state: BuildStateStore;
  queue: BuildQueue;
  close(): Promise<void>;
}

let seq = 0;
async function oneJob(b: Backend): Promise<void> {
  const id = newBuildId();
  const key = `bench-${process.pid}-${++seq}`;
  const now = new Date().toISOString();
  const rec: BuildRecord = {
    id,
    key,
    owner: "bench",
    state: "queued",
    createdAt: now,
    updatedAt: now,
    stages: [],
    diagnostics: [],
    cfdPath: "dcm.yaml",
    driver: "local",
  };
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const off = await b.state.subscribe(id, (e) => {
    if (e.type === "state" && e.state !== "running") done();
  });
  await b.state.create(rec);
  await b.queue.enqueue({ key, archive: "0".repeat(64), archiveKind: "tar.gz", cfdPath: "dcm.yaml", driver: "local" });
  await finished;
  await off();
}

/** ms per job: `JOBS` jobs, `parallel` in flight. */
async function perJob(b: Backend, parallel: number): Promise<number> {
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next++ < JOBS) await oneJob(b);
    }),
  );
  return (performance.now() - t) / JOBS;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function main(): Promise<void> {
  banner("service-queue", `per-job overhead, ${JOBS} trivial jobs: embedded queue vs BullMQ + Redis state (redis-server on loopback)`);
  const dir = await mkdtemp(join(tmpdir(), "dcm-bench-queue-"));
  const port = await freePort();
  const redis = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: "ignore" },
  );
  const spawned = await new Promise<boolean>((r) => {
    redis.once("error", () => r(false));
    redis.once("spawn", () => r(true));
  });
  if (!spawned) {
    console.log("redis-server is not installed (bash scripts/install-redis.sh): nothing to compare.");
    await rm(dir, { recursive: true, force: true });
    return;
  }
  const url = `redis://127.0.0.1:${port}`;
  try {
    let rstate: RedisBuildStateStore | undefined;
    for (let i = 0; i < 100 && !rstate; i++) {
      rstate = await RedisBuildStateStore.connect(url, { prefix: "bench:" }).catch(async () => {
        await new Promise((r) => setTimeout(r, 50));
        return undefined;
      });
    }
    if (!rstate) throw new Error(`redis-server did not answer on ${url}`);
    const rqueue = await BullmqBuildQueue.connect(url, rstate, { prefix: "bench" });
    const rworker = await startBuildWorker(url, rstate, trivial, { prefix: "bench", concurrency: PARALLEL });
    await rworker.ready;
    const redisBackend: Backend = {
      name: "BullMQ + Redis state",
      state: rstate,
      queue: rqueue,
      async close() {
        await rworker.close(0);
        await rqueue.close();
        await rstate.close();
      },
    };
    await mkdir(join(dir, "state"));
    const fstate = await FileBuildStateStore.open(join(dir, "state"));
    const embedded: Backend = {
      name: "embedded (in process)",
      state: fstate,
      queue: new EmbeddedBuildQueue(fstate, trivial, { concurrency: PARALLEL }),
      async close() {
        await this.queue.close();
        await fstate.close();
      },
    };

    const samples = new Map<string, number[]>();
    const add = (k: string, v: number) => samples.set(k, [...(samples.get(k) ?? []), v]);
    // Warm-up: connections, scripts, JIT.
    for (const b of [embedded, redisBackend]) for (let i = 0; i < 20; i++) await oneJob(b);
    for (let r = 0; r < ROUNDS; r++) {
      for (const b of r % 2 ? [redisBackend, embedded] : [embedded, redisBackend]) {
        add(`${b.name}|1`, await perJob(b, 1));
        add(`${b.name}|${PARALLEL}`, await perJob(b, PARALLEL));
      }
    }
    const rows: string[][] = [];
    const ratio: Record<number, number> = {};
    for (const parallel of [1, PARALLEL]) {
      const e = stats(samples.get(`${embedded.name}|${parallel}`)!);
      const q = stats(samples.get(`${redisBackend.name}|${parallel}`)!);
      ratio[parallel] = q.median / e.median;
      rows.push([`${parallel} in flight`, fmtSpread(e, fmtMs), fmtSpread(q, fmtMs), fmtRatio(q.median / e.median)]);
    }
    printTable(["jobs", `${embedded.name} ms/job`, `${redisBackend.name} ms/job`, "ratio"], rows);
    const q1 = stats(samples.get(`${redisBackend.name}|1`)!).median;
    console.log(
      `\nA build takes seconds to minutes; the queue's share of it is ${fmtMs(q1)} a job through Redis (${fmtRatio(ratio[1]!)} the embedded queue's).`,
    );
    verdict(q1 < 50, "BullMQ per-job overhead < 50 ms (one job at a time)", fmtMs(q1));
    await redisBackend.close();
    await embedded.close();
  } finally {
    redis.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await main();
