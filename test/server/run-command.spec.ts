/**
 * `dcm run` as a real process. The native runaway-fragment test lives here,
 * with `--isolation thread` (plugins inside the server's threads): a thread
 * looping inside Go code cannot be stopped in-process, so the process that
 * hosts it must be one the test can end. The default, plugins in supervised
 * processes, is tested in isolation.spec.ts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DCM_BIN, runCli } from "../support/run-cli.js";
import { buildFixture, connect, sleep } from "./harness.js";

let slow: Awaited<ReturnType<typeof buildFixture>>;
let proc: ChildProcess;
let base: string;
let wsUrl: string;
let stderr = "";
let stdout = "";
const exited = () =>
  new Promise<{ code: number | null; signal: string | null }>((r) =>
    proc.once("exit", (code, signal) => r({ code, signal })),
  );

beforeAll(async () => {
  slow = await buildFixture("slow");
  proc = spawn(process.execPath, [DCM_BIN, "run", slow.dist, "--port", "0", "--workers", "2", "--isolation", "thread"], {
    env: { ...process.env, DCM_JWT_SECRET: "run-command-test-secret-of-32-bytes!!", DCM_API_KEYS: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stderr!.on("data", (b) => (stderr += String(b)));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on("data", (b) => {
      stdout += String(b);
      const m = /WebSocket\s+(ws:\/\/\S+)/.exec(stdout);
      if (m && /workers/.test(stdout)) {
        wsUrl = m[1]!;
        base = new URL(wsUrl.replace(/^ws/, "http")).origin;
        resolve();
      }
    });
    proc.once("exit", (code) => reject(new Error(`dcm run exited with ${code}:\n${stderr}`)));
  });
});

afterAll(async () => {
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  await slow?.cleanup();
});

/** Waits until `cond` holds (output of another pipe may lag behind). */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

async function session(): Promise<string> {
  const r = await fetch(`${base}/dcm/auth/session`, { method: "POST", headers: { origin: base } });
  expect(r.status).toBe(200);
  return ((await r.json()) as { accessToken: string }).accessToken;
}

async function ready(token: string) {
  const c = connect(wsUrl, { token, origin: base });
  await c.next((m) => m.type === "updateFragments");
  return c;
}

