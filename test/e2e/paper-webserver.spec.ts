/**
 * The paper's web server shape, CFD in the paper's own dialect (flags,
 * optional runOn, bare `Area` methods tied by dependsOn, an aliased lib,
 * integer ids): `dcm validate` exits 0 with warnings only, `dcm build`
 * succeeds, every callable fragment gives the native Go value on the client
 * (WebAssembly) and on the server (native plugin), and the fragments that
 * cannot be called answer DCM_NOT_CALLABLE with the reason the manifest gives.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { GoFragmentDetail } from "../../languages/go/go-types.js";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { analyzeProject } from "../../src/build/analyze-project.js";
import { openDist } from "../../src/index.js";
import { mapLimit, ROOT, runCli } from "../support/run-cli.js";
import { canonicalEqual, parseInvokeCases, runGoNative } from "./harness/go-native-harness.js";

const EXAMPLE = join(ROOT, "examples/paper-webserver");
const CFD = join(EXAMPLE, "CFD.yaml");
const rawCases = parseInvokeCases(readFileSync(join(EXAMPLE, "invoke-cases.json"), "utf8"));
/** Writes a package-level variable: checked in one process below, where the count goes on from call to call. */
const COUNTER = "38";
/** Fragments that cannot be called, and what their reason names. */
const NOT_CALLABLE: Record<string, RegExp> = {
  "5": /fragment 5 \(`getNumberTwo`\) has no `runOn`: it is a dependency, not an entry point; add `runOn: client\|server` to call it/,
  "7": /fragment 7 \(`FuncFunction`\) cannot cross .*func-typed result `func\(\) int` at shared\/shared\.go:\d+:\d+/,
  "29": /fragment 29 \(`CustomError\.Error`\) cannot cross .*interface type `error` \(field `Err` of `CustomError`\) at shared\/includes\.go:\d+:\d+/,
  "36": /fragment 36 \(`getArea`\) cannot cross .*interface type `IShape` \(parameter `s`\) at shared\/includes\.go:\d+:\d+/,
};

let dist: string;
let manifest: Manifest;
let expected: Record<string, string[]>;

beforeAll(async () => {
  dist = join(await mkdtemp(join(tmpdir(), "dcm-paper-web-")), "dist");
  const build = await runCli(["build", EXAMPLE, "--cfd", CFD, "--out", dist, "--json"]);
  expect(build.code, build.stderr).toBe(0);
  expect(JSON.parse(build.stdout).ok).toBe(true);
  manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
  const analysis = await analyzeProject(EXAMPLE, CFD);
  const fragments = analysis.languages.flatMap(({ result }) =>
    result.fragments.filter((f) => f.signature).map((f) => ({ id: f.id, detail: f.detail as GoFragmentDetail })),
  );
  expected = await runGoNative(EXAMPLE, fragments, rawCases);
});

/** The result line of `dcm invoke` (stdout holds nothing else). */
const resultLine = (stdout: string) => stdout.trim();

