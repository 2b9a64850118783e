/**
 * Go analysis: CFD fragments -> declarations, signatures, dependencies and
 * build inputs, parsing only the files the fragments reach (workspace.ts).
 *
 * Known limitations (details at the top of each module):
 * - No type checking: dependencies come from names, so a method call on a
 *   value of unknown type over-approximates (deps.ts), shadowed package-level
 *   names are missed (summarize.ts), dot imports are not followed.
 * - One module per analysis: GoAnalysisDetail.module is the first fragment's;
 *   imports into other modules of the repository count as third-party.
 * - filesParsed counts real tree-sitter parses; summaries taken from
 *   `req.cache` are not counted.
 * - A fragment whose signature has an error, or cannot cross the boundary
 *   (AnalyzedFragment.cannotCross), is still returned (kind, file, deps) but
 *   without `signature` and `abi`.
 */
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";
import type {
  AnalysisResult,
  AnalyzedFragment,
  AnalyzeRequest,
  StateVar,
} from "../../../src/languages/adapter-types.js";
import type { GoAnalysisDetail, GoFragmentDetail, GoType } from "../go-types.js";
import { collectDeps, type FragmentIndex, fragmentKey } from "./deps.js";
import { type CfdFragmentWithFile, cfdPos, findSymbol } from "./find-symbol.js";
import { dirOf, type GoMod, GoModFinder } from "./go-mod.js";
import { collectInputs } from "./inputs.js";
import { type FileCtx, type Problem, TypeMapper } from "./map-types.js";
import { type MappedFunc, mapFunc } from "./signature.js";
import { assignRecordNames, chooseAbi, reachableNamed, recordTable, signatureOf, toVType } from "./vtypes.js";
import { analyzeState, type FoundStateVar } from "./state.js";
import { type Found, GoWorkspace } from "./workspace.js";
import { isDir } from "../../../src/languages/kit/analysis-kit.js";
import {
  fileNotReadable,
  kindMismatch,
  reportSyntax as reportSyntaxOf,
} from "../../../src/languages/kit/fragment-diagnostics.js";
import { splitSignatureProblems } from "../../../src/languages/kit/crossing.js";

interface Located {
  frag: CfdFragmentWithFile;
  found: Found;
  ctx: FileCtx;
}

export async function analyzeGo(req: AnalyzeRequest): Promise<AnalysisResult> {
  const ws = new GoWorkspace(req.repo, req.cache);
  const mods = new GoModFinder(req.repo);
  const mapper = new TypeMapper(ws, mods);
  const diagnostics: Diagnostic[] = [];
  const reported = new Set<string>();
  const emit = (d: Diagnostic) => {
    const key = `${d.code}|${d.fragment}|${d.pos?.file}:${d.pos?.line}:${d.pos?.col}|${d.message}`;
    if (!reported.has(key)) diagnostics.push(d);
    reported.add(key);
  };
  const result = (fragments: AnalyzedFragment[], detail?: GoAnalysisDetail): AnalysisResult => ({
    fragments,
    types: {},
    diagnostics,
    inputs: [],
    filesParsed: ws.filesParsed,
    ...(detail ? { detail } : {}),
  });
  if (!isDir(req.repo)) {
    emit(diag("DCM_REPO_NOT_FOUND", `cannot read the repository folder ${req.repo}`));
    return result([]);
  }

  // Pass 1: find every fragment's declaration (bare method names need the parse).
  const located: Located[] = [];
  let firstMod: GoMod | undefined;
  for (const frag of req.fragments) {
    ws.resetTouched();
    const loc = locate(frag, ws, mods, mapper, emit);
    reportSyntax(ws, frag, emit);
    if (!loc) continue;
    firstMod ??= loc.ctx.mod;
    located.push(loc);
  }
  const index: FragmentIndex = new Map(
    located.map((l) => [fragmentKey(l.ctx.pkgPath, l.found.decl.symbol), l.frag.id]),
  );

  // Pass 2: signatures and dependencies.
  const mapped: Array<{ loc: Located; out: AnalyzedFragment; func?: MappedFunc; sigOk: boolean }> = [];
  for (const loc of located) {
    ws.resetTouched();
    const { frag, found, ctx } = loc;
    const { decl } = found;
    const pkg = { pkgPath: ctx.pkgPath, pkgName: found.summary.pkgName, dir: ctx.dir };
    const problems: Problem[] = [];
    let func: MappedFunc | undefined;
    let detail: GoFragmentDetail = { pkg, funcName: decl.name, params: [], results: [], hasError: false };
    if (decl.kind === "function" || decl.kind === "method") {
      func = mapFunc(decl, ctx, pkg, mapper, problems);
      detail = func.detail;
    }
    const deps = collectDeps(ws, mapper, found, index, frag.id);
    if (func) deps.typeDefs = signatureTypeDefs(func.types, ctx.pkgPath, deps.typeDefs, mapper);
    reportSyntax(ws, frag, emit);
    const { cannotCross, errors } = splitSignatureProblems(problems, { id: frag.id, symbol: decl.symbol });
    for (const e of errors) emit(e);
    const libAliases = aliasesOf(found.summary, deps.libs);
    const out: AnalyzedFragment = {
      id: frag.id,
      language: "go",
      kind: decl.kind,
      symbol: decl.symbol,
      file: found.file,
      line: decl.line,
      endLine: decl.endLine,
      unit: ctx.pkgPath,
      deps,
      ...(Object.keys(libAliases).length ? { libAliases } : {}),
      ...(cannotCross.length ? { cannotCross } : {}),
      detail,
    };
    mapped.push({ loc, out, ...(func ? { func } : {}), sigOk: problems.length === 0 });
  }

  // Module-level state (state.ts): mapped before record names, which its types take part in.
  const state = analyzeState(
    ws,
    mapper,
    mapped
      .filter((m) => m.out.kind === "function" || m.out.kind === "method")
      .map((m) => ({ id: m.out.id, found: m.loc.found, ctx: m.loc.ctx })),
  );
  for (const m of mapped) {
    const keys = state.byFragment.get(m.out.id);
    if (keys) m.out.state = keys;
  }

  // Record names depend on every signature's types, so value-model types come last.
  assignRecordNames(mapper.named);
  for (const m of mapped) {
    if (!m.func || !m.sigOk) continue;
    const signature = signatureOf(m.func.detail, m.func.receiverName, mapper.named);
    m.out.signature = signature;
    m.out.abi = chooseAbi(signature);
  }
  const detail: GoAnalysisDetail = {
    module: { path: firstMod?.path ?? "", dir: firstMod?.dir ?? "", goVersion: firstMod?.goVersion ?? "" },
    named: mapper.named,
  };
  const res = result(
    mapped.map((m) => m.out),
    detail,
  );
  res.types = recordTable(mapper.named);
  if (state.vars.length) res.stateVars = state.vars.map((v) => stateVarOf(v, mapper.named));
  res.inputs = collectInputs(ws, mods, new Set(located.map((l) => l.ctx.dir)));
  return res;
}

