/**
 * The diagnostics every language's analysis reports alike, worded once so
 * that a user sees the same message whatever the language: a fragment's file
 * that cannot be read, a file it needs that does not parse, a CFD `kind` that
 * is not what the code declares.
 */
import type { FragmentKind } from "../../../runtime/abi/manifest-types.js";
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { AnalyzeFragment } from "../adapter-types.js";
import { cfdPos } from "./analysis-kit.js";

/** A syntax error of a parsed file (1-based line and column, the offending text). */
export interface SyntaxErrorAt {
  text: string;
  line: number;
  col: number;
}

/** DCM_CFD_FILE_NOT_FOUND: the file the fragment's location names cannot be read. */
export function fileNotReadable(frag: Pick<AnalyzeFragment, "id" | "file" | "positions">): Diagnostic {
  return diag("DCM_CFD_FILE_NOT_FOUND", `cannot read ${frag.file} (fragment \`${frag.id}\`)`, {
    pos: cfdPos(frag, "location"),
    fragment: frag.id,
  });
}

/** DCM_SOURCE_SYNTAX: `file`, which fragment `fragmentId` needs, does not parse. */
export function sourceSyntax(file: string, err: SyntaxErrorAt, fragmentId: string): Diagnostic {
  return diag(
    "DCM_SOURCE_SYNTAX",
    `${file} does not parse (${err.text} at ${err.line}:${err.col}); fragment \`${fragmentId}\` needs it`,
    {
      pos: { file, line: err.line, col: err.col },
      fragment: fragmentId,
    },
  );
}

/** DCM_SOURCE_SYNTAX for each of `files` (sorted) that did not parse; `errorOf` answers undefined for a clean or unreadable file. */
export function reportSyntax(
  files: Iterable<string>,
  errorOf: (file: string) => SyntaxErrorAt | undefined,
  fragmentId: string,
  emit: (d: Diagnostic) => void,
): void {
  for (const file of [...files].sort()) {
    const err = errorOf(file);
    if (err) emit(sourceSyntax(file, err, fragmentId));
  }
}

/** DCM_CFD_KIND_MISMATCH: the CFD's `kind` is not what `name` is in the code. */
export function kindMismatch(
  frag: Pick<AnalyzeFragment, "id" | "file" | "kind" | "positions">,
  name: string,
  kind: FragmentKind,
): Diagnostic {
  return diag(
    "DCM_CFD_KIND_MISMATCH",
    `\`${name}\` is a ${kind} in ${frag.file}, but the CFD says \`kind: ${frag.kind}\``,
    {
      pos: cfdPos(frag, "kind"),
      suggestion: `set \`kind: ${kind}\`, or remove \`kind\``,
      fragment: frag.id,
    },
  );
}
