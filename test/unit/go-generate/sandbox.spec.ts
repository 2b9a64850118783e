/**
 * DCM_SANDBOX=1: the Go build runs in bubblewrap with a read-only file system
 * (the repository included), no network, and only the work folder and Go's
 * caches writable. Skipped where bwrap or Go is missing.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { generateGo } from "../../../languages/go/generate/generate-go.js";
import { compileGo } from "../../../languages/go/toolchain/compile-go.js";
import { goToolchain } from "../../../languages/go/toolchain/go-toolchain.js";
import { bwrapArgs, findBwrap, runSandboxed, sandboxRequested } from "../../../toolchains/sandbox-driver.js";
import { MOD1, mod1Analysis } from "./fixture-analysis.js";

const bwrap = await findBwrap();
const haveGo = (await goToolchain.detect()) !== null;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("bwrap arguments: read-only root, no network, writable folders bound", () => {
  const args = bwrapArgs("go", ["build", "."], "/w/main", ["/w", "/cache"]);
  expect(args.join(" ")).toContain("--ro-bind / /");
  expect(args).toContain("--unshare-net");
  expect(args.join(" ")).toContain("--bind /cache /cache --bind /w /w --chdir /w/main -- go build .");
  expect(sandboxRequested({ DCM_SANDBOX: "1" })).toBe(true);
  expect(sandboxRequested({})).toBe(false);
});

describe.skipIf(!bwrap)("bubblewrap sandbox", () => {
  test("the repository cannot be written, the work folder can", async () => {
    const work = mkdtempSync(join(tmpdir(), "dcm-sbx-"));
    dirs.push(work);
    const repoWrite = await runSandboxed(
      "sh",
      { cwd: work, args: ["-c", `touch ${MOD1}/zz_should_not_exist`] },
      { writable: [work] },
    );
    expect(repoWrite.ok).toBe(false);
    const workWrite = await runSandboxed("sh", { cwd: work, args: ["-c", "echo ok > out.txt"] }, { writable: [work] });
    expect(workWrite.ok).toBe(true);
    expect(readFileSync(join(work, "out.txt"), "utf8")).toBe("ok\n");
  });

  test.skipIf(!haveGo)("a wasm build succeeds inside the sandbox", async () => {
    const work = mkdtempSync(join(tmpdir(), "dcm-sbx-go-"));
    dirs.push(work);
    const analysis = mod1Analysis();
    const project = await generateGo(
      { repo: MOD1, analysis, fragments: analysis.fragments, side: "client", workDir: work },
      "wasm",
    );
    const before = process.env.DCM_SANDBOX;
    process.env.DCM_SANDBOX = "1";
    try {
      const r = await compileGo(project, "wasm", join(work, "dist", "go.wasm"));
      expect(r.diagnostics).toEqual([]);
      expect(readFileSync(r.file).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
    } finally {
      if (before === undefined) delete process.env.DCM_SANDBOX;
      else process.env.DCM_SANDBOX = before;
    }
  });
});
