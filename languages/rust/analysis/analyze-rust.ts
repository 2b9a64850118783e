/**
 * Rust analysis: CFD fragments → declarations, signatures, dependencies and
 * build inputs. Parses only the fragments' files and the module files of
 * the types their signatures name (workspace.ts).
 *
 * Known limitations: one crate per analysis (the first fragment's
 * Cargo.toml); fragments must be top-level items of their file (not inside
 * inline `mod { }` blocks) and reachable from the crate root by the module
 * file convention; trait impl methods are not fragments.
 */
import { posix } from "node:path";
import { didYouMean } from "../../../src/core/did-you-mean.js";
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic, } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { AnalysisResult, AnalyzedFragment, AnalyzeFragment, AnalyzeRequest } from "../../../src/languages/adapter-types.js";
import type { RustAnalysisDetail, RustCrateInfo, RustFragmentDetail, RustType } from "../rust-types.js";
import { crateRoot, dirOf, findCargoToml } from "./cargo-toml.js";
import { mergeInputs } from "../../../src/languages/kit/input-files.js";
import { crateSourceFiles, hashFiles, localInputs } from "./crate-files.js";
import { collectDeps, type FragmentRef } from "./deps.js";
import { type FileCtx, type Problem, TypeMapper } from "./map-types.js";
import { mapFunc } from "./signature.js";
import { findStateVars, finishStateVars, type StateFragment } from "./state-vars.js";
import { assignRecordNames, chooseAbi, reachableNamed, recordTable, signatureOf } from "./vtypes.js";
import { type Decl, type FileSummary, modPathOf, RustWorkspace } from "./workspace.js";
import { fileNotReadable, kindMismatch, reportSyntax as reportSyntaxOf } from "../../../src/languages/kit/fragment-diagnostics.js";
import { cfdPos, diagnosticSink, isDir } from "../../../src/languages/kit/analysis-kit.js";
import { splitSignatureProblems } from "../../../src/languages/kit/crossing.js";
import { ambiguousName, narrowByReceiver } from "../../../src/languages/kit/receiver-hints.js";

type Frag = AnalyzeFragment;

export async function analyzeRust(req: AnalyzeRequest): Promise<AnalysisResult> {
  const ws = new RustWorkspace(req.repo, req.cache);
  const { diagnostics, emit } = diagnosticSink();
  const result = (fragments: AnalyzedFragment[]): AnalysisResult => ({
    fragments,
    types: {},
    diagnostics,
    inputs: [],
    filesParsed: ws.filesParsed,
  });
  if (!isDir(req.repo)) {
    emit(diag("DCM_REPO_NOT_FOUND", `cannot read the repository folder ${req.repo}`));
    return result([]);
  }
  const first = req.fragments[0];
  if (!first) return result([]);
  const manifest = findCargoToml(req.repo, dirOf(first.file));
  const root = manifest && crateRoot(req.repo, manifest);
  if (!manifest || !root) {
    emit(
      diag(
        "DCM_TYPE_NOT_FOUND",
        manifest
          ? `the crate of ${first.file} (${posix.join(manifest.dir, "Cargo.toml")}) has neither src/lib.rs nor src/main.rs`
          : `no Cargo.toml in the folder of ${first.file} or any folder above it in the repository (fragment \`${first.id}\`)`,
        { pos: first.positions.fragment, fragment: first.id, suggestion: "run `cargo init --lib` at the crate's folder" },
      ),
    );
    return result([]);
  }
  const crate: RustCrateInfo = {
    dir: manifest.dir,
    name: manifest.name || "dcm_user_crate",
    version: manifest.version,
    edition: manifest.edition,
    root,
    deps: manifest.deps,
  };
  const mapper = new TypeMapper(ws, crate);

  // Pass 1: find every declaration.
  const located: Array<{ frag: Frag; decl: Decl; ctx: FileCtx }> = [];
  for (const frag of req.fragments) {
    ws.resetTouched();
    let summary: FileSummary;
    try {
      summary = ws.summary(frag.file);
    } catch {
      emit(fileNotReadable(frag));
      continue;
    }
    reportSyntax(ws, frag, emit);
    const modPath = modPathOf(frag.file, root);
    if (!modPath) {
      emit(
        diag("DCM_CFD_FILE_NOT_FOUND", `${frag.file} is not in the crate of ${posix.join(crate.dir, "Cargo.toml")} (root ${root}); dcm builds one crate per build (fragment \`${frag.id}\`)`, {
          pos: cfdPos(frag, "location"),
          fragment: frag.id,
        }),
      );
      continue;
    }
    const decl = findDecl(frag, summary, emit);
    if (!decl) continue;
    located.push({ frag, decl, ctx: { file: frag.file, modPath, summary } });
  }
  const refs: FragmentRef[] = located.map((l) => ({ id: l.frag.id, decl: l.decl, file: l.frag.file }));

  // Pass 2: signatures and dependencies.
  const mapped: Array<{ out: AnalyzedFragment; detail?: RustFragmentDetail; receiver?: RustType; ok: boolean }> = [];
  const stateFragments: StateFragment[] = [];
  for (const { frag, decl, ctx } of located) {
    ws.resetTouched();
    const problems: Problem[] = [];
    const kind = decl.item === "fn" ? (decl.implType && !hasSelf(decl) ? "function" : decl.kind) : decl.kind;
    let detail: RustFragmentDetail | undefined;
    let receiver: RustType | undefined;
    if (decl.item === "fn") {
      const m = mapFunc(decl, ctx, mapper, problems);
      detail = m.detail;
      receiver = m.receiver;
    }
    const deps = collectDeps({ id: frag.id, decl, file: frag.file }, refs, ctx, mapper);
    if (detail) {
      const keys = new Set<string>();
      for (const t of [...detail.params.map((p) => p.type), ...detail.results, ...(receiver ? [receiver] : [])])
        reachableNamed(t, mapper.named, keys);
      deps.typeDefs = [...new Set([...deps.typeDefs, ...[...keys].map((k) => mapper.named[k]?.name ?? k)])].sort();
    }
    if (frag.kind && frag.kind !== kind) emit(kindMismatch(frag, frag.name, kind));
    reportSyntax(ws, frag, emit);
    const { cannotCross, errors } = splitSignatureProblems(problems, { id: frag.id, symbol: decl.symbol });
    for (const e of errors) emit(e);
    const out: AnalyzedFragment = {
      id: frag.id,
      language: "rust",
      kind,
      symbol: decl.symbol,
      file: frag.file,
      line: decl.line,
      endLine: decl.endLine,
      unit: ["crate", ...ctx.modPath].join("::"),
      deps,
      ...(cannotCross.length ? { cannotCross } : {}),
      ...(detail ? { detail } : {}),
    };
    mapped.push({ out, ...(detail ? { detail } : {}), ...(receiver ? { receiver } : {}), ok: problems.length === 0 });
    stateFragments.push({ out, decl, ctx });
  }

  // State vars (issue 12): the statics the fragments' closures change; their types join the record table.
  const pendingState = findStateVars(stateFragments, ws, mapper);
  assignRecordNames(mapper.named);
  for (const m of mapped) {
    if (!m.detail || !m.ok) continue;
    const signature = signatureOf(m.detail, m.receiver, mapper.named);
    m.out.signature = signature;
    m.out.abi = chooseAbi(signature);
  }
  const res = result(mapped.map((m) => m.out));
  res.types = recordTable(mapper.named);
  const stateVars = finishStateVars(pendingState, mapper.named);
  if (stateVars.length) res.stateVars = stateVars;
  const detail: RustAnalysisDetail = { crate, named: mapper.named };
  res.detail = detail;
  const rsFiles = crateSourceFiles(req.repo, root);
  const files = [
    ...rsFiles,
    posix.join(crate.dir, "Cargo.toml"),
    posix.join(crate.dir, "Cargo.lock"),
  ];
  res.inputs = mergeInputs(hashFiles(req.repo, files), localInputs(req.repo, crate.dir, rsFiles));
  res.filesParsed = ws.filesParsed;
  return res;
}

