/**
 * A real repository, as the paper evaluated it: github.com/google/wire v0.5.0
 * fetched through the Go module proxy (`go mod download`), copied to a
 * writable folder, and built with the paper's own CFD, verbatim
 * (fixtures/wire/CFD_wire.yaml: bare `String` methods tied to `typeDef: true`
 * fragments through `dependsOn`, and `wireErr.Error`, whose receiver type is
 * unexported, as a fragment that cannot cross). Both String methods are called
 * on the client (WASM) and the server (native plugin) and compared with what
 * wire's own code returns natively (go-native-harness).
 */
import { execFile } from "node:child_process";
import { chmod, cp, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GoFragmentDetail } from "../../languages/go/go-types.js";
import { analyzeProject } from "../../src/build/analyze-project.js";
import { mapLimit, ROOT, runCli } from "../support/run-cli.js";
import { canonicalEqual, runGoNative } from "./harness/go-native-harness.js";

const run = promisify(execFile);
const CFD = join(ROOT, "test/e2e/fixtures/wire/CFD_wire.yaml");
let scratch: string;
let repo: string;
let env: NodeJS.ProcessEnv;

/** The module cache is read-only: make the copy writable. */
async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await makeWritable(p);
    else await chmod(p, ((await stat(p)).mode & 0o777) | 0o200);
  }
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-wire-"));
  const { stdout } = await run("go", ["mod", "download", "-json", "github.com/google/wire@v0.5.0"], { cwd: scratch });
  const dir = (JSON.parse(stdout) as { Dir: string }).Dir;
  repo = join(scratch, "wire");
  await cp(dir, repo, { recursive: true });
  await makeWritable(repo);
  await run("go", ["mod", "download"], { cwd: repo });
  env = { ...process.env, DCM_CACHE_DIR: join(scratch, "cache") };
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

// Receivers first: ProviderSetID.String is fragment 3, (*Injector).String fragment 5.
const CASES: Record<string, string[]> = {
  "3": [
    '[{"ImportPath":"github.com/google/wire/internal/wire","VarName":"ProviderSet"}]',
    '[{"ImportPath":"example.com/\\"quoted\\"/ü","VarName":"Set2"}]',
    '[{"ImportPath":"","VarName":""}]',
  ],
  "5": [
    '[{"ImportPath":"example.com/app","FuncName":"initializeApp"}]',
    '[{"ImportPath":"tab\\tand\\nnewline","FuncName":"Init"}]',
  ],
};

describe("github.com/google/wire v0.5.0 with the paper's CFD", () => {
  it("builds, and both String methods give wire's native values on client and server", async () => {
    const dist = join(scratch, "dist");
    const build = await runCli(["build", repo, "--cfd", CFD, "--out", dist, "--json"], { env });
    expect(build.code, build.stdout + build.stderr).toBe(0);
    const report = JSON.parse(build.stdout) as { diagnostics: Array<{ code: string; severity: string }> };
    // Extraction built it: no fallback to whole packages.
    expect(report.diagnostics.filter((d) => d.code === "DCM_EXTRACTION_INCOMPLETE")).toEqual([]);

    const analysis = await analyzeProject(repo, CFD);
    const fragments = analysis.languages.flatMap(({ result }) =>
      result.fragments
        .filter((f) => f.id in CASES && f.signature)
        .map((f) => ({ id: f.id, detail: f.detail as GoFragmentDetail })),
    );
    expect(fragments.map((f) => `${f.id}:${f.detail.receiver?.typeName}.${f.detail.funcName}`).sort()).toEqual([
      "3:ProviderSetID.String",
      "5:Injector.String",
    ]);
    const native = await runGoNative(repo, fragments, CASES);
    const runs = Object.entries(CASES).flatMap(([id, list]) =>
      list.flatMap((args, i) => (["client", "server"] as const).map((on) => ({ id, args, i, on }))),
    );
    const results = await mapLimit(runs, 2, async (c) => ({
      ...c,
      out: await runCli(["invoke", dist, c.id, "--args", c.args, "--on", c.on], { env }),
    }));
    for (const { id, args, i, on, out } of results) {
      const want = native[id]![i]!;
      expect(out.code, `${id} ${args} --on ${on}: ${out.stderr}`).toBe(0);
      expect(
        canonicalEqual(out.stdout.trim(), want),
        `${id} ${args} --on ${on}: got ${out.stdout}, wire gave ${want}`,
      ).toBe(true);
    }
  });
});
