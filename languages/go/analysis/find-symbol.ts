/**
 * A CFD fragment's `name` -> the declaration in its file: `Func`,
 * `Type.Method`, a bare method name (unique among the file's methods, or
 * narrowed by the receiver types the fragment's `dependsOn` names), a
 * package-level var or const, or a type. `location.start`/`end` must enclose
 * the declaration and pick among several candidates.
 */

import { didYouMean } from "../../../src/core/did-you-mean.js";
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { AnalyzeFragment } from "../../../src/languages/adapter-types.js";
import { cfdPos } from "../../../src/languages/kit/analysis-kit.js";
import { ambiguousName, narrowByReceiver } from "../../../src/languages/kit/receiver-hints.js";
import type { Decl, FileSummary } from "./summary-types.js";

export type CfdFragmentWithFile = AnalyzeFragment;

export function findSymbol(
  frag: CfdFragmentWithFile,
  summary: FileSummary,
): { decl: Decl } | { diagnostic: Diagnostic } {
  const name = normalizeName(frag.name, summary);
  const dot = name.indexOf(".");
  let candidates: Decl[];
  if (dot >= 0) {
    const typeName = name.slice(0, dot);
    const method = name.slice(dot + 1);
    candidates = summary.decls.filter((d) => d.kind === "method" && d.name === method && d.recv?.typeName === typeName);
  } else {
    candidates = summary.decls.filter((d) => d.kind !== "method" && d.name === name);
    if (candidates.length === 0) {
      const methods = summary.decls.filter((d) => d.kind === "method" && d.name === name);
      candidates = narrowByReceiver(methods, frag.receiverHints, (d) => d.recv?.typeName);
    }
  }

  const { start, end } = frag.location;
  if (candidates.length > 0 && (start !== undefined || end !== undefined)) {
    const inRange = candidates.filter(
      (d) => (start === undefined || d.line >= start) && (end === undefined || d.endLine <= end),
    );
    if (inRange.length === 0) {
      const d = candidates[0]!;
      const want = `${start ?? "…"}–${end ?? "…"}`;
      return {
        diagnostic: diag(
          "DCM_CFD_LOCATION_RANGE",
          `\`${name}\` is declared at lines ${d.line}–${d.endLine} of ${frag.file}, outside location ${want}`,
          {
            pos: cfdPos(frag, "start", "end", "location"),
            suggestion: `set \`start: ${d.line}\` and \`end: ${d.endLine}\`, or remove them`,
            fragment: frag.id,
          },
        ),
      };
    }
    candidates = inRange;
  }

  if (candidates.length === 1) return { decl: candidates[0]! };
  if (candidates.length > 1) {
    return { diagnostic: ambiguousName(frag, name, candidates.map((d) => d.symbol)) };
  }
  return {
    diagnostic: diag("DCM_CFD_SYMBOL_NOT_FOUND", `\`${name}\` is not declared in ${frag.file}`, {
      pos: cfdPos(frag, "name"),
      ...optional("suggestion", didYouMean(name, declaredNames(summary))),
      fragment: frag.id,
    }),
  };
}

/**
 * Accepts the spellings Go tools print: `(*Employee).Raise`, `*Employee.Raise`,
 * and a leading package name (`payroll.Add`) unless a type has that name.
 */
export function normalizeName(raw: string, summary: FileSummary): string {
  let name = raw
    .trim()
    .replace(/^\(\s*\*?\s*([^)\s]+)\s*\)/, "$1")
    .replace(/^\*/, "");
  const dot = name.indexOf(".");
  const prefix = name.slice(0, dot);
  if (dot > 0 && prefix === summary.pkgName && !summary.decls.some((d) => d.kind === "type" && d.name === prefix)) {
    name = name.slice(dot + 1);
  }
  return name;
}

/** Names a CFD may use for the file's declarations; bare method names only when unique. */
export function declaredNames(summary: FileSummary): string[] {
  const names = new Set<string>();
  const methodCount = new Map<string, number>();
  for (const d of summary.decls) {
    names.add(d.symbol);
    if (d.kind === "method") methodCount.set(d.name, (methodCount.get(d.name) ?? 0) + 1);
  }
  for (const [m, n] of methodCount) if (n === 1) names.add(m);
  return [...names];
}

export { cfdPos };

export function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
