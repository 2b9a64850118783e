/**
 * AssemblyScript analysis against languages/assemblyscript/fixtures: every
 * supported construct maps onto the value model, every refused one is a
 * diagnostic naming the fragment, the construct and its line.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { analyzeAs } from "../../../languages/assemblyscript/analysis/analyze-as.js";
import assemblyscriptAdapter from "../../../languages/assemblyscript/adapter.js";
import type { AsAnalysisDetail } from "../../../languages/assemblyscript/as-types.js";
import type { CfdFragment } from "../../../src/cfd/cfd-types.js";
import { adapterForFile } from "../../../src/languages/registry.js";

const FIX = fileURLToPath(new URL("../../../languages/assemblyscript/fixtures/", import.meta.url));
const APP = `${FIX}app`;
const BAD = `${FIX}bad`;

function frag(id: string, name: string, file: string, extra: Partial<CfdFragment> = {}) {
  return {
    id,
    name,
    runOn: "client" as const,
    location: { filepath: file },
    positions: { fragment: { file: "dcm.yaml", line: 1, col: 1 } },
    file,
    ...extra,
  };
}

const I = "assembly/index.ts";

describe("file claims", () => {
  test("claims .ts files under an `assembly` folder only", () => {
    expect(assemblyscriptAdapter.claimsFile!("assembly/index.ts")).toBe(true);
    expect(assemblyscriptAdapter.claimsFile!("pkg/assembly/lib/x.ts")).toBe(true);
    expect(assemblyscriptAdapter.claimsFile!("src/index.ts")).toBe(false);
    expect(assemblyscriptAdapter.claimsFile!("assembly.ts")).toBe(false);
    expect(adapterForFile("assembly/index.ts")?.id).toBe("assemblyscript");
  });
});

describe("supported constructs", () => {
  test("signatures, ABI choice, records and deps", async () => {
    const r = await analyzeAs({
      repo: APP,
      fragments: [
        frag("add", "add", I),
        frag("addI64", "addI64", I),
        frag("isEven", "isEven", I),
        frag("greet", "greet", I),
        frag("sum", "sum", I),
        frag("checksum", "checksum", I),
        frag("ints", "ints", I),
        frag("fixed", "fixed", I),
        frag("counts", "counts", I),
        frag("byId", "byId", I),
        frag("maybeName", "maybeName", I),
        frag("colorName", "colorName", I),
        frag("scaled", "scaled", I),
        frag("raise", "Employee.raise", "assembly/model.ts"),
        frag("make", "make", "assembly/model.ts"),
        frag("counter", "counter", I),
        frag("emp", "Employee", "assembly/model.ts"),
      ],
    });
    expect(r.diagnostics).toEqual([]);
    const by = Object.fromEntries(r.fragments.map((f) => [f.id, f]));
    const i32 = { kind: "int", bits: 32, signed: true };
    expect(by.add!.abi).toBe("scalar");
    expect(by.add!.signature).toEqual({
      params: [
        { name: "a", type: i32 },
        { name: "b", type: i32 },
      ],
      results: [i32],
      error: false,
    });
    expect(by.add!.line).toBe(6);
    expect(by.addI64!.signature!.results).toEqual([{ kind: "int", bits: 64, signed: true }]);
    expect(by.isEven!.signature!.params[0]!.type).toEqual({ kind: "int", bits: 32, signed: false });
    expect(by.isEven!.signature!.results).toEqual([{ kind: "bool" }]);
    expect(by.greet!.abi).toBe("buffer");
    expect(by.sum!.signature!.params[0]!.type).toEqual({ kind: "list", elem: { kind: "int", bits: 64, signed: true } });
    expect(by.checksum!.signature!.params[0]!.type).toEqual({ kind: "bytes" });
    expect(by.ints!.signature!.results[0]).toEqual({ kind: "list", elem: i32 });
    expect(by.fixed!.signature!.results[0]).toEqual({ kind: "list", elem: { kind: "int", bits: 16, signed: false } });
    expect(by.counts!.signature!.results[0]).toEqual({ kind: "map", key: { kind: "string" }, value: i32 });
    expect(by.byId!.signature!.results[0]).toEqual({ kind: "optional", inner: { kind: "string" } });
    expect(by.maybeName!.signature!.params[0]!.type).toEqual({
      kind: "optional",
      inner: { kind: "record", name: "Employee" },
    });
    expect(by.colorName!.signature!.params[0]!.type).toEqual(i32);
    expect(by.raise!.kind).toBe("method");
    expect(by.raise!.signature!.params[0]).toEqual({
      name: "this",
      type: { kind: "record", name: "Employee" },
      receiver: true,
    });
    expect(by.make!.symbol).toBe("Employee.make");
    expect(by.make!.signature!.params.map((p) => p.name)).toEqual(["name"]);
    expect(by.counter!.kind).toBe("variable");
    expect(by.counter!.signature).toBeUndefined();
    expect(by.emp!.kind).toBe("type");
    expect(by.scaled!.deps).toEqual({
      fragments: ["counter"],
      libs: [],
      globalVars: ["SCALE", "counter"],
      typeDefs: [],
    });
    expect(r.types.Employee!.fields.map((f) => [f.name, f.jsonName, f.type.kind])).toEqual([
      ["name", "name", "string"],
      ["age", "age", "int"],
      ["salary", "salary", "int"],
      ["tags", "tags", "list"],
      ["manager", "manager", "optional"],
      ["home", "home", "record"],
    ]);
    expect(r.types.Point!.origin).toBe("assembly/model.ts#Point");
    const detail = r.detail as AsAnalysisDetail;
    expect(detail.sourceFiles).toEqual(["assembly/index.ts", "assembly/model.ts", "assembly/util.ts"]);
    expect(r.inputs.map((x) => x.file)).toEqual(detail.sourceFiles);
    // index.ts and model.ts for the signatures, util.ts for scaled's deps.
    expect(r.filesParsed).toBe(3);
  });

  test("parses only the files the fragments reach", async () => {
    const r = await analyzeAs({ repo: APP, fragments: [frag("add", "add", I)] });
    expect(r.diagnostics).toEqual([]);
    // util.ts and model.ts are found by a text scan (they are compiled) but not parsed.
    expect(r.filesParsed).toBe(1);
    expect((r.detail as AsAnalysisDetail).sourceFiles).toHaveLength(3);
  });

  test("a CFD symbol that does not exist is reported with a suggestion", async () => {
    const r = await analyzeAs({ repo: APP, fragments: [frag("x", "ad", I)] });
    expect(r.diagnostics[0]!.code).toBe("DCM_CFD_SYMBOL_NOT_FOUND");
    expect(r.diagnostics[0]!.suggestion).toContain("`add`");
  });
});

const REFUSED: Array<[name: string, code: string, line: number, text: RegExp]> = [
  ["generic", "DCM_UNSUPPORTED_CONSTRUCT", 22, /generic function/],
  ["closure", "DCM_UNSUPPORTED_CONSTRUCT", 26, /function type/],
  ["union", "DCM_UNSUPPORTED_TYPE", 30, /union type `string \| i32`/],
  ["anyParam", "DCM_UNSUPPORTED_TYPE", 34, /`any`/],
  ["iface", "DCM_UNSUPPORTED_TYPE", 38, /interface `Shape`/],
  ["priv", "DCM_UNSUPPORTED_CONSTRUCT", 7, /field `secret` at line 7 is private/],
  ["derived", "DCM_UNSUPPORTED_CONSTRUCT", 46, /extends another class/],
  ["hidden", "DCM_UNSUPPORTED_CONSTRUCT", 50, /class `Hidden` .* is not exported/],
  ["rest", "DCM_UNSUPPORTED_CONSTRUCT", 54, /rest parameter/],
  ["nullablePrim", "DCM_UNSUPPORTED_TYPE", 58, /no nullable i32/],
  ["missing", "DCM_TYPE_NOT_FOUND", 62, /`Nowhere`/],
  ["noReturn", "DCM_UNSUPPORTED_CONSTRUCT", 66, /no return type/],
  ["notExported", "DCM_UNSUPPORTED_CONSTRUCT", 70, /not exported/],
  ["floatKey", "DCM_UNSUPPORTED_TYPE", 74, /map key type `f64`/],
  ["set", "DCM_UNSUPPORTED_TYPE", 78, /generic type `Set<i32>`/],
  ["unknownResult", "DCM_UNSUPPORTED_TYPE", 82, /`unknown`/],
];

describe("refused constructs", () => {
  for (const [name, code, line, text] of REFUSED) {
    // A type that cannot be found is an error; what cannot cross only keeps the fragment from being called.
    const crossing = code !== "DCM_TYPE_NOT_FOUND";
    test(`${name}: ${crossing ? "cannot cross" : code} at line ${line}`, async () => {
      const r = await analyzeAs({ repo: BAD, fragments: [frag(name, name, "assembly/refused.ts")] });
      expect(r.fragments[0]!.signature).toBeUndefined();
      if (crossing) {
        expect(r.diagnostics.filter((x) => x.severity === "error")).toEqual([]);
        const p = r.fragments[0]!.cannotCross?.[0];
        expect(p, JSON.stringify(r.fragments[0])).toBeDefined();
        expect(p!.what).toMatch(text);
        expect(p!.pos).toMatchObject({ file: "assembly/refused.ts", line });
        return;
      }
      const d = r.diagnostics.find((x) => x.severity === "error");
      expect(d, JSON.stringify(r.diagnostics)).toBeDefined();
      expect(d!.code).toBe(code);
      expect(d!.fragment).toBe(name);
      expect(d!.message).toContain(`fragment \`${name}\``);
      expect(d!.message).toMatch(text);
      expect(d!.pos?.line).toBe(line);
      expect(d!.pos?.file).toBe("assembly/refused.ts");
    });
  }

  test("a generic function is refused once: its type parameters are not also unknown types", async () => {
    const r = await analyzeAs({ repo: BAD, fragments: [frag("generic", "generic", "assembly/refused.ts")] });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.fragments[0]!.cannotCross?.map((p) => p.what)).toEqual([expect.stringMatching(/generic/)]);
  });

  test("a file that does not parse is DCM_SOURCE_SYNTAX with its line", async () => {
    const r = await analyzeAs({ repo: BAD, fragments: [frag("ok", "ok", "assembly/broken.ts")] });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["DCM_SOURCE_SYNTAX"]);
    expect(r.diagnostics[0]!.pos).toMatchObject({ file: "assembly/broken.ts", line: 5 });
  });
});
