/**
 * TypeScript state analysis (languages/typescript/analysis/state-vars.ts):
 * which module variables reachable code changes, each fragment's state keys
 * through its closure, the types, and the refusals — on the common state
 * fixture and on a scratch repository written the way users write modules.
 */
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeTs } from "../../../languages/typescript/analysis/analyze-ts.js";
import type { TsStateDetail } from "../../../languages/typescript/ts-types.js";
import type { AnalysisResult, AnalyzeRequest } from "../../../src/languages/adapter-types.js";

type Frag = AnalyzeRequest["fragments"][number];
const FIXTURE = join(import.meta.dirname, "..", "..", "..", "languages", "typescript", "fixtures", "state");

function frag(id: string, file: string, name = id): Frag {
  const pos = { file: "dcm.yaml", line: 1, col: 1 };
  return { id, name, runOn: "server", file, location: { filepath: file }, positions: { fragment: pos } };
}

const stateOf = (r: AnalysisResult) => Object.fromEntries(r.fragments.map((f) => [f.id, f.state ?? []]));

describe("TypeScript state: the common fixture", () => {
  it("finds the counter (through a helper), the log (a const array pushed to) and the blob, and nothing for pure-double", async () => {
    const files: Record<string, string> = {
      "counter-add": "src/counter.ts#counterAdd",
      "counter-get": "src/counter.ts#counterGet",
      "log-append": "src/journal.ts#logAppend",
      "log-join": "src/journal.ts#logJoin",
      "blob-put": "src/blob.ts#blobPut",
      "blob-size": "src/blob.ts#blobSize",
      "pure-double": "src/pure.ts#pureDouble",
    };
    const r = await analyzeTs({
      repo: FIXTURE,
      fragments: Object.entries(files).map(([id, at]) => frag(id, at.split("#")[0]!, at.split("#")[1]!)),
    });
    expect(r.diagnostics).toEqual([]);
    expect(stateOf(r)).toEqual({
      "counter-add": ["src/counter.ts.total"],
      "counter-get": ["src/counter.ts.total"],
      "log-append": ["src/journal.ts.entries"],
      "log-join": ["src/journal.ts.entries"],
      "blob-put": ["src/blob.ts.buf"],
      "blob-size": ["src/blob.ts.buf"],
      "pure-double": [],
    });
    const vars = Object.fromEntries((r.stateVars ?? []).map((v) => [v.key, v]));
    expect(Object.keys(vars).sort()).toEqual(["src/blob.ts.buf", "src/counter.ts.total", "src/journal.ts.entries"]);
    expect(vars["src/counter.ts.total"]).toMatchObject({
      name: "total",
      unit: "src/counter.ts",
      pos: { file: "src/counter.ts", line: 2, col: 5 },
      type: { kind: "int", bits: 64, signed: true },
    });
    expect(vars["src/journal.ts.entries"]!.type).toEqual({ kind: "list", elem: { kind: "string" } });
    expect((vars["src/journal.ts.entries"]!.detail as TsStateDetail).mode).toBe("array");
    expect(vars["src/blob.ts.buf"]!.type).toEqual({ kind: "bytes" });
    expect((vars["src/blob.ts.buf"]!.detail as TsStateDetail).mode).toBe("assign");
  });
});

describe("TypeScript state: what counts as a change", () => {
  let repo: string;
  let r: AnalysisResult;
  const write = async (file: string, text: string) => {
    await mkdir(dirname(join(repo, file)), { recursive: true });
    await writeFile(join(repo, file), text);
  };

  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), "dcm-ts-state-"));
    await write(
      "src/store.ts",
      [
        "export interface Item { sku: string; qty: number }",
        "const byId = new Map<string, Item>();", // no annotation, not a literal: refused if changed
        "const counts: Map<string, number> = new Map();",
        "const settings: Item = { sku: \"\", qty: 0 };",
        "let hits = 0;",
        "let seen: string[] = [];",
        "let readOnly = 42;",
        "const LIMIT = 10;",
        "export let exportedTally = 0;",
        "export function tally(): void { exportedTally++; }",
        "export function touch(k: string): number { counts.set(k, (counts.get(k) ?? 0) + 1); return counts.size + LIMIT + readOnly; }",
        "export function configure(q: number): void { settings.qty = q; }",
        "export function forget(k: string): void { delete (settings as any)[k]; }",
        "export function bumpHits(): number { hits += 1; return hits; }",
        "export function remember(s: string): void { seen = [...seen, s]; }",
        "export function index(i: Item): void { byId.set(i.sku, i); }",
        "",
      ].join("\n"),
    );
    await write(
      "src/api.ts",
      [
        "import * as store from \"./store\";",
        "import { bumpHits as bump } from \"./store.js\";",
        "export { tally } from \"./store\";",
        "export function visit(k: string): number { store.touch(k); return bump(); }",
        "export function configured(q: number): number { store.configure(q); return q; }",
        "export function peek(): number { return store.LIMIT_READ; }",
        "",
      ].join("\n"),
    );
    await write("src/reexport.ts", "import { tally } from \"./api\";\nexport function countUp(): void { tally(); }\n");
    r = await analyzeTs({
      repo,
      fragments: [
        frag("visit", "src/api.ts"),
        frag("configured", "src/api.ts"),
        frag("remember", "src/store.ts"),
        frag("forget", "src/store.ts"),
        frag("index", "src/store.ts"),
        frag("countUp", "src/reexport.ts"),
      ],
    });
  });
  afterAll(() => rm(repo, { recursive: true, force: true }));

  it("follows namespace imports, aliased imports and re-exports into the functions that change state", () => {
    const s = stateOf(r);
    expect(s.visit).toEqual(["src/store.ts.counts", "src/store.ts.hits"]);
    expect(s.configured).toEqual(["src/store.ts.settings"]);
    expect(s.remember).toEqual(["src/store.ts.seen"]);
    expect(s.forget).toEqual(["src/store.ts.settings"]);
    expect(s.countUp).toEqual(["src/store.ts.exportedTally"]);
  });

  it("counts only variables that are changed: a variable only read is not state", () => {
    const keys = (r.stateVars ?? []).map((v) => v.key);
    expect(keys).not.toContain("src/store.ts.readOnly");
    expect(keys).not.toContain("src/store.ts.LIMIT");
  });

  it("types each variable and says how set refills a const", () => {
    const v = Object.fromEntries((r.stateVars ?? []).map((x) => [x.name, x]));
    expect(v.counts!.type).toEqual({ kind: "map", key: { kind: "string" }, value: { kind: "float", bits: 64 } });
    expect((v.counts!.detail as TsStateDetail).mode).toBe("map");
    expect(v.settings!.type).toEqual({ kind: "record", name: "Item" });
    expect((v.settings!.detail as TsStateDetail).mode).toBe("fields");
    expect(v.hits!.type).toEqual({ kind: "float", bits: 64 });
    expect(r.types.Item?.fields.map((f) => f.name)).toEqual(["sku", "qty"]);
  });

  it("refuses a changed variable whose type cannot be told, at the variable, saying how to fix it", () => {
    const byId = (r.stateVars ?? []).find((x) => x.name === "byId")!;
    expect(byId.type).toBeUndefined();
    expect(byId.cannotEncode).toMatchObject({ pos: { file: "src/store.ts", line: 2 } });
    expect(byId.cannotEncode!.what).toContain("byId");
    expect(byId.cannotEncode!.suggestion).toContain("annotate it");
  });
});
