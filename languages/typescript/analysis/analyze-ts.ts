/**
 * TypeScript analysis: CFD fragments -> declarations, signatures,
 * dependencies and build inputs. Only the fragments' files and the files
 * their signature types come from are parsed; the inputs (every file the
 * bundle may read) are found by a text scan of import specifiers.
 *
 * Known limitations: no type checker (see map-types.ts, deps.ts); `.js`
 * files are refused (no types to read); class methods are refused.
 */
import { didYouMean } from "../../../src/core/did-you-mean.js";
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic, SourcePos } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { AnalysisResult, AnalyzedFragment, AnalyzeRequest } from "../../../src/languages/adapter-types.js";
import { chooseAbi } from "../../../src/languages/kit/abi-exports.js";
import type { TsAnalysisDetail, TsFragmentDetail } from "../ts-types.js";
import { collectDeps, type FragmentIndex, indexKey } from "./deps.js";
import { collectInputs, reachableFiles } from "./inputs.js";
import { type Problem, TypeMapper } from "./map-types.js";
import { fragmentKind, functionNode, mapSignature } from "./signature.js";
import { StateFinder } from "./state-vars.js";
import type { TsDecl } from "./summarize.js";
import { TsWorkspace } from "./workspace.js";
import { kindMismatch, reportSyntax as reportSyntaxOf } from "../../../src/languages/kit/fragment-diagnostics.js";
import { cfdPos, diagnosticSink, isDir } from "../../../src/languages/kit/analysis-kit.js";
import { splitSignatureProblems } from "../../../src/languages/kit/crossing.js";

type Frag = AnalyzeRequest["fragments"][number];

interface Located {
  frag: Frag;
  decl: TsDecl;
}

export async function analyzeTs(req: AnalyzeRequest): Promise<AnalysisResult> {
  const ws = new TsWorkspace(req.repo, req.cache);
  const mapper = new TypeMapper(ws);
  const { diagnostics, emit } = diagnosticSink();
  const empty = (): AnalysisResult => ({ fragments: [], types: {}, diagnostics, inputs: [], filesParsed: 0 });
  if (!isDir(req.repo)) {
    emit(diag("DCM_REPO_NOT_FOUND", `cannot read the repository folder ${req.repo}`));
    return empty();
  }

  const located: Located[] = [];
  for (const frag of req.fragments) {
    ws.touched.clear();
    const decl = locate(frag, ws, emit);
    reportSyntax(ws, frag.id, emit);
    if (decl) located.push({ frag, decl });
  }
  const index: FragmentIndex = new Map();
  for (const { frag, decl } of located) {
    index.set(indexKey(frag.file, decl.name), frag.id);
    for (const e of decl.exportedAs) index.set(indexKey(frag.file, e), frag.id);
  }

  const fragments: AnalyzedFragment[] = [];
  const details = new Map<AnalyzedFragment, TsFragmentDetail>();
  for (const { frag, decl } of located) {
    ws.touched.clear();
    const kind = fragmentKind(decl);
    const problems: Problem[] = [];
    const out: AnalyzedFragment = {
      id: frag.id,
      language: "typescript",
      kind,
      symbol: decl.name,
      file: frag.file,
      line: decl.line,
      endLine: decl.endLine,
      unit: frag.file,
      deps: collectDeps(ws, mapper, frag.file, decl, index, frag.id),
    };
    if (frag.kind && frag.kind !== kind) emit(kindMismatch(frag, frag.name, kind));
    if (kind === "function") {
      const overloads = ws.summary(frag.file).decls.filter((d) => d.kind === "overload" && d.name === decl.name);
      if (overloads.length > 0) {
        problems.push({
          code: "DCM_UNSUPPORTED_CONSTRUCT",
          message: "overloaded functions cannot be fragments (the signature would be ambiguous)",
          file: frag.file,
          line: overloads[0]!.line,
          suggestion: "export one function per signature",
        });
      } else if (decl.exportedAs.length === 0) {
        problems.push({
          code: "DCM_UNSUPPORTED_CONSTRUCT",
          message: `\`${decl.name}\` is not exported from ${frag.file}, so the generated module cannot import it`,
          file: frag.file,
          line: decl.line,
          suggestion: `write \`export\` before its declaration (or add \`export { ${decl.name} }\`)`,
        });
      }
      const mapped = problems.length === 0 ? mapSignature(decl, frag.file, mapper, problems) : undefined;
      if (mapped && problems.length === 0) {
        out.signature = mapped.signature;
        out.abi = chooseAbi(mapped.signature);
        const exportName = decl.exportedAs.includes(decl.name) ? decl.name : decl.exportedAs[0]!;
        const detail: TsFragmentDetail = { file: frag.file, importName: exportName, lift: mapped.lift };
        out.detail = detail;
        details.set(out, detail);
      }
    }
    reportSyntax(ws, frag.id, emit);
    const signatureProblems = problems.map((p) => ({
      code: p.code,
      message: p.message,
      pos: { file: p.file, line: p.line, col: p.col ?? 1 },
      ...(p.suggestion ? { suggestion: p.suggestion } : {}),
    }));
    const { cannotCross, errors } = splitSignatureProblems(signatureProblems, { id: frag.id, symbol: decl.name });
    for (const e of errors) emit(e);
    if (cannotCross.length) out.cannotCross = cannotCross;
    fragments.push(out);
  }

  // Module-level state (issue 12): found before finish(), which closes the records the state types use.
  const byId = new Map(located.map((l) => [l.frag.id, l]));
  const state = new StateFinder(ws, mapper).analyze(
    fragments.filter((f) => f.kind === "function" && byId.has(f.id)).map((f) => ({ id: f.id, file: f.file, decl: byId.get(f.id)!.decl })),
  );
  for (const f of fragments) {
    const keys = state.byFragment.get(f.id);
    if (keys) f.state = keys;
  }
  const { types, recordLift } = mapper.finish();
  const reach: Record<string, string[]> = {};
  for (const f of fragments) reach[f.id] = reachableFiles(ws, f.file);
  const detail: TsAnalysisDetail = { recordLift, reach };
  return {
    fragments,
    types,
    diagnostics,
    inputs: collectInputs(ws, fragments.map((f) => f.file)),
    filesParsed: ws.filesParsed,
    ...(state.vars.length ? { stateVars: state.vars } : {}),
    detail,
  };
}

