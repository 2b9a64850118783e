import { beforeAll, describe, expect, it } from "vitest";
import { analyzeGo } from "../../../languages/go/analysis/analyze-go.js";
import type { GoAnalysisDetail, GoFragmentDetail } from "../../../languages/go/go-types.js";
import type { AnalysisResult, AnalyzedFragment } from "../../../src/languages/adapter-types.js";
import { APP, frag } from "./fixture-helpers.js";

const i64 = { kind: "int", bits: 64, signed: true };
const f64 = { kind: "float", bits: 64 };
const str = { kind: "string" };

let res: AnalysisResult;
const byId = (id: string): AnalyzedFragment => {
  const f = res.fragments.find((x) => x.id === id);
  if (!f) throw new Error(`no fragment ${id}`);
  return f;
};

beforeAll(async () => {
  res = await analyzeGo({
    repo: APP,
    fragments: [
      frag(1, "payroll/payroll.go", "Add"),
      frag(2, "payroll/payroll.go", "Net"),
      frag(3, "payroll/employee.go", "Employee.Display"),
      frag(4, "payroll/employee.go", "Raise"),
      frag(5, "payroll/payroll.go", "Grid"),
      frag(6, "payroll/payroll.go", "Basics"),
      frag(7, "payroll/payroll.go", "Scale"),
      frag(8, "payroll/employee.go", "Freeze"),
      frag(9, "payroll/payroll.go", "Counter"),
      frag(10, "payroll/payroll.go", "Bonus"),
      frag(11, "payroll/employee.go", "Celsius"),
      frag(12, "payroll/payroll.go", "Summary"),
    ],
  });
});