function locate(
  frag: CfdFragmentWithFile,
  ws: GoWorkspace,
  mods: GoModFinder,
  mapper: TypeMapper,
  emit: (d: Diagnostic) => void,
): Located | undefined {
  const mod = mods.forDir(dirOf(frag.file));
  if (!mod) {
    emit(
      diag(
        "DCM_GO_MOD_MISSING",
        `no go.mod in the folder of ${frag.file} or any folder above it in the repository (fragment \`${frag.id}\`)`,
        {
          pos: cfdPos(frag, "location", "fragment"),
          fragment: frag.id,
        },
      ),
    );
    return undefined;
  }
  let summary: Found["summary"];
  try {
    summary = ws.summary(frag.file);
  } catch {
    emit(fileNotReadable(frag));
    return undefined;
  }
  const r = findSymbol(frag, summary);
  if ("diagnostic" in r) {
    emit(r.diagnostic);
    return undefined;
  }
  const { decl } = r;
  if (frag.kind && frag.kind !== decl.kind) emit(kindMismatch(frag, frag.name, decl.kind));
  const ctx = mapper.ctxFor(frag.file, summary);
  return ctx && { frag, found: { decl, file: frag.file, summary }, ctx };
}

/** DCM_SOURCE_SYNTAX for every file the fragment's analysis touched that did not parse cleanly. */
function reportSyntax(ws: GoWorkspace, frag: CfdFragmentWithFile, emit: (d: Diagnostic) => void): void {
  reportSyntaxOf(ws.touched, (file) => ws.summary(file).syntaxError, frag.id, emit);
}

/** Import path -> alias for the fragment's libs that its file imports under an explicit name. */
function aliasesOf(summary: Found["summary"], libs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const used = new Set(libs);
  for (const spec of summary.imports) {
    if (spec.alias && spec.alias !== "_" && spec.alias !== "." && used.has(spec.path)) out[spec.path] = spec.alias;
  }
  return out;
}

/** deps.typeDefs plus the module's named types the signature reaches (through struct fields too). */
function signatureTypeDefs(types: GoType[], home: string, typeDefs: string[], mapper: TypeMapper): string[] {
  const keys = new Set<string>();
  for (const t of types) reachableNamed(t, mapper.named, keys);
  const names = new Set(typeDefs);
  for (const key of keys) {
    const n = mapper.named[key];
    if (n) names.add(n.pkgPath === home ? n.name : `${n.pkgName}.${n.name}`);
  }
  return [...names].sort();
}

/** The contract's StateVar: value-model type once record names are known, or why it cannot be snapshotted. */
function stateVarOf(v: FoundStateVar, named: GoAnalysisDetail["named"]): StateVar {
  const out: StateVar = { key: v.key, name: v.name, unit: v.unit, pos: v.pos, detail: v.detail };
  if (v.goType) out.type = toVType(v.goType, named);
  else if (v.cannotEncode) out.cannotEncode = v.cannotEncode;
  return out;
}
