/**
 * Closure extraction on fixtures/prune (a module built to exercise every
 * pruning rule): the pruned copies against golden files
 * (test/golden/go/prune/, UPDATE_GOLDEN=1 rewrites them), the rules one by
 * one, positions kept 1:1, and a real build of both targets whose values
 * equal native Go's (go-native-harness). A gap in the closure falls back to
 * whole packages with a warning.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { GoBuildSpec } from "../../../languages/go/generate/build-spec.js";
import { generateGo } from "../../../languages/go/generate/generate-go.js";
import type { GoFragmentDetail } from "../../../languages/go/go-types.js";
import { compileGo } from "../../../languages/go/toolchain/compile-go.js";
import { goToolchain } from "../../../languages/go/toolchain/go-toolchain.js";
import { errorJson, parseJsonArgs, toCanonicalJson } from "../../../runtime/abi/json-values.js";
import { analyzeProject } from "../../../src/build/analyze-project.js";
import { buildDist } from "../../../src/build/build-dist.js";
import { type LoadedDist, openDist } from "../../../src/index.js";
import type { AnalysisResult, GeneratedProject } from "../../../src/languages/adapter-types.js";
import { canonicalEqual, parseInvokeCases, runGoNative } from "../../e2e/harness/go-native-harness.js";
import { checkDistManifest } from "../../support/manifest-schema-check.js";

const haveGo = (await goToolchain.detect()) !== null;
const FIXTURE = fileURLToPath(new URL("./fixtures/prune", import.meta.url));
const GOLDEN = fileURLToPath(new URL("../../golden/go/prune/", import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === "1";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

async function analyze(repo: string): Promise<AnalysisResult> {
  const a = await analyzeProject(repo, join(repo, "dcm.yaml"));
  expect(a.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return a.languages[0]!.result;
}

async function generate(repo: string, target: "wasm" | "native" = "wasm") {
  const analysis = await analyze(repo);
  const workDir = tmp("dcm-prune-");
  const project = await generateGo({ repo, analysis, fragments: analysis.fragments, side: "client", workDir }, target);
  return { analysis, project, workDir, spec: project.buildSpec as GoBuildSpec };
}

const copyOf = (p: GeneratedProject, file: string) =>
  p.files.find((f) => f.path === `go-wasm/extract/${file}`)?.contents;

describe("closure extraction (fixtures/prune)", () => {
  let project: GeneratedProject;
  let spec: GoBuildSpec;
  let overlay: Record<string, string>;
  beforeAll(async () => {
    ({ project, spec } = await generate(FIXTURE));
    overlay = JSON.parse(readFileSync(spec.overlay, "utf8")).Replace;
  });

  test("pruned copies match test/golden/go/prune", () => {
    const copies = project.files.filter((f) => f.path.startsWith("go-wasm/extract/"));
    expect(copies.map((f) => f.path)).toEqual(["go-wasm/extract/app/app.go", "go-wasm/extract/lib/lib.go"]);
    for (const f of copies) {
      const golden = join(GOLDEN, `${f.path.slice("go-wasm/extract/".length)}.golden`);
      if (UPDATE) {
        mkdirSync(dirname(golden), { recursive: true });
        writeFileSync(golden, f.contents);
        continue;
      }
      expect(existsSync(golden), `missing golden ${golden} (run with UPDATE_GOLDEN=1)`).toBe(true);
      expect(f.contents, f.path).toBe(readFileSync(golden, "utf8"));
    }
  });

  test("every kept line stays at its line and column; removed text is whitespace", () => {
    for (const file of ["app/app.go", "lib/lib.go"]) {
      const original = readFileSync(join(FIXTURE, file), "utf8").split("\n");
      const pruned = copyOf(project, file)!.split("\n");
      expect(pruned).toHaveLength(original.length);
      pruned.forEach((line, i) => {
        if (line.trim() !== "") expect(line, `${file}:${i + 1}`).toBe(original[i]);
        else expect(Buffer.byteLength(line)).toBe(Buffer.byteLength(original[i]!));
      });
    }
  });

  test("files with nothing kept are left out; whole and unchanged files compile as they are", () => {
    const abs = (f: string) => join(FIXTURE, f);
    expect(overlay[abs("app/unused.go")]).toBe("");
    expect(overlay[abs("lib/server.go")]).toBe("");
    // A dot import keeps its file whole (whisper too); every declaration of level.go is kept.
    expect(overlay[abs("app/dot.go")]).toBeUndefined();
    expect(overlay[abs("app/level.go")]).toBeUndefined();
    // Both build variants of platform() are kept.
    expect(overlay[abs("app/os_wasip1.go")]).toBeUndefined();
    expect(overlay[abs("app/os_other.go")]).toBeUndefined();
    // The fallback overlay holds no pruned copy.
    const whole = JSON.parse(readFileSync(spec.wholeOverlay!, "utf8")).Replace;
    expect(Object.keys(whole)).toEqual([abs("app/zz_dcm_export.go")]);
    expect(spec.extraction).toEqual({ packages: 2, filesKept: 6, filesDropped: 2, decls: expect.any(Number) });
  });

  test("declarations: groups per spec, const groups whole, init by what it touches, directives with their declaration", () => {
    const app = copyOf(project, "app/app.go")!;
    // kept
    for (const s of [
      "//go:build !never",
      "//go:embed greeting.txt\nvar greeting string",
      "\ta    = 1\n\tb, c = pair()",
      "\tLow Level = iota + 1\n\tMid\n\tHigh",
      "\tBox struct{ V int }",
      "func init() {\n\tcounter = 40\n}",
      "//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64",
    ]) {
      expect(app).toContain(s);
    }
    // pruned
    for (const s of ["unused = http.StatusOK", "Unused struct", "never printed", "func Fail", "// unused is pruned"]) {
      expect(app).not.toContain(s);
    }
    expect(copyOf(project, "lib/lib.go")).not.toContain("func Status");
  });

  test("imports: only those the kept code uses, shadowing and package names resolved", () => {
    const app = copyOf(project, "app/app.go")!;
    const imports = app.slice(app.indexOf("import ("), app.indexOf(")", app.indexOf("import (")));
    // embed and unsafe stay blank for their directives; strings is used outside the loop that shadows it;
    // example.com/weird-name is `package weird` (read through the module's replace directive).
    for (const p of [
      '_ "embed"',
      '"fmt"',
      '"strings"',
      '_ "unsafe"',
      '"example.com/prune/lib"',
      '"example.com/weird-name"',
    ]) {
      expect(imports).toContain(p);
    }
    for (const p of ['"errors"', '"net/http"', '"os"']) expect(imports).not.toContain(p);
    expect(copyOf(project, "lib/lib.go")).not.toMatch(/"net\/http"|"strconv"|^import/m);
  });

  test("DCM_GO_EXTRACT=0 generates the whole-package overlay only", async () => {
    process.env.DCM_GO_EXTRACT = "0";
    try {
      const off = await generate(FIXTURE);
      expect(off.project.files.some((f) => f.path.includes("/extract/"))).toBe(false);
      expect(off.spec.wholeOverlay).toBeUndefined();
      expect(off.project.contentKey).not.toBe(project.contentKey);
    } finally {
      delete process.env.DCM_GO_EXTRACT;
    }
  });
});

/** `dcm invoke`'s output for one call, in process. */
async function invoke(d: LoadedDist, id: string, args: string, on: "client" | "server"): Promise<string> {
  try {
    const sig = d.fragment(id).signature!;
    const value = await d.call(id, parseJsonArgs(args, sig, d.manifest.types), { on });
    return toCanonicalJson(value, sig.results.length === 1 ? sig.results[0]! : sig.results, d.manifest.types);
  } catch (e) {
    const err = e as Error & { code?: string };
    if (typeof err.code === "string") return errorJson(err.code, err.message);
    throw e;
  }
}

