import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeGo } from "../../../languages/go/analysis/analyze-go.js";
import { CATALOG } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";
import { APP, cfdPos, FIXTURES, frag } from "./fixture-helpers.js";

const only = async (...args: Parameters<typeof frag>): Promise<Diagnostic> => {
  const r = await analyzeGo({ repo: APP, fragments: [frag(...args)] });
  expect(r.diagnostics).toHaveLength(1);
  return r.diagnostics[0]!;
};
const at = (file: string, line: number, col: number) => ({ file, line, col });

describe("CFD symbol diagnostics", () => {
  it("DCM_CFD_SYMBOL_NOT_FOUND offers the nearest declared name", async () => {
    const r = await analyzeGo({ repo: APP, fragments: [frag(1, "payroll/payroll.go", "Nett")] });
    expect(r.fragments).toEqual([]);
    expect(r.diagnostics).toEqual([
      {
        code: "DCM_CFD_SYMBOL_NOT_FOUND",
        severity: "error",
        message: "`Nett` is not declared in payroll/payroll.go",
        pos: cfdPos(1, "name"),
        suggestion: "did you mean `Net`?",
        fragment: "1",
      },
    ]);
  });

  it("DCM_CFD_SYMBOL_NOT_FOUND suggests Type.Method spellings", async () => {
    const d = await only(2, "payroll/employee.go", "Employee.Raize");
    expect(d.suggestion).toBe("did you mean `Employee.Raise`?");
    expect(d.pos).toEqual(cfdPos(2, "name"));
  });

  it("DCM_CFD_SYMBOL_NOT_FOUND for an ambiguous bare method name", async () => {
    const d = await only(3, "payroll/employee.go", "String");
    expect(d.code).toBe("DCM_CFD_SYMBOL_NOT_FOUND");
    expect(d.message).toBe("`String` is ambiguous in payroll/employee.go: `Celsius.String`, `Employee.String`");
    expect(d.suggestion).toBe(
      "add the receiver type's fragment to `dependsOn`, or write `Celsius.String` or `Employee.String`, or give location.start/end",
    );
  });

  it("the receiver types `dependsOn` names pick one of several methods of a bare name (the paper's form)", async () => {
    const r = await analyzeGo({
      repo: APP,
      fragments: [
        frag(1, "payroll/employee.go", "String", { dependsOn: ["2"], receiverHints: ["Celsius"] }),
        frag(3, "payroll/employee.go", "String", { dependsOn: ["4"], receiverHints: ["Employee"] }),
        // Hints that name no receiver of `String` leave it ambiguous.
        frag(5, "payroll/employee.go", "String", { dependsOn: ["6"], receiverHints: ["Raise"] }),
      ],
    });
    expect(r.fragments.map((f) => [f.id, f.symbol, f.kind])).toEqual([
      ["1", "Celsius.String", "method"],
      ["3", "Employee.String", "method"],
    ]);
    expect(r.diagnostics.map((d) => [d.code, d.fragment])).toEqual([["DCM_CFD_SYMBOL_NOT_FOUND", "5"]]);
  });

  it("location.start/end disambiguate a bare method name", async () => {
    const r = await analyzeGo({
      repo: APP,
      fragments: [
        frag(4, "payroll/employee.go", "String", { location: { filepath: "payroll/employee.go", start: 44, end: 44 } }),
      ],
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.fragments[0]).toMatchObject({ symbol: "Employee.String", line: 44 });
  });

  it("DCM_CFD_LOCATION_RANGE when the range does not enclose the declaration", async () => {
    const d = await only(5, "payroll/payroll.go", "Net", {
      location: { filepath: "payroll/payroll.go", start: 1, end: 20 },
    });
    expect(d).toEqual({
      code: "DCM_CFD_LOCATION_RANGE",
      severity: "error",
      message: "`Net` is declared at lines 27–33 of payroll/payroll.go, outside location 1–20",
      pos: cfdPos(5, "start"),
      suggestion: "set `start: 27` and `end: 33`, or remove them",
      fragment: "5",
    });
  });

  it("DCM_CFD_KIND_MISMATCH when the CFD's kind differs", async () => {
    const r = await analyzeGo({
      repo: APP,
      fragments: [frag(6, "payroll/payroll.go", "Counter", { kind: "function" })],
    });
    expect(r.diagnostics).toEqual([
      {
        code: "DCM_CFD_KIND_MISMATCH",
        severity: "error",
        message: "`Counter` is a variable in payroll/payroll.go, but the CFD says `kind: function`",
        pos: cfdPos(6, "kind"),
        suggestion: "set `kind: variable`, or remove `kind`",
        fragment: "6",
      },
    ]);
    expect(r.fragments[0]?.kind).toBe("variable");
  });

  it("accepts the spellings Go tools print", async () => {
    const r = await analyzeGo({
      repo: APP,
      fragments: [
        frag(1, "payroll/employee.go", "(*Employee).Raise"),
        frag(2, "payroll/payroll.go", "payroll.Add"),
        frag(3, "payroll/employee.go", "*Employee.Raise"),
      ],
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.fragments.map((f) => f.symbol)).toEqual(["Employee.Raise", "Add", "Employee.Raise"]);
  });

  it("accepts a matching kind", async () => {
    const r = await analyzeGo({ repo: APP, fragments: [frag(7, "payroll/employee.go", "Raise", { kind: "method" })] });
    expect(r.diagnostics).toEqual([]);
  });
});

describe("repository diagnostics", () => {
  it("DCM_GO_MOD_MISSING when no go.mod is above the file", async () => {
    const r = await analyzeGo({ repo: join(FIXTURES, "nomod"), fragments: [frag(1, "pkg/a.go", "A")] });
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({
      code: "DCM_GO_MOD_MISSING",
      pos: cfdPos(1, "location"),
      fragment: "1",
      suggestion: CATALOG.DCM_GO_MOD_MISSING.fix,
    });
    expect(r.fragments).toEqual([]);
  });

  it("DCM_REPO_NOT_FOUND for a missing repository", async () => {
    const r = await analyzeGo({ repo: join(FIXTURES, "no-such-repo"), fragments: [frag(1, "a.go", "A")] });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["DCM_REPO_NOT_FOUND"]);
  });

  it("DCM_CFD_FILE_NOT_FOUND for a fragment file that cannot be read", async () => {
    const d = await only(1, "payroll/missing.go", "A");
    expect(d).toMatchObject({ code: "DCM_CFD_FILE_NOT_FOUND", pos: cfdPos(1, "location"), fragment: "1" });
  });

  it("DCM_SOURCE_SYNTAX in the fragment's own file", async () => {
    const r = await analyzeGo({ repo: APP, fragments: [frag(1, "broken/broken.go", "Good")] });
    expect(r.diagnostics).toEqual([
      {
        code: "DCM_SOURCE_SYNTAX",
        severity: "error",
        message: "broken/broken.go does not parse (missing ) at 5:10); fragment `1` needs it",
        pos: at("broken/broken.go", 5, 10),
        suggestion: CATALOG.DCM_SOURCE_SYNTAX.fix,
        fragment: "1",
      },
    ]);
    expect(r.fragments[0]?.symbol).toBe("Good");
  });

  it("DCM_SOURCE_SYNTAX in a helper's file the fragment reaches", async () => {
    const d = await only(2, "broken/caller.go", "Caller");
    expect(d).toMatchObject({ code: "DCM_SOURCE_SYNTAX", pos: at("broken/helper.go", 6, 6), fragment: "2" });
    expect(d.message).toContain("missing identifier");
  });
});

describe("unsupported signatures", () => {
  const F = "unsupported/unsupported.go";
  const cases: Array<[string, string, [number, number] | [string, number, number], string, string?]> = [
    [
      "Map",
      "DCM_UNSUPPORTED_CONSTRUCT",
      [26, 9],
      "generic function `Map` (type parameters)",
      "write a non-generic wrapper with concrete types and make it the fragment",
    ],
    [
      "Drain",
      "DCM_UNSUPPORTED_TYPE",
      [28, 15],
      "channel parameter `ch chan int`",
      "pass the values as a slice instead of a channel",
    ],
    ["Apply", "DCM_UNSUPPORTED_TYPE", [30, 14], "func-typed parameter `f func(int) int`"],
    [
      "Describe",
      "DCM_UNSUPPORTED_TYPE",
      [32, 17],
      "interface type `any` (parameter `v`)",
      "use a concrete type: a basic type, slice, map or struct",
    ],
    ["ByID", "DCM_UNSUPPORTED_TYPE", [34, 14], "type from a third-party package `uuid.UUID` (parameter `id`)"],
    ["When", "DCM_UNSUPPORTED_TYPE", [36, 13], "type from the standard library `time.Time` (parameter `t`)"],
    [
      "Hire",
      "DCM_UNSUPPORTED_TYPE",
      [38, 13],
      "unexported type `employee` used in a signature (parameter `e`)",
      "export it: rename `employee` to `Employee`",
    ],
    [
      "Hidden",
      "DCM_UNSUPPORTED_TYPE",
      [71, 7],
      "unexported type `employee` used in a signature (receiver `e`)",
      "export it: rename `employee` to `Employee`",
    ],
    [
      "Ptr",
      "DCM_UNSUPPORTED_TYPE",
      [40, 12],
      "pointer to a non-struct type `*int` (parameter `n`)",
      "use the value type `int`, or a pointer to a struct",
    ],
    [
      "Keys",
      "DCM_UNSUPPORTED_TYPE",
      [42, 13],
      "map key type `Key` (parameter `m`)",
      "use a string, integer, bool or float map key",
    ],
    [
      "Flatten",
      "DCM_UNSUPPORTED_CONSTRUCT",
      [14, 2],
      "embedded field `Base` in struct `WithEmbed`",
      "give the field a name (`Base Base`) instead of embedding it",
    ],
    [
      "Lookup",
      "DCM_TYPE_NOT_FOUND",
      [46, 15],
      "type `Nope` is not declared in package `example.com/app/unsupported` (parameter `x`)",
      CATALOG.DCM_TYPE_NOT_FOUND.fix,
    ],
    [
      "Typo",
      "DCM_TYPE_NOT_FOUND",
      [60, 13],
      "type `Kye` is not declared in package `example.com/app/unsupported` (parameter `k`)",
      "did you mean `Key`?",
    ],
    [
      "NoPkg",
      "DCM_TYPE_NOT_FOUND",
      [62, 14],
      "type `other.Thing`: package `other` is not imported in unsupported/unsupported.go (parameter `x`)",
    ],
    ["Area", "DCM_UNSUPPORTED_TYPE", [48, 13], "interface type `Shape` (parameter `s`)"],
    [
      "Anon",
      "DCM_UNSUPPORTED_CONSTRUCT",
      [50, 13],
      "anonymous struct type (parameter `p`)",
      "declare a named struct type and use it here",
    ],
    ["Complex", "DCM_UNSUPPORTED_TYPE", [52, 16], "type `complex128` (parameter `c`)"],
    ["Sized", "DCM_UNSUPPORTED_CONSTRUCT", [54, 14], "array length `size` that dcm cannot evaluate (parameter `a`)"],
    ["Pipe", "DCM_UNSUPPORTED_TYPE", [22, 13], "channel type `Stream chan int`"],
    ["Fail", "DCM_UNSUPPORTED_TYPE", [58, 14], "interface type `error` (result)"],
    ["Log", "DCM_UNSUPPORTED_TYPE", [66, 7], "type from the standard library `time.Time` (field `When` of `Event`)"],
  ];

  for (const [name, code, [line, col], what, suggestion] of cases as Array<
    [string, string, [number, number], string, string?]
  >) {
    // A type that cannot be found is an error; a construct that cannot cross only keeps the fragment from being called.
    const crossing = code !== "DCM_TYPE_NOT_FOUND";
    it(`${crossing ? "cannot cross" : code} for ${name}: ${what}`, async () => {
      const r = await analyzeGo({ repo: APP, fragments: [frag(1, F, name)] });
      const symbol = name === "Hidden" ? "employee.Hidden" : name;
      if (crossing) {
        expect(r.diagnostics).toEqual([]);
        expect(r.fragments[0]?.cannotCross).toHaveLength(1);
        expect(r.fragments[0]?.cannotCross?.[0]).toMatchObject({
          what,
          pos: at(F, line, col),
          ...(suggestion ? { suggestion } : {}),
        });
      } else {
        expect(r.diagnostics).toHaveLength(1);
        const d = r.diagnostics[0]!;
        expect(d).toMatchObject({ code, severity: "error", fragment: "1", pos: at(F, line, col) });
        expect(d.message).toBe(`fragment \`1\` (\`${symbol}\`): ${what}`);
        if (suggestion) expect(d.suggestion).toBe(suggestion);
        expect(r.fragments[0]?.cannotCross).toBeUndefined();
      }
      // Still located, but without a signature.
      expect(r.fragments[0]).toMatchObject({ symbol, kind: name === "Hidden" ? "method" : "function" });
      expect(r.fragments[0]?.signature).toBeUndefined();
      expect(r.fragments[0]?.abi).toBeUndefined();
    });
  }

  it("reports a broken named type once per fragment that uses it", async () => {
    const r = await analyzeGo({
      repo: APP,
      fragments: [frag(1, F, "Log"), frag(2, F, "Log", { location: { filepath: F, start: 69 } })],
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.fragments.map((f) => [f.id, f.cannotCross?.map((p) => p.pos.line)])).toEqual([
      ["1", [66]],
      ["2", [66]],
    ]);
  });
});
