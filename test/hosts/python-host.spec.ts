/**
 * The Python host (hosts/python, package dcm_host) against the conformance
 * vectors: installs it into its venv (scripts/install-python-host.sh, a no-op
 * when nothing changed) and runs its pytest suite — every parity call on the
 * client (wasmtime) and the server (native plugins through ctypes), every
 * argument encoding, every malformed input, and its API tests.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureVectors } from "../conformance/write-vectors.js";
import { ROOT } from "../support/run-cli.js";

interface Run {
  code: number;
  out: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

let dir: string;
let python: string;
beforeAll(async () => {
  dir = await ensureVectors();
  const install = await run("bash", [join(ROOT, "scripts/install-python-host.sh")]);
  if (install.code !== 0) throw new Error(`scripts/install-python-host.sh failed:\n${install.out}`);
  python = install.out.trim().split("\n").at(-1)!;
}, 900_000);

describe("hosts/python", () => {
  it("passes its pytest suite on the conformance vectors", async () => {
    const r = await run(python, ["-m", "pytest", "hosts/python/tests", "-q", "-p", "no:cacheprovider"], {
      ...process.env,
      DCM_CONFORMANCE: dir,
    });
    const summary = r.out.trim().split("\n").slice(-40).join("\n");
    expect(r.code, `pytest exited ${r.code}:\n${summary}`).toBe(0);
    expect(summary).toMatch(/\d+ passed/);
  }, 600_000);
});
