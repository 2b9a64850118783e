/**
 * Builds a Rust state fixture's client (wasm32, plain extern "C") and server
 * (native cdylib) modules straight through the adapter's generate and
 * compile steps, with state accessors requested the way core does
 * (docs/state.md: fragments sharing a key form one group, record
 * `DcmState<N>`, ids `$state.<group>.get|set`, exports `dcm_state_get|set_<N>`),
 * and loads them with the runtime's own loaders. `dcm build` of the same
 * fixtures is covered once core's groups are in (rust-state.spec.ts).
 */
import { mkdirSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { analyzeRust } from "../../../languages/rust/analysis/analyze-rust.js";
import type { RustTarget } from "../../../languages/rust/generate/build-spec.js";
import { generateRust } from "../../../languages/rust/generate/generate-rust.js";
import { compileRust } from "../../../languages/rust/toolchain/compile-rust.js";
import { rustToolchain } from "../../../languages/rust/toolchain/rust-toolchain.js";
import { loadWasmInstance } from "../../../runtime/abi/dcm-wasm-instance.js";
import type { JsValue } from "../../../runtime/abi/js-values.js";
import type { ManifestFragment, ManifestModule } from "../../../runtime/abi/manifest-types.js";
import type { ModuleLoader } from "../../../runtime/abi/module-types.js";
import type { BindgenTools } from "../../../languages/rust/toolchain/wasm-bindgen-tools.js";
import { startNativeHost } from "../../../runtime/native/native-host.js";
import type { AnalysisResult, AnalyzeFragment, StateAccessorRequest } from "../../../src/languages/adapter-types.js";

export interface StateModules {
  analysis: AnalysisResult;
  groups: StateAccessorRequest[];
  /** Calls on the client module (wasm32) and on the server plugin (native), by fragment or accessor id. */
  wasm: (id: string, args: JsValue[]) => Promise<JsValue>;
  native: (id: string, args: JsValue[]) => Promise<JsValue>;
  close(): Promise<void>;
}

/** Core's grouping, reduced to what a language test needs: fragments sharing a state key form one group. */
export function stateGroupsOf(analysis: AnalysisResult): StateAccessorRequest[] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    const p = parent.get(x) ?? x;
    if (p === x) return x;
    const r = find(p);
    parent.set(x, r);
    return r;
  };
  const byKey = new Map<string, string>();
  for (const f of analysis.fragments) {
    for (const k of f.state ?? []) {
      const other = byKey.get(k);
      if (other) parent.set(find(f.id), find(other));
      else byKey.set(k, f.id);
      parent.set(f.id, find(f.id));
    }
  }
  const members = new Map<string, string[]>();
  for (const f of analysis.fragments) if (f.state?.length) members.set(find(f.id), [...(members.get(find(f.id)) ?? []), f.id]);
  const groups = [...members.values()].map((ids) => ids.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  return groups.map((ids, i) => {
    const n = i + 1;
    const keys = new Set(analysis.fragments.filter((f) => ids.includes(f.id)).flatMap((f) => f.state ?? []));
    const vars = (analysis.stateVars ?? []).filter((v) => keys.has(v.key));
    const record = `DcmState${n}`;
    analysis.types[record] = { name: record, fields: vars.map((v) => ({ name: v.name, jsonName: v.name, type: v.type! })) };
    const type = { kind: "record" as const, name: record };
    const group = `group-${ids[0]}`;
    return {
      group,
      record,
      vars,
      get: { id: `$state.${group}.get`, export: `dcm_state_get_${n}`, signature: { params: [], results: [type], error: false }, abi: "buffer" as const },
      set: {
        id: `$state.${group}.set`,
        export: `dcm_state_set_${n}`,
        signature: { params: [{ name: "state", type }], results: [], error: false },
        abi: "buffer" as const,
      },
    };
  });
}

function manifestFragments(analysis: AnalysisResult, groups: StateAccessorRequest[], exports: Record<string, string>): ManifestFragment[] {
  const base = { language: "rust", flags: { idempotent: false, stateful: true }, deps: { fragments: [], libs: [], globalVars: [], typeDefs: [] } };
  const out: ManifestFragment[] = analysis.fragments
    .filter((f) => f.signature && f.abi)
    .map((f) => ({ ...base, id: f.id, kind: f.kind, symbol: f.symbol, source: { file: f.file, line: f.line }, runOn: "client", signature: f.signature!, abi: f.abi!, export: exports[f.id]! }));
  for (const g of groups)
    for (const a of [g.get, g.set])
      out.push({ ...base, id: a.id, kind: "function", symbol: a.id, source: { file: "", line: 0 }, signature: a.signature, abi: a.abi, export: exports[a.id]! });
  return out;
}

export interface BuildOptions {
  /** dcm's cache folder for cargo (default: a stable one in the OS temp folder, so that reruns are warm). */
  cacheDir?: string;
  /** Build the client module through wasm-bindgen (dcm build's default) and load it through its glue. */
  bindgen?: BindgenTools;
}

export async function buildStateModules(repo: string, fragments: AnalyzeFragment[], scratch: string, opts: BuildOptions = {}): Promise<StateModules> {
  const cacheDir = opts.cacheDir ?? join(tmpdir(), "dcm-rust-state-cache");
  const analysis = await analyzeRust({ repo, fragments });
  if (analysis.diagnostics.length) throw new Error(JSON.stringify(analysis.diagnostics));
  const groups = stateGroupsOf(analysis);
  mkdirSync(cacheDir, { recursive: true });
  const built: Partial<Record<RustTarget, { file: string; glue?: string; fragments: ManifestFragment[] }>> = {};
  for (const target of ["native", "wasm"] as const) {
    const project = await generateRust(
      { repo, analysis, fragments: analysis.fragments, side: target === "wasm" ? "client" : "server", stateGroups: groups, workDir: join(scratch, target), cacheDir },
      target,
      { driver: rustToolchain, bindgen: target === "wasm" ? (opts.bindgen ?? null) : null },
    );
    const file = join(scratch, target === "wasm" ? "rust.wasm" : "rust.so");
    const res = await compileRust(project, target, file, { cacheDir });
    if (res.diagnostics.length) throw new Error(JSON.stringify(res.diagnostics, null, 1));
    built[target] = { file, ...(res.glue ? { glue: res.glue } : {}), fragments: manifestFragments(analysis, groups, project.exports) };
  }
  const module = async (target: RustTarget, file: string, frags: ManifestFragment[]): Promise<ManifestModule> => ({
    language: "rust",
    target,
    sides: target === "wasm" ? ["client", "server"] : ["server"],
    file,
    sha256: "",
    size: (await stat(file)).size,
    abiVersion: 1,
    toolchain: "rustc",
    fragments: frags.map((f) => f.id),
  });
  const w = built.wasm!;
  const n = built.native!;
  const wasmReq = { module: await module("wasm", w.file, w.fragments), bytes: new Uint8Array(await readFile(w.file)), fragments: w.fragments, types: analysis.types };
  const wasm = w.glue ? await ((await import(pathToFileURL(w.glue).href)).default as ModuleLoader).load(wasmReq) : await loadWasmInstance(wasmReq);
  const native = await startNativeHost({
    module: await module("native", n.file, n.fragments),
    path: n.file,
    fragments: n.fragments,
    types: analysis.types,
    isolation: { isolation: "thread" },
  });
  return {
    analysis,
    groups,
    wasm: async (id, args) => wasm.call(id, args),
    native: (id, args) => native.call(id, args),
    close: async () => {
      wasm.close();
      await native.close();
    },
  };
}