describe.skipIf(!haveGo)("closure extraction builds (fixtures/prune)", () => {
  const dists: LoadedDist[] = [];
  afterAll(async () => {
    for (const d of dists) await d.close();
  });

  test("both targets build without falling back, and every value equals native Go's", async () => {
    const out = join(tmp("dcm-prune-dist-"), "dist");
    const report = await buildDist({
      repo: FIXTURE,
      cfd: join(FIXTURE, "dcm.yaml"),
      out,
      cacheDir: tmp("dcm-prune-cache-"),
    });
    expect(report.diagnostics.filter((d) => d.severity !== "hint")).toEqual([]);
    checkDistManifest(out);
    const analysis = await analyze(FIXTURE);
    const cases = parseInvokeCases(readFileSync(join(FIXTURE, "invoke-cases.json"), "utf8"));
    const native = await runGoNative(
      FIXTURE,
      analysis.fragments.filter((f) => f.signature).map((f) => ({ id: f.id, detail: f.detail as GoFragmentDetail })),
      cases,
    );
    const dist = await openDist(out);
    dists.push(dist);
    for (const [id, list] of Object.entries(cases)) {
      for (const [i, args] of list.entries()) {
        for (const on of ["client", "server"] as const) {
          const got = await invoke(dist, id, args, on);
          const want = native[id]![i]!;
          // describe differs by design between the wasip1 and the native build variant of platform().
          const expected = id === "describe" && on === "client" ? want.replace("hello native", "hello wasi") : want;
          expect(canonicalEqual(got, expected), `${id} ${args} on ${on}: got ${got}, native ${want}`).toBe(true);
        }
      }
    }
  });

  test("the manifest says how each module was built, and switching DCM_GO_EXTRACT rebuilds", async () => {
    const out = join(tmp("dcm-prune-switch-"), "dist");
    const cacheDir = tmp("dcm-prune-switch-cache-");
    const opts = { repo: FIXTURE, cfd: join(FIXTURE, "dcm.yaml"), out, cacheDir };
    const first = await buildDist(opts);
    checkDistManifest(out);
    expect(first.manifest.modules.map((m) => m.toolchain)).toEqual([
      expect.stringMatching(/, closure extraction$/),
      expect.stringMatching(/, closure extraction$/),
    ]);
    process.env.DCM_GO_EXTRACT = "0";
    try {
      const whole = await buildDist(opts);
      expect(whole.upToDate).toBe(false);
      expect(whole.modulesCompiled).toBe(2);
      expect(whole.manifest.modules.every((m) => m.toolchain.endsWith("whole packages (DCM_GO_EXTRACT=0)"))).toBe(true);
    } finally {
      delete process.env.DCM_GO_EXTRACT;
    }
    expect((await buildDist(opts)).modulesFromCache).toBe(2);
  });

  test("a gap in the closure (a declaration the text index misses) builds from whole packages, with a warning", async () => {
    const repo = tmp("dcm-prune-gap-");
    cpSync(FIXTURE, repo, { recursive: true });
    // `limit` is declared off the start of its line (valid Go, not gofmt's): the text index does not see it.
    writeFileSync(
      join(repo, "app/gap.go"),
      "package app\n\n  var limit = 3\n\nfunc Gap() int {\n\tif limit := 1; limit > 5 {\n\t\treturn limit\n\t}\n\treturn limit\n}\n",
    );
    writeFileSync(
      join(repo, "dcm.yaml"),
      "fragments:\n  - { id: gap, name: Gap, runOn: client, location: { filepath: app/gap.go } }\n",
    );
    const { project: p } = await generate(repo);
    const r = await compileGo(p, "wasm", join(tmp("dcm-prune-out-"), "m.wasm"));
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({
      code: "DCM_EXTRACTION_INCOMPLETE",
      severity: "warning",
      fragment: "gap",
      pos: { file: "app/gap.go", line: 9, col: 9 },
    });
    expect(r.diagnostics[0]!.message).toContain("undefined: limit");
    expect(existsSync(r.file)).toBe(true);
    expect(r.toolchain).toMatch(/, whole packages \(extraction fell back\)$/);
  });

  test("a real error is reported as it is, not as an extraction gap", async () => {
    const repo = tmp("dcm-prune-err-");
    cpSync(FIXTURE, repo, { recursive: true });
    const file = join(repo, "lib/lib.go");
    writeFileSync(file, readFileSync(file, "utf8").replace("return 2 * x", 'return 2 * x + "y"'));
    const { project: p } = await generate(repo);
    const r = await compileGo(p, "wasm", join(tmp("dcm-prune-out-"), "m.wasm"));
    expect(r.diagnostics[0]).toMatchObject({ code: "DCM_COMPILE_FAILED", pos: { file: "lib/lib.go", line: 10 } });
    expect(r.diagnostics.some((d) => d.code === "DCM_EXTRACTION_INCOMPLETE")).toBe(false);
  });
});
