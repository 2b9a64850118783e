import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { Cfd } from "../../../src/cfd/cfd-types.js";
import { loadCfdText } from "../../../src/cfd/load-cfd.js";
import { listRepoFiles, normaliseFilepath, resolveFragmentFiles } from "../../../src/cfd/resolve-files.js";
import { DcmError } from "../../../runtime/diagnostics/catalog.js";

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), "utf8");

function cfdFrom(text: string): Cfd {
  const { cfd, diagnostics } = loadCfdText(text, "cfd.yaml");
  expect(diagnostics).toEqual([]);
  return cfd!;
}

const one = (filepath: string) =>
  cfdFrom(`fragments:\n  - id: 1\n    name: F\n    runOn: client\n    location: { filepath: ${filepath} }\n`);

const REPO = [
  "go.mod",
  "pkg/shared/shared.go",
  "pkg/notshared/shared.go",
  "pkg/shared/employee.go",
  "internal/a/util.go",
  "internal/b/util.go",
  "tools/util.go",
];

describe("resolveFragmentFiles", () => {
  it("matches filepath as a suffix on whole segments; `./` and `/` prefixes are ignored", () => {
    const { resolved, diagnostics } = resolveFragmentFiles(cfdFrom(fixture("resolve.yaml")), REPO);
    expect(resolved.get("1")).toBe("pkg/shared/shared.go");
    expect(resolved.get("2")).toBe("pkg/shared/shared.go");
    expect(resolved.get("3")).toBe("pkg/shared/shared.go");
    // 4, 5 and 6 are the errors below.
    expect([...resolved.keys()]).toEqual(["1", "2", "3"]);
    expect(diagnostics.map((d) => [d.code, d.fragment])).toEqual([
      ["DCM_CFD_FILE_NOT_FOUND", "4"],
      ["DCM_CFD_FILE_NOT_FOUND", "5"],
      ["DCM_CFD_FILE_AMBIGUOUS", "6"],
    ]);
  });

  it("does not match inside a segment: `shared/shared.go` is not `notshared/shared.go`", () => {
    const { resolved, diagnostics } = resolveFragmentFiles(one("shared/shared.go"), ["pkg/notshared/shared.go"]);
    expect(resolved.size).toBe(0);
    expect(diagnostics[0]!.code).toBe("DCM_CFD_FILE_NOT_FOUND");
    // Same file name elsewhere: that is the suggestion.
    expect(diagnostics[0]!.suggestion).toBe("did you mean `pkg/notshared/shared.go`?");
  });

  it("DCM_CFD_FILE_NOT_FOUND: a typo gets the nearest path, at location.filepath", () => {
    const { diagnostics } = resolveFragmentFiles(cfdFrom(fixture("resolve.yaml")), REPO);
    const typo = diagnostics.find((d) => d.fragment === "4")!;
    expect(typo.pos).toEqual({ file: "cfd.yaml", line: 18, col: 27 });
    expect(typo.message).toBe("fragment 4: no file in the repository matches `location.filepath: shared/employe.go`");
    expect(typo.suggestion).toBe("did you mean `pkg/shared/employee.go`?");
  });

  it("DCM_CFD_FILE_NOT_FOUND: a wrong folder gets the files of the same name", () => {
    const { diagnostics } = resolveFragmentFiles(cfdFrom(fixture("resolve.yaml")), REPO);
    const wrongDir = diagnostics.find((d) => d.fragment === "5")!;
    expect(wrongDir.pos).toMatchObject({ line: 22, col: 27 });
    expect(wrongDir.suggestion).toBe("did you mean `pkg/shared/employee.go`?");
  });

  it("DCM_CFD_FILE_NOT_FOUND: nothing close gives the general advice", () => {
    const { diagnostics } = resolveFragmentFiles(one("server/handlers.go"), REPO);
    expect(diagnostics[0]!.code).toBe("DCM_CFD_FILE_NOT_FOUND");
    expect(diagnostics[0]!.suggestion).toContain("relative to the repository root");
  });

  it("DCM_CFD_FILE_AMBIGUOUS: lists the matches and the shortest suffix that picks each", () => {
    const { diagnostics } = resolveFragmentFiles(cfdFrom(fixture("resolve.yaml")), REPO);
    const amb = diagnostics.find((d) => d.fragment === "6")!;
    expect(amb.code).toBe("DCM_CFD_FILE_AMBIGUOUS");
    expect(amb.pos).toMatchObject({ line: 26, col: 27 });
    expect(amb.message).toBe(
      "fragment 6: `location.filepath: util.go` matches 3 files: tools/util.go, internal/a/util.go, internal/b/util.go",
    );
    expect(amb.suggestion).toBe("write a longer path to pick one: `tools/util.go` or `a/util.go` or `b/util.go`");
  });

  it("DCM_CFD_FILE_AMBIGUOUS: lists at most 5 matches", () => {
    const files = Array.from({ length: 7 }, (_, i) => `m${i}/x.go`);
    const { diagnostics } = resolveFragmentFiles(one("x.go"), files);
    expect(diagnostics[0]!.message).toBe(
      "fragment 1: `location.filepath: x.go` matches 7 files: m0/x.go, m1/x.go, m2/x.go, m3/x.go, m4/x.go and 2 more",
    );
  });

  it("an exact repo-relative path wins over longer paths ending with it", () => {
    const files = ["shared/shared.go", "pkg/shared/shared.go"];
    expect(resolveFragmentFiles(one("shared/shared.go"), files).resolved.get("1")).toBe("shared/shared.go");
    expect(resolveFragmentFiles(one("pkg/shared/shared.go"), files).resolved.get("1")).toBe("pkg/shared/shared.go");
    // So the root-level file stays reachable, and the ambiguity advice names a path that works.
    const amb = resolveFragmentFiles(one("shared.go"), files).diagnostics[0]!;
    expect(amb.suggestion).toBe("write a longer path to pick one: `shared/shared.go` or `pkg/shared/shared.go`");
  });

  it("normaliseFilepath", () => {
    expect(normaliseFilepath("./shared/shared.go")).toBe("shared/shared.go");
    expect(normaliseFilepath("/shared//shared.go")).toBe("shared/shared.go");
    expect(normaliseFilepath("shared\\shared.go")).toBe("shared/shared.go");
  });
});

