/**
 * The build: analysis -> generation -> compilation -> dist/. Content-addressed
 * at two levels: the whole dist (buildKey over every input; an unchanged
 * rebuild does no compiler work and writes nothing) and each module (keyed by
 * its generated sources and toolchain, kept in the module cache).
 *
 * Known limitations: the module cache is never pruned (`rm -rf` the folder
 * DCM_CACHE_DIR names, default ~/.cache/dcm, to reclaim space).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type {
  Manifest,
  ManifestFragment,
  ManifestModule,
  ModuleTarget,
  Side,
} from "../../runtime/abi/manifest-types.js";
import type { RecordDef, TypeTable } from "../../runtime/abi/value-types.js";
import { DcmError, diag } from "../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../runtime/diagnostics/diagnostic-types.js";
import type { CompileResult, LanguageAdapter } from "../languages/adapter-types.js";
import { runtimeGlueFor } from "../languages/runtime-glue.js";
import { absolutePaths, analyzeProject, hasErrors, type ProjectAnalysis } from "./analyze-project.js";
import { notCallableReason } from "./callability.js";
import { defaultCacheDir } from "./cache-dir.js";
import { emitStubs } from "./emit-stubs.js";
import {
  checkOutDir,
  discardStaging,
  outputError,
  hasDistMarker,
  makeStaging,
  removeStaleTemps,
  swapIn,
  tempPrefix,
  trackTemp,
  untrackTemp,
} from "./out-dir.js";
import {
  assertSandboxReady,
  policyFor,
  type SandboxPolicy,
  type StepDriver,
  sandboxPolicy,
  withSandboxPolicy,
} from "../../toolchains/sandbox.js";

export const MANIFEST_VERSION = 1;
export const ABI_VERSION = 1;
/** Bump when generated code changes in a way the inputs don't show. */
const GENERATOR_VERSION = "dcm-gen-3"; // 2: output capture in every language's generated code; 3: state accessors

export interface BuildOptions {
  repo: string;
  cfd: string;
  out: string;
  cacheDir?: string;
  /** Refuse the build on warnings too (`dcm build --strict`). */
  strict?: boolean;
  onProgress?: (step: string, detail?: string) => void;
  /**
   * Run the toolchains inside core's bubblewrap sandbox (toolchains/sandbox.ts): the default.
   * false = directly on this machine, for trusted code only (`dcm build --no-sandbox`).
   * Absent: on unless DCM_SANDBOX=0.
   */
  sandbox?: boolean;
  /**
   * How the toolchains run (`dcm build --driver`): `sandbox` (bubblewrap, the default),
   * `container` (a Podman/Docker container of dcm's toolchain image, docs/build-container.md)
   * or `local` (= sandbox: false). Wins over `sandbox` when both are given.
   */
  driver?: StepDriver;
  /** Each line a toolchain step prints, as it prints it (`dcm build --events ndjson`, the build service). */
  onOutput?: SandboxPolicy["onOutput"];
  /** Each stage (`analysis`, `check`, `generate:<language>`, `compile:<language>`, `package`, `swap`) as it starts and finishes. */
  onStage?: (name: string, phase: "started" | "finished", ms?: number) => void;
}

export interface BuildReport {
  outDir: string;
  manifest: Manifest;
  /** True when the dist was already up to date. */
  upToDate: boolean;
  modulesFromCache: number;
  modulesCompiled: number;
  timings: Record<string, number>;
  diagnostics: Diagnostic[];
}

/** Where each target's module goes in the dist: portable targets under client/, plugins under server/. */
const MODULE_FILES: Record<ModuleTarget, { dir: string; ext: string }> = {
  wasm: { dir: "client", ext: "wasm" },
  js: { dir: "client", ext: "js" },
  native: { dir: "server", ext: "so" },
};

