/**
 * AssemblyScript module state (issue 12, languages/assemblyscript/README.md
 * "State"): the analysis finds exactly the state of fixtures/state and
 * fixtures/state-records, refuses fixtures/state-refused at the variable, and
 * the generated `get`/`set` accessors of a real asc build carry a group's
 * state from one instance of the module to another (as a move from one side
 * to the other does: AssemblyScript runs the same wasm on both), and a real
 * `dcm build` of fixtures/state gives the three groups whose state moves
 * from the server's instance to the client's.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { analyzeAs } from "../../languages/assemblyscript/analysis/analyze-as.js";
import { generateAs } from "../../languages/assemblyscript/generate/generate-as.js";
import { compileAs } from "../../languages/assemblyscript/toolchain/compile-as.js";
import { loadWasmInstance } from "../../runtime/abi/dcm-wasm-instance.js";
import type { JsValue } from "../../runtime/abi/js-values.js";
import type { Manifest, ManifestFragment } from "../../runtime/abi/manifest-types.js";
import type { AnalysisResult, StateAccessorRequest } from "../../src/languages/adapter-types.js";
import type { FragmentInstance } from "../../runtime/abi/module-types.js";
import { runCli } from "../support/run-cli.js";

const FIX = fileURLToPath(new URL("../../languages/assemblyscript/fixtures/", import.meta.url));
const GOLDEN = fileURLToPath(new URL("../golden/assemblyscript/state/", import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === "1";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function frag(id: string, name: string, file: string) {
  return {
    id,
    name,
    runOn: "server" as const,
    location: { filepath: file },
    positions: { fragment: { file: "dcm.yaml", line: 1, col: 1 } },
    file,
  };
}

const STATE_FRAGMENTS = [
  frag("counter-add", "counterAdd", "assembly/counter.ts"),
  frag("counter-get", "counterGet", "assembly/counter.ts"),
  frag("log-append", "logAppend", "assembly/log.ts"),
  frag("log-join", "logJoin", "assembly/log.ts"),
  frag("blob-put", "blobPut", "assembly/blob.ts"),
  frag("blob-size", "blobSize", "assembly/blob.ts"),
  frag("pure-double", "pureDouble", "assembly/index.ts"),
];
const S = "assembly/store.ts";
const RECORD_FRAGMENTS = [
  frag("visit", "visit", S),
  frag("score", "score", S),
  frag("mark", "mark", S),
  frag("rename", "rename", S),
  frag("set-slot", "setSlot", S),
  frag("scale", "scale", S),
  frag("summary", "summary", "assembly/index.ts"),
  frag("label", "label", "assembly/index.ts"),
];

/**
 * What core does with an analysis (src/build: groups, records, accessor
 * requests), by hand: fragments sharing a key form a group; one record per
 * group with a field per var.
 */
function stateGroups(analysis: AnalysisResult): StateAccessorRequest[] {
  const groupOf = new Map<string, Set<string>>();
  for (const f of analysis.fragments) {
    const keys = new Set(f.state ?? []);
    if (keys.size === 0) continue;
    const merged = new Set(keys);
    for (const [k, g] of [...groupOf]) if ([...g].some((x) => keys.has(x))) for (const x of g) merged.add(x), groupOf.delete(k);
    groupOf.set([...merged].sort()[0]!, merged);
  }
  return [...groupOf.values()].map((keys, i) => {
    const n = i + 1;
    const record = `DcmState${n}`;
    const vars = analysis.stateVars!.filter((v) => keys.has(v.key));
    const names = vars.map((v, j) => (vars.findIndex((w) => w.name === v.name) === j ? v.name : `${v.name}_${j}`));
    analysis.types[record] = {
      name: record,
      origin: `state group ${n}`,
      fields: vars.map((v, j) => ({ name: names[j]!, jsonName: names[j]!, type: v.type! })),
    };
    const group = `group-${n}`;
    return {
      group,
      record,
      vars,
      get: { id: `$state.${group}.get`, export: `dcm_state_get_${n}`, abi: "buffer" as const, signature: { params: [], results: [{ kind: "record" as const, name: record }], error: false } },
      set: { id: `$state.${group}.set`, export: `dcm_state_set_${n}`, abi: "buffer" as const, signature: { params: [{ name: "state", type: { kind: "record" as const, name: record } }], results: [], error: false } },
    };
  });
}