describe("analyzeGo signatures", () => {
  it("reports no diagnostics for supported code", () => {
    expect(res.diagnostics).toEqual([]);
  });

  it("maps a scalar function", () => {
    const f = byId("1");
    expect(f).toMatchObject({
      kind: "function",
      symbol: "Add",
      file: "payroll/payroll.go",
      line: 24,
      endLine: 24,
      unit: "example.com/app/payroll",
      abi: "scalar",
    });
    expect(f.signature).toEqual({
      params: [
        { name: "a", type: i64 },
        { name: "b", type: i64 },
      ],
      results: [i64],
      error: false,
    });
  });

  it("strips a trailing error and passes structs as records", () => {
    const f = byId("2");
    expect(f.signature).toEqual({
      params: [
        { name: "e", type: { kind: "record", name: "Employee" } },
        { name: "taxRate", type: f64 },
      ],
      results: [f64],
      error: true,
    });
    expect(f.abi).toBe("buffer");
    const d = f.detail as GoFragmentDetail;
    expect(d.hasError).toBe(true);
    expect(d.params[0]).toEqual({
      name: "e",
      type: { k: "named", pkgPath: "example.com/app/payroll", name: "Employee" },
      variadic: false,
    });
    expect(d.pkg).toEqual({ pkgPath: "example.com/app/payroll", pkgName: "payroll", dir: "payroll" });
  });

  it("makes the receiver the first parameter (value and pointer receivers)", () => {
    const display = byId("3");
    expect(display).toMatchObject({ kind: "method", symbol: "Employee.Display", line: 29, endLine: 31 });
    expect(display.signature?.params).toEqual([
      { name: "e", type: { kind: "record", name: "Employee" }, receiver: true },
    ]);
    expect((display.detail as GoFragmentDetail).receiver).toEqual({ typeName: "Employee", pointer: false });

    const raise = byId("4");
    expect(raise.symbol).toBe("Employee.Raise");
    expect(raise.signature).toEqual({
      params: [
        { name: "e", type: { kind: "record", name: "Employee" }, receiver: true },
        { name: "pct", type: f64 },
      ],
      results: [f64],
      error: false,
    });
    expect((raise.detail as GoFragmentDetail).receiver).toEqual({ typeName: "Employee", pointer: true });
    expect(raise.abi).toBe("buffer");
  });

  it("evaluates constant array lengths and maps variadic parameters to lists", () => {
    expect(byId("5").signature).toEqual({
      params: [
        { name: "cells", type: { kind: "array", elem: { kind: "int", bits: 8, signed: true }, length: 6 } },
        { name: "flags", type: { kind: "list", elem: { kind: "bool" } }, variadic: true },
      ],
      results: [{ kind: "array", elem: { kind: "int", bits: 16, signed: false }, length: 3 }],
      error: false,
    });
    const d = byId("5").detail as GoFragmentDetail;
    expect(d.params[1]).toEqual({
      name: "flags",
      type: { k: "slice", elem: { k: "basic", name: "bool" } },
      variadic: true,
    });
  });

  it("maps every basic type", () => {
    const u = (bits: number) => ({ kind: "int", bits, signed: false });
    const s = (bits: number) => ({ kind: "int", bits, signed: true });
    expect(byId("6").signature?.params.map((p) => p.type)).toEqual([
      { kind: "bytes" },
      s(32),
      u(64),
      u(8),
      u(16),
      u(32),
      s(8),
      s(16),
      s(32),
      { kind: "float", bits: 32 },
      { kind: "bool" },
    ]);
    expect(byId("6").signature?.results).toEqual([i64, u(64)]);
    expect(byId("6").abi).toBe("buffer"); // []byte and two results
  });

  it("passes named non-struct types as their underlying type, keeping them named in detail", () => {
    const f = byId("7");
    expect(f.signature).toEqual({
      params: [
        { name: "c", type: f64 },
        { name: "factor", type: { kind: "int", bits: 32, signed: true } },
      ],
      results: [f64],
      error: false,
    });
    expect(f.abi).toBe("scalar");
    expect((f.detail as GoFragmentDetail).results).toEqual([
      { k: "named", pkgPath: "example.com/app/payroll", name: "Celsius" },
    ]);
    // Method on a named float: receiver is a float, so still scalar.
    expect(byId("8")).toMatchObject({ symbol: "Celsius.Freeze", abi: "scalar" });
    expect(byId("8").signature?.params[0]).toEqual({ name: "c", type: f64, receiver: true });
  });

  it("maps pointers to structs to optional records and named slices to lists", () => {
    expect(byId("12").signature?.params).toEqual([
      { name: "e", type: { kind: "optional", inner: { kind: "record", name: "Employee" } } },
      { name: "temps", type: { kind: "list", elem: i64 } },
      { name: "c", type: f64 },
    ]);
  });

  it("finds vars, consts and types, without signatures", () => {
    expect(byId("9")).toMatchObject({ kind: "variable", symbol: "Counter", line: 19 });
    expect(byId("10")).toMatchObject({ kind: "const", symbol: "Bonus", line: 12 });
    expect(byId("11")).toMatchObject({ kind: "type", symbol: "Celsius", line: 23 });
    for (const id of ["9", "10", "11"]) {
      expect(byId(id).signature).toBeUndefined();
      expect(byId(id).abi).toBeUndefined();
    }
  });

  it("builds records with exported fields, json names and nested records", () => {
    expect(res.types.Employee).toEqual({
      name: "Employee",
      origin: "example.com/app/payroll.Employee",
      fields: [
        { name: "ID", jsonName: "id", type: i64 },
        { name: "Name", jsonName: "name", type: str },
        { name: "Salary", jsonName: "Salary", type: f64 },
        { name: "Tags", jsonName: "tags", type: { kind: "list", elem: str } },
        { name: "Home", jsonName: "home", type: { kind: "record", name: "Address" } },
        { name: "Boss", jsonName: "boss", type: { kind: "optional", inner: { kind: "record", name: "Employee" } } },
        {
          name: "Scores",
          jsonName: "Scores",
          type: { kind: "map", key: str, value: { kind: "int", bits: 32, signed: true } },
        },
      ],
    });
    expect(res.types.Address).toEqual({
      name: "Address",
      origin: "example.com/app/shared.Address",
      fields: [
        { name: "Street", jsonName: "street", type: str },
        { name: "City", jsonName: "city", type: str },
      ],
    });
    expect(Object.keys(res.types).sort()).toEqual(["Address", "Employee"]);
  });

  it("describes the module and every named type of a signature", () => {
    const detail = res.detail as GoAnalysisDetail;
    expect(detail.module).toEqual({ path: "example.com/app", dir: "", goVersion: "1.22" });
    expect(Object.keys(detail.named).sort()).toEqual([
      "example.com/app/payroll.Celsius",
      "example.com/app/payroll.Employee",
      "example.com/app/payroll.IDs",
      "example.com/app/shared.Address",
    ]);
    expect(detail.named["example.com/app/payroll.Celsius"]).toEqual({
      pkgPath: "example.com/app/payroll",
      pkgName: "payroll",
      name: "Celsius",
      underlying: { k: "basic", name: "float64" },
      file: "payroll/employee.go",
      line: 23,
    });
    expect(detail.named["example.com/app/payroll.Employee"]?.recordName).toBe("Employee");
    expect(detail.named["example.com/app/payroll.IDs"]?.underlying).toEqual({
      k: "slice",
      elem: { k: "basic", name: "int" },
    });
  });
});

describe("record names", () => {
  it("qualifies a record name that two packages define", async () => {
    const r = await analyzeGo({ repo: APP, fragments: [frag(1, "payroll/team.go", "Team")] });
    expect(r.diagnostics).toEqual([]);
    expect(r.fragments[0]?.signature).toEqual({
      params: [
        { name: "lead", type: { kind: "record", name: "payroll.Employee" } },
        { name: "members", type: { kind: "list", elem: { kind: "record", name: "shared.Employee" } } },
        { name: "labels", type: { kind: "map", key: str, value: { kind: "list", elem: i64 } } },
      ],
      results: [{ kind: "optional", inner: { kind: "record", name: "payroll.Employee" } }],
      error: true,
    });
    expect(Object.keys(r.types).sort()).toEqual(["Address", "payroll.Employee", "shared.Employee"]);
    expect(r.types["shared.Employee"]?.origin).toBe("example.com/app/shared.Employee");
    expect(r.types["payroll.Employee"]?.fields.find((f) => f.name === "Boss")?.type).toEqual({
      kind: "optional",
      inner: { kind: "record", name: "payroll.Employee" },
    });
  });
});