/** Record names are global in a manifest: two languages may share one only for the same fields. */
function mergeTypes(types: TypeTable, owner: Map<string, string>, adapter: LanguageAdapter, add: TypeTable): void {
  for (const [name, def] of Object.entries(add)) {
    const prev = types[name];
    // Values cross by jsonName and type; the source names may differ (Go's `X` with `json:"x"`, Rust's `x`).
    const shape = (d: RecordDef) => JSON.stringify(d.fields.map((f) => [f.jsonName, f.type]));
    const same = prev && shape(prev) === shape(def);
    if (prev && !same) {
      throw new DcmError(
        diag(
          "DCM_TYPE_NAME_CLASH",
          `Record \`${name}\` is declared by ${owner.get(name)} (${prev.origin}) and by ${adapter.displayName} (${def.origin}) with different fields.`,
          { suggestion: `Rename one of the two types, or give them the same fields in the same order.` },
        ),
      );
    }
    types[name] = def;
    owner.set(name, adapter.displayName);
  }
}

/**
 * Bundles a language's glue for a portable non-wasm target into one
 * self-contained ES module in the dist, so that browsers load it from the dist
 * like the module itself (runtime/client/module-host.ts imports it).
 */
async function bundleGlue(
  adapter: LanguageAdapter,
  target: ModuleTarget,
  staging: string,
  file: string,
): Promise<{ file: string; sha256: string }> {
  const entry = runtimeGlueFor(adapter, target);
  if (!entry) {
    throw new DcmError(
      diag(
        "DCM_COMPILE_FAILED",
        `${adapter.displayName} builds \`${target}\` modules but names no runtime glue for them.`,
        {
          suggestion: `Set runtimeGlue.${target} in languages/${adapter.id}/language.ts.`,
        },
      ),
    );
  }
  const esbuild = await import("esbuild");
  const res = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    minify: true,
    write: false,
    logLevel: "silent",
    legalComments: "none",
  });
  const bytes = res.outputFiles[0]!.contents;
  await mkdir(join(staging, dirname(file)), { recursive: true });
  await writeFile(join(staging, file), bytes);
  return { file, sha256: sha256(bytes) };
}

/** A compiler-made glue (CompileResult.glue) into the dist. */
async function copyGlue(from: string, staging: string, file: string): Promise<{ file: string; sha256: string }> {
  const bytes = await readFile(from);
  await mkdir(join(staging, dirname(file)), { recursive: true });
  await writeFile(join(staging, file), bytes);
  return { file, sha256: sha256(bytes) };
}

export { defaultCacheDir } from "./cache-dir.js";

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

async function toolchainVersions(adapter: LanguageAdapter, diagnostics: Diagnostic[]): Promise<string[]> {
  const versions: string[] = [];
  for (const tc of adapter.toolchains) {
    const info = await tc.detect();
    if (!info) {
      diagnostics.push(
        diag(
          "DCM_TOOLCHAIN_MISSING",
          `${adapter.displayName} needs the \`${tc.name}\` toolchain, which is not installed.`,
          {
            suggestion: tc.installHint,
          },
        ),
      );
      continue;
    }
    versions.push(`${tc.name} ${info.version}`);
  }
  return versions;
}

function computeBuildKey(
  analysis: ProjectAnalysis,
  toolchains: Record<string, string[]>,
  policy: SandboxPolicy,
): string {
  const parts = {
    ...(policy.sandbox ? {} : { unsandboxed: true }),
    generator: GENERATOR_VERSION,
    manifest: MANIFEST_VERSION,
    abi: ABI_VERSION,
    cfd: analysis.cfdText ?? JSON.stringify(analysis.cfd?.fragments.map(({ positions: _p, ...f }) => f)),
    languages: analysis.languages.map(({ adapter, result }) => ({
      id: adapter.id,
      inputs: result.inputs,
      toolchains: toolchains[adapter.id],
    })),
  };
  return sha256(JSON.stringify(parts));
}

/** The dist is current when its manifest has our key and every module still hashes to what it says. */
async function distIsCurrent(out: string, buildKey: string): Promise<Manifest | null> {
  const text = await readFile(join(out, "manifest.json"), "utf8").catch(() => null);
  if (!text) return null;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch {
    return null;
  }
  if (manifest.buildKey !== buildKey) return null;
  for (const m of manifest.modules) {
    for (const f of [m, ...(m.glue ? [m.glue] : [])]) {
      const bytes = await readFile(join(out, f.file)).catch(() => null);
      if (!bytes || sha256(bytes) !== f.sha256) return null;
    }
  }
  return manifest;
}

/** `--strict`: the warnings, as the errors that refuse the build. */
function strictErrors(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics
    .filter((d) => d.severity === "warning")
    .map((d) => ({ ...d, severity: "error" as const, message: `${d.message} (a warning, refused by --strict)` }));
}

