/**
 * Core's state grouping (src/build/state-groups.ts) over analysis results as
 * the adapters hand them: shared keys, CFD groups, `stateful`, refusals, and
 * the stability of ids, records and versions.
 */
import { describe, expect, it } from "vitest";
import type { VType } from "../../runtime/abi/value-types.js";
import type { CfdFragment } from "../../src/cfd/cfd-types.js";
import { planStateGroups } from "../../src/build/state-groups.js";
import type { AnalysisResult, AnalyzedFragment, StateVar } from "../../src/languages/adapter-types.js";

const i64: VType = { kind: "int", bits: 64, signed: true };
const str: VType = { kind: "string" };
const pos = { file: "dcm.yaml", line: 1, col: 1 };

function spec(id: string, extra: Partial<CfdFragment> = {}): CfdFragment {
  return { id, name: id, runOn: "server", location: { filepath: "x" }, positions: { fragment: pos }, ...extra };
}

function frag(id: string, state: string[], language = "go"): AnalyzedFragment {
  return {
    id,
    language,
    kind: "function",
    symbol: id,
    file: "a.go",
    line: 1,
    endLine: 2,
    unit: "app",
    signature: { params: [], results: [i64], error: false },
    abi: "scalar",
    deps: { fragments: [], libs: [], globalVars: [], typeDefs: [] },
    state,
  };
}

function svar(key: string, type: VType | undefined, name = key.split(".").pop()!): StateVar {
  return {
    key,
    name,
    unit: key.slice(0, key.lastIndexOf(".")),
    pos: { file: "app/a.go", line: 3, col: 5 },
    ...(type ? { type } : { cannotEncode: { what: "a channel", pos: { file: "app/a.go", line: 3, col: 9 } } }),
  };
}

function result(fragments: AnalyzedFragment[], stateVars: StateVar[]): AnalysisResult {
  return { fragments, types: {}, diagnostics: [], inputs: [], filesParsed: 0, stateVars };
}

