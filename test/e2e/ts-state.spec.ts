/**
 * End to end for TypeScript module state (docs/state.md): a real `dcm build`
 * of languages/typescript/fixtures/state (the common state fixture) and of
 * fixtures/state-kinds (a record, an optional, and const object, Map, array
 * and Uint8Array containers), then two instances of the built js module
 * loaded through the dist's own glue (one stands for the server, one for the
 * client): calls on one, its group snapshotted with the generated `get`
 * accessor, encoded with the value model, restored with `set` on the other,
 * and the other side's fragments must answer what the same calls give when
 * the fixture runs directly in Node with no move at all (bundled by esbuild,
 * no dcm code in between). Also: the groups in the manifest, the content key
 * following the groups, and the refusal fixture's DCM_STATE_NOT_ENCODABLE at
 * the variable.
 *
 * The accessor fragments are built from manifest.groups here the way
 * runtime/abi/state-accessors.ts (part of the state runtime) does.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeValue, encodeValue } from "../../runtime/abi/codec.js";
import type { JsValue } from "../../runtime/abi/js-values.js";
import type { Manifest, ManifestFragment, ManifestGroup } from "../../runtime/abi/manifest-types.js";
import type { FragmentInstance, ModuleLoader } from "../../runtime/abi/module-types.js";
import { ROOT, runCli } from "../support/run-cli.js";

const FIXTURES = join(ROOT, "languages/typescript/fixtures");
let scratch: string;

interface Built {
  dist: string;
  manifest: Manifest;
  bytes: Uint8Array;
  loader: ModuleLoader;
}

async function build(app: string, name: string, cfd = join(app, "dcm.yaml")): Promise<Built> {
  const dist = join(scratch, name);
  const res = await runCli(["build", app, "--cfd", cfd, "--out", dist, "--json"], {
    env: { ...process.env, DCM_CACHE_DIR: join(scratch, "cache") },
  });
  expect(res.code, res.stderr).toBe(0);
  const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
  const m = manifest.modules[0]!;
  const bytes = new Uint8Array(await readFile(join(dist, m.file)));
  // The glue the dist carries, as every host loads it.
  const loader = ((await import(pathToFileURL(join(dist, m.glue!.file)).href)) as { default: ModuleLoader }).default;
  return { dist, manifest, bytes, loader };
}

/** The accessors of every group part, as fragments a module host is asked to load. */
function accessorFragments(manifest: Manifest): ManifestFragment[] {
  return (manifest.groups ?? []).flatMap((g) =>
    g.state.flatMap((p) =>
      (["get", "set"] as const).map((which) => ({
        id: p[which].id,
        language: p.language,
        kind: "function" as const,
        symbol: p[which].export,
        source: p.vars[0]!.source,
        signature: p[which].signature,
        abi: p[which].abi,
        export: p[which].export,
        flags: { idempotent: which === "get", stateful: true },
        deps: { fragments: [], libs: [], globalVars: p.vars.map((v) => v.name), typeDefs: [p.record] },
      })),
    ),
  );
}

/** One instance of the dist's module (its own module variables), with the accessors loadable. */
async function instance(b: Built): Promise<FragmentInstance> {
  const m = b.manifest.modules[0]!;
  return b.loader.load({
    module: m,
    bytes: b.bytes,
    fragments: [...b.manifest.fragments.filter((f) => m.fragments.includes(f.id)), ...accessorFragments(b.manifest)],
    types: b.manifest.types,
  });
}

function groupOf(manifest: Manifest, fragment: string): ManifestGroup {
  const g = manifest.groups?.find((x) => x.fragments.includes(fragment));
  if (!g) throw new Error(`no group holds ${fragment}`);
  return g;
}

/** Moves a group: `get` on `from`, the snapshot encoded and decoded with the value model, `set` on `to`. Returns the wire bytes' length. */
function move(manifest: Manifest, fragment: string, from: FragmentInstance, to: FragmentInstance): number {
  const part = groupOf(manifest, fragment).state[0]!;
  const snapshot = from.call(part.get.id, []);
  const type = part.get.signature.results[0]!;
  const wire = encodeValue(type, manifest.types, snapshot);
  expect(to.call(part.set.id, [decodeValue(type, manifest.types, wire)])).toBeNull();
  return wire.length;
}

/** The fixture's own functions, bundled for Node, in a fresh module instance per call of this function. */
let nativeLoads = 0;
async function native(app: string, files: string[]): Promise<Record<string, (...a: unknown[]) => unknown>> {
  const entry = join(scratch, `native-entry-${++nativeLoads}.ts`);
  await writeFile(entry, files.map((f) => `export * from ${JSON.stringify(join(app, f))};\n`).join(""));
  const out = join(scratch, `native-${nativeLoads}.mjs`);
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: out,
    logLevel: "silent",
  });
  return (await import(pathToFileURL(out).href)) as Record<string, (...a: unknown[]) => unknown>;
}