function locate(frag: Frag, ws: TsWorkspace, emit: (d: Diagnostic) => void): TsDecl | undefined {
  const fail = (code: Parameters<typeof diag>[0], message: string, pos: SourcePos, suggestion?: string) => {
    emit(diag(code, message, { pos, ...(suggestion ? { suggestion } : {}), fragment: frag.id }));
    return undefined;
  };
  if (/\.(c|m)?jsx?$/.test(frag.file)) {
    return fail(
      "DCM_UNSUPPORTED_CONSTRUCT",
      `fragment \`${frag.id}\`: ${frag.file} is JavaScript; dcm reads parameter and return types from TypeScript annotations`,
      cfdPos(frag, "location"),
      `rename it to ${frag.file.replace(/\.(c|m)?jsx?$/, ".ts")} and annotate the fragment's parameters and return type`,
    );
  }
  let decls: TsDecl[];
  try {
    decls = ws.summary(frag.file).decls;
  } catch {
    return fail("DCM_CFD_FILE_NOT_FOUND", `cannot read ${frag.file} (fragment \`${frag.id}\`)`, cfdPos(frag, "location"));
  }
  const name = frag.name.trim();
  if (name.includes(".")) {
    const cls = name.slice(0, name.indexOf("."));
    if (decls.some((d) => d.kind === "class" && d.name === cls)) {
      return fail(
        "DCM_UNSUPPORTED_CONSTRUCT",
        `fragment \`${frag.id}\`: \`${name}\` is a class method; TypeScript fragments are exported functions`,
        cfdPos(frag, "name"),
        `export a function that takes the data as parameters, e.g. \`export function ${name.slice(cls.length + 1)}(…)\``,
      );
    }
  }
  let candidates = decls.filter((d) => d.kind !== "overload" && (d.name === name || d.exportedAs.includes(name)));
  if (candidates.some((d) => d.name === name)) candidates = candidates.filter((d) => d.name === name);
  const { start, end } = frag.location;
  if (candidates.length > 0 && (start !== undefined || end !== undefined)) {
    const inRange = candidates.filter((d) => (start === undefined || d.line >= start) && (end === undefined || d.endLine <= end));
    if (inRange.length === 0) {
      const d = candidates[0]!;
      return fail(
        "DCM_CFD_LOCATION_RANGE",
        `\`${name}\` is declared at lines ${d.line}–${d.endLine} of ${frag.file}, outside location ${start ?? "…"}–${end ?? "…"}`,
        cfdPos(frag, "start", "end", "location"),
        `set \`start: ${d.line}\` and \`end: ${d.endLine}\`, or remove them`,
      );
    }
    candidates = inRange;
  }
  if (candidates.length >= 1) {
    // `const a = 1, b = 2` shares a statement; a callable beats data of the same name (declaration merging).
    return candidates.find((d) => functionNode(d)) ?? candidates[0];
  }
  const names = decls.filter((d) => d.kind !== "overload").flatMap((d) => [d.name, ...d.exportedAs]);
  const suggestion = didYouMean(name, names);
  return fail(
    "DCM_CFD_SYMBOL_NOT_FOUND",
    `\`${name}\` is not declared in ${frag.file}`,
    cfdPos(frag, "name"),
    suggestion,
  );
}

function reportSyntax(ws: TsWorkspace, id: string, emit: (d: Diagnostic) => void): void {
  const errorOf = (file: string) => {
    try {
      return ws.summary(file).syntaxError;
    } catch {
      return undefined; // unreadable: reported where the file is needed
    }
  };
  reportSyntaxOf(ws.touched, errorOf, id, emit);
}
