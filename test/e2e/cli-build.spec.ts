/**
 * The CLI against small fixture repositories with the real Go toolchain:
 * content-addressed rebuilds, and every class of bad input giving a clear
 * diagnostic, a non-zero exit and nothing written to --out.
 */
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { ROOT, runCli } from "../support/run-cli.js";

const FIX = join(ROOT, "test/e2e/fixtures");
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-cli-"));
});

async function copyFixture(name: string): Promise<string> {
  const dir = join(scratch, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  await cp(join(FIX, name), dir, { recursive: true });
  return dir;
}

/** The out folder must not exist, and no staging folder may be left beside it. */
async function expectNothingWritten(out: string) {
  expect(existsSync(out)).toBe(false);
  const leftovers = (await readdir(join(out, ".."))).filter((n) => n.includes(".tmp-"));
  expect(leftovers).toEqual([]);
}

describe("dcm build", () => {
  it("builds, then rebuilds an unchanged repo without compiler work, then recompiles only on change", async () => {
    const repo = await copyFixture("small");
    const out = join(repo, "dist");
    const cache = join(scratch, "cache-rebuild");
    const env = { ...process.env, DCM_CACHE_DIR: cache };
    const first = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out, "--json"], { env });
    expect(first.code, first.stderr).toBe(0);
    const r1 = JSON.parse(first.stdout);
    expect(r1.upToDate).toBe(false);
    expect(r1.modulesCompiled).toBe(2);
    const manifest1 = await readFile(join(out, "manifest.json"), "utf8");

    const second = JSON.parse((await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out, "--json"], { env })).stdout);
    expect(second.upToDate).toBe(true);
    expect(second.modulesCompiled).toBe(0);
    expect(await readFile(join(out, "manifest.json"), "utf8")).toBe(manifest1);

    // Moving a fragment to the other side changes the manifest, not the modules: both come from the cache.
    await writeFile(join(repo, "dcm.yaml"), (await readFile(join(repo, "dcm.yaml"), "utf8")).replace("runOn: server", "runOn: client"));
    const third = JSON.parse((await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out, "--json"], { env })).stdout);
    expect(third.upToDate).toBe(false);
    expect(third.modulesCompiled).toBe(0);
    expect(third.modulesFromCache).toBe(2);

    // Changing code recompiles, and the new code runs.
    const src = join(repo, "calc/calc.go");
    await writeFile(src, (await readFile(src, "utf8")).replace("return a + b", "return a + b + 1"));
    const fourth = JSON.parse((await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out, "--json"], { env })).stdout);
    expect(fourth.modulesCompiled).toBe(2);
    const inv = await runCli(["invoke", out, "add", "--args", "[2, 3]", "--on", "client"]);
    expect(inv.stdout.trim()).toBe("6");
  });

  it("reports a compiler error at the fragment's source line and writes nothing", async () => {
    const repo = await copyFixture("bad-compile");
    const out = join(repo, "dist");
    const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/calc\/calc\.go:7:\d+: error DCM_COMPILE_FAILED: .*half/);
    expect(r.stderr).toContain("fix:");
    await expectNothingWritten(out);
  });

  it("reports Go syntax errors with their line", async () => {
    const repo = await copyFixture("bad-syntax");
    const out = join(repo, "dist");
    const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/calc\/calc\.go:6:\d+: error DCM_SOURCE_SYNTAX/);
    await expectNothingWritten(out);
  });

  it("warns about a channel parameter naming the fragment, the construct and its line; --strict refuses the build", async () => {
    const repo = await copyFixture("bad-type");
    const out = join(repo, "dist");
    const strict = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out, "--strict"]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/calc\/calc\.go:5:\d+: error DCM_FRAGMENT_NOT_CALLABLE: fragment \S+ \(`Drain`\).*chan.*refused by --strict/is);
    await expectNothingWritten(out);

    const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/calc\/calc\.go:5:\d+: warning DCM_FRAGMENT_NOT_CALLABLE: fragment \S+ \(`Drain`\) .*channel parameter/is);
    const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as Manifest;
    const drain = manifest.fragments.find((f) => f.symbol === "Drain")!;
    expect(drain.signature).toBeUndefined();
    expect(drain.notCallable).toMatch(/channel parameter .* at calc\/calc\.go:5:\d+/);
  });

  it("rejects malformed YAML with its position", async () => {
    const repo = await copyFixture("small");
    await writeFile(join(repo, "dcm.yaml"), "fragments:\n  - id: add\n    name: [Add\n");
    const out = join(repo, "dist");
    const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dcm\.yaml:\d+:\d+: error DCM_CFD_YAML_SYNTAX/);
    await expectNothingWritten(out);
  });

  it("says how to install a missing Go toolchain", async () => {
    const repo = await copyFixture("small");
    const out = join(repo, "dist");
    const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out], {
      env: { ...process.env, DCM_GO: join(scratch, "no-such-go") },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("DCM_TOOLCHAIN_MISSING");
    expect(r.stderr).toMatch(/toolchains\/go\/install\.sh|go\.dev/);
    await expectNothingWritten(out);
  });

  it("exits 2 with usage on a bad command line", async () => {
    const r = await runCli(["build"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("DCM_CLI_USAGE");
  });
});

describe("dcm invoke", () => {
  let out: string;
  beforeAll(async () => {
    const repo = await copyFixture("small");
    out = join(repo, "dist");
    const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out]);
    expect(r.code, r.stderr).toBe(0);
  });

  it("runs a fragment on both sides", async () => {
    for (const on of ["client", "server"]) {
      const r = await runCli(["invoke", out, "shout", "--args", '["héllo"]', "--on", on]);
      expect(r.stdout.trim()).toBe('"HÉLLO!"');
    }
    const wasmOnServer = await runCli(["invoke", out, "add", "--args", "[40, 2]", "--on", "server", "--target", "wasm"]);
    expect(wasmOnServer.stdout.trim()).toBe("42");
  });

  it("gives typed errors for an unknown fragment and for wrong arguments", async () => {
    const unknown = await runCli(["invoke", out, "nope", "--args", "[]", "--on", "client"]);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error.code).toBe("DCM_UNKNOWN_FRAGMENT");
    const arity = await runCli(["invoke", out, "add", "--args", "[1]", "--on", "server"]);
    expect(arity.code).toBe(1);
    expect(JSON.parse(arity.stdout).error.code).toBe("DCM_BAD_ARGUMENTS");
    const range = await runCli(["invoke", out, "add", "--args", "[1, 9223372036854775808]", "--on", "client"]);
    expect(JSON.parse(range.stdout).error.code).toBe("DCM_BAD_ARGUMENTS");
    expect(JSON.parse(range.stdout).error.message).toMatch(/b/);
  });
});
