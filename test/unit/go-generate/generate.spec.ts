/**
 * Golden files for the Go generator (test/golden/go/mod1/): every file it
 * writes for fixtures/mod1, both targets. UPDATE_GOLDEN=1 rewrites them;
 * otherwise they are compared. Absolute paths appear as $REPO and $WORK.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import type { GoBuildSpec } from "../../../languages/go/generate/build-spec.js";
import { generateGo } from "../../../languages/go/generate/generate-go.js";
import { goTypeToVType } from "../../../languages/go/generate/type-model.js";
import type { GoAnalysisDetail } from "../../../languages/go/go-types.js";
import type { GeneratedProject } from "../../../src/languages/adapter-types.js";
import { MOD1, mod1Analysis } from "./fixture-analysis.js";

const GOLDEN = fileURLToPath(new URL("../../golden/go/mod1/", import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const gofmt = ["/usr/local/go/bin/gofmt", "gofmt"].find((g) => {
  try {
    execFileSync(g, ["-l"], { input: "package x\n", stdio: ["pipe", "ignore", "ignore"] });
    return true;
  } catch {
    return false;
  }
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "dcm-go-gen-"));
  dirs.push(d);
  return d;
}

async function generate(target: "wasm" | "native", workDir = tmp(), fragments?: (ids: string[]) => string[]) {
  const analysis = mod1Analysis();
  const keep = fragments ? new Set(fragments(analysis.fragments.map((f) => f.id))) : undefined;
  const frags = keep ? analysis.fragments.filter((f) => keep.has(f.id)) : analysis.fragments;
  const project = await generateGo({ repo: MOD1, analysis, fragments: frags, side: "client", workDir }, target);
  return { project, workDir };
}

function portable(text: string, workDir: string): string {
  return text.replaceAll(workDir, "$WORK").replaceAll(MOD1, "$REPO");
}

function compareGolden(project: GeneratedProject, workDir: string) {
  for (const f of project.files) {
    const golden = join(GOLDEN, `${f.path}.golden`);
    const text = portable(f.contents, workDir);
    if (UPDATE) {
      mkdirSync(dirname(golden), { recursive: true });
      writeFileSync(golden, text);
      continue;
    }
    expect(existsSync(golden), `missing golden ${golden} (run with UPDATE_GOLDEN=1)`).toBe(true);
    expect(text, f.path).toBe(readFileSync(golden, "utf8"));
  }
}

describe("generateGo golden files", () => {
  for (const target of ["wasm", "native"] as const) {
    test(`${target}: files match test/golden/go/mod1`, async () => {
      const { project, workDir } = await generate(target);
      expect(project.files.map((f) => f.path)).toEqual([
        // The closure's pruned copies: package main without its func main (and fmt).
        `go-${target}/extract/cmd/app/zz_dcm_shadow/main.go`,
        `go-${target}/go.work`,
        `go-${target}/main/dcm_abi.go`,
        // A native plugin captures what fragments print itself (docs/abi.md, "Output"); WASM uses WASI.
        ...(target === "native" ? [`go-${target}/main/dcm_output.go`, `go-${target}/main/dcm_output_linux.go`] : []),
        `go-${target}/main/go.mod`,
        `go-${target}/main/main.go`,
        `go-${target}/overlay-whole.json`,
        `go-${target}/overlay.json`,
        `go-${target}/overlay/cmd/app/zz_dcm_shadow/main.go`,
        `go-${target}/overlay/cmd/app/zz_dcm_shadow/zz_dcm_export.go`,
        `go-${target}/overlay/internal/calc/zz_dcm_export.go`,
        `go-${target}/overlay/shared/zz_dcm_export.go`,
      ]);
      compareGolden(project, workDir);
      for (const f of project.files) expect(readFileSync(join(workDir, f.path), "utf8")).toBe(f.contents);
    });

    test.skipIf(!gofmt)(`${target}: the generated Go is gofmt-clean`, async () => {
      const { project, workDir } = await generate(target);
      // Copies of user files (package main shadows, pruned copies) keep the user's formatting.
      const goFiles = project.files.filter(
        (f) => f.path.endsWith(".go") && !f.path.includes("zz_dcm_shadow/main.go") && !f.path.includes("/extract/"),
      );
      const unformatted = execFileSync(gofmt!, ["-l", ...goFiles.map((f) => join(workDir, f.path))], {
        encoding: "utf8",
      });
      expect(unformatted).toBe("");
    });
  }

  test("output is deterministic and independent of the work folder", async () => {
    const a = await generate("wasm");
    const b = await generate("wasm");
    expect(a.project.contentKey).toMatch(/^[0-9a-f]{64}$/);
    expect(b.project.contentKey).toBe(a.project.contentKey);
    expect(b.project.files.map((f) => [f.path, portable(f.contents, b.workDir)])).toEqual(
      a.project.files.map((f) => [f.path, portable(f.contents, a.workDir)]),
    );
    const native = await generate("native");
    expect(native.project.contentKey).not.toBe(a.project.contentKey);
  });

  test("the build spec lists exports, ABIs, fragments and generated files", async () => {
    const { project, workDir } = await generate("native");
    const spec = project.buildSpec as GoBuildSpec;
    expect(spec.kind).toBe("go");
    expect(spec.exports).toEqual(project.exports);
    expect(spec.exports.add).toBe("dcm_f_add");
    expect(spec.abi).toMatchObject({ add: "scalar", describe: "buffer", raise: "buffer", "x.y": "scalar" });
    expect(spec.mainDir).toBe(join(workDir, "go-native", "main"));
    expect(spec.generated).toContain(join(workDir, "go-native", "main", "main.go"));
    expect(spec.shadows[join(workDir, "go-native", "overlay/cmd/app/zz_dcm_shadow/main.go")]).toBe("cmd/app/main.go");
    expect(spec.fragments.find((f) => f.id === "add")).toMatchObject({ file: "shared/shared.go" });
    // Non-callable fragments have no export.
    expect(Object.keys(project.exports)).not.toContain("counter");
  });

  test("export names do not depend on which fragments a module holds", async () => {
    const all = await generate("wasm");
    const some = await generate("wasm", tmp(), (ids) => ids.filter((id) => id === "x.y" || id === "add"));
    expect(some.project.exports).toEqual({ add: "dcm_f_add", "x.y": all.project.exports["x.y"] });
    expect(some.project.exports["x.y"]).toBe("dcm_f_x_y_2");
  });

  test("a module with only a variable fragment imports its package blank", async () => {
    const { project } = await generate("wasm", tmp(), (ids) => ids.filter((id) => id === "counter"));
    const main = project.files.find((f) => f.path.endsWith("main/main.go"))!.contents;
    expect(main).toContain('_ "example.com/mod1/shared"');
    expect(project.exports).toEqual({});
  });

  test("the generator's wire types agree with the analysis' signatures", () => {
    const analysis = mod1Analysis();
    const named = (analysis.detail as GoAnalysisDetail).named;
    const employee = { k: "named", pkgPath: "example.com/mod1/shared", name: "Employee" } as const;
    expect(goTypeToVType(employee, named)).toEqual({ kind: "record", name: "Employee" });
    expect(goTypeToVType({ k: "slice", elem: { k: "basic", name: "byte" } }, named)).toEqual({ kind: "bytes" });
    expect(goTypeToVType({ k: "pointer", elem: { k: "basic", name: "rune" } }, named)).toEqual({
      kind: "optional",
      inner: { kind: "int", bits: 32, signed: true },
    });
  });
});