describe("examples/paper-webserver: the paper's CFD dialect", () => {
  it("validates with exit 0: three DCM_FRAGMENT_NOT_CALLABLE warnings, no errors, no inferred-only hints by default", async () => {
    const r = await runCli(["validate", CFD, "--repo", EXAMPLE]);
    expect(r.code, r.stderr).toBe(0);
    const warnings = [...r.stderr.matchAll(/: warning (DCM_[A-Z_]+): fragment (\d+) /g)].map((m) => [m[1], m[2]]);
    expect(warnings).toEqual([
      ["DCM_FRAGMENT_NOT_CALLABLE", "29"],
      ["DCM_FRAGMENT_NOT_CALLABLE", "36"],
      ["DCM_FRAGMENT_NOT_CALLABLE", "7"],
    ]);
    // Paths print relative to the current directory (the repository root here).
    expect(r.stderr).toMatch(/^examples\/paper-webserver\/shared\/includes\.go:\d+:\d+: warning/m);
    expect(r.stderr).not.toMatch(/ error | hint /);
    expect(r.stderr).toContain("0 error(s), 3 warning(s), 0 hint(s)");

    const json = JSON.parse((await runCli(["validate", CFD, "--repo", EXAMPLE, "--json"])).stdout);
    const codes = new Set(json.diagnostics.map((d: { code: string }) => d.code));
    // --json keeps the hints that only restate what dcm infers; the text output leaves them to --verbose.
    expect(codes.has("DCM_CFD_MISSING_LIBS")).toBe(true);
    const verbose = await runCli(["validate", CFD, "--repo", EXAMPLE, "--verbose"]);
    expect(verbose.stderr).toContain("hint DCM_CFD_MISSING_LIBS");
  });

  it("--strict turns the warnings into errors: validate exits 1 and build refuses", async () => {
    const v = await runCli(["validate", CFD, "--repo", EXAMPLE, "--strict"]);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain("--strict: 3 warning(s) count as errors");
    const out = join(await mkdtemp(join(tmpdir(), "dcm-paper-strict-")), "dist");
    const b = await runCli(["build", EXAMPLE, "--cfd", CFD, "--out", out, "--strict"]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/error DCM_FRAGMENT_NOT_CALLABLE: fragment 7 .*refused by --strict/);
    expect(existsSync(out)).toBe(false);
  });

  it("marks dependencies and fragments that cannot cross as not callable, and holds them in both modules", () => {
    const callable = manifest.fragments.filter((f) => f.signature).map((f) => f.id);
    expect(callable.sort()).toEqual(Object.keys(rawCases).sort());
    for (const [id, reason] of Object.entries(NOT_CALLABLE)) {
      const f = manifest.fragments.find((x) => x.id === id)!;
      expect(f.notCallable, id).toMatch(reason);
      expect(f.signature, id).toBeUndefined();
      expect(f.export, id).toBeUndefined();
    }
    // Dependencies have no runOn; the variables and types the CFD marks runOn keep it.
    expect(manifest.fragments.find((f) => f.id === "5")!.runOn).toBeUndefined();
    expect(manifest.fragments.find((f) => f.id === "39")).toMatchObject({ kind: "variable" });
    expect(manifest.fragments.find((f) => f.id === "39")!.runOn).toBeUndefined();
    expect(manifest.fragments.find((f) => f.id === "20")).toMatchObject({ kind: "type", runOn: "client" });
    // Bare `Area` twice, told apart by the type each lists in dependsOn.
    expect(manifest.fragments.find((f) => f.id === "34")!.symbol).toBe("Circle.Area");
    expect(manifest.fragments.find((f) => f.id === "35")!.symbol).toBe("Rectangle.Area");
    expect(manifest.fragments.find((f) => f.id === "18")!.kind).toBe("const");
    for (const m of manifest.modules) expect(m.fragments).toEqual(expect.arrayContaining([...callable, ...Object.keys(NOT_CALLABLE)]));
  });

  it.each(Object.keys(rawCases).filter((id) => id !== COUNTER))(
    "fragment %s, invoked by name, equals native Go on both sides; stdout holds only the result",
    async (id) => {
      // The symbol (`Func`, `Type.Method`), as a user types it.
      const name = manifest.fragments.find((f) => f.id === id)!.symbol;
      const runs = rawCases[id]!.flatMap((args, i) => (["client", "server"] as const).map((on) => ({ args, i, on })));
      const results = await mapLimit(runs, 2, async ({ args, i, on }) => {
        const r = await runCli(["invoke", dist, name, "--args", args, "--on", on]);
        return { i, on, args, ...r };
      });
      for (const r of results) {
        const want = expected[id]![r.i]!;
        const lines = r.stdout.trimEnd().split("\n");
        expect(lines, `${name} ${r.args} --on ${r.on}: one result line`).toHaveLength(1);
        expect(
          canonicalEqual(lines[0]!, want),
          `${name} ${r.args} --on ${r.on}: got ${lines[0]}, native Go gave ${want}; stderr: ${r.stderr}`,
        ).toBe(true);
        expect(r.code, `${name} ${r.args} --on ${r.on}`).toBe(want.startsWith('{"error"') ? 1 : 0);
      }
    },
  );

  it("what a fragment prints goes to stderr with its id, on both sides; a shared bare name lists the candidates", async () => {
    for (const on of ["client", "server"] as const) {
      const r = await runCli(["invoke", dist, "Check", "--args", '["disk"]', "--on", on]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trimEnd().split("\n"), on).toHaveLength(1);
      expect(r.stderr, on).toContain("[fragment 30] checking disk");
      expect(r.stdout, on).not.toContain("checking");
    }
    const area = await runCli(["invoke", dist, "Area", "--args", '[{"Radius": 1}]', "--on", "client"]);
    expect(area.code).toBe(1);
    const { error } = JSON.parse(area.stdout) as { error: { code: string; message: string } };
    expect(error.message).toContain("Circle.Area");
    expect(error.message).toContain("Rectangle.Area");
  });

  it("a package-level variable written by a fragment counts on in each instance, as natively", async () => {
    expect(expected[COUNTER]).toEqual(["1", "2"]);
    const dcm = await openDist(dist);
    try {
      for (const on of ["client", "server"] as const) {
        const got = [await dcm.call(COUNTER, [], { on }), await dcm.call(COUNTER, [], { on })];
        expect(got.map(String), on).toEqual(expected[COUNTER]);
      }
    } finally {
      await dcm.close();
    }
  });

  it("fragments that cannot be called answer DCM_NOT_CALLABLE with their reason, on both sides", async () => {
    const runs = Object.keys(NOT_CALLABLE).flatMap((id) => (["client", "server"] as const).map((on) => ({ id, on })));
    const results = await mapLimit(runs, 2, async ({ id, on }) => ({ id, on, ...(await runCli(["invoke", dist, id, "--on", on])) }));
    for (const r of results) {
      expect(r.code, `${r.id} --on ${r.on}`).toBe(1);
      const { error } = JSON.parse(resultLine(r.stdout)) as { error: { code: string; message: string } };
      expect(error.code, `${r.id} --on ${r.on}`).toBe("DCM_NOT_CALLABLE");
      expect(error.message, `${r.id} --on ${r.on}`).toMatch(NOT_CALLABLE[r.id]!);
    }
    // In process too: the same answer from openDist, before any module is loaded.
    const dcm = await openDist(dist);
    try {
      await expect(dcm.call("36", [], { on: "server" })).rejects.toMatchObject({ code: "DCM_NOT_CALLABLE" });
    } finally {
      await dcm.close();
    }
  });
});
