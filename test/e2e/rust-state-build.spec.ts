/**
 * `dcm build` of the Rust state fixtures (issue 12, docs/state.md): the
 * manifest's three groups with their Rust parts; the dist's client module
 * (through its glue) and server plugin, loaded the way the runtimes load
 * them (runtime/abi/state-accessors.ts loadFragments: the groups' accessors appended), move the counter, the journal
 * and the upload buffer both ways; the refused fixture fails with
 * DCM_STATE_NOT_ENCODABLE at the static.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsValue } from "../../runtime/abi/js-values.js";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { loadFragments } from "../../runtime/abi/state-accessors.js";
import type { FragmentInstance, ModuleLoader } from "../../runtime/abi/module-types.js";
import type { NativeFragmentHost } from "../../runtime/abi/host-types.js";
import { loadWasmInstance } from "../../runtime/abi/dcm-wasm-instance.js";
import { startNativeHost } from "../../runtime/native/native-host.js";
import { ROOT, runCli } from "../support/run-cli.js";

const STATE = join(ROOT, "languages/rust/fixtures/state");
const REFUSED = join(ROOT, "languages/rust/fixtures/state-refused");

let dist: string;
let manifest: Manifest;
let client: FragmentInstance;
let server: NativeFragmentHost;

beforeAll(async () => {
  dist = join(await mkdtemp(join(tmpdir(), "dcm-rust-state-build-")), "dist");
  const build = await runCli(["build", STATE, "--cfd", join(STATE, "dcm.yaml"), "--out", dist, "--json"]);
  expect(build.code, build.stderr + build.stdout).toBe(0);
  manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
  const wasmMod = manifest.modules.find((m) => m.language === "rust" && m.target === "wasm")!;
  const nativeMod = manifest.modules.find((m) => m.language === "rust" && m.target === "native")!;
  const req = { module: wasmMod, bytes: new Uint8Array(await readFile(join(dist, wasmMod.file))), fragments: loadFragments(manifest, wasmMod), types: manifest.types };
  client = wasmMod.glue
    ? await ((await import(pathToFileURL(join(dist, wasmMod.glue.file)).href)).default as ModuleLoader).load(req)
    : await loadWasmInstance(req);
  server = await startNativeHost({
    module: nativeMod,
    path: join(dist, nativeMod.file),
    fragments: loadFragments(manifest, nativeMod),
    types: manifest.types,
    isolation: { isolation: "thread" },
  });
}, 900_000);

afterAll(async () => {
  client?.close();
  await server?.close();
});

const onClient = async (id: string, args: JsValue[]) => client.call(id, args);
const onServer = (id: string, args: JsValue[]) => server.call(id, args);

async function move(group: string, from: typeof onClient, to: typeof onClient): Promise<void> {
  const part = manifest.groups!.find((g) => g.id === group)!.state[0]!;
  expect(await to(part.set.id, [await from(part.get.id, [])])).toBeNull();
}

describe("rust: dcm build of the state fixture", () => {
  it("writes the three groups with their Rust accessors and vars into the manifest", () => {
    expect(
      manifest.groups!.map((g) => [g.id, g.fragments, g.state.map((p) => [p.language, p.vars.map((v) => `${v.unit}.${v.name} ${v.source.file}:${v.source.line}`)])]),
    ).toEqual([
      ["group-blob-put", ["blob-put", "blob-size"], [["rust", ["crate::uploads.BUFFER src/uploads.rs:5"]]]],
      ["group-counter-add", ["counter-add", "counter-get"], [["rust", ["crate::counter.TOTAL src/counter.rs:4"]]]],
      ["group-log-append", ["log-append", "log-join"], [["rust", ["crate::journal::store.ENTRIES src/journal/store.rs:3"]]]],
    ]);
    expect(manifest.fragments.find((f) => f.id === "pure-double")!.flags.stateful).toBe(false);
  });

  it("moves each group's state from the server plugin to the client module and back", async () => {
    for (const n of [1n, 2n, 3n]) await onServer("counter-add", [n]);
    await onServer("log-append", ["naïve"]);
    await onServer("log-append", ["日本"]);
    await onServer("blob-put", [new Uint8Array([0xff, 0x00, 0xff])]);
    for (const g of ["group-counter-add", "group-log-append", "group-blob-put"]) await move(g, onServer, onClient);
    expect(await onClient("counter-get", [])).toBe(6n);
    expect(await onClient("log-join", [])).toBe("naïve,日本");
    expect(await onClient("blob-size", [])).toBe(3);
    await onClient("counter-add", [-10n]);
    await onClient("blob-put", [new Uint8Array([0xff])]);
    for (const g of ["group-counter-add", "group-blob-put"]) await move(g, onClient, onServer);
    expect(await onServer("counter-get", [])).toBe(-4n);
    expect(await onServer("blob-size", [])).toBe(4);
  });
});

describe("rust: dcm build of the refused fixture", () => {
  it("fails with DCM_STATE_NOT_ENCODABLE at the static holding the file", async () => {
    const out = join(await mkdtemp(join(tmpdir(), "dcm-rust-state-refused-")), "dist");
    const build = await runCli(["build", REFUSED, "--cfd", join(REFUSED, "dcm.yaml"), "--out", out]);
    expect(build.code).toBe(1);
    expect(build.stderr).toMatch(/state-refused\/src\/lib\.rs:7:8: error DCM_STATE_NOT_ENCODABLE: .*`OUT`.*`File`/);
  }, 300_000);
});
