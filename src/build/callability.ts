/**
 * Which fragments are entry points. A function or method fragment can be
 * called when the CFD gives it `runOn` and its signature crosses the
 * boundary; otherwise it is compiled in only as code other fragments use.
 * Types and variables are never callable (the runtimes say so themselves).
 * The reasons become the manifest's `notCallable` and DCM_NOT_CALLABLE's
 * message; a fragment with `runOn` that cannot cross also gets a
 * DCM_FRAGMENT_NOT_CALLABLE warning.
 */
import type { Cfd, CfdFragment } from "../cfd/cfd-types.js";
import { diag } from "../../runtime/diagnostics/catalog.js";
import type { Diagnostic, SourcePos } from "../../runtime/diagnostics/diagnostic-types.js";
import type { AnalyzedFragment } from "../languages/adapter-types.js";

export function isFunctionKind(f: Pick<AnalyzedFragment, "kind">): boolean {
  return f.kind === "function" || f.kind === "method";
}

/** Why a function or method fragment cannot be called, or undefined when it can (and for types and variables). */
export function notCallableReason(spec: CfdFragment, f: AnalyzedFragment): string | undefined {
  if (!isFunctionKind(f)) return undefined;
  const label = `fragment ${f.id} (\`${f.symbol}\`)`;
  if (f.cannotCross?.length) {
    const what = f.cannotCross.map((p) => `${p.what} at ${where(p.pos)}`).join("; ");
    const dependency = spec.runOn ? "" : " (it has no `runOn` either: a dependency)";
    return `${label} cannot cross the client/server boundary: ${what}; it is compiled in only as code other fragments use${dependency}`;
  }
  if (!spec.runOn) {
    return `${label} has no \`runOn\`: it is a dependency, not an entry point; add \`runOn: client|server\` to call it`;
  }
  if (!f.signature) return `${label} has no signature dcm can call`;
  return undefined;
}

/** DCM_FRAGMENT_NOT_CALLABLE for every fragment with `runOn` whose signature cannot cross; dependencies stay silent. */
export function notCallableWarnings(cfd: Cfd, fragments: AnalyzedFragment[]): Diagnostic[] {
  const byId = new Map(cfd.fragments.map((f) => [f.id, f]));
  const out: Diagnostic[] = [];
  for (const f of fragments) {
    const spec = byId.get(f.id);
    const problems = f.cannotCross ?? [];
    if (!spec?.runOn || !isFunctionKind(f) || problems.length === 0) continue;
    const first = problems[0]!;
    const what = problems.map((p) => p.what).join("; ");
    const fix = [first.suggestion, "or remove `runOn` to make it a dependency"].filter(Boolean).join("; ");
    out.push(
      diag(
        "DCM_FRAGMENT_NOT_CALLABLE",
        `fragment ${f.id} (\`${f.symbol}\`) has \`runOn: ${spec.runOn}\` but cannot be called across the client/server boundary: ${what}; it is built as code other fragments use, and calls to it answer DCM_NOT_CALLABLE`,
        { pos: first.pos, suggestion: fix, fragment: f.id },
      ),
    );
  }
  return out;
}

/** Repo-relative, as adapters report it: the manifest must not depend on where dcm ran. */
function where(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}
