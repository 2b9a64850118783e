/**
 * `dcm deploy` against a real `dcm run` process: a new build reaches the
 * running server (new results from the same URL, no restart), and each way
 * it can go wrong ends with exit 1 and a diagnostic that names the cause.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DCM_BIN, runCli } from "../support/run-cli.js";
import { type Built, buildVersions } from "./redeploy-fixture.js";

const KEY = "deploy-cli-test-api-key-0123456789abcdef";
let builds: Built[];
let cleanup: () => Promise<void>;
let proc: ChildProcess;
let base: string;
let stdout = "";
let stderr = "";

beforeAll(async () => {
  ({ builds, cleanup } = await buildVersions([{ version: "v1" }, { version: "v2" }]));
  proc = spawn(process.execPath, [DCM_BIN, "run", builds[0]!.dist, "--port", "0", "--workers", "1"], {
    env: { ...process.env, DCM_JWT_SECRET: "deploy-cli-test-secret-of-32-bytes!!", DCM_API_KEYS: KEY },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stderr!.on("data", (b) => (stderr += String(b)));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on("data", (b) => {
      stdout += String(b);
      const m = /WebSocket\s+(ws:\/\/\S+)/.exec(stdout);
      if (m && /workers/.test(stdout)) {
        base = new URL(m[1]!.replace(/^ws/, "http")).origin;
        resolve();
      }
    });
    proc.once("exit", (code) => reject(new Error(`dcm run exited with ${code}:\n${stderr}`)));
  });
}, 120_000);

afterAll(async () => {
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  await cleanup?.();
});

const served = async () => ((await (await fetch(`${base}/dcm/dist/manifest.json`)).json()) as { buildKey: string }).buildKey;
const env = (extra: Record<string, string> = {}) => {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!("DCM_API_KEY" in extra)) delete e.DCM_API_KEY;
  return e;
};

describe("dcm deploy", () => {
  it("deploys a new build to a running dcm run and prints what changed", async () => {
    const [v1, v2] = builds as [Built, Built];
    expect(await served()).toBe(v1.manifest.buildKey);
    const r = await runCli(["deploy", v2.dist, "--to", base, "--api-key", KEY], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`deployed ${v2.manifest.buildKey} (was ${v1.manifest.buildKey})`);
    expect(r.stdout).toMatch(/state reset: none/);
    expect(await served()).toBe(v2.manifest.buildKey);
    // --json, key from DCM_API_KEY: the same build again.
    const j = await runCli(["deploy", v2.dist, "--to", `${base}/dcm`, "--json"], { env: env({ DCM_API_KEY: KEY }) });
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, id: v2.manifest.buildKey, previous: v2.manifest.buildKey });
  }, 60_000);

  it("fails with a diagnostic naming the cause, and leaves the running dist as it was", async () => {
    const [, v2] = builds as [Built, Built];
    const before = await served();
    const scratch = await mkdtemp(join(tmpdir(), "dcm-deploy-cli-"));
    try {
      await writeFile(join(scratch, "readme.txt"), "not a dist");
      const cases: Array<{ args: string[]; env?: Record<string, string>; code: number; out: RegExp }> = [
        { args: [scratch, "--to", base, "--api-key", KEY], code: 1, out: /DCM_DEPLOY_NOT_A_DIST/ },
        { args: [v2.dist, "--to", base], code: 1, out: /DCM_DEPLOY_NO_KEY/ },
        { args: [v2.dist, "--to", base, "--api-key", "wrong-key-0123456789abcdef"], code: 1, out: /DCM_API_UNAUTHORIZED/ },
        // Port 9 (discard): nothing listens there.
        { args: [v2.dist, "--to", "http://127.0.0.1:9", "--api-key", KEY], code: 1, out: /DCM_DEPLOY_UNREACHABLE/ },
        { args: [v2.dist, "--to", "ftp://x", "--api-key", KEY], code: 2, out: /DCM_CLI_USAGE/ },
        { args: [v2.dist], code: 2, out: /--to/ },
      ];
      for (const k of cases) {
        const r = await runCli(["deploy", ...k.args], { env: env(k.env) });
        expect(r.code, `${k.args.join(" ")}: ${r.stderr}`).toBe(k.code);
        expect(r.stderr).toMatch(k.out);
      }
      expect(await served()).toBe(before);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }, 60_000);
});
