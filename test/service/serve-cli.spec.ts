/**
 * `dcm serve` on the command line: usage errors, a store folder it did not
 * make, and an API key generated and printed once when DCM_API_KEYS is unset
 * (and that key then works).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DCM_BIN, runCli } from "../support/run-cli.js";

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-serve-cli-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("dcm serve", () => {
  it("refuses bad options with a usage error (exit 2)", async () => {
    for (const args of [["--driver", "docker"], ["--concurrency", "0"], ["--port", "99999"], ["--build-timeout", "soon"], ["extra"]]) {
      const r = await runCli(["serve", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("DCM_CLI_USAGE");
    }
  });

  it("refuses a store folder it did not make, and touches nothing in it", async () => {
    const foreign = join(scratch, "foreign");
    await mkdir(foreign);
    await writeFile(join(foreign, "thesis.tex"), "mine");
    const r = await runCli(["serve", "--port", "0", "--store", foreign], { env: { ...process.env, DCM_API_KEYS: "a-strong-enough-key-0123456789" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("DCM_SERVICE_STORE");
    expect(await readdir(foreign)).toEqual(["thesis.tex"]);
  });

  it("generates an API key when DCM_API_KEYS is unset, prints it once, and accepts it", async () => {
    const env = { ...process.env };
    delete env.DCM_API_KEYS;
    const child = spawn(process.execPath, [DCM_BIN, "serve", "--port", "0", "--store", join(scratch, "store")], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    try {
      for (let i = 0; i < 300 && !(/build service at/.test(out) && /shown once/.test(err)); i++) await new Promise((r) => setTimeout(r, 100));
      const url = /build service at (http:\/\/[^/\s]+)/.exec(out)![1]!;
      const key = /shown once\):\n\s+(\S+)/.exec(err)![1]!;
      expect(err.split(key).length - 1).toBe(1);
      expect((await fetch(`${url}/dcm/languages`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      expect((await fetch(`${url}/dcm/languages`, { headers: { authorization: "Bearer some-other-key-0123456789" } })).status).toBe(401);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    expect(err).toContain("dcm serve: stopped.");
  });
});
