/**
 * Generates the Go sources that turn a set of Go fragments into one module:
 * a WebAssembly reactor (`wasm`) or a native cgo plugin (`native`), following
 * docs/abi.md. The user's repository is never copied or modified:
 *
 *  - a generated main module in `<workDir>/go-<target>/main` (module path
 *    `<user module>/zz_dcm_main_<target>`, so that it may import the user's
 *    `internal` packages) holds the ABI plumbing, one export per fragment and
 *    the type-directed encoders/decoders (main-package.ts,
 *    fragment-wrappers.ts, codec-gen.ts);
 *  - `<workDir>/go-<target>/go.work` puts it in a workspace with the user's
 *    module (go-work.ts);
 *  - `<workDir>/go-<target>/overlay.json` (go build -overlay) adds alias files
 *    and `package main` copies to the user's packages (user-overlay.ts), and
 *    replaces every file of every package of the module the build reaches by
 *    a copy pruned to the closure of the fragments (extract.ts; the copies
 *    are under `extract/`, files with nothing kept map to "", which Go reads
 *    as deleted). `overlay-whole.json` is the same build without pruning:
 *    compile-go.ts falls back to it when a gap in the closure breaks the
 *    build. With DCM_GO_EXTRACT=0, overlay.json is that whole-package overlay.
 *
 * This file plans the fragments (call-plan.ts), hands each part to its
 * renderer and writes the result. The output is a function of the inputs only
 * (sorted everywhere), gofmt-clean, and free of absolute paths except in
 * go.work and overlay.json.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, posix, resolve } from "node:path";
import type { CallAbi } from "../../../runtime/abi/value-types.js";
import { dcmError } from "../../../runtime/diagnostics/catalog.js";
import type { GeneratedProject, GenerateRequest } from "../../../src/languages/adapter-types.js";
import type { GoAnalysisDetail, GoFragmentDetail } from "../go-types.js";
import { type GoToolchainDriver, goToolchain } from "../toolchain/go-toolchain.js";
import type { GoBuildSpec, GoTarget } from "./build-spec.js";
import { type CallPlan, planCall, reachableNamed } from "./call-plan.js";
import { Codec } from "./codec-gen.js";
import { computeContentKey } from "./content-key.js";
import { type Extraction, extractClosure, extractionEnabled } from "./extract.js";
import { renderBufferCall, renderExport } from "./fragment-wrappers.js";
import { MIN_GO_VERSION } from "./go-version.js";
import { renderGoWork } from "./go-work.js";
import { planState, renderStateAccessors, STATE_MUTEX, varAlias } from "./state-accessors.js";
import { Imports, renderMainGo, template } from "./main-package.js";
import { compareStrings, exportNames, isCallable } from "./naming.js";
import { isExported } from "./type-model.js";
import { aliasTarget, EXPORT_FILE, newPkgPlan, type PkgPlan, renderExportFile, shadowCopies } from "./user-overlay.js";

export type { GoBuildSpec, GoTarget } from "./build-spec.js";
export { GO_GENERATOR_VERSION } from "./content-key.js";
export { compareGoVersions, MIN_GO_VERSION } from "./go-version.js";
export { parseGoWork } from "./go-work.js";
export { renamePackageClause } from "./user-overlay.js";

export interface GenerateGoOptions {
  /** The Go driver whose version goes into the content key (default: the process-wide one). */
  driver?: GoToolchainDriver;
}

