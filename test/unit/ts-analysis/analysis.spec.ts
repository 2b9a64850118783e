/**
 * TypeScript analysis against languages/typescript/fixtures/analysis/app:
 * signatures in the value model, records, lifting specs, dependencies,
 * inputs, and one clear diagnostic per unsupported construct.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeTs } from "../../../languages/typescript/analysis/analyze-ts.js";
import type { TsAnalysisDetail } from "../../../languages/typescript/ts-types.js";
import type { AnalysisResult, AnalyzedFragment, AnalyzeRequest } from "../../../src/languages/adapter-types.js";
import { adapterForFile } from "../../../src/languages/registry.js";

const APP = join(import.meta.dirname, "..", "..", "..", "languages", "typescript", "fixtures", "analysis", "app");
type Frag = AnalyzeRequest["fragments"][number];

function frag(n: number, file: string, name: string, extra: Partial<Frag> = {}): Frag {
  return {
    id: String(n),
    name,
    runOn: "client",
    file,
    location: { filepath: file, ...(extra.location ?? {}) },
    positions: {
      fragment: { file: "dcm.yaml", line: 10 * n, col: 3 },
      name: { file: "dcm.yaml", line: 10 * n + 1, col: 5 },
      location: { file: "dcm.yaml", line: 10 * n + 2, col: 5 },
      kind: { file: "dcm.yaml", line: 10 * n + 3, col: 5 },
    },
    ...extra,
  };
}

const f64 = { kind: "float", bits: 64 };
const i64 = { kind: "int", bits: 64, signed: true };
const str = { kind: "string" };

async function analyze(frags: Frag[]): Promise<AnalysisResult> {
  return analyzeTs({ repo: APP, fragments: frags });
}

function byId(res: AnalysisResult, id: string): AnalyzedFragment {
  const f = res.fragments.find((x) => x.id === id);
  if (!f) throw new Error(`no fragment ${id}`);
  return f;
}

describe("analyzeTs: supported code", () => {
  let res: AnalysisResult;
  beforeAll(async () => {
    res = await analyze([
      frag(1, "src/math.ts", "add"),
      frag(2, "src/math.ts", "mul"),
      frag(3, "src/math.ts", "neg"),
      frag(4, "src/math.ts", "divmod"),
      frag(5, "src/math.ts", "log"),
      frag(6, "src/math.ts", "sum"),
      frag(7, "src/math.ts", "scale"),
      frag(8, "src/math.ts", "LIMIT"),
      frag(9, "src/math.ts", "twice"),
      frag(10, "src/math.ts", "visible"),
      frag(11, "src/math.ts", "calls"),
      frag(12, "src/roster.ts", "describe"),
      frag(13, "src/roster.ts", "byId"),
      frag(14, "src/roster.ts", "zipOf"),
      frag(15, "src/roster.ts", "checksum"),
    ]);
  });

  it("reports nothing", () => {
    expect(res.diagnostics).toEqual([]);
  });

  it("maps a function declaration to a scalar signature", () => {
    expect(byId(res, "1")).toMatchObject({
      kind: "function",
      language: "typescript",
      symbol: "add",
      file: "src/math.ts",
      line: 5,
      endLine: 8,
      unit: "src/math.ts",
      abi: "scalar",
      signature: { params: [{ name: "a", type: f64 }, { name: "b", type: f64 }], results: [f64], error: false },
      detail: { file: "src/math.ts", importName: "add", lift: [0, 0] },
    });
  });

  it("maps arrows, bigint, annotated variables, tuples, void, rest parameters and readonly arrays", () => {
    expect(byId(res, "2").signature).toEqual({ params: [{ name: "a", type: i64 }, { name: "b", type: i64 }], results: [i64], error: false });
    expect(byId(res, "3").signature).toEqual({ params: [{ name: "x", type: f64 }], results: [f64], error: false });
    expect(byId(res, "4").signature?.results).toEqual([i64, i64]);
    expect(byId(res, "4").abi).toBe("buffer");
    expect(byId(res, "5").signature?.results).toEqual([]);
    expect(byId(res, "6").signature?.params).toEqual([{ name: "xs", type: { kind: "list", elem: f64 }, variadic: true }]);
    expect(byId(res, "7").signature).toEqual({
      params: [
        { name: "xs", type: { kind: "list", elem: f64 } },
        { name: "k", type: f64 },
      ],
      results: [{ kind: "list", elem: f64 }],
      error: false,
    });
  });

  it("treats exported data as const/variable fragments, and finds default and renamed exports", () => {
    expect(byId(res, "8")).toMatchObject({ kind: "const", symbol: "LIMIT" });
    expect(byId(res, "8").signature).toBeUndefined();
    expect(byId(res, "11")).toMatchObject({ kind: "variable", symbol: "calls" });
    expect(byId(res, "9").detail).toMatchObject({ importName: "default" });
    expect(byId(res, "10")).toMatchObject({ symbol: "hidden", detail: { importName: "visible" } });
  });

  it("turns interfaces (with extends) and object aliases into records, following imports and re-exports", () => {
    expect(Object.keys(res.types)).toEqual(["Address", "Employee", "Team"]);
    expect(res.types.Employee!.origin).toBe("src/types.ts#Employee");
    expect(res.types.Employee!.fields.map((f) => [f.jsonName, f.type])).toEqual([
      ["name", str],
      ["nickname", { kind: "optional", inner: str }],
      ["id", i64],
      ["salary", f64],
      ["tags", { kind: "list", elem: str }],
      ["manager", { kind: "optional", inner: { kind: "record", name: "Employee" } }],
      ["home", { kind: "optional", inner: { kind: "record", name: "Address" } }],
    ]);
    expect(res.types.Team!.fields[1]!.type).toEqual({ kind: "map", key: str, value: { kind: "record", name: "Employee" } });
    // `Address` is imported from util.ts, which re-exports types.ts; `Id` is a transparent alias of string.
    expect(byId(res, "13").signature?.params[1]).toEqual({ name: "id", type: str });
    expect(byId(res, "14").signature?.results).toEqual([{ kind: "optional", inner: f64 }]);
    expect(byId(res, "15").signature).toEqual({
      params: [
        { name: "data", type: { kind: "bytes" } },
        { name: "weights", type: { kind: "map", key: i64, value: f64 } },
      ],
      results: [f64, { kind: "bool" }],
      error: false,
    });
  });

  it("records where null must become undefined", () => {
    expect(byId(res, "12").detail).toMatchObject({ lift: [{ rec: "Employee" }, { u: 1 }] });
    expect((res.detail as TsAnalysisDetail).recordLift).toEqual({
      Address: { undef: ["zip"], nested: {} },
      Employee: { undef: ["nickname", "home"], nested: { manager: { opt: { rec: "Employee" } }, home: { rec: "Address" } } },
      Team: { undef: [], nested: { lead: { rec: "Employee" }, members: { map: { rec: "Employee" } } } },
    });
  });

  it("infers dependencies", () => {
    expect(byId(res, "1").deps).toEqual({ fragments: ["11"], libs: [], globalVars: [], typeDefs: [] });
    expect(byId(res, "6").deps.fragments).toEqual(["1"]);
    expect(byId(res, "12").deps).toEqual({ fragments: ["1"], libs: [], globalVars: [], typeDefs: ["Employee"] });
    expect(byId(res, "13").deps.typeDefs).toEqual(["Employee", "Id", "Team"]);
  });

  it("parses only the files the fragments reach, and hashes what the bundle reads", () => {
    expect(res.filesParsed).toBe(4);
    expect(res.inputs.map((i) => i.file)).toEqual(["package.json", "src/math.ts", "src/roster.ts", "src/types.ts", "src/util.ts"]);
    expect(res.inputs.every((i) => /^[0-9a-f]{64}$/.test(i.sha256))).toBe(true);
  });
});

/**
 * What the analysis says about fragment `id`: its diagnostics, then what keeps
 * it from crossing the boundary (AnalyzedFragment.cannotCross, code "cannot cross").
 */