/** Builds the repo's module with its state accessors and returns a loader of fresh instances (one per "side"). */
async function buildModule(repo: string, fragments: ReturnType<typeof frag>[]) {
  const analysis = await analyzeAs({ repo, fragments });
  expect(analysis.diagnostics).toEqual([]);
  const groups = stateGroups(analysis);
  const workDir = mkdtempSync(join(tmpdir(), "dcm-as-state-"));
  dirs.push(workDir);
  const project = await generateAs(
    { repo, analysis, fragments: analysis.fragments, side: "server", workDir, stateGroups: groups },
    { ascVersion: "asc test" },
  );
  const out = join(workDir, "m.wasm");
  const res = await compileAs(project, out);
  expect(res.diagnostics).toEqual([]);
  const bytes = readFileSync(out);
  const manifestFragments: ManifestFragment[] = analysis.fragments.map((f) => ({
    id: f.id,
    language: f.language,
    kind: f.kind,
    symbol: f.symbol,
    source: { file: f.file, line: f.line },
    runOn: "server",
    signature: f.signature!,
    abi: f.abi!,
    export: project.exports[f.id]!,
    flags: { idempotent: false, stateful: (f.state ?? []).length > 0 },
    deps: f.deps,
  }));
  for (const g of groups) {
    for (const a of [g.get, g.set]) {
      manifestFragments.push({
        id: a.id,
        language: "assemblyscript",
        kind: "function",
        symbol: a.id,
        source: { file: g.vars[0]!.unit, line: g.vars[0]!.pos.line },
        signature: a.signature,
        abi: a.abi,
        export: project.exports[a.id]!,
        flags: { idempotent: false, stateful: true },
        deps: { fragments: [], libs: [], globalVars: [], typeDefs: [] },
      });
    }
  }
  const load = (): Promise<FragmentInstance> =>
    loadWasmInstance({
      module: { language: "assemblyscript", target: "wasm", sides: ["client", "server"], file: "m.wasm", sha256: "", size: bytes.length, abiVersion: 1, toolchain: res.toolchain, fragments: [] } as never,
      bytes,
      fragments: manifestFragments,
      types: analysis.types,
    });
  return { analysis, groups, project, load };
}