let common: Built;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-ts-state-"));
  common = await build(join(FIXTURES, "state"), "state-dist");
}, 300_000);

describe("TypeScript state: the common fixture", () => {
  const APP = join(FIXTURES, "state");
  const FILES = ["src/counter.ts", "src/journal.ts", "src/blob.ts", "src/pure.ts"];

  it("puts the three groups in the manifest, pure-double in none, with get/set exports in the js module", async () => {
    const groups = common.manifest.groups ?? [];
    expect(groups.map((g) => [g.id, g.fragments])).toEqual([
      ["group-blob-put", ["blob-put", "blob-size"]],
      ["group-counter-add", ["counter-add", "counter-get"]],
      ["group-log-append", ["log-append", "log-join"]],
    ]);
    expect(groups.map((g) => g.state.map((p) => [p.language, p.vars.map((v) => `${v.unit}.${v.name}`)]))).toEqual([
      [["typescript", ["src/blob.ts.buf"]]],
      [["typescript", ["src/counter.ts.total"]]],
      [["typescript", ["src/journal.ts.entries"]]],
    ]);
    expect(common.manifest.fragments.find((f) => f.id === "pure-double")!.flags?.stateful).toBeFalsy();
    const code = new TextDecoder().decode(common.bytes);
    for (const g of groups)
      for (const p of g.state) for (const a of [p.get, p.set]) expect(code).toMatch(new RegExp(`\\b${a.export}\\b`));
  });

  it("moves the counter, the log and the blob from the server instance to the client instance", async () => {
    const server = await instance(common);
    const client = await instance(common);
    const direct = await native(APP, FILES);
    const adds = [5n, -2n, 9007199254740993n];
    for (const n of adds) expect(server.call("counter-add", [n])).toBe(direct.counterAdd!(n));
    const words = ["héllo", "日本語", "🦄,x", ""];
    for (const s of words) expect(server.call("log-append", [s])).toBe(direct.logAppend!(s));
    const blobs = [Uint8Array.of(0xff, 0x00, 0x80), Uint8Array.of(0xff), new Uint8Array(1024).fill(0xfe)];
    for (const b of blobs) expect(server.call("blob-put", [b])).toBe(direct.blobPut!(b));

    // Separate instances: the client has seen none of it yet, as a fresh native module has not.
    const fresh = await native(APP, FILES);
    expect(client.call("counter-get", [])).toBe(fresh.counterGet!());
    expect(client.call("log-join", [])).toBe(fresh.logJoin!());
    expect(client.call("blob-size", [])).toBe(fresh.blobSize!());

    move(common.manifest, "counter-add", server, client);
    move(common.manifest, "log-append", server, client);
    const bytes = move(common.manifest, "blob-put", server, client);
    expect(bytes).toBeGreaterThan(1028);
    expect(client.call("counter-get", [])).toBe(direct.counterGet!());
    expect(client.call("counter-get", [])).toBe(9007199254740996n);
    expect(client.call("log-join", [])).toBe(direct.logJoin!());
    expect(client.call("blob-size", [])).toBe(direct.blobSize!());
    // The state goes on from where it was, on the new side.
    expect(client.call("counter-add", [1n])).toBe(direct.counterAdd!(1n));
    expect(client.call("log-append", ["ü"])).toBe(direct.logAppend!("ü"));
    expect(client.call("blob-put", [Uint8Array.of(0xff)])).toBe(direct.blobPut!(Uint8Array.of(0xff)));
    expect(client.call("log-join", [])).toBe(direct.logJoin!());
    // And back: the server instance takes the client's newer state over its own.
    move(common.manifest, "log-append", client, server);
    expect(server.call("log-join", [])).toBe(direct.logJoin!());
    expect(server.call("pure-double", [21])).toBe(42);
  });

  it("snapshots the blob's bytes and the log's strings exactly", async () => {
    const a = await instance(common);
    a.call("blob-put", [Uint8Array.of(0xff, 0x00)]);
    a.call("log-append", ["naïve ☃"]);
    const blob = groupOf(common.manifest, "blob-put").state[0]!;
    const log = groupOf(common.manifest, "log-append").state[0]!;
    expect(a.call(blob.get.id, [])).toEqual({ buf: Uint8Array.of(0xff, 0x00) });
    expect(a.call(log.get.id, [])).toEqual({ entries: ["naïve ☃"] });
    // `set` replaces the list as a whole (the const array is refilled, not appended to).
    a.call(log.set.id, [{ entries: ["x", "y"] }]);
    expect(a.call("log-join", [])).toBe("x,y");
    expect(a.call("log-append", ["z"])).toBe(3);
  });

  it("refuses a malformed snapshot with DCM_BAD_ARGUMENTS and leaves the state as it was", async () => {
    const a = await instance(common);
    a.call("counter-add", [7n]);
    const part = groupOf(common.manifest, "counter-add").state[0]!;
    expect(() => a.call(part.set.id, [{ total: "seven" }])).toThrow(
      expect.objectContaining({ code: "DCM_BAD_ARGUMENTS" }),
    );
    expect(a.call("counter-get", [])).toBe(7n);
  });
});

