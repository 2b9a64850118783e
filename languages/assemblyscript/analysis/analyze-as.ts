/**
 * AssemblyScript analysis: CFD fragments -> declarations, signatures,
 * dependencies and build inputs. Parses the fragments' files, and the files
 * their signature types are imported from; the files the compiler needs (the
 * relative-import closure) are found by a text scan without parsing.
 *
 * Known limitations: see map-types.ts (types), deps.ts (dependencies) and
 * workspace.ts (imports). A fragment whose signature has a problem is still
 * returned (kind, file, deps) but without `signature` and `abi`; what keeps
 * it from crossing the boundary is in AnalyzedFragment.cannotCross.
 */
import { didYouMean } from "../../../src/core/did-you-mean.js";
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic, } from "../../../runtime/diagnostics/diagnostic-types.js";
import type {
  AnalysisResult,
  AnalyzedFragment,
  AnalyzeFragment,
  AnalyzeRequest,
} from "../../../src/languages/adapter-types.js";
import type { AsAnalysisDetail, AsFragmentDetail } from "../as-types.js";
import { collectDeps, type FragmentIndex } from "./deps.js";
import { type Problem, TypeMapper } from "./map-types.js";
import { mapFunction } from "./signature.js";
import { StateFinder } from "./state-vars.js";
import { chooseAbi, recordTable, signatureOf } from "./vtypes.js";
import { type AsDecl, AsWorkspace, type FileSummary } from "./workspace.js";
import { fileNotReadable, kindMismatch, sourceSyntax } from "../../../src/languages/kit/fragment-diagnostics.js";
import { cfdPos, diagnosticSink, isDir } from "../../../src/languages/kit/analysis-kit.js";
import { splitSignatureProblems } from "../../../src/languages/kit/crossing.js";
import { ambiguousName, narrowByReceiver } from "../../../src/languages/kit/receiver-hints.js";

type Frag = AnalyzeFragment;

export const LANGUAGE_ID = "assemblyscript";

export async function analyzeAs(req: AnalyzeRequest): Promise<AnalysisResult> {
  const ws = new AsWorkspace(req.repo, req.cache);
  const mapper = new TypeMapper(ws);
  const { diagnostics, emit } = diagnosticSink();
  const result: AnalysisResult = { fragments: [], types: {}, diagnostics, inputs: [], filesParsed: 0 };
  if (!isDir(req.repo)) {
    emit(diag("DCM_REPO_NOT_FOUND", `cannot read the repository folder ${req.repo}`));
    return result;
  }

  const located: Array<{ frag: Frag; decl: AsDecl }> = [];
  for (const frag of req.fragments) {
    const decl = locate(frag, ws, emit);
    if (decl) located.push({ frag, decl });
  }
  const index: FragmentIndex = new Map(located.map((l) => [`${l.frag.file}#${l.decl.symbol}`, l.frag.id]));

  const mapped: Array<{ out: AnalyzedFragment; detail?: AsFragmentDetail }> = [];
  for (const { frag, decl } of located) {
    const problems: Problem[] = [];
    let detail: AsFragmentDetail | undefined;
    if (decl.kind === "function" || decl.kind === "method") {
      if (!decl.exported) {
        problems.push({
          code: "DCM_UNSUPPORTED_CONSTRUCT",
          message: `\`${decl.symbol}\` at line ${decl.line} is not exported, so dcm's generated module cannot import it`,
          pos: { file: frag.file, line: decl.line, col: 1 },
          suggestion: `write \`export ${decl.kind === "method" ? "class" : "function"} ${decl.className ?? decl.name}\``,
        });
      }
      detail = mapFunction(decl, frag.file, mapper, problems);
    }
    const { cannotCross, errors } = splitSignatureProblems(problems, { id: frag.id, symbol: decl.symbol });
    for (const e of errors) emit(e);
    const out: AnalyzedFragment = {
      id: frag.id,
      language: LANGUAGE_ID,
      kind: decl.kind === "method" ? "method" : decl.kind === "function" ? "function" : kindOf(decl),
      symbol: decl.symbol,
      file: frag.file,
      line: decl.line,
      endLine: decl.endLine,
      unit: frag.file,
      deps: collectDeps(ws, frag.file, decl, index, frag.id),
      ...(cannotCross.length ? { cannotCross } : {}),
    };
    if (detail) out.detail = detail;
    mapped.push({ out, ...(detail && problems.length === 0 ? { detail } : {}) });
  }

  // Before the record table: the classes that state vars hold are records too.
  const state = new StateFinder(ws, mapper).analyze(located.map((l) => ({ id: l.frag.id, file: l.frag.file, decl: l.decl })));
  for (const m of mapped) {
    const keys = state.byFragment.get(m.out.id);
    if (keys) m.out.state = keys;
  }
  const { types, clashes } = recordTable(mapper.classes);
  for (const [a, b] of clashes) {
    emit(
      diag(
        "DCM_UNSUPPORTED_CONSTRUCT",
        `two classes named \`${a.name}\` cross the boundary (${a.file}:${a.line} and ${b.file}:${b.line}); record names must be unique`,
        { pos: { file: b.file, line: b.line, col: 1 }, suggestion: "rename one of the classes" },
      ),
    );
  }
  for (const m of mapped) {
    if (!m.detail) continue;
    m.out.signature = signatureOf(m.detail, mapper.classes);
    m.out.abi = chooseAbi(m.out.signature);
  }
  const sourceFiles = ws.sourceClosure(located.map((l) => l.frag.file));
  const detail: AsAnalysisDetail = { classes: mapper.classes, sourceFiles };
  result.fragments = mapped.map((m) => m.out);
  if (state.vars.length) result.stateVars = state.vars;
  result.types = types;
  result.inputs = sourceFiles.map((file) => ({ file, sha256: ws.sha256(file) }));
  result.filesParsed = ws.filesParsed;
  result.detail = detail;
  return result;
}

