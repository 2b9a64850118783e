/**
 * What the generated code needs to know about each fragment before any Go is
 * rendered: its export name, its ABI (scalar or buffer), and the codec types of
 * its arguments and results. The plan is cross-checked against the analysis's
 * value-model signature, because a disagreement would corrupt data on the wire
 * rather than fail to compile.
 */

import type { CallAbi, Param, VType } from "../../../runtime/abi/value-types.js";
import { dcmError } from "../../../runtime/diagnostics/catalog.js";
import type { AnalyzedFragment, GenerateRequest } from "../../../src/languages/adapter-types.js";
import type { GoFragmentDetail, GoType } from "../go-types.js";
import type { CType } from "./codec-gen.js";
import { compareStrings, exportSuffix } from "./naming.js";
import {
  goTypeToVType,
  isByteSlice,
  isExported,
  isScalarGoType,
  lookupNamed,
  type NamedTable,
  sameWireShape,
  vtypeToString,
} from "./type-model.js";
import type { PkgPlan } from "./user-overlay.js";

export interface ArgPlan {
  name: string;
  /** A variadic `...byte` is a `vlist` (a list on the wire); other variadics are their slice type. */
  type: CType;
  variadic: boolean;
  /** The decoded receiver is passed by address (pointer receiver called on a value). */
  addressOf: boolean;
}

export interface CallPlan {
  frag: AnalyzedFragment;
  detail: GoFragmentDetail;
  exportName: string;
  suffix: string;
  abi: CallAbi;
  pkg: PkgPlan;
  args: ArgPlan[];
  results: GoType[];
  hasError: boolean;
}

export function planCall(
  frag: AnalyzedFragment,
  d: GoFragmentDetail,
  pkg: PkgPlan,
  exportName: string,
  named: NamedTable,
): CallPlan {
  const sig = frag.signature;
  const args: ArgPlan[] = [];
  let params = d.params;
  if (d.receiver) {
    // GoFragmentDetail.params excludes the receiver; tolerate a list that includes it.
    if (sig && sig.params.length === params.length && params.length > 0 && sig.params[0]?.receiver) {
      params = params.slice(1);
    }
    const recvNamed: GoType = { k: "named", pkgPath: d.pkg.pkgPath, name: d.receiver.typeName };
    const sigRecv = sig?.params[0]?.receiver ? sig.params[0] : undefined;
    // A pointer receiver is decoded as a value and called by address, unless the
    // signature declares the receiver optional (then nil may be passed).
    const asPointer = d.receiver.pointer && sigRecv?.type.kind === "optional";
    args.push({
      name: "recv",
      type: asPointer ? { k: "pointer", elem: recvNamed } : recvNamed,
      variadic: false,
      addressOf: d.receiver.pointer && !asPointer,
    });
  }
  for (const p of params) {
    args.push({
      name: p.name,
      type: p.variadic ? variadicType(p.type) : p.type,
      variadic: p.variadic,
      addressOf: false,
    });
  }

  const scalarOk =
    args.every((a) => !a.variadic && a.type.k !== "vlist" && isScalarGoType(a.type, named)) &&
    d.results.length <= 1 &&
    d.results.every((r) => isScalarGoType(r, named)) &&
    !d.hasError;
  const abi: CallAbi = frag.abi ?? (scalarOk ? "scalar" : "buffer");
  if (abi === "scalar" && !scalarOk) {
    throw dcmError(
      "DCM_UNSUPPORTED_CONSTRUCT",
      `fragment ${frag.id} is marked for the scalar ABI, but its signature is not all bool/integer/float with at most one result and no error`,
      { fragment: frag.id, pos: { file: frag.file, line: frag.line, col: 1 } },
    );
  }
  const plan: CallPlan = {
    frag,
    detail: d,
    exportName,
    suffix: exportSuffix(exportName),
    abi,
    pkg,
    args,
    results: d.results,
    hasError: d.hasError,
  };
  if (sig) checkSignature(plan, sig.params, sig.results, sig.error, named);
  return plan;
}

