/**
 * The state accessors of a Go module (issue 12, docs/abi.md "State"): per
 * state group, a `get` export (no parameters, the group's record) and a `set`
 * export (the record, no result), both buffer ABI, wrapped exactly like a
 * fragment export (dcm_call + a dcmCall-style function).
 *
 * The vars are usually unexported, so the generated main package cannot name
 * them: each var's package gets `var DcmVar_<name> = &<name>` in its overlay
 * export file (user-overlay.ts), and the accessors read and assign through
 * that pointer. A record is its fields in order on the wire (docs/abi.md), so
 * the accessors encode the vars one after the other without a Go struct of
 * their own.
 *
 * Concurrency: the accessors hold one mutex of the generated package, so two
 * accessor calls (of any group) never race each other on a native plugin
 * called from several threads. A fragment running at the same time as an
 * accessor is the runtime's to prevent (it drains a group's calls before a
 * snapshot); a var the user's own code changes without a lock is the user's
 * business, as it is between fragment calls.
 *
 * Known limitation: `set` replaces each var as a whole (a fresh value, so a
 * pointer var no longer aliases what it pointed to before).
 */
import type { TypeTable } from "../../../runtime/abi/value-types.js";
import type { StateAccessorRequest } from "../../../src/languages/adapter-types.js";
import type { GoStateVarDetail } from "../analysis/state.js";
import type { GoType } from "../go-types.js";
import type { GoTarget } from "./build-spec.js";
import type { Codec, ImportTable } from "./codec-gen.js";
import { exportSuffix } from "./naming.js";
import { goTypeToVType, type NamedTable, sameWireShape, vtypeToString } from "./type-model.js";

export interface StateVarPlan {
  /** The package plan's effective import path (where DcmVar_<name> lives). */
  effPath: string;
  name: string;
  type: GoType;
}

export interface StatePlan {
  group: StateAccessorRequest;
  vars: StateVarPlan[];
}

/** The Go detail of every var of the group, checked against the record core built. */
export function planState(
  g: StateAccessorRequest,
  named: NamedTable,
  types: TypeTable,
  effPathOf: (d: GoStateVarDetail) => string,
): StatePlan {
  const rec = types[g.record];
  const vars = g.vars.map((v, i): StateVarPlan => {
    const d = v.detail as GoStateVarDetail | undefined;
    if (!d?.goType) {
      // Core refuses such a var before generation (DCM_STATE_NOT_ENCODABLE).
      throw new Error(
        `dcm go generator: the state variable ${v.key} of group ${g.group} cannot be snapshotted${v.cannotEncode ? `: ${v.cannotEncode.what}` : ""} (a dcm bug)`,
      );
    }
    const field = rec?.fields[i];
    const ours = goTypeToVType(d.goType, named);
    if (!field || !sameWireShape(ours, field.type)) {
      throw new Error(
        `dcm go generator: record ${g.record} of state group ${g.group} does not match ${v.key}: ` +
          `${vtypeToString(ours)} vs ${field ? vtypeToString(field.type) : "no field"} (a dcm bug)`,
      );
    }
    return { effPath: effPathOf(d), name: d.name, type: d.goType };
  });
  return { group: g, vars };
}

/** The DcmVar_ alias of a var in its package's overlay export file. */
export function varAlias(name: string): string {
  return `DcmVar_${name}`;
}

function exportFn(target: GoTarget, exportName: string, fn: string, comment: string): string[] {
  return [
    comment,
    "//",
    target === "wasm" ? `//go:wasmexport ${exportName}` : `//export ${exportName}`,
    ...(target === "wasm"
      ? [`func ${exportName}(n int32) int32 {`, `\treturn dcm_call(n, ${fn})`, "}"]
      : [`func ${exportName}(ctx unsafe.Pointer, n C.int32_t) C.int32_t {`, `\treturn dcm_call(ctx, n, ${fn})`, "}"]),
  ];
}

export function renderStateAccessors(p: StatePlan, target: GoTarget, codec: Codec, imports: ImportTable): string {
  const g = p.group;
  const getFn = `dcmState_${exportSuffix(g.get.export)}`;
  const setFn = `dcmState_${exportSuffix(g.set.export)}`;
  const ref = (v: StateVarPlan) => `*${imports.qualify(v.effPath)}.${varAlias(v.name)}`;
  const names = p.vars.map((v) => v.name).join(", ");
  const lines = [
    ...exportFn(
      target,
      g.get.export,
      getFn,
      `// ${g.get.export}: state accessor ${JSON.stringify(g.get.id)}, record ${g.record} (${names}) (buffer ABI).`,
    ),
    "",
    ...exportFn(
      target,
      g.set.export,
      setFn,
      `// ${g.set.export}: state accessor ${JSON.stringify(g.set.id)}, record ${g.record} (${names}) (buffer ABI).`,
    ),
    "",
    `// ${getFn} encodes the current values of state group ${JSON.stringify(g.group)}.`,
    `func ${getFn}(d *dcm_dec, e *dcm_enc) {`,
    "\tif !d.done() {",
    "\t\treturn",
    "\t}",
    "\tdcm_stateMu.Lock()",
    "\tdefer dcm_stateMu.Unlock()",
    ...p.vars.map((v) => `\t${codec.enc(v.type, `(${ref(v)})`)}`),
    "}",
    "",
    `// ${setFn} replaces every variable of state group ${JSON.stringify(g.group)} with the decoded record.`,
    `func ${setFn}(d *dcm_dec, e *dcm_enc) {`,
    ...p.vars.map((v, i) => `\tv${i} := ${codec.dec(v.type)}`),
    "\tif !d.done() {",
    "\t\treturn",
    "\t}",
    "\tdcm_stateMu.Lock()",
    "\tdefer dcm_stateMu.Unlock()",
    ...p.vars.map((v, i) => `\t${ref(v)} = v${i}`),
    "}",
  ];
  return lines.join("\n");
}

/** Declared once in main.go when the module has state accessors. */
export const STATE_MUTEX = [
  "// dcm_stateMu serialises the state accessors (get/set of every group).",
  "var dcm_stateMu sync.Mutex",
].join("\n");