function kindOf(decl: AsDecl): AnalyzedFragment["kind"] {
  if (decl.kind === "const") return "const";
  if (decl.kind === "variable") return "variable";
  return "type";
}

function locate(frag: Frag, ws: AsWorkspace, emit: (d: Diagnostic) => void): AsDecl | undefined {
  let summary: FileSummary;
  try {
    summary = ws.summary(frag.file);
  } catch {
    emit(fileNotReadable(frag));
    return undefined;
  }
  if (summary.syntaxError) {
    emit(sourceSyntax(frag.file, summary.syntaxError, frag.id));
    return undefined;
  }
  const name = frag.name.trim();
  const callable = summary.decls.filter((d) => d.kind !== "ambient");
  let cands = name.includes(".")
    ? callable.filter((d) => d.symbol === name)
    : callable.filter((d) => d.kind !== "method" && d.name === name);
  if (cands.length === 0 && !name.includes(".")) {
    const methods = callable.filter((d) => d.kind === "method" && d.name === name);
    cands = narrowByReceiver(methods, frag.receiverHints, (d) => d.className);
  }
  const { start, end } = frag.location;
  if (cands.length > 0 && (start !== undefined || end !== undefined)) {
    const inRange = cands.filter(
      (d) => (start === undefined || d.line >= start) && (end === undefined || d.endLine <= end),
    );
    if (inRange.length === 0) {
      const d = cands[0]!;
      emit(
        diag(
          "DCM_CFD_LOCATION_RANGE",
          `\`${name}\` is declared at lines ${d.line}–${d.endLine} of ${frag.file}, outside location ${start ?? "…"}–${end ?? "…"}`,
          {
            pos: cfdPos(frag, "start", "end", "location"),
            suggestion: `set \`start: ${d.line}\` and \`end: ${d.endLine}\`, or remove them`,
            fragment: frag.id,
          },
        ),
      );
      return undefined;
    }
    cands = inRange;
  }
  if (cands.length > 1) {
    emit(ambiguousName(frag, name, cands.map((d) => d.symbol)));
    return undefined;
  }
  if (cands.length === 0) {
    const hint = didYouMean(
      name,
      callable.map((d) => d.symbol),
    );
    emit(
      diag(
        "DCM_CFD_SYMBOL_NOT_FOUND",
        `\`${name}\` is not declared in ${frag.file}`,
        {
          pos: cfdPos(frag, "name"),
          ...(hint ? { suggestion: hint } : {}),
          fragment: frag.id,
        },
      ),
    );
    return undefined;
  }
  const decl = cands[0]!;
  const kind = decl.kind === "method" || decl.kind === "function" ? decl.kind : kindOf(decl);
  if (frag.kind && frag.kind !== kind) emit(kindMismatch(frag, name, kind));
  return decl;
}
