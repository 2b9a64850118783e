/**
 * What the code uses versus what the CFD lists. The CFD may list more than
 * detected (the author knows better), so only the missing side is reported,
 * as hints that `dcm validate --fix` resolves.
 */
import { diag, type ErrorCode } from "../diagnostics/catalog.js";
import type { Diagnostic } from "../diagnostics/diagnostic-types.js";
import type { Cfd, CfdFragment } from "./cfd-types.js";

/** Dependencies a language adapter found in a fragment's code (AnalysisResult deps). */
export interface DetectedDeps {
  libs: string[];
  /** Fragment ids. */
  fragments: string[];
  globalVars: string[];
  typeDefs: string[];
}

type ListKey = "libs" | "dependsOn" | "globalVar" | "typeDef";

export const DEP_KINDS: ReadonlyArray<{ key: ListKey; detected: keyof DetectedDeps; code: ErrorCode; noun: string }> = [
  { key: "libs", detected: "libs", code: "DCM_CFD_MISSING_LIBS", noun: "libraries" },
  { key: "dependsOn", detected: "fragments", code: "DCM_CFD_MISSING_DEPENDS_ON", noun: "fragments" },
  { key: "globalVar", detected: "globalVars", code: "DCM_CFD_MISSING_GLOBAL_VAR", noun: "package-level variables" },
  { key: "typeDef", detected: "typeDefs", code: "DCM_CFD_MISSING_TYPE_DEF", noun: "types" },
];

/**
 * Detected items absent from the fragment's list, in detection order. For
 * dependsOn, only ids declared in the CFD count (anything else would make the
 * CFD invalid) and never the fragment itself (recursion is not a dependency).
 */
export function missingItems(cfd: Cfd, frag: CfdFragment, key: ListKey, detected: DetectedDeps): string[] {
  const kind = DEP_KINDS.find((k) => k.key === key)!;
  const have = new Set(frag[key] ?? []);
  const ids = key === "dependsOn" ? new Set(cfd.fragments.map((f) => f.id)) : undefined;
  const out: string[] = [];
  for (const item of detected[kind.detected] ?? []) {
    if (have.has(item) || out.includes(item)) continue;
    if (ids && (item === frag.id || !ids.has(item))) continue;
    out.push(item);
  }
  return out;
}

export function compareWithDetected(cfd: Cfd, detected: Map<string, DetectedDeps>): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const frag of cfd.fragments) {
    const found = detected.get(frag.id);
    if (!found) continue;
    for (const kind of DEP_KINDS) {
      const missing = missingItems(cfd, frag, kind.key, found);
      if (missing.length === 0) continue;
      const names = missing.map((m) => `\`${m}\``).join(", ");
      diagnostics.push(
        diag(
          kind.code,
          `fragment ${frag.id} (${frag.name}) uses ${kind.noun} not listed in \`${kind.key}\`: ${names}`,
          {
            pos: frag.positions[kind.key] ?? frag.positions.fragment,
            suggestion: `add ${names} to \`${kind.key}\`, or run \`dcm validate --fix\` to write them into the CFD`,
            fragment: frag.id,
          },
        ),
      );
    }
  }
  return diagnostics;
}