describe("listRepoFiles", () => {
  const root = mkdtempSync(join(tmpdir(), "dcm-cfd-list-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const touch = (rel: string) => {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), "package x\n");
  };

  it("walks the tree, keeps the wanted extensions, skips vendored, hidden and ignored folders", async () => {
    for (const f of [
      "main.go",
      "README.md",
      "pkg/shared/shared.go",
      "pkg/shared/shared_test.go",
      "pkg/shared/notes.txt",
      ".git/hooks/x.go",
      "node_modules/m/x.go",
      "vendor/github.com/y/y.go",
      "pkg/testdata/t.go",
      ".hidden/h.go",
      "_build/b.go",
    ]) {
      touch(`small/${f}`);
    }
    symlinkSync(join(root, "small/pkg"), join(root, "small/loop"));
    const expected = ["main.go", "pkg/shared/shared.go", "pkg/shared/shared_test.go"];
    expect(await listRepoFiles(join(root, "small"), [".go"])).toEqual(expected);
    expect(await listRepoFiles(join(root, "small"), ["go"])).toEqual(expected);
    expect(await listRepoFiles(join(root, "small/"), [".md", ".txt"])).toEqual(["README.md", "pkg/shared/notes.txt"]);
  });

  it("throws DCM_REPO_NOT_FOUND for a missing repository", async () => {
    await expect(listRepoFiles(join(root, "missing"), [".go"])).rejects.toBeInstanceOf(DcmError);
    await expect(listRepoFiles(join(root, "missing"), [".go"])).rejects.toMatchObject({ code: "DCM_REPO_NOT_FOUND" });
  });

  it("lists each of 5,000 files once, sorted, and walks no skipped folder (speed: bench/repo-walk.ts)", async () => {
    const expected: string[] = [];
    for (let d = 0; d < 250; d++) {
      const rel = `pkg${d % 10}/sub${d}`;
      mkdirSync(join(root, "big", rel), { recursive: true });
      for (let f = 0; f < 20; f++) {
        writeFileSync(join(root, "big", rel, `f${f}.go`), "");
        expected.push(`${rel}/f${f}.go`);
      }
    }
    // Folders the walk must not enter, however much they hold.
    for (const skipped of ["node_modules/dep", "vendor/x", ".git/objects", "_build/out", "pkg0/testdata"]) {
      mkdirSync(join(root, "big", skipped), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(root, "big", skipped, `s${f}.go`), "");
    }
    const listed = await listRepoFiles(join(root, "big"), [".go"]);
    expect(listed).toHaveLength(5000);
    expect(listed).toEqual([...expected].sort());
    expect(new Set(listed).size).toBe(5000);
  });
});