function reported(res: AnalysisResult, id: string) {
  const f = res.fragments.find((x) => x.id === id);
  return [
    ...res.diagnostics.filter((d) => d.fragment === id),
    ...(f?.cannotCross ?? []).map((p) => ({
      code: "cannot cross",
      pos: p.pos,
      message: p.what,
      ...(p.suggestion ? { suggestion: p.suggestion } : {}),
    })),
  ];
}
const CROSS = "cannot cross";

describe("analyzeTs: refused constructs", () => {
  const cases: Array<[string, string, string, number, RegExp]> = [
    ["untyped", CROSS, "src/unsupported.ts", 1, /parameter `a` has no type annotation/],
    ["noReturn", CROSS, "src/unsupported.ts", 5, /no return type annotation/],
    ["later", CROSS, "src/unsupported.ts", 9, /async functions .* synchronous/],
    ["promised", CROSS, "src/unsupported.ts", 13, /Promise<number>.*synchronous/],
    ["ident", CROSS, "src/unsupported.ts", 17, /generic functions/],
    ["loose", CROSS, "src/unsupported.ts", 21, /`any` has no value-model type/],
    ["callback", CROSS, "src/unsupported.ts", 25, /function-typed/],
    ["either", CROSS, "src/unsupported.ts", 29, /union `string \| number`/],
    ["paint", CROSS, "src/unsupported.ts", 36, /enum `Color`/],
    ["unbox", CROSS, "src/unsupported.ts", 46, /class `Box`/],
    ["internal", CROSS, "src/unsupported.ts", 50, /not exported/],
    ["over", CROSS, "src/unsupported.ts", 54, /overloaded/],
    ["pair", CROSS, "src/unsupported.ts", 60, /tuple .* only supported as a function's return type/],
    ["inline", CROSS, "src/unsupported.ts", 64, /anonymous object type/],
    ["missing", "DCM_TYPE_NOT_FOUND", "src/unsupported.ts", 68, /type `Nowhere` is not declared/],
    ["record", CROSS, "src/unsupported.ts", 72, /Record<string, number>/],
    ["method", CROSS, "src/unsupported.ts", 78, /`WithMethod`: method signature/],
    ["gen", CROSS, "src/unsupported.ts", 84, /generator/],
    ["literal", CROSS, "src/unsupported.ts", 88, /union `"a" \| "b"`/],
    ["setOf", CROSS, "src/unsupported.ts", 92, /built-in `Set`/],
  ];
  let res: AnalysisResult;
  beforeAll(async () => {
    res = await analyze(cases.map(([name], i) => frag(i + 1, "src/unsupported.ts", name)));
  });

  it.each(cases.map((c, i) => [i + 1, ...c] as const))("fragment %s (%s): %s", (n, name, code, file, line, message) => {
    const ds = reported(res, String(n));
    // One report per construct: `loose(x: any): unknown` has two.
    expect(ds.length, JSON.stringify(ds)).toBe(name === "loose" ? 2 : 1);
    const d = ds[0]!;
    expect(d.code).toBe(code);
    expect(d.pos).toMatchObject({ file, line });
    expect(d.message).toMatch(message);
    // Errors name the fragment themselves; core names it when it warns about what cannot cross.
    if (code !== CROSS) expect(d.message).toContain(`fragment \`${n}\` (\`${name}\`)`);
    expect(byId(res, String(n)).signature).toBeUndefined();
  });

  it("gives the fix for a missing annotation", () => {
    expect(reported(res, "1")[0]?.suggestion).toMatch(/write `a: <type>`/);
    expect(reported(res, "2")[0]?.suggestion).toMatch(/`: void`/);
  });
});

describe("analyzeTs: integer widths and float32 (`type u32 = number`, the AssemblyScript names)", () => {
  const int = (bits: number, signed: boolean) => ({ kind: "int", bits, signed });
  const f32 = { kind: "float", bits: 32 };

  it("maps aliases declared in the file or imported (also renamed, or behind another alias) everywhere a type may appear", async () => {
    const res = await analyze([frag(1, "src/widths.ts", "scalars"), frag(2, "src/widths.ts", "nested")]);
    expect(res.diagnostics).toEqual([]);
    expect(byId(res, "1")).toMatchObject({
      abi: "scalar",
      signature: {
        params: [
          { name: "a", type: int(8, true) },
          { name: "b", type: int(16, true) },
          { name: "c", type: int(32, true) },
          { name: "d", type: int(8, false) },
          { name: "e", type: int(16, false) },
          { name: "f", type: int(32, false) },
          { name: "g", type: f32 },
          { name: "h", type: f64 },
          { name: "i", type: int(64, true) },
          { name: "j", type: int(64, false) },
        ],
        results: [int(64, false)],
      },
    });
    expect(byId(res, "2").signature).toEqual({
      params: [
        { name: "xs", type: { kind: "list", elem: int(8, false) } },
        { name: "m", type: { kind: "map", key: int(16, false), value: f32 } },
        { name: "o", type: { kind: "optional", inner: int(32, false) } },
        { name: "p", type: { kind: "optional", inner: int(32, true) } },
      ],
      results: [
        { kind: "map", key: int(64, true), value: { kind: "list", elem: int(64, false) } },
        { kind: "record", name: "Sample" },
      ],
      error: false,
    });
    expect(res.types.Sample!.fields.map((f) => [f.jsonName, f.type])).toEqual([
      ["id", int(64, false)],
      ["level", int(8, true)],
      ["weight", f32],
      ["tags", { kind: "optional", inner: { kind: "list", elem: int(16, false) } }],
    ]);
    // Width aliases spell primitives: they are not type definitions to list in the CFD's `typeDef`.
    expect(byId(res, "1").deps.typeDefs).toEqual([]);
    expect(byId(res, "2").deps.typeDefs).toEqual(["Count", "Sample"]);
  });

  it("refuses a width name declared as anything else, at the declaration, with the fix", async () => {
    const res = await analyze([
      frag(1, "src/bad-widths.ts", "wrongU64"),
      frag(2, "src/bad-widths.ts", "wrongI32"),
      frag(3, "src/bad-widths.ts", "wrongF32"),
      frag(4, "src/bad-widths.ts", "wrongU8"),
      frag(5, "src/bad-widths.ts", "undeclared"),
    ]);
    const one = (id: string) => {
      const ds = reported(res, id);
      expect(ds, JSON.stringify(ds)).toHaveLength(1);
      expect(byId(res, id).signature).toBeUndefined();
      return ds[0]!;
    };
    expect(one("1")).toMatchObject({
      code: CROSS,
      pos: { file: "src/bad-widths.ts", line: 2 },
      message:
        "`u64` is declared as `number`, but dcm reads a type named `u64` as int<64,unsigned>, " +
        "which must be an alias of `bigint` (JavaScript holds 64-bit integers exactly only as bigint)",
      suggestion: "declare `type u64 = bigint;`, or give the type another name",
    });
    expect(one("2")).toMatchObject({ code: CROSS, pos: { line: 3 }, suggestion: expect.stringContaining("`type i32 = number;`") });
    expect(one("2").message).toContain("`i32` is declared as `bigint`");
    expect(one("3")).toMatchObject({ code: CROSS, pos: { line: 4 } });
    expect(one("3").message).toContain("`f32` is declared as `number | null`");
    expect(one("4")).toMatchObject({ code: CROSS, pos: { line: 5 } });
    expect(one("4").message).toContain("`u8` is declared as an interface");
    expect(one("5")).toMatchObject({ code: "DCM_TYPE_NOT_FOUND", pos: { line: 21 } });
    expect(one("5").suggestion).toContain("declare `type u16 = number;` (dcm reads it as int<16,unsigned>)");
  });
});

describe("analyzeTs: files and names", () => {
  it("reports a syntax error with its line, for every fragment of the file", async () => {
    const res = await analyze([frag(1, "src/broken.ts", "ok"), frag(2, "src/broken.ts", "bad")]);
    const ds = res.diagnostics.filter((d) => d.code === "DCM_SOURCE_SYNTAX");
    expect(ds.map((d) => d.fragment)).toEqual(["1", "2"]);
    expect(ds[0]!.pos).toMatchObject({ file: "src/broken.ts", line: 6 });
  });

  it("refuses JavaScript files with the fix", async () => {
    const res = await analyze([frag(1, "src/plain.js", "plain")]);
    expect(res.diagnostics[0]).toMatchObject({ code: "DCM_UNSUPPORTED_CONSTRUCT", fragment: "1" });
    expect(res.diagnostics[0]!.suggestion).toContain("src/plain.ts");
  });

  it("reports unknown names with a suggestion, class methods and kind mismatches", async () => {
    const res = await analyze([
      frag(1, "src/math.ts", "ad"),
      frag(2, "src/unsupported.ts", "Box.get"),
      frag(3, "src/math.ts", "add", { kind: "const" }),
      frag(4, "src/nope.ts", "x"),
    ]);
    const by = (id: string) => res.diagnostics.find((d) => d.fragment === id);
    expect(by("1")).toMatchObject({ code: "DCM_CFD_SYMBOL_NOT_FOUND", pos: { line: 11 } });
    expect(by("1")?.suggestion).toContain("`add`");
    expect(by("2")?.code).toBe("DCM_UNSUPPORTED_CONSTRUCT");
    expect(by("2")?.message).toContain("class method");
    expect(by("3")).toMatchObject({ code: "DCM_CFD_KIND_MISMATCH", pos: { line: 33 } });
    expect(by("4")?.code).toBe("DCM_CFD_FILE_NOT_FOUND");
  });

  it("picks a declaration by location", async () => {
    const res = await analyze([frag(1, "src/math.ts", "add", { location: { filepath: "src/math.ts", start: 20, end: 30 } })]);
    expect(res.diagnostics[0]).toMatchObject({ code: "DCM_CFD_LOCATION_RANGE", suggestion: "set `start: 5` and `end: 8`, or remove them" });
  });

  it("is the adapter for .ts and .mts files outside assembly/", () => {
    expect(adapterForFile("src/app.ts")?.id).toBe("typescript");
    expect(adapterForFile("lib/x.mts")?.id).toBe("typescript");
    expect(adapterForFile("src/app.js")).toBeUndefined();
  });
});
