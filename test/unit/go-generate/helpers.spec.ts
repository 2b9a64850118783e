/** Small pieces of the Go generator: package clause renaming, go.work parsing, versions, names. */
import { describe, expect, test } from "vitest";
import { parseGoWork, renamePackageClause } from "../../../languages/go/generate/generate-go.js";
import { compareGoVersions } from "../../../languages/go/generate/go-version.js";
import { exportNames, sanitizeIdent } from "../../../languages/go/generate/naming.js";
import type { AnalyzedFragment } from "../../../src/languages/adapter-types.js";

describe("renamePackageClause", () => {
  test("renames the clause after comments and build constraints, keeping the line count", () => {
    const src = "//go:build !js\n\n/* package main in a comment */\n// Doc.\npackage main\n\nfunc main() {}\n";
    const out = renamePackageClause(src, "main", "dcm_main");
    expect(out).toBe(src.replace("package main\n", "package dcm_main\n"));
    expect(out.split("\n")).toHaveLength(src.split("\n").length);
  });

  test("leaves other packages alone", () => {
    expect(renamePackageClause("package mainly\n", "main", "x")).toBe("package mainly\n");
    expect(renamePackageClause("package other\n", "main", "x")).toBe("package other\n");
  });
});

describe("parseGoWork", () => {
  test("keeps go, use (made absolute) and local replaces (made absolute)", () => {
    const text = [
      "go 1.25.1",
      "toolchain go1.26.0",
      "",
      "use (",
      "\t./app // the app",
      '\t"../lib"',
      ")",
      "use ./tools",
      "replace example.com/x => ../x",
      "replace example.com/y v1.0.0 => example.com/z v1.2.0",
    ].join("\n");
    expect(parseGoWork(text, "/w/repo")).toEqual({
      go: "1.25.1",
      uses: ["/w/repo/app", "/w/lib", "/w/repo/tools"],
      replaces: ["example.com/x => /w/x", "example.com/y v1.0.0 => example.com/z v1.2.0"],
    });
  });
});

test("compareGoVersions", () => {
  expect(compareGoVersions("go1.26.8", "1.24")).toBeGreaterThan(0);
  expect(compareGoVersions("1.24", "1.24.0")).toBe(0);
  expect(compareGoVersions("1.23.9", "1.24")).toBeLessThan(0);
  expect(compareGoVersions("go1.24rc1", "1.24")).toBe(0);
});

describe("export names", () => {
  const frag = (id: string, kind: AnalyzedFragment["kind"] = "function") =>
    ({ id, kind, signature: { params: [], results: [] } }) as AnalyzedFragment;

  test("sanitized, unique in id order, callables only", () => {
    expect(sanitizeIdent("get-hash")).toBe("get_hash");
    expect(sanitizeIdent("")).toBe("_");
    expect(exportNames([frag("b.c"), frag("b-c"), frag("b_c"), frag("6"), frag("v", "variable"), frag("é")])).toEqual({
      "6": "dcm_f_6",
      "b-c": "dcm_f_b_c",
      "b.c": "dcm_f_b_c_2",
      b_c: "dcm_f_b_c_3",
      é: "dcm_f__",
    });
  });
});