describe("TypeScript state: every kind of variable", () => {
  const APP = join(FIXTURES, "state-kinds");
  const FILES = ["src/settings.ts", "src/scores.ts"];
  let kinds: Built;
  beforeAll(async () => {
    kinds = await build(APP, "kinds-dist");
  }, 300_000);

  it("restores a record, an optional (absent: undefined), and const object, Map, array and Uint8Array contents", async () => {
    const server = await instance(kinds);
    const client = await instance(kinds);
    const direct = await native(APP, FILES);
    const configs: Array<[string, number, string | null, string]> = [
      ["dark", 14, "#ff0", "a"],
      ["solarized ☀", 16, null, "b"],
    ];
    for (const c of configs) expect(server.call("configure", c)).toBe(direct.configure!(...c));
    const scores: Array<[string, number, number, number]> = [
      ["zoë", 5, 1, 0xff],
      ["al", 3, 6, 7],
      ["zoë", -1, 3, 0x80],
    ];
    for (const s of scores) expect(server.call("score", s)).toBe(direct.score!(...s));

    move(kinds.manifest, "configure", server, client);
    move(kinds.manifest, "score", server, client);
    const settings = client.call("describe-settings", []);
    expect(settings).toBe(direct.describeSettings!());
    // The last configure had no accent: the optional is restored as undefined, the record without the key.
    expect(JSON.parse(settings as string)).toMatchObject({
      hasAccent: false,
      note: "<undefined>",
      flags: { beta: false, seen: 2 },
    });
    expect(client.call("standings", [])).toBe(direct.standings!());

    // One more round on both, so the restored containers are the live ones.
    expect(client.call("configure", ["x", 9, "red", "c"])).toBe(direct.configure!("x", 9, "red", "c"));
    expect(client.call("score", ["al", 2, 0, 1])).toBe(direct.score!("al", 2, 0, 1));
    expect(client.call("describe-settings", [])).toBe(direct.describeSettings!());
    expect(client.call("standings", [])).toBe(direct.standings!());
  });

  it("refuses a snapshot whose const Uint8Array has another length, naming the variable", async () => {
    const a = await instance(kinds);
    const part = groupOf(kinds.manifest, "score").state[0]!;
    const snap = a.call(part.get.id, []) as { [k: string]: JsValue };
    expect(() => a.call(part.set.id, [{ ...snap, board: new Uint8Array(5) }])).toThrow(
      /`board`: it is a const Uint8Array of 4 bytes/,
    );
  });
});

describe("TypeScript state: builds", () => {
  it("changes the module when the groups change (stateful: false drops a group's accessors)", async () => {
    const app = join(FIXTURES, "state");
    const cfd = join(scratch, "no-counter.yaml");
    const text = await readFile(join(app, "dcm.yaml"), "utf8");
    await writeFile(cfd, text.replace(/\{ id: counter-(add|get),/g, "{ id: counter-$1, stateful: false,"));
    expect(await readFile(cfd, "utf8")).toContain("stateful: false");
    const b = await build(app, "no-counter-dist", cfd);
    expect((b.manifest.groups ?? []).map((g) => g.id)).toEqual(["group-blob-put", "group-log-append"]);
    expect(b.manifest.modules[0]!.sha256).not.toBe(common.manifest.modules[0]!.sha256);
    const code = new TextDecoder().decode(b.bytes);
    expect(code).not.toContain("dcm_state_set_3");
    expect(code).toContain("dcm_state_set_2");
  });

  it("refuses a function held in module state with DCM_STATE_NOT_ENCODABLE at the variable", async () => {
    const app = join(FIXTURES, "state-refused");
    const res = await runCli(["build", app, "--cfd", join(app, "dcm.yaml"), "--out", join(scratch, "refused-dist")], {
      env: { ...process.env, DCM_CACHE_DIR: join(scratch, "cache") },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/src\/events\.ts:2:5: error DCM_STATE_NOT_ENCODABLE: Module-level variable `onChange`/);
    expect(res.stderr).toContain("stateful: false");
  });
});