/** Generates the Go project for one module; writes it under req.workDir/go-<target>/. */
export async function generateGo(
  req: GenerateRequest,
  target: GoTarget,
  opts: GenerateGoOptions = {},
): Promise<GeneratedProject> {
  const detail = req.analysis.detail as GoAnalysisDetail | undefined;
  if (!detail?.module) throw new Error("dcm go generator: the analysis has no Go module detail");
  const repo = resolve(req.repo);
  const moduleRoot = join(repo, detail.module.dir);
  const named = detail.named ?? {};
  const workDir = join(resolve(req.workDir), `go-${target}`);
  const mainDir = join(workDir, "main");
  const mainPath = `${detail.module.path}/zz_dcm_main_${target}`;

  // Export names over all fragments of the language, so they agree across modules.
  const allNames = exportNames([...req.analysis.fragments, ...req.fragments]);

  const fragments = [...req.fragments].sort((a, b) => compareStrings(a.id, b.id));
  const pkgs = new Map<string, PkgPlan>();
  const pkgFor = (ref: GoFragmentDetail["pkg"]): PkgPlan => {
    let p = pkgs.get(ref.pkgPath);
    if (!p) {
      p = newPkgPlan(ref);
      pkgs.set(ref.pkgPath, p);
    }
    return p;
  };

  const calls: CallPlan[] = [];
  const blankPkgs = new Set<PkgPlan>();
  for (const frag of fragments) {
    const d = frag.detail as GoFragmentDetail | undefined;
    if (!isCallable(frag)) {
      if (d?.pkg) blankPkgs.add(pkgFor(d.pkg));
      continue;
    }
    if (!d?.pkg) throw new Error(`dcm go generator: fragment ${frag.id} has no Go detail`);
    calls.push(planCall(frag, d, pkgFor(d.pkg), allNames[frag.id]!, named));
  }

  // State accessors (state-accessors.ts): each var's package exports a pointer to it.
  const statePlans = (req.stateGroups ?? []).map((g) =>
    planState(g, named, req.analysis.types, (d) => {
      const p = pkgFor(d.pkg);
      p.fnAliases.set(varAlias(d.name), `&${d.name}`);
      return p.effPath;
    }),
  );

  // Where each named type's package lives, for `DcmT_` aliases of unexported types.
  const effectivePath = (pkgPath: string): string => pkgs.get(pkgPath)?.effPath ?? pkgPath;

  // Aliases in the user packages.
  for (const c of calls) {
    c.pkg.fnAliases.set(`DcmFn_${c.suffix}`, aliasTarget(c.detail));
  }
  for (const key of reachableNamed(calls, named, req.analysis.types)) {
    const n = named[key]!;
    if (isExported(n.name)) continue;
    let p = pkgs.get(n.pkgPath);
    if (!p) {
      if (!n.file || isAbsolute(n.file) || n.file.startsWith("..")) {
        throw dcmError(
          "DCM_UNSUPPORTED_TYPE",
          `the unexported type ${n.pkgPath}.${n.name} is outside the repository, so dcm cannot name it`,
          { pos: { file: n.file, line: n.line, col: 1 } },
        );
      }
      p = pkgFor({ pkgPath: n.pkgPath, pkgName: n.pkgName, dir: posix.dirname(n.file.replaceAll("\\", "/")) });
    }
    p.typeAliases.add(n.name);
  }

  const importable = new Map<string, string>();
  for (const p of pkgs.values()) importable.set(p.effPath, p.pkgName);
  for (const t of Object.values(named)) {
    if (!importable.has(effectivePath(t.pkgPath))) importable.set(effectivePath(t.pkgPath), t.pkgName);
  }
  const imports = new Imports(importable);
  const codec = new Codec({ named, types: req.analysis.types, imports, effectivePath });
  for (const c of calls) {
    for (const a of c.args) if (c.abi === "buffer") codec.use(a.type);
    if (c.abi === "buffer") for (const r of c.results) codec.use(r);
  }
  for (const sp of statePlans) for (const v of sp.vars) codec.use(v.type);
  codec.finish();

  // main.go of the generated module.
  const body: string[] = [];
  body.push(await template(target === "wasm" ? "plumbing_wasm.go.tmpl" : "plumbing_native.go.tmpl"));
  for (const c of calls) body.push(renderExport(c, target, codec, imports));
  for (const c of calls) if (c.abi === "buffer") body.push(renderBufferCall(c, codec, imports));
  if (statePlans.length > 0) body.push(STATE_MUTEX);
  for (const sp of statePlans) body.push(renderStateAccessors(sp, target, codec, imports));
  const codecFns = codec.functions();
  if (codecFns) body.push(codecFns);
  for (const p of [...blankPkgs].sort((a, b) => compareStrings(a.effPath, b.effPath))) imports.blank(p.effPath);
  const mainGo = renderMainGo(target, imports, body, statePlans.length > 0 ? ["sync"] : []);

  // The closure of the fragments, roots: every fragment and every type the generated code names.
  const driver = opts.driver ?? goToolchain;
  let extraction: Extraction | undefined;
  if (extractionEnabled()) {
    const types = reachableNamed(calls, named, req.analysis.types)
      .map((k) => named[k]!)
      .filter((n) => n.file && !isAbsolute(n.file) && !n.file.startsWith(".."))
      .map((n) => ({ file: n.file, name: n.name }));
    extraction = extractClosure({
      repo,
      analysis: req.analysis,
      fragments,
      types,
      vars: (req.stateGroups ?? []).flatMap((g) => g.vars.map((v) => ({ file: v.pos.file, name: v.name }))),
      gomodcache: (await driver.detect())?.gomodcache,
    });
  }

  // Files, keyed by path relative to workDir.
  const files = new Map<string, string>();
  files.set("main/main.go", mainGo);
  files.set("main/dcm_abi.go", await template("dcm_abi.go.tmpl"));
  if (target === "native") {
    // What fragments print is captured per call (docs/abi.md, "Output"); WASM output goes through WASI instead.
    files.set("main/dcm_output.go", await template("dcm_output.go.tmpl"));
    files.set("main/dcm_output_linux.go", await template("dcm_output_linux.go.tmpl"));
  }
  files.set("main/go.mod", `module ${mainPath}\n\ngo ${MIN_GO_VERSION}\n`);
  files.set("go.work", await renderGoWork(repo, moduleRoot, detail.module.goVersion));

  // `whole`: alias files and full package main copies; `pruned`: the same with the closure's copies.
  const whole: Record<string, string> = {};
  const pruned: Record<string, string> = {};
  const shadows: Record<string, string> = {};
  const sortedPkgs = [...pkgs.values()].sort((a, b) => compareStrings(a.effPath, b.effPath));
  const mainDirs = new Set<string>();
  for (const p of sortedPkgs) {
    if (p.fnAliases.size > 0 || p.typeAliases.size > 0) {
      const rel = posix.join("overlay", p.effDir, EXPORT_FILE);
      files.set(rel, renderExportFile(p));
      whole[join(repo, p.effDir, EXPORT_FILE)] = join(workDir, rel);
      pruned[join(repo, p.effDir, EXPORT_FILE)] = join(workDir, rel);
    }
    if (!p.isMain) continue;
    mainDirs.add(p.dir);
    for (const [name, text] of await shadowCopies(repo, p.dir)) {
      const rel = posix.join("overlay", p.effDir, name);
      files.set(rel, text);
      whole[join(repo, p.effDir, name)] = join(workDir, rel);
      shadows[join(workDir, rel)] = posix.join(p.dir, name);
    }
    if (!extraction) continue;
    for (const [name, text] of await shadowCopies(repo, p.dir, extraction.files)) {
      const rel = posix.join("extract", p.effDir, name);
      files.set(rel, text);
      pruned[join(repo, p.effDir, name)] = join(workDir, rel);
      shadows[join(workDir, rel)] = posix.join(p.dir, name);
    }
  }
  if (extraction) {
    for (const [file, text] of extraction.files) {
      if (mainDirs.has(posix.dirname(file))) continue; // its pruned copies are the shadow copies above
      if (text === "") {
        pruned[join(repo, file)] = "";
        continue;
      }
      const rel = posix.join("extract", file);
      files.set(rel, text);
      pruned[join(repo, file)] = join(workDir, rel);
      shadows[join(workDir, rel)] = file;
    }
    files.set("overlay.json", `${JSON.stringify({ Replace: sortKeys(pruned) }, null, 2)}\n`);
    files.set("overlay-whole.json", `${JSON.stringify({ Replace: sortKeys(whole) }, null, 2)}\n`);
  } else {
    files.set("overlay.json", `${JSON.stringify({ Replace: sortKeys(whole) }, null, 2)}\n`);
  }

  // Files of an earlier generation in the same work folder must not linger.
  for (const sub of ["main", "overlay", "extract"]) await rm(join(workDir, sub), { recursive: true, force: true });
  await rm(join(workDir, "overlay-whole.json"), { force: true });
  const out: GeneratedProject["files"] = [];
  for (const [rel, contents] of [...files].sort((a, b) => compareStrings(a[0], b[0]))) {
    const abs = join(workDir, rel);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, contents);
    out.push({ path: posix.join(`go-${target}`, rel), contents });
  }

  const exports: Record<string, string> = {};
  const abi: Record<string, CallAbi> = {};
  for (const c of calls) {
    exports[c.frag.id] = c.exportName;
    abi[c.frag.id] = c.abi;
  }
  for (const { group: g } of statePlans) {
    for (const a of [g.get, g.set]) {
      exports[a.id] = a.export;
      abi[a.id] = a.abi;
    }
  }
  const spec: GoBuildSpec = {
    kind: "go",
    specVersion: 1,
    target,
    repo,
    moduleRoot,
    workDir,
    mainDir,
    goWork: join(workDir, "go.work"),
    overlay: join(workDir, "overlay.json"),
    ...(extraction ? { wholeOverlay: join(workDir, "overlay-whole.json"), extraction: extraction.stats } : {}),
    modulePath: detail.module.path,
    moduleDir: detail.module.dir,
    exports,
    abi,
    fragments: fragments.map((f) => {
      const d = f.detail as GoFragmentDetail | undefined;
      const pkg = d?.pkg ? pkgs.get(d.pkg.pkgPath) : undefined;
      return {
        id: f.id,
        symbol: f.symbol,
        file: f.file,
        line: f.line,
        endLine: f.endLine,
        pkgPath: pkg?.effPath ?? d?.pkg.pkgPath ?? f.unit,
        libs: f.deps.libs,
      };
    }),
    shadows,
    generated: [...files.keys()]
      .filter((rel) => rel.endsWith(".go") && !shadows[join(workDir, rel)])
      .map((rel) => join(workDir, rel)),
  };
  const contentKey = await computeContentKey(req, target, files, { repo, moduleRoot, workDir }, driver);
  return { files: out, exports, contentKey, buildSpec: spec };
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(o).sort(compareStrings)) out[k] = o[k]!;
  return out;
}
