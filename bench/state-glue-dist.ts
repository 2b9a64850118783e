/**
 * A dist whose one module is a hand-written glue module (JavaScript) with
 * the fixture contract's fragments (counter, log, blob, pure-double) and
 * their state accessors: it exercises the runtimes' State Managers without
 * any language toolchain. The registry-driven tests build the languages'
 * real `fixtures/state` as well; this one is for the runtime mechanics
 * (failure paths, properties) at a speed that allows many runs.
 *
 * The glue keeps its state per loaded instance, as a module's globals are.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Manifest, ManifestFragment, ManifestGroup, ManifestStatePart } from "../runtime/abi/manifest-types.js";
import type { Signature, VType } from "../runtime/abi/value-types.js";

const GLUE = `
export default {
  async load(req) {
    let counter = 0n;
    let log = [];
    let blob = new Uint8Array(0);
    const fns = {
      counter_add: (n) => { counter = BigInt.asIntN(64, counter + n); return counter; },
      counter_get: () => counter,
      log_append: (s) => { log.push(s); return log.length; },
      log_join: () => log.join(","),
      blob_put: (b) => { const x = new Uint8Array(blob.length + b.length); x.set(blob); x.set(b, blob.length); blob = x; return blob.length; },
      blob_size: () => blob.length,
      pure_double: (x) => 2 * x,
      state_get_0: () => ({ counter }),
      state_set_0: (r) => { counter = r.counter; return null; },
      state_get_1: () => ({ log: log.slice() }),
      state_set_1: (r) => { log = r.log.slice(); return null; },
      state_get_2: () => ({ blob: blob.slice() }),
      state_set_2: (r) => { blob = r.blob.slice(); return null; },
    };
    const byId = new Map(req.fragments.map((f) => [f.id, fns[f.export]]));
    return {
      call(id, args) {
        const f = byId.get(id);
        if (!f) throw Object.assign(new Error("no fragment " + id), { code: "DCM_UNKNOWN_FRAGMENT" });
        return f(...args);
      },
      close() {},
    };
  },
};
`;

const i64: VType = { kind: "int", bits: 64, signed: true };
const i32: VType = { kind: "int", bits: 32, signed: true };
const str: VType = { kind: "string" };
const bytes: VType = { kind: "bytes" };
const sig = (params: VType[], result?: VType): Signature => ({
  params: params.map((type, i) => ({ name: `p${i}`, type })),
  results: result ? [result] : [],
  error: false,
});

const ENTRY: Array<[string, string, VType[], VType, "client" | "server"]> = [
  ["counter-add", "counter_add", [i64], i64, "server"],
  ["counter-get", "counter_get", [], i64, "client"],
  ["log-append", "log_append", [str], i32, "server"],
  ["log-join", "log_join", [], str, "client"],
  ["blob-put", "blob_put", [bytes], i32, "server"],
  ["blob-size", "blob_size", [], i32, "client"],
  ["pure-double", "pure_double", [i32], i32, "client"],
];

export const GLUE_GROUPS: Array<{ id: string; members: string[]; field: string; type: VType }> = [
  { id: "group-counter-add", members: ["counter-add", "counter-get"], field: "counter", type: i64 },
  { id: "group-log-append", members: ["log-append", "log-join"], field: "log", type: { kind: "list", elem: str } },
  { id: "group-blob-put", members: ["blob-put", "blob-size"], field: "blob", type: bytes },
];

export interface GlueDist {
  dist: string;
  manifest: Manifest;
  cleanup(): Promise<void>;
}

/** Writes the dist into a temp folder. `runOn` overrides the fixture's initial sides. */
export async function writeGlueDist(runOn: Record<string, "client" | "server"> = {}): Promise<GlueDist> {
  const dir = await mkdtemp(join(tmpdir(), "dcm-state-glue-"));
  const dist = join(dir, "dist");
  await mkdir(join(dist, "modules"), { recursive: true });
  const sha = (t: string) => createHash("sha256").update(t).digest("hex");
  const moduleText = "// the glue holds the code\n";
  await writeFile(join(dist, "modules/state.js"), moduleText);
  await writeFile(join(dist, "modules/state-glue.mjs"), GLUE);
  const fragments: ManifestFragment[] = ENTRY.map(([id, exp, params, result, side]) => ({
    id,
    language: "gluetest",
    kind: "function",
    symbol: exp,
    source: { file: "state.js", line: 1 },
    runOn: runOn[id] ?? side,
    signature: sig(params, result),
    abi: "buffer",
    export: exp,
    flags: { idempotent: false, stateful: id !== "pure-double" },
    deps: { fragments: [], libs: [], globalVars: [], typeDefs: [] },
  }));
  const types: Manifest["types"] = {};
  const groups: ManifestGroup[] = GLUE_GROUPS.map((g, n) => {
    const record = `DcmState${n}`;
    types[record] = { name: record, origin: `gluetest.${record}`, fields: [{ name: g.field, jsonName: g.field, type: g.type }] };
    const rec: VType = { kind: "record", name: record };
    const part: ManifestStatePart = {
      language: "gluetest",
      record,
      get: { id: `$state.${g.id}.get`, export: `state_get_${n}`, signature: sig([], rec), abi: "buffer" },
      set: { id: `$state.${g.id}.set`, export: `state_set_${n}`, signature: sig([rec]), abi: "buffer" },
      vars: [{ name: g.field, unit: "state.js", field: g.field, source: { file: "state.js", line: 1 } }],
    };
    return { id: g.id, fragments: g.members, reasons: ["state"], state: [part], stateVersion: sha(`${g.id}:${JSON.stringify(g.type)}`) };
  });
  const manifest: Manifest = {
    manifestVersion: 1,
    buildKey: sha(GLUE),
    createdBy: "bench/state-glue-dist.ts",
    fragments,
    modules: [
      {
        language: "gluetest",
        target: "js",
        sides: ["client", "server"],
        file: "modules/state.js",
        sha256: sha(moduleText),
        size: moduleText.length,
        abiVersion: 1,
        toolchain: "hand-written glue",
        fragments: fragments.map((f) => f.id),
        glue: { file: "modules/state-glue.mjs", sha256: sha(GLUE) },
      },
    ],
    types,
    groups,
  };
  await writeFile(join(dist, "manifest.json"), JSON.stringify(manifest, null, 2));
  return { dist, manifest, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
