/**
 * Signature problems split in two: what cannot cross the client/server
 * boundary (the fragment stays code other fragments use, not an entry point;
 * AnalyzedFragment.cannotCross) and what is wrong with the code or the CFD
 * (a type that cannot be found: still an error diagnostic).
 */
import { type ErrorCode, diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic, SourcePos } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { CrossingProblem } from "../adapter-types.js";

/** The codes adapters use for constructs a value-model signature cannot hold. */
const CROSSING: ReadonlySet<string> = new Set<ErrorCode>(["DCM_UNSUPPORTED_TYPE", "DCM_UNSUPPORTED_CONSTRUCT"]);

export interface SignatureProblem {
  code: ErrorCode;
  message: string;
  pos: SourcePos;
  suggestion?: string;
}

/**
 * Problems of one fragment's signature: those that only keep it from
 * crossing go to `cannotCross`, the rest become error diagnostics naming the
 * fragment.
 */
export function splitSignatureProblems(
  problems: readonly SignatureProblem[],
  frag: { id: string; symbol: string },
): { cannotCross: CrossingProblem[]; errors: Diagnostic[] } {
  const cannotCross: CrossingProblem[] = [];
  const errors: Diagnostic[] = [];
  for (const p of problems) {
    if (CROSSING.has(p.code)) {
      cannotCross.push({ what: p.message, pos: p.pos, ...(p.suggestion ? { suggestion: p.suggestion } : {}) });
    } else {
      errors.push(
        diag(p.code, `fragment \`${frag.id}\` (\`${frag.symbol}\`): ${p.message}`, {
          pos: p.pos,
          ...(p.suggestion ? { suggestion: p.suggestion } : {}),
          fragment: frag.id,
        }),
      );
    }
  }
  return { cannotCross, errors };
}