export async function buildDist(opts: BuildOptions): Promise<BuildReport> {
  const policy = opts.driver
    ? policyFor(opts.driver)
    : opts.sandbox === undefined
      ? sandboxPolicy()
      : { sandbox: opts.sandbox };
  const scoped = opts.onOutput ? { ...policy, onOutput: opts.onOutput } : policy;
  return withSandboxPolicy(scoped, () => build(opts, scoped));
}

async function build(opts: BuildOptions, policy: SandboxPolicy): Promise<BuildReport> {
  const progress = opts.onProgress ?? (() => {});
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = now - t;
    t = now;
    opts.onStage?.(name, "finished", timings[name]);
  };
  const begin = (name: string) => opts.onStage?.(name, "started");

  // Where the dist goes is checked before anything else: a refused --out costs no analysis and touches nothing.
  const out = resolve(opts.out);
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const outCtx = { repo: opts.repo, cfd: opts.cfd, cacheDir };
  await checkOutDir(out, outCtx);

  progress("analyze", opts.repo);
  begin("analysis");
  const analysis = await analyzeProject(opts.repo, opts.cfd, { check: true, cacheDir: opts.cacheDir });
  lap("analysis");
  begin("check");
  const diagnostics = [...analysis.diagnostics];
  if (!analysis.cfd || hasErrors(diagnostics)) throw new DcmError(diagnostics.filter((d) => d.severity === "error"));
  if (opts.strict && diagnostics.some((d) => d.severity === "warning")) throw new DcmError(strictErrors(diagnostics));
  const cfd = analysis.cfd;

  const toolchains: Record<string, string[]> = {};
  for (const { adapter } of analysis.languages) toolchains[adapter.id] = await toolchainVersions(adapter, diagnostics);
  if (hasErrors(diagnostics)) throw new DcmError(diagnostics.filter((d) => d.severity === "error"));
  analysis.cfdText = await readFile(opts.cfd, "utf8");
  const buildKey = computeBuildKey(analysis, toolchains, policy);
  const current = (await hasDistMarker(out)) ? await distIsCurrent(out, buildKey) : null;
  lap("check");
  if (current) {
    return {
      outDir: out,
      manifest: current,
      upToDate: true,
      modulesFromCache: 0,
      modulesCompiled: 0,
      timings,
      diagnostics,
    };
  }

  // No toolchain runs on the repository outside the sandbox: refuse before anything is written.
  // The container driver builds its image here when it is missing (once per machine and toolchain set).
  await assertSandboxReady(policy, (line) => progress("container", line));
  const moduleCache = join(cacheDir, "modules");
  await mkdir(moduleCache, { recursive: true });
  const workRoot = join(cacheDir, "work");
  await mkdir(workRoot, { recursive: true });
  // What builds killed outright (SIGKILL) left behind; makeStaging does the same beside the dist.
  await removeStaleTemps(workRoot, (n) => n.includes(".tmp-"));
  await removeStaleTemps(moduleCache, (n) => n.includes(".tmp-"));
  const staging = await makeStaging(out);
  const workDirs: string[] = [];

  try {
    const fragments: ManifestFragment[] = [];
    const modules: ManifestModule[] = [];
    const types: TypeTable = {};
    let fromCache = 0;
    let compiled = 0;
    const byId = new Map(cfd.fragments.map((f) => [f.id, f]));
    const refusals = new Map<string, string>();
    for (const { result } of analysis.languages) {
      for (const f of result.fragments) {
        const why = notCallableReason(byId.get(f.id)!, f);
        if (why !== undefined) refusals.set(f.id, why);
      }
    }

    // Records first: a clash between languages stops the build before any compiler runs.
    const typeOwner = new Map<string, string>();
    for (const { adapter, result } of analysis.languages) mergeTypes(types, typeOwner, adapter, result.types);
    const statePlan = analysis.state;
    for (const { adapter, result } of analysis.languages) {
      const exportsById: Record<string, string> = {};
      // The state records go only to the languages whose modules hold state accessors.
      const stateGroups = statePlan?.requests.get(adapter.id) ?? [];
      const stateRecords = Object.fromEntries(stateGroups.map((g) => [g.record, statePlan!.records[g.record]!]));
      Object.assign(types, stateRecords);
      const generateAnalysis = stateGroups.length ? { ...result, types: { ...result.types, ...stateRecords } } : result;
      begin(`generate:${adapter.id}`);
      // Entry points plus types and variables; functions that cannot be called stay code the entry points use.
      const entries = result.fragments.filter((f) => !refusals.has(f.id));
      // Generate every target first (cheap), then compile them concurrently: each `go build`
      // links single-threaded for a good part of its time, so two targets share two cores well.
      const jobs = [];
      for (const target of new Set([...adapter.targets.client, ...adapter.targets.server])) {
        const sides = (["client", "server"] as Side[]).filter((s) => adapter.targets[s].includes(target));
        const workDir = trackTemp(await mkdtemp(join(workRoot, tempPrefix(`${adapter.id}-${target}`))));
        workDirs.push(workDir);
        progress("generate", `${adapter.id} ${target}`);
        const project = await adapter.generate(
          {
            repo: analysis.repo,
            analysis: generateAnalysis,
            fragments: entries,
            side: sides[0]!,
            workDir,
            cacheDir,
            ...(stateGroups.length ? { stateGroups } : {}),
          },
          target,
        );
        Object.assign(exportsById, project.exports);
        const missing = stateGroups.flatMap((g) => [g.get, g.set]).filter((a) => project.exports[a.id] !== a.export);
        if (missing.length)
          throw new Error(
            `the ${adapter.id} generator did not export the state accessors ${missing.map((a) => `${a.id} as ${a.export}`).join(", ")} (${target} target): a bug in languages/${adapter.id}`,
          );
        const ext = MODULE_FILES[target].ext;
        // A module built outside the sandbox (--no-sandbox) saw the host: a sandboxed build never reuses it.
        // The bubblewrap sandbox and the container isolate alike (no network, no host files): they share modules.
        const trust = policy.sandbox ? "" : "-unsandboxed";
        const cached = join(moduleCache, `${adapter.id}-${target}-${project.contentKey}${trust}.${ext}`);
        jobs.push({ target, sides, workDir, project, ext, cached });
      }
      lap(`generate:${adapter.id}`);
      // A cache entry is whole only with the record of what built it (older entries are rebuilt).
      const pending = jobs.filter((j) => !existsSync(j.cached) || !existsSync(`${j.cached}.toolchain`));
      fromCache += jobs.length - pending.length;
      if (pending.length) begin(`compile:${adapter.id}`);
      if (pending.length)
        progress(
          "compile",
          `${adapter.id} ${pending.map((j) => j.target).join(" + ")} (${result.fragments.length} fragments)`,
        );
      const outcomes = await Promise.all(
        pending.map(async (j) => {
          const tmp = trackTemp(`${j.cached}.tmp-${process.pid}`);
          // The sandbox's refusals (a limit hit) end this module's compile, not its sibling's mid-way.
          const res = await adapter.compile(j.project, j.target, tmp).catch((e: unknown): CompileResult => {
            if (e instanceof DcmError)
              return { diagnostics: e.diagnostics, toolchain: "", file: tmp, target: j.target };
            throw e;
          });
          if (hasErrors(res.diagnostics)) {
            await rm(tmp, { force: true });
            untrackTemp(tmp);
            return res.diagnostics.filter((d) => d.severity === "error");
          }
          await rename(tmp, j.cached);
          untrackTemp(tmp);
          // Warnings of a compile (e.g. a fallback the toolchain took) travel with the module, so a cached build repeats them.
          const warnings = res.diagnostics.filter((d) => d.severity !== "error");
          if (warnings.length) await writeFile(`${j.cached}.warnings.json`, JSON.stringify(warnings));
          else await rm(`${j.cached}.warnings.json`, { force: true });
          // What built it (exactly, e.g. whether Rust went through wasm-bindgen) and a
          // per-build glue travel with the module, in the cache too.
          await writeFile(`${j.cached}.toolchain`, res.toolchain);
          if (res.glue) await copyFile(res.glue, `${j.cached}.glue.js`);
          else await rm(`${j.cached}.glue.js`, { force: true });
          return [];
        }),
      );
      await Promise.all(
        jobs.map((j) => rm(j.workDir, { recursive: true, force: true }).then(() => untrackTemp(j.workDir))),
      );
      const compileErrors = absolutePaths(outcomes.flat(), analysis.repo);
      if (compileErrors.length) throw new DcmError(compileErrors);
      compiled += pending.length;
      if (pending.length) lap(`compile:${adapter.id}`);
      for (const j of jobs) {
        const warned = await readFile(`${j.cached}.warnings.json`, "utf8").catch(() => null);
        if (warned) diagnostics.push(...(JSON.parse(warned) as Diagnostic[]));
        const dir = MODULE_FILES[j.target].dir;
        const file = `${dir}/${adapter.id}.${j.ext}`;
        await mkdir(join(staging, dir), { recursive: true });
        await copyFile(j.cached, join(staging, file));
        const bytes = await readFile(join(staging, file));
        modules.push({
          language: adapter.id,
          target: j.target,
          sides: j.sides,
          file,
          sha256: sha256(bytes),
          size: bytes.length,
          abiVersion: ABI_VERSION,
          toolchain: await readFile(`${j.cached}.toolchain`, "utf8"),
          // Held: the callable ones and those that answer DCM_NOT_CALLABLE with their reason.
          fragments: result.fragments.filter((f) => f.signature || refusals.has(f.id)).map((f) => f.id),
          ...(existsSync(`${j.cached}.glue.js`)
            ? { glue: await copyGlue(`${j.cached}.glue.js`, staging, `${dir}/${adapter.id}-glue.mjs`) }
            : j.target !== "wasm" && j.target !== "native"
              ? { glue: await bundleGlue(adapter, j.target, staging, `${dir}/${adapter.id}-glue.mjs`) }
              : {}),
        });
      }
      for (const f of result.fragments) {
        const spec = byId.get(f.id)!;
        const mf: ManifestFragment = {
          id: f.id,
          language: adapter.id,
          kind: f.kind,
          symbol: f.symbol,
          source: { file: f.file, line: f.line },
          ...(spec.runOn ? { runOn: spec.runOn } : {}),
          flags: {
            idempotent: spec.idempotent ?? false,
            stateful: spec.stateful ?? statePlan?.stateful.has(f.id) ?? false,
          },
          deps: f.deps,
        };
        const refusal = refusals.get(f.id);
        if (refusal !== undefined) mf.notCallable = refusal;
        else if (f.signature) {
          mf.signature = f.signature;
          mf.abi = f.abi ?? "buffer";
          const exp = exportsById[f.id];
          if (exp) mf.export = exp;
        }
        fragments.push(mf);
      }
    }

    // Manifest order follows the CFD so that diffs and stubs are stable.
    const order = new Map(cfd.fragments.map((f, i) => [f.id, i]));
    begin("package");
    fragments.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    modules.sort((a, b) => a.file.localeCompare(b.file));
    const manifest: Manifest = {
      manifestVersion: MANIFEST_VERSION,
      buildKey,
      createdBy: `dcm ${GENERATOR_VERSION}`,
      fragments,
      modules,
      types: Object.fromEntries(Object.entries(types).sort(([a], [b]) => a.localeCompare(b))),
      ...(statePlan?.groups.length ? { groups: statePlan.groups } : {}),
    };
    await writeFile(join(staging, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    const stubs = emitStubs(manifest);
    await writeFile(join(staging, "fragments.js"), stubs.js);
    await writeFile(join(staging, "fragments.d.ts"), stubs.dts);
    lap("package");

    // Swap the finished dist in (out-dir.ts); a failure above leaves the old one untouched.
    begin("swap");
    await swapIn(staging, out, outCtx);
    lap("swap");
    return {
      outDir: out,
      manifest,
      upToDate: false,
      modulesFromCache: fromCache,
      modulesCompiled: compiled,
      timings,
      diagnostics,
    };
  } catch (e) {
    await discardStaging(staging);
    await Promise.all(
      workDirs.map((w) =>
        rm(w, { recursive: true, force: true }).then(
          () => untrackTemp(w),
          () => {},
        ),
      ),
    );
    // A file-system error (ENOSPC, EACCES, …) is a diagnostic, not a stack trace.
    throw e instanceof DcmError || !(e as NodeJS.ErrnoException).syscall ? e : outputError(out, e);
  }
}
