/**
 * Core's sandbox runner (toolchains/sandbox.ts) with the real bubblewrap:
 * what a compile step can see, reach and write, its limits, and the refusal
 * without bubblewrap. Each check has its contrast (the fetch phase reaches
 * the network, --no-sandbox sees the file), so none can pass vacuously.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DcmError } from "../../../runtime/diagnostics/catalog.js";
import { findBwrap, hiddenPathsIn, runStep, type ToolStep, withSandboxPolicy } from "../../../toolchains/sandbox.js";

const bwrap = await findBwrap();
let scratch: string;
let repo: string;
let outside: string;
let homeFile: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "dcm-sbx-"));
  repo = join(scratch, "repo");
  mkdirSync(repo);
  writeFileSync(join(repo, "input.txt"), "repo file\n");
  outside = join(scratch, "outside");
  mkdirSync(outside);
  writeFileSync(join(outside, "secret.txt"), "outside secret\n");
  homeFile = join(homedir(), `.dcm-sbx-test-${process.pid}`);
  writeFileSync(homeFile, "home secret\n");
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(homeFile, { force: true });
});

const sh = (script: string, more: Partial<ToolStep> = {}): ToolStep => ({
  phase: "compile",
  label: "test step",
  command: "bash",
  args: ["-c", script],
  cwd: join(scratch, "work"),
  inputs: [repo],
  scratch: [join(scratch, "work")],
  ...more,
});

async function limitOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DcmError) return `${e.diagnostics[0]!.code}: ${e.diagnostics[0]!.message}`;
    throw e;
  }
  return "no error";
}

describe.skipIf(!bwrap)("a compile step in the sandbox", () => {
  test("reads the repository, not $HOME, not the real /tmp, not other folders", async () => {
    const r = await runStep(sh(`cat ${repo}/input.txt; cat ${homeFile}; cat ${outside}/secret.txt; ls ${homedir()}; echo HOME=$HOME`));
    expect(r.sandboxed).toBe(true);
    expect(r.stdout).toContain("repo file");
    expect(r.stdout).not.toContain("home secret");
    expect(r.stdout).not.toContain("outside secret");
    expect(r.stdout).toContain("HOME=/tmp/home");
    // The contrast: the same step unsandboxed reads both (for trusted code only).
    const local = await withSandboxPolicy({ sandbox: false }, () => runStep(sh(`cat ${homeFile}; cat ${outside}/secret.txt`)));
    expect(local.stdout).toContain("home secret");
    expect(local.stdout).toContain("outside secret");
  });

  test("writes only its scratch folder, never the repository", async () => {
    const r = await runStep(sh(`echo out > made.txt; touch ${repo}/planted.txt`));
    expect(r.ok).toBe(false);
    expect(existsSync(join(scratch, "work", "made.txt"))).toBe(true);
    expect(existsSync(join(repo, "planted.txt"))).toBe(false);
  });

  test("has no network in the compile phase; the fetch phase has", async () => {
    let connections = 0;
    const server: Server = createServer((s) => {
      connections++;
      s.end();
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const port = (server.address() as { port: number }).port;
    try {
      const script = `exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected`;
      const compile = await runStep(sh(script));
      expect(compile.stdout).not.toContain("connected");
      expect(connections).toBe(0);
      const fetch = await runStep(sh(script, { phase: "fetch" }));
      expect(fetch.stdout).toContain("connected");
      expect(connections).toBe(1);
    } finally {
      server.close();
    }
  });

  test("gets no secrets from the environment", async () => {
    process.env.DCM_TEST_API_TOKEN = "tok-123";
    process.env.GO_SBX_TEST_TOKEN = "tok-456";
    try {
      const r = await runStep(sh("env", { passEnv: ["GO*"] }));
      expect(r.stdout).not.toContain("tok-123");
      expect(r.stdout).not.toContain("tok-456");
      expect(r.stdout).toMatch(/^PATH=/m);
    } finally {
      delete process.env.DCM_TEST_API_TOKEN;
      delete process.env.GO_SBX_TEST_TOKEN;
    }
  });

  test("names the host files a failed step could not see", async () => {
    const r = await runStep(sh(`cat ${outside}/secret.txt`));
    expect(r.ok).toBe(false);
    expect(r.hiddenPaths).toEqual([join(outside, "secret.txt")]);
    // A file that is missing on the host too is not "hidden".
    expect(hiddenPathsIn(`cat: ${outside}/none.txt: No such file or directory`, sh(""))).toEqual([]);
  });

  test("is stopped at its wall-time limit, with every process of the group", async () => {
    const pidFile = join(scratch, "work", "bg.pid");
    const msg = await limitOf(runStep(sh(`sleep 300 & echo $! > bg.pid; sleep 300`, { limits: { wallMs: 1500 } })));
    expect(msg).toMatch(/^DCM_SANDBOX_LIMIT: `test step` was stopped at its wall-time limit of 2 s/);
    expect(existsSync(pidFile)).toBe(true);
    // The background sleep lived in the sandbox's PID namespace: no `sleep 300` of ours survives on the host.
    const { execFileSync } = await import("node:child_process");
    const left = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").filter((l) => l.trim() === "sleep 300");
    expect(left).toEqual([]);
  });

  test("is stopped at its CPU, memory and output limits", async () => {
    expect(await limitOf(runStep(sh("while :; do :; done", { limits: { cpuSeconds: 1 } })))).toMatch(/CPU-time limit of 1 s/);
    expect(
      await limitOf(runStep(sh(`python3 -c "x = bytearray(600 * 1024 * 1024)"`, { limits: { memoryBytes: 200 * 1024 ** 2 } }))),
    ).toMatch(/memory limit of 200 MiB/);
    expect(await limitOf(runStep(sh("yes", { limits: { outputBytes: 1024 ** 2 } })))).toMatch(/output limit of 1 MiB/);
  });
});

test("without bubblewrap a sandboxed step is refused, saying how to install it", async () => {
  process.env.DCM_BWRAP = "/nonexistent/bwrap";
  try {
    const msg = await limitOf(runStep(sh("true")));
    expect(msg).toMatch(/^DCM_SANDBOX_UNAVAILABLE: .*`\/nonexistent\/bwrap` was not found/);
    const local = await withSandboxPolicy({ sandbox: false }, () => runStep(sh("echo ran")));
    expect(local.stdout).toBe("ran\n");
  } finally {
    delete process.env.DCM_BWRAP;
  }
});
