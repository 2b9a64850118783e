/**
 * What the code uses versus what the CFD lists. The CFD may list more than
 * detected (the author knows better), so only the missing side is reported,
 * as hints that `dcm validate --fix` resolves.
 *
 * The CFD's dialect decides what is reported: `globalVar` and `typeDef` are
 * the paper's flags (`typeDef: true`: this fragment is a type) unless the CFD
 * already uses dcm's list form for that key somewhere, and a list the CFD
 * cannot hold is never suggested (the paper's tools could not read it).
 */
import { diag, type ErrorCode } from "../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../runtime/diagnostics/diagnostic-types.js";
import type { Cfd, CfdFragment } from "./cfd-types.js";
import { libEntry, libPath, parseLib } from "./libs.js";

/** Dependencies a language adapter found in a fragment's code (AnalysisResult deps). */
export interface DetectedDeps {
  /** Import paths. */
  libs: string[];
  /** Fragment ids. */
  fragments: string[];
  globalVars: string[];
  typeDefs: string[];
  /** Import path -> the alias the fragment's file imports it under, for aliased imports only. */
  libAliases?: Record<string, string>;
}

type ListKey = "libs" | "dependsOn" | "globalVar" | "typeDef";

type DetectedList = "libs" | "fragments" | "globalVars" | "typeDefs";

export const DEP_KINDS: ReadonlyArray<{ key: ListKey; detected: DetectedList; code: ErrorCode; noun: string }> = [
  { key: "libs", detected: "libs", code: "DCM_CFD_MISSING_LIBS", noun: "libraries" },
  { key: "dependsOn", detected: "fragments", code: "DCM_CFD_MISSING_DEPENDS_ON", noun: "fragments" },
  { key: "globalVar", detected: "globalVars", code: "DCM_CFD_MISSING_GLOBAL_VAR", noun: "package-level variables" },
  { key: "typeDef", detected: "typeDefs", code: "DCM_CFD_MISSING_TYPE_DEF", noun: "types" },
];

/**
 * Whether the CFD can hold a list under `key` for this fragment: always for
 * libs and dependsOn; for globalVar and typeDef only when the CFD already
 * uses the list form for that key and this fragment does not use the flag.
 */
export function listAllowed(cfd: Cfd, frag: CfdFragment, key: ListKey): boolean {
  if (key === "libs" || key === "dependsOn") return true;
  const flag = key === "globalVar" ? frag.globalVarFlag : frag.typeDefFlag;
  return flag === undefined && cfd.fragments.some((f) => f[key] !== undefined);
}

/**
 * Detected items absent from the fragment's list, in detection order. For
 * dependsOn, only ids declared in the CFD count (anything else would make the
 * CFD invalid) and never the fragment itself (recursion is not a dependency);
 * libs compare by import path (`mathematics math` lists `math`).
 */
export function missingItems(cfd: Cfd, frag: CfdFragment, key: ListKey, detected: DetectedDeps): string[] {
  if (!listAllowed(cfd, frag, key)) return [];
  const kind = DEP_KINDS.find((k) => k.key === key)!;
  const listed = frag[key] ?? [];
  const have = new Set(key === "libs" ? listed.map(libPath) : listed);
  const ids = key === "dependsOn" ? new Set(cfd.fragments.map((f) => f.id)) : undefined;
  const out: string[] = [];
  for (const item of detected[kind.detected] ?? []) {
    if (have.has(item) || out.includes(item)) continue;
    if (ids && (item === frag.id || !ids.has(item))) continue;
    out.push(item);
  }
  return out;
}

/** A missing item as the CFD should spell it: an aliased import as `alias path`. */
export function entryText(key: ListKey, item: string, detected: DetectedDeps): string {
  return key === "libs" ? libEntry(item, detected.libAliases?.[item]) : item;
}

export function compareWithDetected(cfd: Cfd, detected: Map<string, DetectedDeps>): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const frag of cfd.fragments) {
    const found = detected.get(frag.id);
    if (!found) continue;
    for (const kind of DEP_KINDS) {
      const missing = missingItems(cfd, frag, kind.key, found);
      if (missing.length === 0) continue;
      const names = missing.map((m) => `\`${entryText(kind.key, m, found)}\``).join(", ");
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
    diagnostics.push(...aliasHints(frag, found));
  }
  return diagnostics;
}

/** `libs: [mathematics math]` where the file imports `math` under another name (or none). */
function aliasHints(frag: CfdFragment, found: DetectedDeps): Diagnostic[] {
  const out: Diagnostic[] = [];
  const used = new Set(found.libs);
  (frag.libs ?? []).forEach((entry, i) => {
    const lib = parseLib(entry);
    if (!lib?.alias || !used.has(lib.path)) return;
    const actual = found.libAliases?.[lib.path];
    if (actual === lib.alias) return;
    const as = actual ? `as \`${actual}\`` : "without an alias";
    out.push(
      diag(
        "DCM_CFD_LIB_ALIAS",
        `fragment ${frag.id} (${frag.name}) lists \`${entry}\`, but its file imports \`${lib.path}\` ${as}`,
        {
          pos: frag.positions[`libs.${i}`] ?? frag.positions.libs ?? frag.positions.fragment,
          suggestion: `write \`${libEntry(lib.path, actual)}\` in \`libs\``,
          fragment: frag.id,
        },
      ),
    );
  });
  return out;
}
