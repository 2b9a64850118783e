/**
 * Redis mode end to end, every part a real process: a redis-server, two
 * `dcm serve --redis … --workers 0` nodes (A and B) and two `dcm worker`
 * processes sharing one store, real builds of a Go repository.
 *
 * - Several submissions on A; one worker is SIGKILLed while it builds (seen
 *   in its log and in the build's state): BullMQ's stalled check hands its
 *   build to the other worker; every build succeeds, and each dist equals a
 *   local `dcm build` of the same tree, file for file (sha256).
 * - B answers for builds submitted on A: the record, the SSE events (in
 *   order, ending with the final state), the dist files.
 * - Redis killed and restarted on the same port: the nodes stay up and
 *   answer 503 DCM_REDIS_UNAVAILABLE while it is down; a new submission after
 *   the restart is built.
 *
 * The workers get a GOCACHE of their own, empty, so the first build compiles
 * Go's runtime and takes long enough (tens of seconds) to be killed mid-way.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DCM_BIN, ROOT, runCli } from "../support/run-cli.js";
import { hasRedisServer, startRedis, type TestRedis } from "./redis-server.js";

const FIXTURE = join(ROOT, "test/e2e/fixtures/small");
const KEY = `dcm_test_${"k".repeat(32)}`;
const VARIANTS = 3;

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

const procs: Proc[] = [];

function startDcm(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [DCM_BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, DCM_API_KEYS: KEY, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const p = { child, out: () => out, exited };
  procs.push(p);
  return p;
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

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    // Slow enough to stay well under the service's rate limit (600 requests a minute per key).
    await new Promise((r) => setTimeout(r, 500));
  }
}

const auth = { authorization: `Bearer ${KEY}` };

async function tarGz(dir: string): Promise<Buffer> {
  const files = await readdir(dir, { recursive: true, withFileTypes: true });
  const paths = files.filter((f) => f.isFile()).map((f) => relative(dir, join(f.parentPath, f.name)));
  const chunks: Buffer[] = [];
  const stream = tar.c({ gzip: true, cwd: dir, portable: true }, paths.sort());
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function submit(base: string, archive: Buffer): Promise<Response> {
  const form = new FormData();
  form.set("repo", new Blob([archive]), "repo.tar.gz");
  form.set("cfdPath", "dcm.yaml");
  return fetch(`${base}/dcm/builds`, { method: "POST", headers: auth, body: form });
}

async function record(base: string, id: string): Promise<{ state: string; [k: string]: unknown }> {
  let r = await fetch(`${base}/dcm/builds/${id}`, { headers: auth });
  for (let i = 0; i < 5 && r.status === 429; i++) {
    await new Promise((res) => setTimeout(res, 1000 * Number(r.headers.get("retry-after") ?? 1)));
    r = await fetch(`${base}/dcm/builds/${id}`, { headers: auth });
  }
  if (r.status !== 200) return { state: `http ${r.status}` };
  return (await r.json()) as { state: string };
}

/** Every file of a dist folder with its sha256, by relative path. */
async function distHashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile()) continue;
    const full = join(f.parentPath, f.name);
    out[relative(dir, full)] = createHash("sha256").update(await readFile(full)).digest("hex");
  }
  return out;
}

async function served(base: string, id: string, files: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of files) {
    const r = await fetch(`${base}/dcm/builds/${id}/dist/${f}`, { headers: auth });
    expect(r.status, f).toBe(200);
    out[f] = createHash("sha256").update(Buffer.from(await r.arrayBuffer())).digest("hex");
  }
  return out;
}

/** Reads the SSE stream until the final state event (or the stream ends). */
async function sseEvents(base: string, id: string): Promise<Array<{ type: string; seq: number; state?: string }>> {
  const r = await fetch(`${base}/dcm/builds/${id}/events`, { headers: { ...auth, accept: "text/event-stream" } });
  expect(r.status).toBe(200);
  const events: Array<{ type: string; seq: number; state?: string }> = [];
  const decoder = new TextDecoder();
  let buf = "";
  const reader = r.body!.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = block
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trim())
        .join("\n");
      if (!data) continue;
      const e = JSON.parse(data) as { type: string; seq: number; state?: string };
      events.push(e);
      if (e.type === "state" && ["succeeded", "failed", "cancelled"].includes(e.state ?? "")) {
        await reader.cancel();
        return events;
      }
    }
  }
  return events;
}

