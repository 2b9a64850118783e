/**
 * asc's diagnostics -> dcm diagnostics. asc prints
 *
 *   ERROR TS2322: Type 'i32' is not assignable to type 'string'.
 *       :
 *    3 │ return 1;
 *      │        ~
 *      └─ in src/assembly/index.ts(3,10)
 *
 * Positions in the copied user files (src/<repo path>) map back to the
 * repository file and the fragment whose lines hold them; positions in the
 * generated entry.ts name the fragment whose wrapper failed (usually a type
 * the analysis accepted but asc does not).
 */
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";
import { type AsBuildSpec, SRC_DIR } from "../generate/build-spec.js";

const HEADER = /^(ERROR|WARNING)( [A-Z]+\d+)?: (.*)$/;
const WHERE = /└─ in (.+?)\((\d+),(\d+)\)\s*$/;

export function ascDiagnostics(output: string, spec: AsBuildSpec, entryText: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const lines = output.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const h = HEADER.exec(lines[i]!.trim());
    if (!h || h[1] !== "ERROR") continue;
    let where: RegExpExecArray | null = null;
    for (let j = i + 1; j < lines.length && j < i + 12 && !HEADER.test(lines[j]!.trim()); j++) {
      where = WHERE.exec(lines[j]!) ?? where;
      if (where) break;
    }
    const message = `asc: ${h[3]}${h[2] ? ` (${h[2].trim()})` : ""}`;
    if (!where) {
      out.push(diag("DCM_COMPILE_FAILED", message));
      continue;
    }
    const file = where[1]!;
    const line = Number(where[2]);
    const col = Number(where[3]);
    if (file.startsWith(`${SRC_DIR}/`)) {
      const repoFile = file.slice(SRC_DIR.length + 1);
      const frag = spec.fragments.find((f) => f.file === repoFile && line >= f.line && line <= f.endLine);
      out.push(
        diag("DCM_COMPILE_FAILED", frag ? `fragment \`${frag.id}\`: ${message}` : message, {
          pos: { file: repoFile, line, col },
          ...(frag ? { fragment: frag.id } : {}),
        }),
      );
      continue;
    }
    if (file === "entry.ts") {
      const frag = fragmentOfEntryLine(entryText, line, spec);
      out.push(
        diag(
          "DCM_COMPILE_FAILED",
          `${frag ? `fragment \`${frag.id}\`` : "dcm's generated code"} (entry.ts:${line}) does not compile: ${message}`,
          {
            ...(frag ? { pos: { file: frag.file, line: frag.line, col: 1 }, fragment: frag.id } : {}),
            suggestion:
              "a type in the fragment's signature is not accepted by asc; see languages/assemblyscript/README.md for the supported types",
          },
        ),
      );
      continue;
    }
    out.push(diag("DCM_COMPILE_FAILED", `${message} (in ${file}:${line}:${col})`));
  }
  if (out.length === 0) {
    const tail = output.trim().split("\n").slice(-20).join("\n");
    out.push(diag("DCM_COMPILE_FAILED", `asc failed:\n${tail || "(no output)"}`));
  }
  return out;
}

/** The fragment whose `// <id>: …` wrapper comment is the last one at or above the line. */
function fragmentOfEntryLine(entry: string, line: number, spec: AsBuildSpec) {
  const lines = entry.split("\n");
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const m = /^\/\/ (.+?): \S+ \(/.exec(lines[i]!);
    if (m) return spec.fragments.find((f) => f.id === m[1]);
  }
  return undefined;
}
