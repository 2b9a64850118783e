/**
 * Test helpers for Go state (issue 12): a fixture's dcm.yaml as the CFD
 * loader hands it to the adapter, and the state groups as core builds them
 * (union of the fragments' state keys, record `DcmState<N>`, accessor ids
 * `$state.<group>.get|set`, exports `dcm_state_get_<N>`), so that the Go
 * tests do not depend on core's grouping code.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TypeTable } from "../../../runtime/abi/value-types.js";
import type { AnalysisResult, AnalyzeRequest, StateAccessorRequest } from "../../../src/languages/adapter-types.js";

type Frag = AnalyzeRequest["fragments"][number];
/** The fixture's dcm.yaml, as the CFD loader hands it to the adapter. */
export function cfdFragments(repo: string): Frag[] {
  const text = readFileSync(join(repo, "dcm.yaml"), "utf8");
  const out: Frag[] = [];
  for (const m of text.matchAll(
    /\{ id: ([\w-]+), name: ([\w.]+), runOn: (\w+), location: \{ filepath: ([\w/.]+) \} \}/g,
  )) {
    const pos = { file: "dcm.yaml", line: 1, col: 1 };
    out.push({
      id: m[1]!,
      name: m[2]!,
      runOn: m[3] as "client" | "server",
      file: m[4]!,
      location: { filepath: m[4]! },
      positions: { fragment: pos },
    });
  }
  return out;
}

/** Groups as core computes them: fragments sharing a state key, one record per group. */
export function stateGroups(analysis: AnalysisResult): { groups: StateAccessorRequest[]; types: TypeTable } {
  const byKey = new Map<string, Set<string>>();
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    const p = parent.get(k) ?? k;
    return p === k ? k : find(p);
  };
  for (const f of analysis.fragments) {
    const keys = f.state ?? [];
    for (const k of keys) {
      if (!parent.has(k)) parent.set(k, k);
      if (!byKey.has(k)) byKey.set(k, new Set());
      byKey.get(k)!.add(f.id);
    }
    for (const k of keys.slice(1)) parent.set(find(k), find(keys[0]!));
  }
  const roots = [...new Set([...parent.keys()].map(find))].sort();
  const types: TypeTable = { ...analysis.types };
  const groups = roots.map((root, i): StateAccessorRequest => {
    const n = i + 1;
    const vars = (analysis.stateVars ?? []).filter((v) => find(v.key) === root);
    const ids = [...new Set(vars.flatMap((v) => [...byKey.get(v.key)!]))].sort();
    const group = ids[0]!;
    const record = `DcmState${n}`;
    types[record] = {
      name: record,
      fields: vars.map((v) => ({ name: v.name, jsonName: v.name, type: v.type! })),
    };
    const recType = { kind: "record" as const, name: record };
    return {
      group,
      get: {
        id: `$state.${group}.get`,
        export: `dcm_state_get_${n}`,
        signature: { params: [], results: [recType], error: false },
        abi: "buffer",
      },
      set: {
        id: `$state.${group}.set`,
        export: `dcm_state_set_${n}`,
        signature: { params: [{ name: "state", type: recType }], results: [], error: false },
        abi: "buffer",
      },
      record,
      vars,
    };
  });
  return { groups, types };
}
