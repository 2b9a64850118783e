/**
 * Compiler errors → diagnostics: real `go build` failures in a copy of
 * fixtures/mod1 (user file, package main copy), synthetic stderr for the
 * other cases, and a missing toolchain.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { GoBuildSpec } from "../../../languages/go/generate/build-spec.js";
import { generateGo } from "../../../languages/go/generate/generate-go.js";
import { compileGo } from "../../../languages/go/toolchain/compile-go.js";
import { fragmentAt, goBuildDiagnostics } from "../../../languages/go/toolchain/go-errors.js";
import { createGoToolchain, goToolchain, parseGoVersion } from "../../../languages/go/toolchain/go-toolchain.js";
import { MOD1, mod1Analysis } from "./fixture-analysis.js";

const haveGo = (await goToolchain.detect()) !== null;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** A copy of mod1 with one line edited (same line count, so the analysis still fits). */
function brokenCopy(file: string, from: string, to: string): string {
  const repo = tmp("dcm-go-broken-");
  cpSync(MOD1, repo, { recursive: true });
  const path = join(repo, file);
  const text = readFileSync(path, "utf8");
  if (!text.includes(from)) throw new Error(`fixture: ${from} not in ${file}`);
  writeFileSync(path, text.replace(from, to));
  return repo;
}

const spec: GoBuildSpec = {
  kind: "go",
  specVersion: 1,
  target: "wasm",
  repo: "/repo",
  moduleRoot: "/repo",
  workDir: "/work/go-wasm",
  mainDir: "/work/go-wasm/main",
  goWork: "/work/go-wasm/go.work",
  overlay: "/work/go-wasm/overlay.json",
  modulePath: "example.com/x",
  moduleDir: "",
  exports: {},
  abi: {},
  fragments: [
    { id: "a", symbol: "A", file: "pkg/a.go", line: 3, endLine: 5, pkgPath: "example.com/x/pkg", libs: [] },
    { id: "b", symbol: "B", file: "pkg/a.go", line: 10, endLine: 12, pkgPath: "example.com/x/pkg", libs: [] },
    {
      id: "m",
      symbol: "M",
      file: "cmd/app/main.go",
      line: 4,
      endLine: 6,
      pkgPath: "example.com/x/cmd/app/zz_dcm_shadow",
      libs: [],
    },
  ],
  shadows: { "/work/go-wasm/overlay/cmd/app/zz_dcm_shadow/main.go": "cmd/app/main.go" },
  generated: ["/work/go-wasm/main/main.go", "/work/go-wasm/overlay/pkg/zz_dcm_export.go"],
};
const ctx = { spec, cwd: "/work/go-wasm/main" };

describe("go build stderr → diagnostics", () => {
  test("a user file error goes to the fragment that holds the line", () => {
    const d = goBuildDiagnostics("# example.com/m/pkg\n../../../repo/pkg/a.go:4:9: undefined: x\n", ctx);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({
      code: "DCM_COMPILE_FAILED",
      fragment: "a",
      pos: { file: "pkg/a.go", line: 4, col: 9 },
    });
    expect(d[0]!.message).toContain("undefined: x");
  });

  test("outside every declaration: the nearest fragment in the file", () => {
    expect(fragmentAt(spec, "pkg/a.go", 8)).toEqual({ id: "b" });
    expect(fragmentAt(spec, "pkg/a.go", 1)).toEqual({ id: "a" });
    expect(fragmentAt(spec, "pkg/other.go", 1)).toBeUndefined();
    const d = goBuildDiagnostics("/repo/pkg/other.go:2:1: syntax error\n", ctx);
    expect(d[0]).toMatchObject({ pos: { file: "pkg/other.go", line: 2 } });
    expect(d[0]!.fragment).toBeUndefined();
  });

  test("an error in a copy of package main maps back to the original file", () => {
    const d = goBuildDiagnostics("../overlay/cmd/app/zz_dcm_shadow/main.go:5:2: bad\n\thave x\n\twant y\n", ctx);
    expect(d[0]).toMatchObject({ fragment: "m", pos: { file: "cmd/app/main.go", line: 5, col: 2 } });
    expect(d[0]!.message).toContain("have x\nwant y");
  });

  test("an error in generated code is reported as a dcm bug", () => {
    const d = goBuildDiagnostics("./main.go:40:3: undefined: dcmEnc_x\n", ctx);
    expect(d[0]!.code).toBe("DCM_COMPILE_FAILED");
    expect(d[0]!.message).toMatch(/dcm generated.*dcm generator bug/);
    expect(d[0]!.pos?.file).toBe("/work/go-wasm/main/main.go");
  });

  test("module download problems, a missing C compiler, a too old Go", () => {
    const sum = goBuildDiagnostics(
      'go: downloading github.com/x/y v1.0.0\n../../repo/pkg/a.go:3:2: github.com/x/y@v1.0.0: Get "https://proxy.golang.org/github.com/x/y/@v/v1.0.0.zip": dial tcp: lookup proxy.golang.org: no such host\n',
      ctx,
    );
    expect(sum.some((d) => d.code === "DCM_COMPILE_FAILED")).toBe(true);
    const loose = goBuildDiagnostics("go: github.com/x/y@v1.0.0: missing go.sum entry for go.mod file\n", ctx);
    expect(loose[0]!.message).toContain("could not get the modules");
    expect(loose[0]!.suggestion).toContain("go mod download");
    const cc = goBuildDiagnostics('runtime/cgo: exec: "gcc": executable file not found in $PATH\n', ctx);
    expect(cc[0]!.code).toBe("DCM_TOOLCHAIN_MISSING");
    const old = goBuildDiagnostics("go: go.mod requires go >= 1.30 (running go 1.26.8; GOTOOLCHAIN=local)\n", ctx);
    expect(old[0]!.code).toBe("DCM_TOOLCHAIN_TOO_OLD");
    expect(goBuildDiagnostics("", ctx)[0]!.code).toBe("DCM_COMPILE_FAILED");
  });
});

