/**
 * Rust analysis of the fixture crate (languages/rust/fixtures/app): every
 * supported construct maps to the value model, records and enums resolve
 * across modules, and only the files the fragments reach are parsed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { AnalysisResult, AnalyzedFragment } from "../../../src/languages/adapter-types.js";
import { analyzeApp } from "./helpers.js";

let res: AnalysisResult;
const byId = (id: string): AnalyzedFragment => {
  const f = res.fragments.find((x) => x.id === id);
  if (!f) throw new Error(`no fragment ${id}`);
  return f;
};
const i = (bits: number, signed: boolean) => ({ kind: "int", bits, signed });

beforeAll(async () => {
  res = await analyzeApp();
});

describe("rust analysis: signatures", () => {
  it("has no diagnostics for the fixture crate", () => {
    expect(res.diagnostics).toEqual([]);
    expect(res.fragments).toHaveLength(26);
  });

  it("maps scalars to the scalar ABI", () => {
    expect(byId("add").signature).toEqual({
      params: [
        { name: "a", type: i(32, true) },
        { name: "b", type: i(32, true) },
      ],
      results: [i(32, true)],
      error: false,
    });
    expect(byId("add").abi).toBe("scalar");
    expect(byId("small").signature!.params.map((p) => p.type)).toEqual([i(8, true), i(8, false), i(16, true), i(16, false), { kind: "bool" }]);
    expect(byId("small").abi).toBe("scalar");
    expect(byId("neg_zero").signature!.results).toEqual([{ kind: "float", bits: 64 }]);
  });

  it("maps tuples to several results and Result to the error flag", () => {
    expect(byId("extremes").signature!.results).toEqual([i(64, true), i(64, false), i(64, true), i(64, false)]);
    expect(byId("extremes").abi).toBe("buffer");
    expect(byId("divide").signature).toMatchObject({ results: [i(64, true)], error: true });
    expect(byId("divide").abi).toBe("buffer");
  });

  it("maps strings, options, bytes, lists, arrays and maps", () => {
    expect(byId("greet").signature!.params[0]!.type).toEqual({ kind: "string" });
    expect(byId("maybe").signature).toMatchObject({
      params: [{ name: "x", type: { kind: "optional", inner: i(32, true) } }],
      results: [{ kind: "optional", inner: { kind: "string" } }],
    });
    expect(byId("reverse_bytes").signature).toMatchObject({ params: [{ type: { kind: "bytes" } }], results: [{ kind: "bytes" }] });
    expect(byId("tally").signature).toMatchObject({
      params: [{ type: { kind: "list", elem: { kind: "string" } } }],
      results: [{ kind: "map", key: { kind: "string" }, value: i(32, false) }],
    });
    expect(byId("lengths").signature!.params[0]!.type).toEqual({ kind: "map", key: { kind: "string" }, value: { kind: "bytes" } });
    expect(byId("matrix").signature).toMatchObject({
      params: [{ type: { kind: "array", length: 2, elem: { kind: "array", length: 2, elem: i(16, true) } } }],
      results: [{ kind: "array", length: 4, elem: i(16, true) }],
    });
  });

  it("maps structs to records (serde renames as jsonName) and data-less enums to strings", () => {
    expect(byId("mirror").signature).toMatchObject({ params: [{ type: { kind: "record", name: "Point" } }] });
    expect(res.types.Point).toEqual({
      name: "Point",
      origin: "crate::shapes::geometry::Point",
      fields: [
        { name: "x", jsonName: "x", type: { kind: "float", bits: 64 } },
        { name: "y", jsonName: "y", type: { kind: "float", bits: 64 } },
        { name: "color", jsonName: "colour", type: { kind: "string" } },
        { name: "next", jsonName: "next", type: { kind: "optional", inner: { kind: "record", name: "Point" } } },
      ],
    });
    expect(byId("next_color").signature).toMatchObject({ params: [{ type: { kind: "string" } }], results: [{ kind: "string" }] });
  });

  it("makes the receiver the first parameter; associated functions have none", () => {
    const recv = { name: "self", type: { kind: "record", name: "Counter" }, receiver: true };
    expect(byId("counter_label")).toMatchObject({ kind: "method", symbol: "Counter::label" });
    expect(byId("counter_label").signature).toEqual({ params: [recv], results: [{ kind: "string" }], error: false });
    expect(byId("counter_bump").signature!.params).toEqual([recv, { name: "by", type: i(64, false) }]);
    expect(byId("counter_parts").signature!.results).toEqual([{ kind: "string" }, i(64, false)]);
    expect(byId("counter_new")).toMatchObject({ kind: "function", symbol: "Counter::new" });
    expect(byId("counter_new").signature!.params).toEqual([{ name: "label", type: { kind: "string" } }]);
    expect(res.types.Counter!.fields.map((f) => f.name)).toEqual(["count", "label", "tags"]);
  });

  it("finds private functions in private modules, consts, statics and types", () => {
    expect(byId("secret")).toMatchObject({ kind: "function", unit: "crate::util", abi: "scalar" });
    expect(byId("scale")).toMatchObject({ kind: "const", line: 10 });
    expect(byId("greeting")).toMatchObject({ kind: "variable", line: 11 });
    expect(byId("point")).toMatchObject({ kind: "type", file: "src/shapes/geometry.rs", line: 3 });
    expect(byId("point").signature).toBeUndefined();
  });
});

describe("rust analysis: dependencies and inputs", () => {
  it("infers fragments, globals, types and crates from the code", () => {
    expect(byId("greet").deps).toEqual({ fragments: ["greeting"], libs: [], globalVars: ["GREETING"], typeDefs: [] });
    expect(byId("maybe").deps.globalVars).toEqual(["SCALE"]);
    expect(byId("format_u64").deps).toEqual({ fragments: [], libs: ["itoa"], globalVars: [], typeDefs: [] });
    expect(byId("mirror").deps.typeDefs).toEqual(["Color", "Point"]);
    expect(byId("counter_bump").deps.typeDefs).toEqual(["Counter"]);
    expect(byId("tally").deps.fragments).toEqual([]);
  });

  it("parses only the files the fragments reach, and hashes every file the crate compiles", () => {
    // lib.rs, util.rs, shapes/mod.rs, shapes/geometry.rs: all reached (fragments or signature types).
    expect(res.filesParsed).toBe(4);
    expect(res.inputs.map((x) => x.file)).toEqual([
      "src/lib.rs",
      "src/shapes/geometry.rs",
      "src/shapes/mod.rs",
      "src/util.rs",
      "Cargo.toml",
    ]);
  });
});
