/**
 * Bare method names tied to their receiver through `dependsOn` (the paper's
 * way: `name: Area`, `dependsOn: [33]`, fragment 33 = `Circle`). Every
 * adapter that resolves bare method names narrows its candidates here, so
 * all languages read the paper's CFDs the same way.
 */
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { AnalyzeFragment } from "../adapter-types.js";
import { cfdPos } from "./analysis-kit.js";

/**
 * The candidates whose receiver type is among the fragment's receiver hints,
 * when that narrows them; otherwise the candidates unchanged (a `dependsOn`
 * that names no receiver says nothing about which method is meant).
 */
export function narrowByReceiver<T>(
  candidates: T[],
  hints: readonly string[] | undefined,
  receiverOf: (candidate: T) => string | undefined,
): T[] {
  if (candidates.length < 2 || !hints?.length) return candidates;
  const wanted = new Set(hints);
  const kept = candidates.filter((c) => {
    const r = receiverOf(c);
    return r !== undefined && wanted.has(r);
  });
  return kept.length > 0 ? kept : candidates;
}

/** DCM_CFD_SYMBOL_NOT_FOUND for a bare name that several declarations of the file answer to. */
export function ambiguousName(frag: AnalyzeFragment, name: string, symbols: string[]): Diagnostic {
  const listed = symbols.map((s) => `\`${s}\``);
  return diag("DCM_CFD_SYMBOL_NOT_FOUND", `\`${name}\` is ambiguous in ${frag.file}: ${listed.join(", ")}`, {
    pos: cfdPos(frag, "name"),
    suggestion: `add the receiver type's fragment to \`dependsOn\`, or write ${listed.join(" or ")}, or give location.start/end`,
    fragment: frag.id,
  });
}