describe("analysis of module state", () => {
  test("fixtures/state: three vars, three groups, the pure fragment in none", async () => {
    const r = await analyzeAs({ repo: `${FIX}state`, fragments: STATE_FRAGMENTS });
    expect(r.diagnostics).toEqual([]);
    const state = Object.fromEntries(r.fragments.map((f) => [f.id, f.state ?? []]));
    expect(state).toEqual({
      "counter-add": ["assembly/counter.ts.total"],
      "counter-get": ["assembly/counter.ts.total"],
      "log-append": ["assembly/log.ts.entries"],
      "log-join": ["assembly/log.ts.entries"],
      "blob-put": ["assembly/blob.ts.buffer"],
      "blob-size": ["assembly/blob.ts.buffer"],
      "pure-double": [],
    });
    expect(r.stateVars!.map((v) => ({ key: v.key, name: v.name, unit: v.unit, pos: v.pos, type: v.type }))).toEqual([
      { key: "assembly/blob.ts.buffer", name: "buffer", unit: "assembly/blob.ts", pos: { file: "assembly/blob.ts", line: 2, col: 5 }, type: { kind: "bytes" } },
      { key: "assembly/counter.ts.total", name: "total", unit: "assembly/counter.ts", pos: { file: "assembly/counter.ts", line: 2, col: 5 }, type: { kind: "int", bits: 64, signed: true } },
      { key: "assembly/log.ts.entries", name: "entries", unit: "assembly/log.ts", pos: { file: "assembly/log.ts", line: 3, col: 7 }, type: { kind: "list", elem: { kind: "string" } } },
    ]);
    // Only read: SEPARATOR (log.ts) and FACTOR (index.ts) are not state.
    expect(r.stateVars!.some((v) => v.name === "SEPARATOR" || v.name === "FACTOR")).toBe(false);
  });

  test("fixtures/state-records: every kind of container, typed from annotations and initialisers; a read-only function value is not state", async () => {
    const r = await analyzeAs({ repo: `${FIX}state-records`, fragments: RECORD_FRAGMENTS });
    expect(r.diagnostics).toEqual([]);
    const byName = Object.fromEntries(r.stateVars!.map((v) => [v.name, v.type]));
    expect(byName).toEqual({
      current: { kind: "optional", inner: { kind: "record", name: "Profile" } },
      ratio: { kind: "float", bits: 64 },
      scores: { kind: "map", key: { kind: "string" }, value: { kind: "int", bits: 64, signed: true } },
      seen: { kind: "list", elem: { kind: "int", bits: 32, signed: false } },
      settings: { kind: "record", name: "Profile" },
      slots: { kind: "list", elem: { kind: "int", bits: 32, signed: true } },
    });
    expect(r.types.Profile?.fields.map((f) => f.name)).toEqual(["name", "visits", "tags"]);
    const state = Object.fromEntries(r.fragments.map((f) => [f.id, f.state ?? []]));
    // summary reaches every var through a namespace import (store.describeAll); label only reads `formatter`.
    expect(state.summary).toHaveLength(6);
    expect(state.label).toEqual([]);
    expect(state.visit).toEqual(["assembly/store.ts.current"]);
  });

  test("fixtures/state-refused: the function-typed variable cannot be encoded, at its declaration", async () => {
    const r = await analyzeAs({ repo: `${FIX}state-refused`, fragments: [frag("pick-mode", "pickMode", "assembly/index.ts")] });
    expect(r.diagnostics).toEqual([]);
    expect(r.fragments[0]!.state).toEqual(["assembly/index.ts.step"]);
    const v = r.stateVars![0]!;
    expect(v.type).toBeUndefined();
    expect(v.pos).toEqual({ file: "assembly/index.ts", line: 10, col: 5 });
    // The construct itself: the type annotation.
    expect(v.cannotEncode?.pos).toEqual({ file: "assembly/index.ts", line: 10, col: 11 });
    expect(v.cannotEncode?.what).toMatch(/function type `\(x: i32\) => i32`/);
    expect(v.cannotEncode?.suggestion).toMatch(/pick the function from it/);
  });

  test("what cannot be snapshotted is refused at the variable, with the reason; a usize counter is fine", async () => {
    const repo = mkdtempSync(join(tmpdir(), "dcm-as-state-repo-"));
    dirs.push(repo);
    mkdirSync(join(repo, "assembly"));
    writeFileSync(
      join(repo, "assembly/index.ts"),
      [
        "export class Handler {",
        "  name: string = \"\";",
        "  run: (x: i32) => i32 = (x: i32): i32 => x;",
        "}",
        "export class Box {",
        "  n: i32 = 0;",
        "}",
        "let cursor: usize = heap.alloc(16);",
        "let count: usize = 0;",
        "let handler = new Handler();",
        "const maybe: Box | null = new Box();",
        "let untyped = [1, 2];",
        "export function f(): i32 {",
        "  store<u8>(cursor, 1);",
        "  cursor += 1;",
        "  count++;",
        "  handler.name = \"x\";",
        "  maybe!.n = 3;",
        "  untyped.push(3);",
        "  return 0;",
        "}",
        "",
      ].join("\n"),
    );
    const r = await analyzeAs({ repo, fragments: [frag("f", "f", "assembly/index.ts")] });
    expect(r.diagnostics).toEqual([]);
    const by = Object.fromEntries(r.stateVars!.map((v) => [v.name, v]));
    expect(Object.keys(by).sort()).toEqual(["count", "cursor", "handler", "maybe", "untyped"]);
    expect(by.count!.type).toEqual({ kind: "int", bits: 32, signed: false });
    expect(by.cursor!.cannotEncode).toMatchObject({ what: expect.stringMatching(/raw pointer/), pos: { line: 8, col: 5 } });
    // A class with a function field: pointed at the field's type.
    expect(by.handler!.pos).toMatchObject({ line: 10, col: 5 });
    expect(by.handler!.cannotEncode).toMatchObject({ what: expect.stringMatching(/function type/), pos: { line: 3, col: 8 } });
    expect(by.maybe!.cannotEncode).toMatchObject({ suggestion: "declare it with `let`", pos: { line: 11, col: 7 } });
    expect(by.untyped!.cannotEncode).toMatchObject({ suggestion: expect.stringMatching(/annotate it: `let untyped: <type>/), pos: { line: 12, col: 5 } });
    for (const v of r.stateVars!) expect(v.type === undefined).toBe(v.cannotEncode !== undefined);
  });

  test("the existing app fixture keeps building: its read-only vars are not state, its counter is", async () => {
    const r = await analyzeAs({
      repo: `${FIX}app`,
      fragments: [frag("scaled", "scaled", "assembly/index.ts"), frag("add", "add", "assembly/index.ts")],
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.stateVars!.map((v) => [v.key, v.type])).toEqual([["assembly/index.ts.counter", { kind: "int", bits: 32, signed: true }]]);
    expect(r.fragments.find((f) => f.id === "add")!.state).toBeUndefined();
  });
});

describe("accessors of a real asc build move state between two instances", () => {
  let m: Awaited<ReturnType<typeof buildModule>>;
  beforeAll(async () => {
    m = await buildModule(`${FIX}state`, STATE_FRAGMENTS);
  }, 180_000);

  const groupOf = (id: string) => {
    const key = m.analysis.fragments.find((f) => f.id === id)!.state![0]!;
    return m.groups.find((g) => g.vars.some((v) => v.key === key))!;
  };

  test("generated entry and accessor helpers match test/golden/assemblyscript/state (UPDATE_GOLDEN=1 rewrites)", () => {
    const generated = m.project.files.filter((f) => f.path.endsWith("entry.ts") || f.contents.includes("dcm state accessors"));
    expect(generated.map((f) => f.path)).toEqual([
      "as-wasm/entry.ts",
      "as-wasm/src/assembly/blob.ts",
      "as-wasm/src/assembly/counter.ts",
      "as-wasm/src/assembly/log.ts",
    ]);
    for (const f of generated) {
      const golden = join(GOLDEN, `${f.path}.golden`);
      if (UPDATE) {
        mkdirSync(dirname(golden), { recursive: true });
        writeFileSync(golden, f.contents);
        continue;
      }
      expect(existsSync(golden), `missing golden ${golden} (run with UPDATE_GOLDEN=1)`).toBe(true);
      expect(f.contents, f.path).toBe(readFileSync(golden, "utf8"));
    }
    // The user's lines are untouched: the helpers come after them.
    const counter = m.project.files.find((f) => f.path.endsWith("counter.ts"))!.contents;
    expect(counter.startsWith(readFileSync(`${FIX}state/assembly/counter.ts`, "utf8"))).toBe(true);
  });

  test("the content key changes with the groups", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "dcm-as-state-"));
    dirs.push(workDir);
    const without = await generateAs(
      { repo: `${FIX}state`, analysis: m.analysis, fragments: m.analysis.fragments, side: "server", workDir },
      { ascVersion: "asc test" },
    );
    expect(without.contentKey).not.toBe(m.project.contentKey);
    expect(Object.keys(without.exports).some((k) => k.startsWith("$state."))).toBe(false);
  });

  test("exports get and set per group under the request's names", () => {
    expect(m.groups).toHaveLength(3);
    for (const g of m.groups) {
      expect(m.project.exports[g.get.id]).toBe(g.get.export);
      expect(m.project.exports[g.set.id]).toBe(g.set.export);
    }
  });

  test("counter, log and blob: snapshot on one instance, restore on a fresh one, same answers", async () => {
    const a = await m.load();
    const b = await m.load();
    for (const n of [5n, -2n, 9007199254740993n]) a.call("counter-add", [n]);
    for (const s of ["ä€𝄞", "plain", ""]) a.call("log-append", [s]);
    a.call("blob-put", [new Uint8Array([0xff, 0x00, 0x80])]);
    a.call("blob-put", [new Uint8Array([0xff])]);
    const total = a.call("counter-get", []);
    expect(total).toBe(9007199254740996n);
    // Before the transfer the other instance starts over: the comparison below can fail.
    expect(b.call("counter-get", [])).toBe(0n);
    expect(b.call("log-join", [])).toBe("");

    for (const id of ["counter-add", "log-append", "blob-put"]) {
      const g = groupOf(id);
      const snap = a.call(g.get.id, []);
      expect(b.call(g.set.id, [snap])).toBeNull();
      expect(b.call(g.get.id, [])).toEqual(snap);
    }
    expect(b.call("counter-get", [])).toBe(total);
    expect(b.call("log-join", [])).toBe(a.call("log-join", []));
    expect(b.call("log-join", [])).toBe("ä€𝄞,plain,");
    expect(b.call("blob-size", [])).toBe(4);
    expect(b.call(groupOf("blob-put").get.id, [])).toEqual({ buffer: new Uint8Array([0xff, 0x00, 0x80, 0xff]) });
    // The restored state goes on from there on the new side, and the old one is unaffected by it.
    expect(b.call("counter-add", [1n])).toBe(total + 1n);
    expect(b.call("log-append", ["x"])).toBe(4);
    expect(a.call("counter-get", [])).toBe(total);
    expect(b.call("pure-double", [21])).toBe(42);
    a.close();
    b.close();
  });

  test("set replaces the state as a whole (a const array is emptied, not appended to)", async () => {
    const a = await m.load();
    for (const s of ["a", "b", "c"]) a.call("log-append", [s]);
    a.call(groupOf("log-append").set.id, [{ entries: ["z"] }]);
    expect(a.call("log-join", [])).toBe("z");
    expect(a.call("log-append", ["y"])).toBe(2);
    a.close();
  });
});

describe("closure through re-exports and module function values; two vars of one name", () => {
  test("both `hits` variables are found, grouped, and carried over", async () => {
    const repo = mkdtempSync(join(tmpdir(), "dcm-as-state-repo-"));
    dirs.push(repo);
    const files: Record<string, string> = {
      "assembly/a.ts": "let hits: i32 = 0;\nexport const tick = (): i32 => {\n  hits++;\n  return hits;\n};\n",
      "assembly/b.ts": "let hits: i32 = 100;\nexport function more(): i32 {\n  hits += 10;\n  return hits;\n}\n",
      "assembly/re.ts": 'export { tick } from "./a";\nexport { more } from "./b";\n',
      "assembly/index.ts": 'import { tick, more } from "./re";\nexport function both(): i32 {\n  return tick() * 1000 + more();\n}\n',
    };
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(dirname(join(repo, f)), { recursive: true });
      writeFileSync(join(repo, f), text);
    }
    const m = await buildModule(repo, [frag("both", "both", "assembly/index.ts")]);
    expect(m.analysis.fragments[0]!.state).toEqual(["assembly/a.ts.hits", "assembly/b.ts.hits"]);
    expect(m.groups).toHaveLength(1);
    const a = await m.load();
    const b = await m.load();
    expect(a.call("both", [])).toBe(1110);
    expect(a.call("both", [])).toBe(2120);
    const g = m.groups[0]!;
    b.call(g.set.id, [a.call(g.get.id, [])]);
    expect(b.call("both", [])).toBe(3130);
    expect(a.call("both", [])).toBe(3130);
  }, 180_000);
});

describe("records, maps, sets, fixed arrays and class instances round-trip", () => {
  let m: Awaited<ReturnType<typeof buildModule>>;
  beforeAll(async () => {
    m = await buildModule(`${FIX}state-records`, RECORD_FRAGMENTS);
  }, 180_000);

  function play(x: FragmentInstance): void {
    x.call("visit", ["Zoë"]);
    x.call("visit", ["again"]);
    x.call("score", ["é", 5n]);
    x.call("score", ["é", 7n]);
    x.call("score", ["a", -1n]);
    for (const n of [3, 4294967295, 3, 0]) x.call("mark", [n]);
    x.call("rename", ["ñ"]);
    x.call("set-slot", [2, 40]);
    x.call("set-slot", [0, -7]);
    x.call("scale", [0.5]);
  }

  test("one group holds all six vars; a fresh instance restored from a snapshot answers like the original", async () => {
    expect(m.groups).toHaveLength(1);
    const g = m.groups[0]!;
    const a = await m.load();
    const b = await m.load();
    play(a);
    const want = a.call("summary", []) as string;
    expect(want).toBe("Zoë:2:Zoë/again|a=-1;é=12;|0,3,4294967295|ñ|-7,0,40,0|0.75");
    expect(b.call("summary", [])).not.toBe(want);
    const snap = a.call(g.get.id, []) as Record<string, JsValue>;
    expect(snap.settings).toEqual({ name: "ñ", visits: 0, tags: [] });
    b.call(g.set.id, [snap]);
    expect(b.call("summary", [])).toBe(want);
    expect(b.call(g.get.id, [])).toEqual(snap);
    // The restored nullable class is a live object: later calls change it.
    expect(b.call("visit", ["third"])).toBe(3);
    expect(b.call("label", [7])).toBe("#7");
    a.close();
    b.close();
  });

  test("a fixed-size array of another length is refused with a message naming the variable", async () => {
    const g = m.groups[0]!;
    const a = await m.load();
    const snap = a.call(g.get.id, []) as Record<string, JsValue>;
    expect(() => a.call(g.set.id, [{ ...snap, slots: [1, 2, 3] }])).toThrow(/state of `slots` has 3 elements, this module's has 4/);
    a.close();
  });
});

/**
 * The manifest's accessors as fragments, for LoadRequest.fragments. Mirrors
 * accessorFragments() of runtime/abi/state-accessors.ts (branch
 * i12-state-runtime, not merged here): use that once it is on main.
 */
function accessorFragments(manifest: Manifest): ManifestFragment[] {
  return (manifest.groups ?? []).flatMap((g) =>
    g.state.flatMap((p) =>
      [p.get, p.set].map((a) => ({
        id: a.id,
        language: p.language,
        kind: "function" as const,
        symbol: a.export,
        source: p.vars[0]!.source,
        signature: a.signature,
        abi: a.abi,
        export: a.export,
        flags: { idempotent: false, stateful: true },
        deps: { fragments: [], libs: [], globalVars: p.vars.map((v) => v.name), typeDefs: [p.record] },
      })),
    ),
  );
}

describe("dcm build of fixtures/state: groups in the manifest, state moves from the server's module to the client's", () => {
  let dist: string;
  let manifest: Manifest;
  beforeAll(async () => {
    const scratch = mkdtempSync(join(tmpdir(), "dcm-as-state-build-"));
    dirs.push(scratch);
    dist = join(scratch, "dist");
    const env = { ...process.env, DCM_CACHE_DIR: join(scratch, "cache") };
    const r = await runCli(["build", `${FIX}state`, "--cfd", `${FIX}state/dcm.yaml`, "--out", dist], { env });
    expect(r.code, r.stderr).toBe(0);
    manifest = JSON.parse(readFileSync(join(dist, "manifest.json"), "utf8")) as Manifest;
  }, 180_000);

  test("three groups, one var each, pure-double in none and not stateful", () => {
    const groups = (manifest.groups ?? []).map((g) => [g.id, g.fragments, g.state.flatMap((p) => p.vars.map((v) => `${v.unit}:${v.name}`))]);
    expect(groups).toEqual([
      ["group-blob-put", ["blob-put", "blob-size"], ["assembly/blob.ts:buffer"]],
      ["group-counter-add", ["counter-add", "counter-get"], ["assembly/counter.ts:total"]],
      ["group-log-append", ["log-append", "log-join"], ["assembly/log.ts:entries"]],
    ]);
    const flags = Object.fromEntries(manifest.fragments.map((f) => [f.id, f.flags.stateful]));
    expect(flags["pure-double"]).toBe(false);
    expect(flags["counter-add"]).toBe(true);
  });

  test("calls on the server's instance, get there, set on the client's: the client answers the same", async () => {
    const load = async (side: "client" | "server") => {
      const module = manifest.modules.find((m) => m.language === "assemblyscript" && m.sides.includes(side))!;
      return loadWasmInstance({
        module,
        bytes: readFileSync(join(dist, module.file)),
        fragments: [...manifest.fragments.filter((f) => module.fragments.includes(f.id)), ...accessorFragments(manifest)],
        types: manifest.types,
      });
    };
    const server = await load("server");
    const client = await load("client");
    for (const n of [40n, 2n, -9223372036854775807n]) server.call("counter-add", [n]);
    for (const s of ["Grüße", "日本", "a,b"]) server.call("log-append", [s]);
    server.call("blob-put", [new Uint8Array([0xff, 0xfe])]);
    server.call("blob-put", [new Uint8Array(1000).fill(0xff)]);
    const part = (fragment: string) => manifest.groups!.find((g) => g.fragments.includes(fragment))!.state[0]!;
    for (const fragment of ["counter-add", "log-append", "blob-put"]) {
      const p = part(fragment);
      client.call(p.set.id, [server.call(p.get.id, [])]);
    }
    expect(client.call("counter-get", [])).toBe(server.call("counter-get", []));
    expect(client.call("counter-get", [])).toBe(-9223372036854775765n);
    expect(client.call("log-join", [])).toBe("Grüße,日本,a,b");
    expect(client.call("blob-size", [])).toBe(1002);
    const blob = client.call(part("blob-put").get.id, []) as { buffer: Uint8Array };
    expect([...blob.buffer.slice(0, 3)]).toEqual([0xff, 0xfe, 0xff]);
    expect(client.call("pure-double", [-4])).toBe(-8);
    server.close();
    client.close();
  });

  test("fixtures/state-refused: the build fails with DCM_STATE_NOT_ENCODABLE at the variable", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "dcm-as-state-build-"));
    dirs.push(scratch);
    const env = { ...process.env, DCM_CACHE_DIR: join(scratch, "cache") };
    const repo = `${FIX}state-refused`;
    const r = await runCli(["build", repo, "--cfd", `${repo}/dcm.yaml`, "--out", join(scratch, "dist")], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("assembly/index.ts:10:5: error DCM_STATE_NOT_ENCODABLE");
    expect(r.stderr).toMatch(/`step`.*`pick-mode`.*function type `\(x: i32\) => i32`/);
  }, 180_000);
});
