import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeGo } from "../../../languages/go/analysis/analyze-go.js";
import { APP, frag } from "./fixture-helpers.js";

const deps = async (...fragments: Parameters<typeof frag>[]) => {
  const r = await analyzeGo({ repo: APP, fragments: fragments.map((f) => frag(...f)) });
  expect(r.diagnostics).toEqual([]);
  return r;
};

describe("analyzeGo dependencies", () => {
  it("finds package-level vars, consts and helpers in the same package", async () => {
    const r = await deps([1, "payroll/payroll.go", "Net"]);
    expect(r.fragments[0]?.deps).toEqual({
      fragments: [],
      libs: ["errors"],
      // Counter directly, Rates through applyTax; Bonus is a const, not listed.
      globalVars: ["Counter", "Rates"],
      typeDefs: ["Employee", "shared.Address"],
    });
  });

  it("follows helper chains into the standard library", async () => {
    const r = await deps([1, "payroll/payroll.go", "Digest"]);
    expect(r.fragments[0]?.deps).toEqual({
      fragments: [],
      libs: ["crypto/sha256", "encoding/hex"],
      globalVars: [],
      typeDefs: [],
    });
  });

  it("follows the declared type of a field of the receiver: `c.name.String()` is Name's String only", async () => {
    const F = "fieldsel/card.go";
    const r = await deps(
      [1, F, "Card.Title"],
      [2, F, "Name.String"],
      [3, F, "Label.String"],
      [4, F, "Card.Plain"],
      [5, F, "Card.Caption"],
    );
    const byId = new Map(r.fragments.map((f) => [f.id, f.deps]));
    expect(byId.get("1")?.fragments).toEqual(["2"]);
    expect(byId.get("5")?.fragments).toEqual(["3"]);
    // strings.Builder.String is the standard library's: no fragment of this package.
    expect(byId.get("4")?.fragments).toEqual([]);
  });

  it("resolves import aliases of go.mod-required modules", async () => {
    const r = await deps([1, "payroll/payroll.go", "NewID"]);
    expect(r.fragments[0]?.deps.libs).toEqual(["github.com/google/uuid"]);
  });

  it("follows in-module packages through an alias and qualifies their names", async () => {
    const r = await deps([1, "payroll/employee.go", "Display"]);
    expect(r.fragments[0]?.deps).toEqual({
      fragments: [],
      // strings directly; unicode/utf8 through shared.Format -> util.Join.
      libs: ["strings", "unicode/utf8"],
      globalVars: ["shared.Separator"],
      typeDefs: ["Employee", "shared.Address"],
    });
  });

  it("lists other fragments reached through non-fragment helpers, and stops there", async () => {
    const r = await deps(
      [1, "payroll/payroll.go", "Summary"],
      [2, "payroll/payroll.go", "Add"],
      [3, "payroll/employee.go", "Display"],
    );
    const summary = r.fragments.find((f) => f.id === "1")!;
    // Add through sumAll; Display as e.Display() on a *Employee parameter. Display's own deps are not copied.
    expect(summary.deps).toEqual({
      fragments: ["2", "3"],
      libs: ["fmt"],
      globalVars: [],
      typeDefs: ["Celsius", "Employee", "IDs", "shared.Address"],
    });
    expect(r.fragments.find((f) => f.id === "2")?.deps.fragments).toEqual([]);
  });

  it("follows helpers into the standard library when the method is not a fragment", async () => {
    const r = await deps([1, "payroll/payroll.go", "Summary"]);
    expect(r.fragments[0]?.deps.libs).toEqual(["fmt", "strings", "unicode/utf8"]);
    expect(r.fragments[0]?.deps.globalVars).toEqual(["shared.Separator"]);
  });

  it("resolves methods of locals built from composite literals of another package", async () => {
    const r = await deps([1, "payroll/team.go", "Roster"]);
    expect(r.fragments[0]?.deps).toEqual({
      fragments: [],
      libs: ["sort"],
      globalVars: [],
      typeDefs: ["shared.Roster"],
    });
  });

  it("finds dependencies of type and var fragments", async () => {
    const r = await deps(
      [1, "payroll/employee.go", "Employee"],
      [2, "payroll/payroll.go", "Rates"],
      [3, "shared/shared.go", "Format"],
    );
    expect(r.fragments.find((f) => f.id === "1")?.deps).toEqual({
      fragments: [],
      libs: [],
      globalVars: [],
      typeDefs: ["shared.Address"],
    });
    expect(r.fragments.find((f) => f.id === "2")?.deps).toEqual({
      fragments: [],
      libs: [],
      globalVars: [],
      typeDefs: [],
    });
    // Names of the fragment's own package (shared) stay unqualified.
    expect(r.fragments.find((f) => f.id === "3")?.deps).toEqual({
      fragments: [],
      libs: ["unicode/utf8"],
      globalVars: ["Separator"],
      typeDefs: ["Address"],
    });
  });

  it("counts a referenced type fragment as a fragment dependency", async () => {
    const r = await deps([1, "payroll/payroll.go", "Net"], [2, "payroll/employee.go", "Employee"]);
    expect(r.fragments.find((f) => f.id === "1")?.deps.fragments).toEqual(["2"]);
  });
});

describe("analyzeGo inputs and parsing", () => {
  it("lists every file of reached packages with its sha256, and parses only reached files", async () => {
    const r = await deps([1, "payroll/payroll.go", "Add"]);
    expect(r.inputs.map((i) => i.file)).toEqual([
      "go.mod",
      "go.sum",
      "internal/util/util.go",
      "payroll/employee.go",
      "payroll/extra.go",
      "payroll/payroll.go",
      "payroll/team.go",
      "shared/roster.go",
      "shared/shared.go",
    ]);
    for (const i of r.inputs) {
      expect(i.sha256).toBe(
        createHash("sha256")
          .update(readFileSync(join(APP, i.file)))
          .digest("hex"),
      );
    }
    // Add refers to nothing: only its own file is parsed.
    expect(r.filesParsed).toBe(1);
  });

  it("parses only the files declaring what the fragment reaches", async () => {
    const r = await deps([1, "payroll/payroll.go", "Digest"]);
    expect(r.filesParsed).toBe(1);
    const net = await deps([1, "payroll/payroll.go", "Net"]);
    expect(net.filesParsed).toBe(3); // payroll.go, employee.go (Employee), shared.go (Address)
  });

  it("reuses summaries from the request cache", async () => {
    const cache = new Map<string, unknown>();
    const first = await analyzeGo({ repo: APP, cache, fragments: [frag(1, "payroll/payroll.go", "Summary")] });
    expect(first.filesParsed).toBeGreaterThan(0);
    const second = await analyzeGo({ repo: APP, cache, fragments: [frag(1, "payroll/payroll.go", "Summary")] });
    expect(second.filesParsed).toBe(0);
    expect(second.fragments).toEqual(first.fragments);
  });
});