/**
 * The codec type of a variadic parameter, a list of its elements on the wire.
 * GoFragmentDetail gives the slice type (as go/types does); a bare element type
 * is accepted too.
 */
function variadicType(t: GoType): CType {
  const slice: GoType & { k: "slice" } = t.k === "slice" ? t : { k: "slice", elem: t };
  return isByteSlice(slice) ? { k: "vlist", elem: slice.elem } : slice;
}

/** The value-model type of an argument. */
function argVType(a: ArgPlan, named: NamedTable): VType {
  if (a.type.k === "vlist") return { kind: "list", elem: goTypeToVType(a.type.elem, named) };
  if (a.variadic && a.type.k === "slice") return { kind: "list", elem: goTypeToVType(a.type.elem, named) };
  return goTypeToVType(a.type, named);
}

/** The generator and the analysis must agree on every wire type, or calls would corrupt data. */
function checkSignature(plan: CallPlan, params: Param[], results: VType[], error: boolean, named: NamedTable): void {
  const where = { fragment: plan.frag.id, pos: { file: plan.frag.file, line: plan.frag.line, col: 1 } };
  const mismatch = (what: string, ours: VType, theirs: VType | undefined) =>
    dcmError(
      "DCM_UNSUPPORTED_TYPE",
      `dcm's Go generator and the analysis disagree on ${what} of fragment ${plan.frag.id}: ` +
        `${vtypeToString(ours)} vs ${theirs ? vtypeToString(theirs) : "nothing"} (a dcm bug)`,
      where,
    );
  if (params.length !== plan.args.length) {
    throw dcmError(
      "DCM_UNSUPPORTED_TYPE",
      `dcm's Go generator sees ${plan.args.length} parameters of fragment ${plan.frag.id}, the analysis ${params.length} (a dcm bug)`,
      where,
    );
  }
  plan.args.forEach((a, i) => {
    const ours = argVType(a, named);
    if (!sameWireShape(ours, params[i]!.type)) throw mismatch(`parameter ${a.name}`, ours, params[i]!.type);
  });
  if (results.length !== plan.results.length || error !== plan.hasError) {
    throw dcmError(
      "DCM_UNSUPPORTED_TYPE",
      `dcm's Go generator and the analysis disagree on the results of fragment ${plan.frag.id} (a dcm bug)`,
      where,
    );
  }
  plan.results.forEach((r, i) => {
    const ours = goTypeToVType(r, named);
    if (!sameWireShape(ours, results[i]!)) throw mismatch(`result ${i + 1}`, ours, results[i]);
  });
}

/** Keys (`pkgPath.Name`) of every named type the calls' signatures reach. */
export function reachableNamed(
  calls: CallPlan[],
  named: NamedTable,
  types: GenerateRequest["analysis"]["types"],
): string[] {
  const seen = new Set<string>();
  const visit = (t: GoType): void => {
    switch (t.k) {
      case "named": {
        const key = `${t.pkgPath}.${t.name}`;
        if (seen.has(key)) return;
        seen.add(key);
        const n = lookupNamed(named, t);
        if (n.underlying.k === "struct") {
          const rec = n.recordName !== undefined ? types[n.recordName] : undefined;
          for (const f of n.underlying.fields) {
            if (rec ? rec.fields.some((rf) => rf.name === f.name) : isExported(f.name)) visit(f.type);
          }
        } else visit(n.underlying);
        return;
      }
      case "slice":
      case "array":
      case "pointer":
        visit(t.elem);
        return;
      case "map":
        visit(t.key);
        visit(t.value);
        return;
      default:
        return;
    }
  };
  for (const c of calls) {
    for (const a of c.args) visit(a.type.k === "vlist" ? a.type.elem : a.type);
    for (const r of c.results) visit(r);
  }
  return [...seen].sort(compareStrings);
}
