/**
 * runtime/abi/state-accessors.ts over a manifest whose groups come from
 * core's planner: what hosts append to a load request, group lookup, and
 * what a move of one fragment moves.
 */
import { describe, expect, it } from "vitest";
import type { Manifest, ManifestModule } from "../../runtime/abi/manifest-types.js";
import {
  accessorFragments,
  accessorFragmentsOf,
  groupOf,
  isAccessorId,
  loadFragments,
  stateCarriesOver,
  withGroups,
} from "../../runtime/abi/state-accessors.js";
import type { VType } from "../../runtime/abi/value-types.js";
import { planStateGroups } from "../../src/build/state-groups.js";
import type { CfdFragment } from "../../src/cfd/cfd-types.js";
import type { AnalyzedFragment, StateVar } from "../../src/languages/adapter-types.js";

const i64: VType = { kind: "int", bits: 64, signed: true };
const pos = { file: "dcm.yaml", line: 1, col: 1 };

const spec = (id: string, group?: string): CfdFragment => ({
  id,
  name: id,
  runOn: "server",
  location: { filepath: "x" },
  positions: { fragment: pos },
  ...(group ? { group } : {}),
});

function frag(id: string, state: string[], language: string): AnalyzedFragment {
  return {
    id,
    language,
    kind: "function",
    symbol: id,
    file: "a",
    line: 1,
    endLine: 2,
    unit: "app",
    signature: { params: [], results: [i64], error: false },
    abi: "scalar",
    deps: { fragments: [], libs: [], globalVars: [], typeDefs: [] },
    state,
  };
}

const svar = (key: string, type: VType = i64): StateVar => ({
  key,
  name: key.split(".").pop()!,
  unit: "app",
  pos: { file: "app/state.go", line: 4, col: 5 },
  type,
});

function manifestOf(varType: VType = i64): Manifest {
  const go = [frag("add", ["app.total"], "go"), frag("get", ["app.total"], "go"), frag("pure", [], "go")];
  const ts = [frag("note", ["n.items"], "typescript")];
  const plan = planStateGroups(
    [spec("add"), spec("get"), spec("pure"), spec("note")],
    [
      { language: "go", result: { fragments: go, types: {}, diagnostics: [], inputs: [], filesParsed: 0, stateVars: [svar("app.total", varType)] } },
      { language: "typescript", result: { fragments: ts, types: {}, diagnostics: [], inputs: [], filesParsed: 0, stateVars: [svar("n.items")] } },
    ],
  );
  const fragments = [...go, ...ts].map((f) => ({
    id: f.id,
    language: f.language,
    kind: f.kind,
    symbol: f.symbol,
    source: { file: f.file, line: f.line },
    runOn: "server" as const,
    signature: f.signature!,
    abi: f.abi!,
    export: `dcm_f_${f.id}`,
    flags: { idempotent: false, stateful: plan.stateful.has(f.id) },
    deps: f.deps,
  }));
  return { manifestVersion: 1, buildId: "x", abiVersion: 1, fragments, modules: [], types: plan.records, groups: plan.groups } as unknown as Manifest;
}

describe("state accessors", () => {
  const m = manifestOf();

  it("lists a get and a set per group part, callable like fragments, and only of the asked language", () => {
    const all = accessorFragments(m);
    expect(all.map((f) => f.id)).toEqual([
      "$state.group-add.get",
      "$state.group-add.set",
      "$state.group-note.get",
      "$state.group-note.set",
    ]);
    const [get, set] = accessorFragmentsOf(m, "go");
    expect(accessorFragmentsOf(m, "go")).toHaveLength(2);
    expect(get).toMatchObject({ language: "go", kind: "function", export: "dcm_state_get_1", abi: "buffer" });
    expect(get!.signature!.results).toEqual([{ kind: "record", name: "DcmState1" }]);
    expect(set!.signature!.params).toEqual([{ name: "state", type: { kind: "record", name: "DcmState1" } }]);
    expect(get!.source).toEqual({ file: "app/state.go", line: 4 });
    expect(all.every((f) => isAccessorId(f.id))).toBe(true);
    expect(m.fragments.some((f) => isAccessorId(f.id))).toBe(false);
  });

  it("a module's load request holds its fragments and its language's accessors", () => {
    const mod = { language: "go", fragments: ["add", "pure"] } as unknown as ManifestModule;
    expect(loadFragments(m, mod).map((f) => f.id)).toEqual(["add", "pure", "$state.group-add.get", "$state.group-add.set"]);
  });

  it("finds a fragment's group and expands a move to whole groups", () => {
    expect(groupOf(m, "get")?.id).toBe("group-add");
    expect(groupOf(m, "pure")).toBeUndefined();
    expect(withGroups(m, ["get", "pure"])).toEqual(["add", "get", "pure"]);
  });

  it("state carries over a redeploy only while the group's types are unchanged", () => {
    expect(stateCarriesOver(m, manifestOf(), "group-add")).toBe(true);
    expect(stateCarriesOver(m, manifestOf({ kind: "int", bits: 32, signed: true }), "group-add")).toBe(false);
    expect(stateCarriesOver(m, manifestOf({ kind: "int", bits: 32, signed: true }), "group-note")).toBe(true);
    expect(stateCarriesOver(m, manifestOf(), "no-such-group")).toBe(false);
  });
});