describe.skipIf(!hasRedisServer())("Redis mode: serve nodes, workers, a killed worker, a restarted Redis", () => {
  let redis: TestRedis;
  let work: string;
  let store: string;
  let baseA: string;
  let baseB: string;
  const workers: Proc[] = [];
  const variants: string[] = [];
  const ids: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    work = await mkdtemp(join(tmpdir(), "dcm-redis-e2e-"));
    store = join(work, "store");
    const gocache = join(work, "gocache");
    for (let i = 0; i < VARIANTS + 1; i++) {
      const dir = join(work, `repo-${i}`);
      await cp(FIXTURE, dir, { recursive: true });
      // Another file makes another build key; the artifacts stay those of the fixture.
      await writeFile(join(dir, "NOTE.txt"), `variant ${i}\n`);
      variants.push(dir);
    }
    const [pA, pB] = [await freePort(), await freePort()];
    baseA = `http://127.0.0.1:${pA}`;
    baseB = `http://127.0.0.1:${pB}`;
    for (const port of [pA, pB]) {
      startDcm(["serve", "--port", String(port), "--store", store, "--redis", redis.url, "--workers", "0"]);
    }
    for (let w = 0; w < 2; w++) {
      workers.push(
        startDcm(
          ["worker", "--redis", redis.url, "--store", store, "--lock-duration", "2000", "--stalled-interval", "1000"],
          { GOCACHE: gocache, DCM_CACHE_DIR: join(work, `cache-${w}`) },
        ),
      );
    }
    for (const base of [baseA, baseB]) {
      await waitFor(
        async () => (await fetch(`${base}/dcm/languages`, { headers: auth }).catch(() => null))?.status === 200,
        60_000,
        `${base} to answer`,
      );
    }
    await waitFor(() => workers.every((w) => w.out().includes("taking builds")), 60_000, "the workers");
  });

  afterAll(async () => {
    for (const p of procs) p.child.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("builds every submission although a worker is SIGKILLed mid-build; the dists equal local builds", async () => {
    for (const dir of variants.slice(0, VARIANTS)) {
      const r = await submit(baseA, await tarGz(dir));
      expect(r.status).toBe(202);
      const body = (await r.json()) as { id: string; state: string };
      expect(body.state).toBe("queued");
      ids.push(body.id);
    }
    // Kill the first worker seen building, while the service says its build runs.
    let victim: Proc | undefined;
    await waitFor(
      async () => {
        victim = workers.find((w) => /running build/.test(w.out()));
        if (!victim) return false;
        const states = await Promise.all(ids.map((id) => record(baseA, id)));
        return states.some((s) => s.state === "running");
      },
      120_000,
      "a build to run",
    );
    victim!.child.kill("SIGKILL");
    await victim!.exited;
    const survivor = workers.find((w) => w !== victim)!;

    await waitFor(
      async () => (await Promise.all(ids.map((id) => record(baseA, id)))).every((s) => s.state !== "queued" && s.state !== "running"),
      600_000,
      "every build to finish",
    );
    const records = await Promise.all(ids.map((id) => record(baseA, id)));
    expect(records.map((r) => r.state), survivor.out()).toEqual(ids.map(() => "succeeded"));
    // The killed worker's build was taken over, and its events say so.
    expect(survivor.out()).toMatch(/restarting build/);

    for (const [i, id] of ids.entries()) {
      const local = join(work, `local-${i}`);
      const built = await runCli(["build", variants[i]!, "--cfd", join(variants[i]!, "dcm.yaml"), "--out", local]);
      expect(built.code, built.stderr).toBe(0);
      const want = await distHashes(local);
      expect(Object.keys(want)).toContain("manifest.json");
      expect(await served(baseA, id, Object.keys(want))).toEqual(want);
    }
  });

  it("answers on node B for builds submitted on node A: record, events in order, dist", async () => {
    expect(ids.length).toBe(VARIANTS);
    for (const id of ids) {
      const onA = await record(baseA, id);
      const onB = await record(baseB, id);
      expect(onB).toEqual(onA);
      const events = await sseEvents(baseB, id);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.at(-1)).toMatchObject({ type: "state", state: "succeeded" });
    }
    const restarted = await Promise.all(ids.map((id) => sseEvents(baseB, id)));
    expect(restarted.some((evs) => evs.some((e) => e.type === "state" && /restarted/.test(String((e as { reason?: string }).reason))))).toBe(true);
    const manifestA = await fetch(`${baseA}/dcm/builds/${ids[0]}/dist/manifest.json`, { headers: auth });
    const manifestB = await fetch(`${baseB}/dcm/builds/${ids[0]}/dist/manifest.json`, { headers: auth });
    expect(Buffer.from(await manifestB.arrayBuffer())).toEqual(Buffer.from(await manifestA.arrayBuffer()));
  });

  it("stays up while Redis is down (503 DCM_REDIS_UNAVAILABLE) and builds again after Redis restarts", async () => {
    await redis.kill();
    const archive = await tarGz(variants[VARIANTS]!);
    const down = await submit(baseA, archive);
    expect(down.status).toBe(503);
    expect(JSON.stringify(await down.json())).toContain("DCM_REDIS_UNAVAILABLE");
    const get = await fetch(`${baseB}/dcm/builds/${ids[0]}`, { headers: auth });
    expect(get.status).toBe(503);
    await redis.restart();
    let id = "";
    await waitFor(
      async () => {
        const r = await submit(baseA, archive);
        if (r.status !== 202) return false;
        id = ((await r.json()) as { id: string }).id;
        return true;
      },
      60_000,
      "a submission to be accepted after the restart",
    );
    await waitFor(async () => ["succeeded", "failed", "cancelled"].includes((await record(baseB, id)).state), 300_000, "the build");
    expect((await record(baseA, id)).state).toBe("succeeded");
    // Both nodes and the surviving worker went through it all without exiting.
    for (const p of procs.slice(0, 2)) expect(p.child.exitCode, p.out()).toBeNull();
    const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    expect(alive.length).toBe(1);
    // SIGTERM with no build running: the worker closes its queue connections and exits 0.
    alive[0]!.child.kill("SIGTERM");
    expect(await alive[0]!.exited, alive[0]!.out()).toBe(0);
    expect(alive[0]!.out()).toContain("dcm worker: stopped.");
  });
});
