/**
 * Go module-level state (issue 12): the analysis finds the state fixture's
 * three groups, the generator's `get`/`set` accessors move a group's state
 * between the real wasm module (the browser's) and the real native plugin
 * (the server's), and an unencodable state var is refused where it is
 * declared.
 *
 * The state groups are built here the way core builds them (union of the
 * fragments' state keys, record `DcmState<N>`, accessor ids
 * `$state.<group>.get|set`, exports `dcm_state_get_<N>`), so this spec does
 * not depend on core's grouping; the modules are loaded with core's glue
 * for docs/abi.md modules, as every host loads them. The last part does the
 * same from a real `dcm build` dist (core's groups, the manifest's accessor
 * ids, runtime/abi/state-accessors.ts `loadFragments`).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeGo } from "../../languages/go/analysis/analyze-go.js";
import { generateGo } from "../../languages/go/generate/generate-go.js";
import { compileGo } from "../../languages/go/toolchain/compile-go.js";
import { goToolchain } from "../../languages/go/toolchain/go-toolchain.js";
import type { JsValue } from "../../runtime/abi/js-values.js";
import type { Manifest, ManifestFragment, ManifestModule } from "../../runtime/abi/manifest-types.js";
import { loadFragments } from "../../runtime/abi/state-accessors.js";
import type { FragmentInstance, ModuleLoader } from "../../runtime/abi/module-types.js";
import type { TypeTable } from "../../runtime/abi/value-types.js";
import type {
  AnalysisResult,
  AnalyzeRequest,
  GeneratedProject,
  StateAccessorRequest,
} from "../../src/languages/adapter-types.js";
import { ABI_GLUE } from "../../src/languages/runtime-glue.js";
import { ROOT, runCli } from "../support/run-cli.js";
import { cfdFragments, stateGroups } from "../unit/go-generate/state-groups.js";

const haveGo = (await goToolchain.detect()) !== null;
const STATE = join(ROOT, "languages/go/fixtures/state");
const REFUSED = join(ROOT, "languages/go/fixtures/state-refused");

/** The manifest entries of the fragments and of the groups' accessors, as `dcm build` writes them. */
function manifestFor(
  fragments: AnalysisResult["fragments"],
  groups: StateAccessorRequest[],
  exports: Record<string, string>,
): ManifestFragment[] {
  return [
    ...fragments.map(
      (f): ManifestFragment => ({
        id: f.id,
        language: "go",
        kind: f.kind,
        symbol: f.symbol,
        source: { file: f.file, line: f.line },
        signature: f.signature!,
        abi: f.abi!,
        export: exports[f.id]!,
        flags: { idempotent: false, stateful: (f.state ?? []).length > 0 },
        deps: f.deps,
      }),
    ),
    ...groups.flatMap((g) =>
      [g.get, g.set].map(
        (a): ManifestFragment => ({
          id: a.id,
          language: "go",
          kind: "function",
          symbol: a.id,
          source: { file: g.vars[0]!.pos.file, line: g.vars[0]!.pos.line },
          signature: a.signature,
          abi: a.abi,
          export: a.export,
          flags: { idempotent: false, stateful: true },
          deps: { fragments: [], libs: [], globalVars: [], typeDefs: [] },
        }),
      ),
    ),
  ];
}

