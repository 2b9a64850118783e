/**
 * Fragments cannot take a host down (issue 9, item 3). Real Go, Rust and
 * TypeScript fixtures (test/server/fixtures/hostile-*) built with the real
 * toolchains: fragments that exit, abort, panic on another goroutine,
 * overflow their stack, loop forever and allocate without bound, run by a
 * real `dcm run` on loopback while another client keeps calling a healthy
 * fragment, by `dcm invoke --on server`, and through openDist.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FragmentCallError, type JsValue, type LoadedDist, openDist } from "../../src/index.js";
import { DCM_BIN, runCli } from "../support/run-cli.js";
import { attachDistributor } from "../../runtime/server/attach.js";
import { buildFixture, connect, KEY1, ORIGIN, sleep, type TestClient } from "./harness.js";

type Built = Awaited<ReturnType<typeof buildFixture>>;
let go: Built;
let rust: Built;
let ts: Built;

beforeAll(async () => {
  [go, rust, ts] = await Promise.all([
    buildFixture("hostile-go"),
    buildFixture("hostile-rust"),
    buildFixture("hostile-ts"),
  ]);
});

afterAll(async () => {
  await Promise.all([go?.cleanup(), rust?.cleanup(), ts?.cleanup()]);
});

/** Live processes running `sleep <secs>`. */
function sleeps(secs: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8") === `sleep\0${secs}\0`) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Live processes started by `parent` whose command line mentions `text`. */
function childrenOf(parent: number, text: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== parent || fields[0] === "Z") continue;
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(text)) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(50);
  return cond();
}

interface Run {
  proc: ChildProcess;
  wsUrl: string;
  base: string;
  stderr(): string;
  stop(): Promise<void>;
}

async function startRun(dist: string, extra: string[] = []): Promise<Run> {
  const proc = spawn(process.execPath, [DCM_BIN, "run", dist, "--port", "0", "--workers", "2", ...extra], {
    env: { ...process.env, DCM_JWT_SECRET: "isolation-test-secret-of-32-bytes!!!", DCM_API_KEYS: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  proc.stderr!.on("data", (b) => (stderr += String(b)));
  const wsUrl = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on("data", (b) => {
      stdout += String(b);
      const m = /WebSocket\s+(ws:\/\/\S+)/.exec(stdout);
      if (m && /workers/.test(stdout)) resolve(m[1]!);
    });
    proc.once("exit", (code) => reject(new Error(`dcm run exited with ${code}:\n${stderr}`)));
  });
  return {
    proc,
    wsUrl,
    base: new URL(wsUrl.replace(/^ws/, "http")).origin,
    stderr: () => stderr,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const done = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await done;
    },
  };
}

async function client(run: Run): Promise<TestClient> {
  const r = await fetch(`${run.base}/dcm/auth/session`, { method: "POST", headers: { origin: run.base } });
  const token = ((await r.json()) as { accessToken: string }).accessToken;
  const c = connect(run.wsUrl, { token, origin: run.base });
  await c.next((m) => m.type === "updateFragments");
  return c;
}

interface Hostile {
  fragment: string;
  args: unknown[];
  code: "DCM_FRAGMENT_PANIC" | "DCM_CALL_TIMEOUT";
  /** What the error message must say (the exit status, the fragment's last words). */
  says?: RegExp;
  timeoutMs?: number;
}

