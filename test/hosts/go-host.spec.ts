/**
 * hosts/go (the `dcmhost` Go module) against the conformance vectors: runs
 * its `go test ./...` with DCM_CONFORMANCE set — every parity call on the
 * client (wazero) and the server (native plugins through purego; WASM where a
 * language has none) of Go, Rust and AssemblyScript, every encoding, every
 * malformed input, and the API tests — and prints the failing Go tests.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureVectors } from "../conformance/write-vectors.js";
import { ROOT } from "../support/run-cli.js";

const HOST = join(ROOT, "hosts/go");

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: HOST, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface GoTestEvent {
  Action: string;
  Test?: string;
  Output?: string;
}

let vectors: string;
beforeAll(async () => {
  // On a fresh machine the module's dependencies come from the Go module
  // proxy (go.sum pins them); a no-op when they are in the module cache.
  const dl = await run("go", ["mod", "download"], {});
  if (dl.code !== 0) throw new Error(`go mod download in hosts/go failed:\n${dl.stderr}`);
  vectors = await ensureVectors();
}, 900_000);

describe("hosts/go", () => {
  it("passes its go test suite against the conformance vectors", async () => {
    const res = await run("go", ["test", "-count=1", "-json", "./..."], { DCM_CONFORMANCE: vectors });
    const events = res.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as GoTestEvent);
    const output: Record<string, string> = {};
    for (const e of events) if (e.Test && e.Output) output[e.Test] = (output[e.Test] ?? "") + e.Output;
    const failed = events.filter(
      (e) =>
        e.Action === "fail" && e.Test && !events.some((o) => o.Action === "fail" && o.Test?.startsWith(`${e.Test}/`)),
    );
    const report = failed.map((e) => `${e.Test}\n${output[e.Test!] ?? ""}`).join("\n");
    const passed = (prefix: string) =>
      events.filter((e) => e.Action === "pass" && e.Test?.startsWith(`${prefix}/`)).length;
    expect(
      failed.map((e) => e.Test),
      `go test failures:\n${report}\n${res.stderr}`,
    ).toEqual([]);
    expect(res.code, res.stderr).toBe(0);
    // Ran, not skipped: every call on both sides, every encoding.
    expect(events.filter((e) => e.Action === "skip" && e.Test)).toEqual([]);
    expect(passed("TestConformanceCalls")).toBeGreaterThan(1000);
    expect(passed("TestConformanceEncodings")).toBeGreaterThan(300);
    expect(passed("TestConformanceMalformed")).toBeGreaterThan(0);
  }, 900_000);
});