function hasSelf(decl: Decl): boolean {
  return (decl.node.childForFieldName("parameters")?.namedChildren ?? []).some((c) => c.type === "self_parameter");
}

/** `f`, `Type::m`, `Type.m`, or a bare method name that is unique in the file. */
function findDecl(frag: Frag, summary: FileSummary, emit: (d: Diagnostic) => void): Decl | undefined {
  const name = frag.name.trim().replace(/^crate::/, "").replace(".", "::");
  let candidates = summary.decls.filter((d) => d.symbol === name);
  if (candidates.length === 0) {
    const methods = summary.decls.filter((d) => d.implType && d.name === name);
    candidates = narrowByReceiver(methods, frag.receiverHints, (d) => d.symbol.split("::")[0]);
  }
  const { start, end } = frag.location;
  if (candidates.length > 0 && (start !== undefined || end !== undefined)) {
    const inRange = candidates.filter((d) => (start === undefined || d.line >= start) && (end === undefined || d.endLine <= end));
    if (inRange.length === 0) {
      const d = candidates[0]!;
      emit(
        diag("DCM_CFD_LOCATION_RANGE", `\`${name}\` is declared at lines ${d.line}–${d.endLine} of ${frag.file}, outside location ${start ?? "…"}–${end ?? "…"}`, {
          pos: cfdPos(frag, "start", "end", "location"),
          suggestion: `set \`start: ${d.line}\` and \`end: ${d.endLine}\`, or remove them`,
          fragment: frag.id,
        }),
      );
      return undefined;
    }
    candidates = inRange;
  }
  if (candidates.length === 1) return candidates[0];
  if (candidates.length > 1) {
    emit(ambiguousName(frag, name, candidates.map((d) => d.symbol)));
    return undefined;
  }
  const suggestion = didYouMean(name, summary.decls.map((d) => d.symbol));
  emit(
    diag("DCM_CFD_SYMBOL_NOT_FOUND", `\`${name}\` is not declared at the top level of ${frag.file}`, {
      pos: cfdPos(frag, "name"),
      fragment: frag.id,
      ...(suggestion ? { suggestion } : {}),
    }),
  );
  return undefined;
}

function reportSyntax(ws: RustWorkspace, frag: Frag, emit: (d: Diagnostic) => void): void {
  reportSyntaxOf(ws.touched, (file) => ws.summary(file).syntaxError, frag.id, emit);
}