describe("the go toolchain driver", () => {
  test("parses `go version`", () => {
    expect(parseGoVersion("go version go1.26.8 linux/amd64\n")).toBe("go1.26.8");
    expect(parseGoVersion("go version go1.24rc1 darwin/arm64")).toBe("go1.24rc1");
    expect(parseGoVersion("nope")).toBeNull();
  });

  test("no Go: DCM_TOOLCHAIN_MISSING with the install hint", async () => {
    const driver = createGoToolchain({ candidates: ["/nonexistent/bin/go"] });
    expect(await driver.detect()).toBeNull();
    await expect(driver.version()).rejects.toMatchObject({ code: "DCM_TOOLCHAIN_MISSING" });
    const analysis = mod1Analysis();
    const project = await generateGo(
      { repo: MOD1, analysis, fragments: analysis.fragments, side: "client", workDir: tmp("dcm-go-nogo-") },
      "wasm",
      { driver },
    );
    const r = await compileGo(project, "wasm", join(tmp("dcm-go-out-"), "x.wasm"), { driver });
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: "DCM_TOOLCHAIN_MISSING" });
    expect(r.diagnostics[0]!.suggestion).toContain("toolchains/go/install.sh");
  });
});

describe.skipIf(!haveGo)("real go build failures", () => {
  test("native without a C compiler: DCM_TOOLCHAIN_MISSING naming gcc", async () => {
    const analysis = mod1Analysis();
    const project = await generateGo(
      { repo: MOD1, analysis, fragments: analysis.fragments, side: "server", workDir: tmp("dcm-go-nocc-") },
      "native",
    );
    const before = process.env.CC;
    process.env.CC = "/nonexistent/bin/gcc";
    try {
      const r = await compileGo(project, "native", join(tmp("dcm-go-out-"), "x.so"));
      expect(r.diagnostics[0]).toMatchObject({ code: "DCM_TOOLCHAIN_MISSING" });
      expect(r.diagnostics[0]!.suggestion).toContain("apt-get install -y gcc");
    } finally {
      if (before === undefined) delete process.env.CC;
      else process.env.CC = before;
    }
  });

  test("a type error in a user function is reported at its line, for its fragment", async () => {
    const repo = brokenCopy("shared/shared.go", "return a + b", 'return a + "b"');
    const analysis = mod1Analysis();
    const project = await generateGo(
      { repo, analysis, fragments: analysis.fragments, side: "client", workDir: tmp("dcm-go-err-") },
      "wasm",
    );
    const r = await compileGo(project, "wasm", join(tmp("dcm-go-out-"), "x.wasm"));
    const add = analysis.fragments.find((f) => f.id === "add")!;
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics[0]).toMatchObject({
      code: "DCM_COMPILE_FAILED",
      fragment: "add",
      pos: { file: "shared/shared.go", line: add.line + 1 },
    });
  });

  test("an error in package main is reported in the original file", async () => {
    const repo = brokenCopy("cmd/app/main.go", "return 2 * x", 'return 2 * x + "y"');
    const analysis = mod1Analysis();
    const project = await generateGo(
      { repo, analysis, fragments: analysis.fragments, side: "client", workDir: tmp("dcm-go-err-") },
      "native",
    );
    const r = await compileGo(project, "native", join(tmp("dcm-go-out-"), "x.so"));
    const dbl = analysis.fragments.find((f) => f.id === "x.y")!;
    expect(r.diagnostics[0]).toMatchObject({
      code: "DCM_COMPILE_FAILED",
      fragment: "x.y",
      pos: { file: "cmd/app/main.go", line: dbl.line + 1 },
    });
  });
});