describe("Go state analysis (fixtures/state)", () => {
  it("finds exactly the counter, log and blob vars, and each fragment's keys", async () => {
    const analysis = await analyzeGo({ repo: STATE, fragments: cfdFragments(STATE) });
    expect(analysis.diagnostics).toEqual([]);
    const byId = Object.fromEntries(analysis.fragments.map((f) => [f.id, f.state ?? []]));
    const counter = "example.com/statefix/tally.total";
    const log = "example.com/statefix/tally.journal";
    const blob = "example.com/statefix/blobs.buf";
    expect(byId).toEqual({
      "counter-add": [counter],
      "counter-get": [counter],
      "log-append": [log],
      "log-join": [log],
      "blob-put": [blob],
      "blob-size": [blob],
      "pure-double": [],
    });
    const vars = Object.fromEntries((analysis.stateVars ?? []).map((v) => [v.key, v]));
    expect(Object.keys(vars).sort()).toEqual([blob, log, counter]);
    expect(vars[counter]).toMatchObject({
      name: "total",
      unit: "example.com/statefix/tally",
      pos: { file: "tally/counter.go", line: 10, col: 5 },
      type: { kind: "int", bits: 64, signed: true },
    });
    expect(vars[log]).toMatchObject({
      pos: { file: "tally/journal.go", line: 11, col: 5 },
      type: { kind: "record", name: "Journal" },
    });
    expect(vars[blob]).toMatchObject({ pos: { file: "blobs/blobs.go", line: 4, col: 5 }, type: { kind: "bytes" } });
    // The record the journal's type uses is in the type table, like a signature's.
    expect(analysis.types.Journal?.fields.map((f) => [f.jsonName, f.type.kind])).toEqual([
      ["entries", "list"],
      ["seen", "map"],
    ]);
  });

  it("refuses a channel state var at its declaration", async () => {
    const analysis = await analyzeGo({ repo: REFUSED, fragments: cfdFragments(REFUSED) });
    expect(analysis.fragments[0]?.state).toEqual(["example.com/staterefused/notify.queue"]);
    const [v] = analysis.stateVars ?? [];
    expect(v?.type).toBeUndefined();
    expect(v?.cannotEncode?.pos).toEqual({ file: "notify/notify.go", line: 7, col: 2 });
    expect(v?.cannotEncode?.what).toMatch(/channel/);
    expect(v?.cannotEncode?.suggestion).toBeTruthy();
  });
});

