/**
 * Issue 8's failure, reproduced: a package whose fragment files build for
 * wasip1 while a sibling file (and a file of an in-module helper package)
 * imports github.com/fatih/color v1.9.0, which does not (its go-isatty has
 * no wasip1 file). The real module is fetched through the Go module proxy
 * (`go mod download` in the setup; go.mod and go.sum are committed).
 *
 *  - Whole packages (DCM_GO_EXTRACT=0) fail, as dcm did before extraction.
 *  - With extraction `dcm build` succeeds, and client and server give the
 *    values native Go gives.
 *  - A fragment that itself reaches color fails with an error that names the
 *    fragment and the import chain, at the fragment's file:line.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GoFragmentDetail } from "../../languages/go/go-types.js";
import { analyzeProject } from "../../src/build/analyze-project.js";
import { mapLimit, ROOT, runCli } from "../support/run-cli.js";
import { canonicalEqual, parseInvokeCases, runGoNative } from "./harness/go-native-harness.js";

const run = promisify(execFile);
const FIXTURE = join(ROOT, "test/e2e/fixtures/go-sibling");
let scratch: string;
let repo: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-sibling-"));
  repo = join(scratch, "repo");
  await cp(FIXTURE, repo, { recursive: true });
  // The real modules, through the Go module proxy (a no-op when the module cache has them).
  await run("go", ["mod", "download"], { cwd: repo });
  env = { ...process.env, DCM_CACHE_DIR: join(scratch, "cache") };
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const build = (cfd: string, out: string, extra: NodeJS.ProcessEnv = {}) =>
  runCli(["build", repo, "--cfd", join(repo, cfd), "--out", join(scratch, out), "--json"], {
    env: { ...env, ...extra },
  });

describe("a fragment package whose sibling file does not build for wasip1", () => {
  it("fails when whole packages are compiled (the failure dcm had), naming the import chain", async () => {
    const r = await build("dcm.yaml", "dist-whole", { DCM_GO_EXTRACT: "0" });
    expect(r.code).toBe(1);
    const diags = JSON.parse(r.stdout).diagnostics as Array<{ code: string; message: string }>;
    const d = diags.find((x) => x.code === "DCM_DEPENDENCY_UNBUILDABLE");
    expect(d, r.stdout).toBeDefined();
    // No fragment's own code reaches color: the message blames the package, through a sibling's import.
    expect(d!.message).toContain("the package of fragment");
    expect(d!.message).toMatch(
      /shared → internal\/(mathx|tty) → github\.com\/fatih\/color → github\.com\/mattn\/go-isatty/,
    );
    expect(d!.message).toContain("undefined: isatty.IsTerminal");
  });

  it("builds with extraction, and client and server give native Go's values", async () => {
    const r = await build("dcm.yaml", "dist");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.diagnostics.filter((d: { severity: string }) => d.severity !== "hint")).toEqual([]);
    const dist = join(scratch, "dist");
    const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8"));
    expect(manifest.modules.map((m: { file: string }) => m.file).sort()).toEqual(["client/go.wasm", "server/go.so"]);

    const cases = parseInvokeCases(await readFile(join(repo, "invoke-cases.json"), "utf8"));
    const analysis = await analyzeProject(repo, join(repo, "dcm.yaml"));
    const fragments = analysis.languages.flatMap(({ result }) =>
      result.fragments.filter((f) => f.signature).map((f) => ({ id: f.id, detail: f.detail as GoFragmentDetail })),
    );
    const native = await runGoNative(repo, fragments, cases);
    const runs = Object.entries(cases).flatMap(([id, list]) =>
      list.flatMap((args, i) => (["client", "server"] as const).map((on) => ({ id, args, i, on }))),
    );
    const results = await mapLimit(runs, 2, async (c) => ({
      ...c,
      out: await runCli(["invoke", dist, c.id, "--args", c.args, "--on", c.on], { env }),
    }));
    for (const { id, args, i, on, out } of results) {
      const want = native[id]![i]!;
      expect(
        canonicalEqual(out.stdout.trim(), want),
        `${id} ${args} --on ${on}: got ${out.stdout} ${out.stderr}, native ${want}`,
      ).toBe(true);
    }
  });

  it("names the fragment and the import chain at the fragment's line when its own code needs the package", async () => {
    const r = await build("dcm-banner.yaml", "dist-banner");
    expect(r.code).toBe(1);
    const diags = JSON.parse(r.stdout).diagnostics as Array<{
      code: string;
      message: string;
      fragment?: string;
      pos?: { file: string; line: number };
    }>;
    const text = await readFile(join(repo, "shared/pretty.go"), "utf8");
    const line = text.split("\n").findIndex((l) => l.startsWith("func Banner(")) + 1;
    expect(diags[0]).toMatchObject({
      code: "DCM_DEPENDENCY_UNBUILDABLE",
      fragment: "banner",
      // The repository is outside the current folder: paths print absolute (relative when inside it).
      pos: { file: join(repo, "shared/pretty.go"), line },
    });
    expect(diags[0]!.message).toContain(
      "shared → internal/tty → github.com/fatih/color → github.com/mattn/go-isatty: undefined: isatty.IsTerminal",
    );
    // No position inside the module cache is the headline.
    expect(diags.every((d) => !d.pos?.file.includes("/pkg/mod/"))).toBe(true);
  });
});