describe("dcm run", () => {
  it("prints the URLs and a generated API key once, and says the signing key comes from the environment", async () => {
    await until(() => /shown once/.test(stderr));
    expect(stdout).toMatch(/sessions\s+POST http:\/\/127\.0\.0\.1:\d+\/dcm\/auth\/session/);
    expect(stderr).toMatch(/generated an API key for this run \(shown once\):\n\s+dcm_\S{32}/);
    expect(stderr).not.toMatch(/DCM_JWT_SECRET is not set/);
  });

  it("serves the client files of the dist, never the server plugin", async () => {
    const m = await fetch(`${base}/dcm/dist/manifest.json`);
    expect(m.status).toBe(200);
    const manifest = (await m.json()) as { fragments: Array<{ id: string }> };
    expect(manifest.fragments.map((f) => f.id)).toContain("spin");
    const wasm = await fetch(`${base}/dcm/dist/client/go.wasm`);
    expect(wasm.headers.get("content-type")).toBe("application/wasm");
    expect(new Uint8Array(await wasm.arrayBuffer()).subarray(0, 4)).toEqual(new Uint8Array([0, 0x61, 0x73, 0x6d]));
    expect((await fetch(`${base}/dcm/dist/fragments.js`)).status).toBe(200);
    expect((await fetch(`${base}/dcm/dist/server/go.so`)).status).toBe(404);
    expect((await fetch(`${base}/dcm/dist/../manifest.json`)).status).toBe(404);
  });

  it("times out a native fragment that never returns, and keeps serving every client", async () => {
    const a = await ready(await session());
    const b = await ready(await session());
    const spin = a.callAsync("spin", [1], { timeoutMs: 300, defer: true });
    // The other worker serves meanwhile.
    expect(await b.call("neg", [1])).toMatchObject({ ok: true, value: -1 });
    expect(await a.result(spin)).toMatchObject({ ok: false, error: { code: "DCM_CALL_TIMEOUT" } });
    // After the replacement, two workers serve again: two naps run side by side. Order of events:
    // the short nap is answered while the long one still runs (one worker would answer it after).
    const long = a.callAsync("nap", [3000], { defer: true });
    const short = b.callAsync("nap", [1], { defer: true });
    expect(await b.result(short)).toMatchObject({ ok: true, value: { $i: "1" } });
    expect(a.messages.some((m) => m.type === "functionResult" && m.callId === long)).toBe(false);
    expect(await a.result(long)).toMatchObject({ ok: true, value: { $i: "3000" } });
    expect(await b.call("boom", ["x"])).toMatchObject({ ok: false, error: { code: "DCM_FRAGMENT_PANIC" } });
    await until(() => /did not stop within 1000 ms/.test(stderr));
    expect(stderr).toMatch(/did not stop within 1000 ms/);
    await Promise.all([a.close(), b.close()]);
  });

  it("logs what a fragment prints with the fragment and client ids, and never sends it to the client", async () => {
    const c = await ready(await session());
    const r = await c.call("chatter", ["run-test"]);
    expect(r).toMatchObject({ ok: true, value: "RUN-TEST" });
    await until(() => /logged: run-test/.test(stderr));
    for (const line of ["chatter: run-test", "to stderr: run-test", "logged: run-test"]) {
      expect(stderr).toMatch(new RegExp(`^\\[fragment chatter client [\\w-]+\\] ${line}$`, "m"));
    }
    expect(stdout).not.toContain("run-test");
    expect(JSON.stringify(c.messages)).not.toContain("chatter:");
    await c.close();
  });

  it("shuts down on SIGTERM: clients get 1001, the process ends although a thread is stuck in native code", async () => {
    const c = await ready(await session());
    const done = exited();
    proc.kill("SIGTERM");
    expect((await c.closed).code).toBe(1001);
    const { code, signal } = await done;
    expect(code === 0 || signal === "SIGTERM").toBe(true);
    expect(stderr).toMatch(/SIGTERM: shutting down/);
  });

  it("exits 0 on SIGINT when no thread is stuck", async () => {
    const p = spawn(process.execPath, [DCM_BIN, "run", slow.dist, "--port", "0", "--workers", "1"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    p.stderr!.on("data", (b) => (err += String(b)));
    await new Promise<void>((r) =>
      p.stdout!.on("data", (b) => {
        out += String(b);
        if (/workers/.test(out)) r();
      }),
    );
    await until(() => /DCM_JWT_SECRET/.test(err));
    expect(err).toMatch(/DCM_JWT_SECRET is not set: signing tokens with a random key/);
    const done = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
    p.kill("SIGINT");
    expect({ code: await done, err }).toMatchObject({ code: 0 });
    expect(err).toMatch(/stopped/);
  });

  it("reports usage errors with exit code 2", async () => {
    const r = await runCli(["run"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("DCM_CLI_USAGE");
    const bad = await runCli(["run", slow.dist, "--target", "jvm"]);
    expect(bad.code).toBe(2);
  });

  it("refuses a weak DCM_API_KEYS with what to type in the shell, and `dcm key` prints a strong key", async () => {
    const env = { ...process.env, DCM_JWT_SECRET: "run-command-test-secret-of-32-bytes!!" };
    const weak = await runCli(["run", slow.dist, "--port", "0"], { env: { ...env, DCM_API_KEYS: "short" } });
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain("error DCM_API_CONFIG: DCM_API_KEYS: key #1 is shorter than 16 characters.");
    expect(weak.stderr).toContain("export DCM_API_KEYS=$(npx dcm key)");
    // A CLI user has no JavaScript function to call.
    expect(weak.stderr).not.toContain("generateApiKey");

    const keys = await Promise.all([runCli(["key"]), runCli(["key"])]);
    const [a, b] = keys.map((k) => k.stdout.trim());
    for (const k of keys) expect(k.code).toBe(0);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b).not.toBe(a);
    expect(Buffer.from(a!, "base64url")).toHaveLength(32);
  });
});