describe("planStateGroups", () => {
  const vars = [svar("app.total", i64), svar("app.log", { kind: "list", elem: str }), svar("other.total", i64)];
  const base = [frag("add", ["app.total"]), frag("get", ["app.total"]), frag("append", ["app.log"]), frag("pure", [])];

  it("joins entry points that share a key and leaves stateless fragments out", () => {
    const plan = planStateGroups(
      base.map((f) => spec(f.id)),
      [{ language: "go", result: result(base, vars) }],
    );
    expect(plan.diagnostics).toEqual([]);
    expect(plan.groups.map((g) => [g.id, g.fragments, g.reasons])).toEqual([
      ["group-add", ["add", "get"], ["state"]],
      ["group-append", ["append"], ["state"]],
    ]);
    expect([...plan.stateful].sort()).toEqual(["add", "append", "get"]);
    const counter = plan.groups[0]!.state[0]!;
    expect(counter.record).toBe("DcmState1");
    expect(counter.get).toMatchObject({ id: "$state.group-add.get", export: "dcm_state_get_1", abi: "buffer" });
    expect(counter.set.signature.params[0]!.type).toEqual({ kind: "record", name: "DcmState1" });
    expect(plan.records.DcmState1!.fields).toEqual([{ name: "total", jsonName: "total", type: i64 }]);
    expect(plan.requests.get("go")!.map((r) => r.record)).toEqual(["DcmState1", "DcmState2"]);
  });

  it("follows transitive sharing: a fragment touching two vars joins both groups into one", () => {
    const frags = [...base, frag("both", ["app.log", "app.total"])];
    const plan = planStateGroups(
      frags.map((f) => spec(f.id)),
      [{ language: "go", result: result(frags, vars) }],
    );
    expect(plan.groups.map((g) => g.fragments)).toEqual([["add", "append", "both", "get"]]);
    expect(plan.records.DcmState1!.fields.map((f) => f.name)).toEqual(["log", "total"]);
  });

  it("adds the CFD's groups, names the group after them, and renames a repeated variable name", () => {
    const frags = [...base, frag("other", ["other.total"])];
    const specs = frags.map((f) => spec(f.id, f.id === "pure" || f.id === "other" || f.id === "add" ? { group: "cart" } : {}));
    const plan = planStateGroups(specs, [{ language: "go", result: result(frags, vars) }]);
    const cart = plan.groups.find((g) => g.id === "cart")!;
    expect(cart.fragments).toEqual(["add", "get", "other", "pure"]);
    expect(cart.reasons).toEqual(["state", "cfd"]);
    expect(plan.records[cart.state[0]!.record]!.fields.map((f) => f.name)).toEqual(["total", "total_2"]);
  });

  it("`stateful: false` keeps a fragment out, `stateful: true` makes a group without state parts", () => {
    const specs = base.map((f) =>
      spec(f.id, f.id === "get" ? { stateful: false } : f.id === "pure" ? { stateful: true } : {}),
    );
    const plan = planStateGroups(specs, [{ language: "go", result: result(base, vars) }]);
    expect(plan.groups.map((g) => [g.id, g.fragments, g.state.length])).toEqual([
      ["group-add", ["add"], 1],
      ["group-append", ["append"], 1],
      ["group-pure", ["pure"], 0],
    ]);
    expect(plan.stateful.has("get")).toBe(false);
    expect(plan.stateful.has("pure")).toBe(true);
  });

  it("dependencies (no runOn) do not move and form no group", () => {
    const specs = base.map((f) => (f.id === "get" ? { ...spec(f.id), runOn: undefined } : spec(f.id)));
    const plan = planStateGroups(specs, [{ language: "go", result: result(base, vars) }]);
    expect(plan.groups[0]!.fragments).toEqual(["add"]);
  });

  it("refuses a variable that cannot be encoded, at its position, naming the fragments and the fixes", () => {
    const frags = [frag("send", ["app.queue"])];
    const plan = planStateGroups([spec("send")], [{ language: "go", result: result(frags, [svar("app.queue", undefined)]) }]);
    expect(plan.diagnostics).toHaveLength(1);
    const d = plan.diagnostics[0]!;
    expect(d.code).toBe("DCM_STATE_NOT_ENCODABLE");
    expect(d.severity).toBe("error");
    expect(d.pos).toEqual({ file: "app/a.go", line: 3, col: 5 });
    expect(d.message).toContain("`queue`");
    expect(d.message).toContain("a channel");
    expect(d.suggestion).toContain("stateful: false");
    // Not refused when every fragment that touches it opts out.
    const optOut = planStateGroups([spec("send", { stateful: false })], [{ language: "go", result: result(frags, [svar("app.queue", undefined)]) }]);
    expect(optOut.diagnostics).toEqual([]);
    expect(optOut.groups).toEqual([]);
  });

  it("a CFD group across languages has one part per language", () => {
    const goFrags = [frag("add", ["app.total"])];
    const tsFrags = [frag("note", ["notes.ts.items"], "typescript")];
    const plan = planStateGroups(
      [spec("add", { group: "g" }), spec("note", { group: "g" })],
      [
        { language: "go", result: result(goFrags, [svar("app.total", i64)]) },
        { language: "typescript", result: result(tsFrags, [svar("notes.ts.items", { kind: "list", elem: str }, "items")]) },
      ],
    );
    const g = plan.groups[0]!;
    expect(g.state.map((p) => [p.language, p.get.id])).toEqual([
      ["go", "$state.g.go.get"],
      ["typescript", "$state.g.typescript.get"],
    ]);
    expect(plan.requests.get("typescript")![0]!.get.export).toBe("dcm_state_get_2");
  });

  it("stateVersion changes with a variable's type or name, not with anything else", () => {
    const plan = (vs: StateVar[], extra: AnalyzedFragment[] = []) =>
      planStateGroups(
        [...base, ...extra].map((f) => spec(f.id)),
        [{ language: "go", result: result([...base, ...extra], vs) }],
      ).groups[0]!.stateVersion;
    const v0 = plan(vars);
    expect(plan(vars)).toBe(v0);
    expect(plan(vars, [frag("more", [])])).toBe(v0);
    expect(plan([svar("app.total", { kind: "int", bits: 32, signed: true }), ...vars.slice(1)])).not.toBe(v0);
    expect(plan([svar("app.total", i64, "sum"), ...vars.slice(1)])).not.toBe(v0);
  });
});