describe.skipIf(!haveGo)("Go state accessors move state between the wasm module and the native plugin", () => {
  const dirs: string[] = [];
  let client: FragmentInstance;
  let server: FragmentInstance;
  let projects: Record<"wasm" | "native", GeneratedProject>;

  beforeAll(async () => {
    const analysis = await analyzeGo({ repo: STATE, fragments: cfdFragments(STATE) });
    const { groups, types } = stateGroups(analysis);
    const withTypes: AnalysisResult = { ...analysis, types };
    const work = mkdtempSync(join(tmpdir(), "dcm-go-state-"));
    dirs.push(work);
    const build = async (target: "wasm" | "native") => {
      const side = target === "wasm" ? "client" : "server";
      const project = await generateGo(
        { repo: STATE, analysis: withTypes, fragments: analysis.fragments, side, workDir: work, stateGroups: groups },
        target,
      );
      const r = await compileGo(project, target, join(work, target === "wasm" ? "state.wasm" : "state.so"));
      expect(r.diagnostics).toEqual([]);
      return { project, file: r.file };
    };
    const wasm = await build("wasm");
    const native = await build("native");
    projects = { wasm: wasm.project, native: native.project };
    const manifestFragments = manifestFor(analysis.fragments, groups, wasm.project.exports);
    const load = async (target: "wasm" | "native", file: string): Promise<FragmentInstance> => {
      const glue = (await import(ABI_GLUE[target]!)) as { default: ModuleLoader };
      const module: ManifestModule = {
        language: "go",
        target,
        sides: [target === "wasm" ? "client" : "server"],
        file,
        sha256: "",
        size: 0,
        abiVersion: 1,
        toolchain: "go",
        fragments: manifestFragments.map((f) => f.id),
      };
      return glue.default.load({
        module,
        ...(target === "wasm" ? { bytes: readFileSync(file) } : { path: file }),
        fragments: manifestFragments,
        types,
      });
    };
    client = await load("wasm", wasm.file);
    server = await load("native", native.file);
  });

  afterAll(() => {
    client?.close();
    server?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  // The native host answers asynchronously (a supervised process), the wasm instance synchronously.
  const on =
    (inst: () => FragmentInstance) =>
    async (id: string, args: JsValue[] = []) =>
      await inst().call(id, args);
  const srv = on(() => server);
  const cli = on(() => client);
  const move = async (from: typeof srv, to: typeof srv, group: string): Promise<JsValue> => {
    const snapshot = await from(`$state.${group}.get`);
    await to(`$state.${group}.set`, [snapshot]);
    return snapshot;
  };

  it("reports the accessors under their ids in both modules", () => {
    for (const p of Object.values(projects)) {
      expect(p.exports["$state.counter-add.get"]).toBe("dcm_state_get_3");
      expect(p.exports["$state.counter-add.set"]).toBe("dcm_state_set_3");
      expect(Object.keys(p.exports).filter((k) => k.startsWith("$state.")).length).toBe(6);
    }
  });

  it("the counter moves from the server to the client and back", async () => {
    for (const n of [5n, -2n, 1n << 40n]) await srv("counter-add", [n]);
    const total = await srv("counter-get");
    expect(total).toBe(3n + (1n << 40n));
    expect(await cli("counter-get")).toBe(0n); // a fresh instance before the move
    expect(await move(srv, cli, "counter-add")).toEqual({ total });
    expect(await cli("counter-get")).toBe(total);
    // The client goes on counting; the server takes the new total back.
    expect(await cli("counter-add", [7n])).toBe((total as bigint) + 7n);
    await move(cli, srv, "counter-add");
    expect(await srv("counter-get")).toBe((total as bigint) + 7n);
  });

  it("the log (a record with a list and a map) and the blob move with non-ASCII text and 0xff bytes", async () => {
    for (const s of ["naïve", "日本語", "😀,x", ""]) await srv("log-append", [s]);
    const joined = await srv("log-join");
    expect(joined).toBe("naïve,日本語,😀,x,");
    const snap = (await move(srv, cli, "log-append")) as { journal: { entries: string[]; seen: Map<string, number> } };
    expect(snap.journal.entries).toEqual(["naïve", "日本語", "😀,x", ""]);
    expect(await cli("log-join")).toBe(joined);
    // The map field moved too: appending a seen entry again on the client counts on from the server's count.
    expect(await cli("log-append", ["naïve"])).toBe(5);
    const back = (await cli("$state.log-append.get")) as typeof snap;
    expect([...back.journal.seen.entries()].sort()).toEqual([
      ["", 1],
      ["naïve", 2],
      ["日本語", 1],
      ["😀,x", 1],
    ]);

    const bytes = new Uint8Array([0xff, 0x00, 0xfe, 0xff]);
    await srv("blob-put", [bytes]);
    expect(await srv("blob-put", [new Uint8Array([0xff])])).toBe(5);
    await move(srv, cli, "blob-put");
    expect(await cli("blob-size")).toBe(await srv("blob-size"));
    expect(await cli("$state.blob-put.get")).toEqual({ buf: new Uint8Array([0xff, 0x00, 0xfe, 0xff, 0xff]) });
  });

  it("set replaces a group's state as a whole and leaves the other groups alone", async () => {
    await cli("$state.blob-put.set", [{ buf: new Uint8Array([]) }]);
    expect(await cli("blob-size")).toBe(0);
    expect(await cli("counter-get")).not.toBe(0n);
    expect(await cli("pure-double", [21])).toBe(42);
  });
});

describe.skipIf(!haveGo)("a module that holds none of a group's fragments", () => {
  it("still exports the group's accessors, and they reach the vars (the pruned closure keeps them)", async () => {
    const analysis = await analyzeGo({ repo: STATE, fragments: cfdFragments(STATE) });
    const { groups, types } = stateGroups(analysis);
    const only = analysis.fragments.filter((f) => f.id === "pure-double");
    const work = mkdtempSync(join(tmpdir(), "dcm-go-state-subset-"));
    try {
      const project = await generateGo(
        {
          repo: STATE,
          analysis: { ...analysis, types },
          fragments: only,
          side: "client",
          workDir: work,
          stateGroups: groups,
        },
        "wasm",
      );
      const r = await compileGo(project, "wasm", join(work, "subset.wasm"));
      expect(r.diagnostics).toEqual([]); // no fallback to whole packages (DCM_EXTRACTION_INCOMPLETE)
      const fragments = manifestFor(only, groups, project.exports);
      const glue = (await import(ABI_GLUE.wasm!)) as { default: ModuleLoader };
      const inst = await glue.default.load({
        module: {
          language: "go",
          target: "wasm",
          sides: ["client"],
          file: r.file,
          sha256: "",
          size: 0,
          abiVersion: 1,
          toolchain: "go",
          fragments: fragments.map((f) => f.id),
        },
        bytes: readFileSync(r.file),
        fragments,
        types,
      });
      try {
        expect(await inst.call("$state.counter-add.get", [])).toEqual({ total: 0n });
        await inst.call("$state.counter-add.set", [{ total: -9n }]);
        expect(await inst.call("$state.counter-add.get", [])).toEqual({ total: -9n });
        const journal = { entries: ["ä"], seen: new Map([["ä", 1]]) };
        await inst.call("$state.log-append.set", [{ journal }]);
        expect(await inst.call("$state.log-append.get", [])).toEqual({ journal });
        expect(await inst.call("pure-double", [-4])).toBe(-8);
      } finally {
        inst.close();
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!haveGo)("dcm build of fixtures/state: the log and the blob move both ways", () => {
  let scratch: string;
  let manifest: Manifest;
  const instances: FragmentInstance[] = [];
  let server: FragmentInstance;
  let client: FragmentInstance;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "dcm-go-state-dist-"));
    const out = join(scratch, "dist");
    const r = await runCli(["build", STATE, "--cfd", join(STATE, "dcm.yaml"), "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest;
    const load = async (target: "wasm" | "native"): Promise<FragmentInstance> => {
      const module = manifest.modules.find((m) => m.language === "go" && m.target === target)!;
      const glue = (await import(ABI_GLUE[target]!)) as { default: ModuleLoader };
      const file = join(out, module.file);
      const inst = await glue.default.load({
        module,
        ...(target === "wasm" ? { bytes: readFileSync(file) } : { path: file }),
        fragments: loadFragments(manifest, module),
        types: manifest.types,
      });
      instances.push(inst);
      return inst;
    };
    server = await load("native");
    client = await load("wasm");
  });

  afterAll(() => {
    for (const i of instances) i.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const part = (group: string) => manifest.groups!.find((g) => g.id === group)!.state[0]!;
  const call = async (i: FragmentInstance, id: string, args: JsValue[] = []) => await i.call(id, args);
  const move = async (from: FragmentInstance, to: FragmentInstance, group: string) => {
    const p = part(group);
    const snapshot = await call(from, p.get.id);
    await call(to, p.set.id, [snapshot]);
    return snapshot;
  };

  it("the log: server → client → server, with non-ASCII entries and the map of counts", async () => {
    for (const s of ["Grüße", "", "𝄞 clef", "a,b"]) await call(server, "log-append", [s]);
    const joined = await call(server, "log-join");
    expect(joined).toBe("Grüße,,𝄞 clef,a,b");
    await move(server, client, "group-log-append");
    expect(await call(client, "log-join")).toBe(joined);
    expect(await call(client, "log-append", ["Grüße"])).toBe(5);
    await move(client, server, "group-log-append");
    expect(await call(server, "log-join")).toBe(await call(client, "log-join"));
    const state = (await call(server, part("group-log-append").get.id)) as {
      journal: { entries: string[]; seen: Map<string, number> };
    };
    expect(state.journal.seen.get("Grüße")).toBe(2);
    expect(state.journal.entries).toHaveLength(5);
  });

  it("the blob: 0xff bytes client → server, and the counter did not move with it", async () => {
    await call(client, "blob-put", [new Uint8Array([0xff, 0xff, 0x00])]);
    expect(await call(server, "blob-size")).toBe(0);
    const snap = await move(client, server, "group-blob-put");
    expect(snap).toEqual({ buf: new Uint8Array([0xff, 0xff, 0x00]) });
    expect(await call(server, "blob-put", [new Uint8Array([0xfe])])).toBe(4);
    expect(await call(server, "blob-size")).toBe(4);
    expect(await call(server, "counter-get")).toBe(0n);
  });
});