const GO: Hostile[] = [
  { fragment: "exit", args: [3], code: "DCM_FRAGMENT_PANIC", says: /exited with code 3 while running `exit`/ },
  { fragment: "panic-away", args: ["x"], code: "DCM_FRAGMENT_PANIC", says: /SIGABRT[\s\S]*panic: away: x/ },
  // Go grows a goroutine's stack up to 1 GB: under a 256 MiB limit the memory runs out first.
  { fragment: "recurse", args: [0], code: "DCM_FRAGMENT_PANIC", says: /stack overflow|stack exceeds|out of memory/ },
  { fragment: "spin", args: [1], code: "DCM_CALL_TIMEOUT", timeoutMs: 1500 },
  // Starts `sleep 317`, then loops: the kill at the deadline takes the whole process group.
  { fragment: "spawn-spin", args: [317], code: "DCM_CALL_TIMEOUT", timeoutMs: 1500 },
  // Go's runtime ends in one of several ways when the memory runs out (a fatal error, a fault in the collector).
  { fragment: "hog", args: [16], code: "DCM_FRAGMENT_PANIC", says: /\(memory limit 256 MiB\) (was killed|exited)/ },
];
const RUST: Hostile[] = [
  { fragment: "exit_with", args: [4], code: "DCM_FRAGMENT_PANIC", says: /exited with code 4/ },
  { fragment: "abort_now", args: [], code: "DCM_FRAGMENT_PANIC", says: /killed by SIGABRT/ },
  { fragment: "recurse", args: [0], code: "DCM_FRAGMENT_PANIC", says: /killed by SIG(SEGV|ABRT)/ },
  { fragment: "hog", args: [16], code: "DCM_FRAGMENT_PANIC", says: /memory allocation of \d+ bytes failed/ },
];
/** The Go fragments compiled to WASM (`dcm run --target wasm`): the executer's worker threads contain them. */
const GO_WASM: Hostile[] = [
  { fragment: "exit", args: [3], code: "DCM_FRAGMENT_PANIC", says: /exited with code 3/ },
  { fragment: "panic-away", args: ["x"], code: "DCM_FRAGMENT_PANIC", says: /panic: away: x/ },
  { fragment: "recurse", args: [0], code: "DCM_FRAGMENT_PANIC", says: /stack/ },
  { fragment: "spin", args: [1], code: "DCM_CALL_TIMEOUT", timeoutMs: 1500 },
];
/** Under `dcm run` a TypeScript fragment runs in an executer worker thread, which contains it. */
const TS_THREAD: Hostile[] = [
  { fragment: "quit", args: [5], code: "DCM_FRAGMENT_PANIC", says: /exited with code 5/ },
  { fragment: "recurse", args: [0], code: "DCM_FRAGMENT_PANIC", says: /Maximum call stack size exceeded/ },
  { fragment: "spin", args: [1], code: "DCM_CALL_TIMEOUT", timeoutMs: 1500 },
  { fragment: "hog", args: [100_000], code: "DCM_FRAGMENT_PANIC", says: /memory/ },
];

describe.each([
  ["Go", () => go, GO, []],
  ["Rust", () => rust, RUST, []],
  ["Go WASM", () => go, GO_WASM, ["--target", "wasm"]],
  ["TypeScript", () => ts, TS_THREAD, []],
])("dcm run with hostile %s fragments", (_lang, built, hostile, extra) => {
  it("answers each hostile call with its error while another client's calls all succeed, and keeps serving", async () => {
    const run = await startRun(built().dist, ["--memory-limit", "256", ...extra]);
    try {
      const a = await client(run);
      const b = await client(run);
      // Client b keeps calling the healthy fragment the whole time.
      let stop = false;
      const healthy: Array<{ ok: boolean; value?: unknown }> = [];
      const steady = (async () => {
        for (let i = 0; !stop; i++) {
          const r = await b.call("add", [i, 1]);
          healthy.push(r as { ok: boolean; value?: unknown });
          expect(r).toMatchObject({ ok: true, value: i + 1 });
        }
      })();
      for (const h of hostile) {
        const r = await a.call(h.fragment, h.args, h.timeoutMs ? { timeoutMs: h.timeoutMs } : {});
        expect(r, h.fragment).toMatchObject({ ok: false, error: { code: h.code } });
        const message = (r as { error?: { message: string } }).error!.message;
        if (h.says) expect(message, h.fragment).toMatch(h.says);
        // The host answers the same client right after, from a fresh process or worker.
        expect(await a.call("add", [40, 2]), h.fragment).toMatchObject({ ok: true, value: 42 });
      }
      stop = true;
      await steady;
      expect(healthy.length).toBeGreaterThan(hostile.length);
      expect(healthy.every((r) => r.ok)).toBe(true);
      expect(run.proc.exitCode).toBeNull();
      // The looping fragment's process is gone with its worker: at most one plugin process per worker is left.
      expect(await until(() => childrenOf(run.proc.pid!, "isolated-child").length <= 2)).toBe(true);
      expect(run.stderr()).not.toMatch(/did not stop within/);
      // What a killed fragment started went with it.
      expect(await until(() => sleeps(317).length === 0)).toBe(true);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await run.stop();
    }
  });
});

