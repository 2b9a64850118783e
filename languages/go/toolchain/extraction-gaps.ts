/**
 * Whether a failed build of the pruned packages (languages/go/generate/
 * extract.ts) failed only in ways extraction itself can cause: a name the
 * closure missed (`undefined: X` where the package does declare X), an import
 * pruned too much or too little, a directive separated from its declaration.
 * Then compile-go.ts builds the whole packages once, so that a gap in dcm's
 * analysis never blocks a user; the gaps become the warning's text.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { GoWorkspace } from "../analysis/workspace.js";
import type { GoBuildSpec } from "../generate/build-spec.js";
import { EXPORT_FILE } from "../generate/user-overlay.js";
import { type GoBuildOutput, userFileOf } from "./go-errors.js";

/** Messages extraction can cause whatever the names involved. */
const ALWAYS = [
  /imported and not used/,
  /imported as \S+ and not used/,
  /has no field or method /,
  /\(missing method /,
  /missing function body/,
  /go:linkname/,
  /go:embed/,
  /misplaced compiler directive/,
];
/** Loose lines about a package that lost all its files. */
const LOOSE = [/build constraints exclude all Go files in (.+)$/, /no (?:non-test )?Go files in (.+)$/];

export interface ExtractionGap {
  /** Repo-relative file, 1-based position, compiler message. */
  file: string;
  line: number;
  col: number;
  message: string;
}

/**
 * The errors, when every one of them may come from extraction; undefined when
 * at least one cannot (a real error: whole packages would fail as well).
 */
export function extractionGaps(out: GoBuildOutput, spec: GoBuildSpec): ExtractionGap[] | undefined {
  const gaps: ExtractionGap[] = [];
  const ws = new GoWorkspace(spec.repo);
  const aliasDir = `${join(spec.workDir, "overlay")}/`;
  for (const e of out.errors) {
    if (/^too many errors$/.test(e.message)) continue;
    // dcm's alias file in a user package names fragments and types the closure must hold.
    const alias =
      e.file.endsWith(`/${EXPORT_FILE}`) && e.file.startsWith(aliasDir)
        ? e.file.slice(aliasDir.length).replace("/zz_dcm_shadow/", "/")
        : undefined;
    const file = alias ?? userFileOf(spec, e.file);
    if (!file) return undefined;
    const message = e.message.split("\n")[0]!;
    if (!ALWAYS.some((re) => re.test(message)) && !undefinedByExtraction(message, file, e.file, ws)) return undefined;
    gaps.push({ file, line: e.line, col: e.col, message });
  }
  for (const line of out.loose) {
    if (/^go: downloading /.test(line) || /^note: /.test(line)) continue;
    const m = LOOSE.map((re) => re.exec(line)).find((x) => x);
    if (!m || !m[1]!.trim().startsWith(spec.repo)) return undefined;
    gaps.push({ file: m[1]!.trim().slice(spec.repo.length + 1), line: 1, col: 1, message: line.trim() });
  }
  return gaps.length > 0 ? gaps : undefined;
}

/**
 * `undefined: X` where extraction may have removed X: X is a word of another
 * file of the package, or of the part of this file that pruning removed, or
 * X is a name the original file imports (pruning dropped the import). Words
 * rather than the text index, which is what missed X in the first place.
 */
function undefinedByExtraction(message: string, file: string, compiled: string, ws: GoWorkspace): boolean {
  const m = /^undefined: ([\p{L}_][\p{L}\p{N}_]*)(?:\.([\p{L}_][\p{L}\p{N}_]*))?$/u.exec(message);
  if (!m) return false;
  const name = m[1]!;
  const word = new RegExp(String.raw`(?<![\p{L}\p{N}_])${name}(?![\p{L}\p{N}_])`, "gu");
  const count = (text: string) => text.match(word)?.length ?? 0;
  const read = (p: string) => {
    try {
      return readFileSync(p, "utf8");
    } catch {
      return "";
    }
  };
  const dir = dirname(file) === "." ? "" : dirname(file);
  if (ws.packageFiles(dir).some((f) => f !== file && count(read(join(ws.repo, f))) > 0)) return true;
  const original = read(join(ws.repo, file));
  if (original === "") return false;
  if (count(original) > count(read(compiled))) return true;
  const importBlock = /^import\s*(?:\([\s\S]*?^\)|[^\n]*)/gm;
  return [...original.matchAll(importBlock)].some((b) => count(b[0]) > 0);
}