describe("attachDistributor (plain node:http)", () => {
  it("answers a fragment that exits with DCM_FRAGMENT_PANIC and keeps serving", async () => {
    let dcm: Awaited<ReturnType<typeof attachDistributor>> | undefined;
    const http = createServer(async (req, res) => {
      if (await dcm!.handleRequest(req, res)) return;
      res.writeHead(404).end();
    });
    dcm = await attachDistributor(http, {
      dist: go.dist,
      auth: { keys: [KEY1] },
      allowedOrigins: [ORIGIN],
      workers: 1,
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    const port = (http.address() as AddressInfo).port;
    try {
      const { accessToken } = (await (
        await fetch(`http://127.0.0.1:${port}/dcm/auth/session`, { method: "POST", headers: { origin: ORIGIN } })
      ).json()) as { accessToken: string };
      const c = connect(`ws://127.0.0.1:${port}/dcm/ws`, { token: accessToken });
      await c.next((m) => m.type === "updateFragments");
      const r = await c.call("exit", [9]);
      expect(r).toMatchObject({ ok: false, error: { code: "DCM_FRAGMENT_PANIC" } });
      expect((r as { error: { message: string } }).error.message).toMatch(/exited with code 9/);
      expect(await c.call("add", [1, 2])).toMatchObject({ ok: true, value: 3 });
      await c.close();
    } finally {
      await dcm.close();
      await new Promise((r) => http.close(r));
    }
  });
});

describe("dcm invoke --on server", () => {
  it("prints DCM_FRAGMENT_PANIC with the fragment's exit status and exits with dcm's code, not the fragment's", async () => {
    const exit = await runCli(["invoke", go.dist, "exit", "--args", "[3]", "--on", "server"]);
    expect({ code: exit.code, stdout: exit.stdout }).toMatchObject({ code: 1 });
    const err = JSON.parse(exit.stdout) as { error: { code: string; message: string } };
    expect(err.error.code).toBe("DCM_FRAGMENT_PANIC");
    expect(err.error.message).toMatch(/exited with code 3 while running `exit`/);

    const abort = await runCli(["invoke", rust.dist, "abort_now", "--args", "[]", "--on", "server"]);
    expect(abort.code).toBe(1);
    expect(JSON.parse(abort.stdout)).toMatchObject({ error: { code: "DCM_FRAGMENT_PANIC" } });
    expect(abort.stdout).toMatch(/SIGABRT/);

    const quit = await runCli(["invoke", ts.dist, "quit", "--args", "[5]", "--on", "server"]);
    expect(quit.code).toBe(1);
    expect(JSON.parse(quit.stdout)).toMatchObject({ error: { code: "DCM_FRAGMENT_PANIC" } });
  });

  it("times out a looping fragment; with --isolation thread the fragment's exit ends dcm itself", async () => {
    const spin = await runCli(["invoke", go.dist, "spin", "--args", "[1]", "--on", "server", "--timeout", "1"]);
    expect(spin.code).toBe(1);
    expect(JSON.parse(spin.stdout)).toMatchObject({ error: { code: "DCM_CALL_TIMEOUT" } });
    // What the default protects against: in-process, Go's os.Exit(7) is dcm's exit.
    const trusted = await runCli([
      "invoke",
      go.dist,
      "exit",
      "--args",
      "[7]",
      "--on",
      "server",
      "--isolation",
      "thread",
    ]);
    expect(trusted.code).toBe(7);
    expect(trusted.stdout).toBe("");
    const bad = await runCli(["invoke", go.dist, "add", "--args", "[1,2]", "--on", "server", "--isolation", "none"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--isolation must be process or thread");
  });
});

describe("openDist on the server", () => {
  let dist: LoadedDist;
  const output: string[] = [];
  beforeAll(async () => {
    dist = await openDist(go.dist, { memoryLimitMb: 256, onOutput: (o) => output.push(o.fragment) });
  });
  afterAll(async () => {
    await dist?.close();
  });

  const server = { on: "server" } as const;
  async function failure(p: Promise<unknown> | (() => unknown)): Promise<FragmentCallError> {
    try {
      await (typeof p === "function" ? p() : p);
    } catch (e) {
      expect(e).toBeInstanceOf(FragmentCallError);
      return e as FragmentCallError;
    }
    throw new Error("expected a FragmentCallError");
  }

  it("fails every call in flight on a process that died, names the one that killed it, and restarts", async () => {
    const before = dist.call("add", [1, 2], server);
    const exit = dist.call("exit", [3], server);
    const after = dist.call("add", [3, 4], server);
    expect(await before).toBe(3);
    const e = await failure(exit);
    expect([e.code, e.fragment]).toEqual(["DCM_FRAGMENT_PANIC", "exit"]);
    expect(e.message).toMatch(/exited with code 3 while running `exit`/);
    const queued = await failure(after);
    expect(queued.code).toBe("DCM_FRAGMENT_PANIC");
    expect(queued.message).toMatch(/while `add` waited behind `exit`/);
    expect(await dist.call("add", [20, 22], server)).toBe(42);
  });

  it("kills a looping fragment's process at its deadline: no thread is left stuck", async () => {
    const e = await failure(dist.call("spin", [1], { ...server, timeoutMs: 800 }));
    expect(e.code).toBe("DCM_CALL_TIMEOUT");
    expect(await dist.call("add", [1, 1], server)).toBe(2);
    expect(dist.stuck).toBe(0);
    // The killed process is gone; only the live one remains.
    expect(await until(() => childrenOf(process.pid, "isolated-child").length <= 1)).toBe(true);
    // A deadline shorter than encoding the arguments: the call times out, nothing else fails.
    const early = await failure(dist.call("panic-away", ["x".repeat(1 << 22)], { ...server, timeoutMs: 1 }));
    expect(early.code).toBe("DCM_CALL_TIMEOUT");
    expect(await dist.call("add", [2, 2], server)).toBe(4);
    // The whole process group goes: `sleep 318`, started by the fragment, too.
    const spawned = await failure(dist.call("spawn-spin", [318], { ...server, timeoutMs: 800 }));
    expect(spawned.code).toBe("DCM_CALL_TIMEOUT");
    expect(await until(() => sleeps(318).length === 0)).toBe(true);
  });

  it("contains crashes and loops of synchronous calls too, and answers the next one from a fresh process", async () => {
    // callSync needs a module loaded by an awaited call (load-dist.ts).
    expect(await dist.call("add", [0, 0], server)).toBe(0);
    const e = await failure(() => dist.callSync("panic-away", ["sync"], server));
    expect(e.code).toBe("DCM_FRAGMENT_PANIC");
    expect(e.message).toMatch(/panic: away: sync/);
    expect(dist.callSync("add", [2, 3], server)).toBe(5);
    const t = await failure(() => dist.callSync("spin", [1], { ...server, timeoutMs: 500 }));
    expect(t.code).toBe("DCM_CALL_TIMEOUT");
    expect(dist.callSync("add", [4, 5], server)).toBe(9);
  });

  it("bounds a fragment's memory: unbounded allocation is DCM_FRAGMENT_PANIC, not the host's end", async () => {
    const e = await failure(dist.call("hog", [16], server));
    expect(e.code).toBe("DCM_FRAGMENT_PANIC");
    expect(e.message).toMatch(/\(memory limit 256 MiB\) (was killed|exited)[\s\S]*(out of memory|SIG)/);
    expect(await dist.call("add", [5, 5], server)).toBe(10);
  });

  it("runs the server's WASM module in a process too: Go's os.Exit there fails the call only", async () => {
    const wasm = { on: "server", target: "wasm" } as const;
    const e = await failure(dist.call("exit", [3], wasm));
    expect(e.code).toMatch(/^DCM_FRAGMENT_(PANIC|ERROR)$/);
    expect(await dist.call("add", [6, 7], wasm)).toBe(13);
  });

  it("contains TypeScript fragments: process.exit, a loop, a stack overflow, a full heap", async () => {
    const t = await openDist(ts.dist, { memoryLimitMb: 256 });
    try {
      const quit = await failure(t.call("quit", [5], server));
      expect([quit.code, quit.message]).toEqual(["DCM_FRAGMENT_PANIC", expect.stringMatching(/exited with code 5/)]);
      expect((await failure(t.call("spin", [1], { ...server, timeoutMs: 800 }))).code).toBe("DCM_CALL_TIMEOUT");
      expect((await failure(t.call("recurse", [0], server))).message).toMatch(/Maximum call stack size exceeded/);
      const hog = await failure(t.call("hog", [100_000], server));
      expect([hog.code, hog.message]).toEqual(["DCM_FRAGMENT_PANIC", expect.stringMatching(/out of memory/)]);
      expect(await t.call("add", [1, 2] as JsValue[], server)).toBe(3);
    } finally {
      await t.close();
    }
  });
});
